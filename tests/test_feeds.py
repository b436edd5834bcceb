"""Feeds and pages over HTTP, served by a local server started here (no internet): a feed's
items are fetched and indexed with the feed's dates, outlet and links; a page that fails is
named and the rest kept; a single article page works; so does the watcher's feed polling."""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from assistant import Assistant

from .conftest import free_port

PAGE = """<html><head><title>{title}</title></head><body><nav>Home | World | Sport</nav>
<article><h1>{title}</h1><p>{body}</p><p>Officials said more details would follow later in the
week, and residents were asked to follow the local news for updates.</p></article>
<footer>Copyright</footer></body></html>"""
PAGES = {
    "/ferry.html": (
        "Ferry resumes",
        "The ferry to Hiddensee resumed on Sunday after three days of storms.",
    ),
    "/grain.html": (
        "Grain ships leave",
        "Twelve grain ships left Odesa on Monday under the corridor deal.",
    ),
}
FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Wire</title>
<link>{base}/</link><description>news</description>
<item><title>Ferry resumes</title><link>{base}/ferry.html</link>
<pubDate>Sun, 09 Oct 2022 10:00:00 GMT</pubDate></item>
<item><title>Grain ships leave</title><link>{base}/grain.html</link>
<pubDate>Mon, 10 Oct 2022 08:00:00 GMT</pubDate></item>
<item><title>Gone missing</title><link>{base}/missing.html</link>
<pubDate>Tue, 11 Oct 2022 08:00:00 GMT</pubDate></item>
</channel></rss>"""


@pytest.fixture(scope="module")
def site():
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/feed.xml":
                body, kind = FEED.format(base=base).encode(), "application/rss+xml"
            elif self.path in PAGES:
                title, text = PAGES[self.path]
                body, kind = PAGE.format(title=title, body=text).encode(), "text/html"
            else:
                self.send_error(404, "Not Found")
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()


def test_a_feed_is_indexed_with_its_dates_outlet_and_links_and_a_failed_item_named(
    site, tmp_path, embedder
):
    a = Assistant.build([], index_dir=tmp_path / "i", embedder=embedder)
    report = a.update([f"{site}/feed.xml"])
    assert len(report.added) == 2
    assert len(report.failures) == 1 and "missing.html" in str(report.failures[0])
    assert "404" in str(report.failures[0])
    by_title = {r.title: r for r in a.library()}
    assert by_title["Ferry resumes"].outlet == "Harbour Wire"
    assert by_title["Ferry resumes"].published == "2022-10-09"
    ferry = a.article(by_title["Ferry resumes"].id)
    assert ferry.url == f"{site}/ferry.html" and "Home | World" not in ferry.text
    answer = a.ask("When did the ferry to Hiddensee resume?")
    assert any("Hiddensee" in q.text for q in answer.quotes)
    again = a.update([f"{site}/feed.xml"], sync=True)  # read again: nothing new, nothing lost
    assert again.added == [] and again.removed == [] and len(a.library()) == 2


def test_one_article_page_and_an_unreachable_address(site, tmp_path, embedder):
    a = Assistant.build([], index_dir=tmp_path / "i", embedder=embedder)
    report = a.update([f"{site}/grain.html", f"http://127.0.0.1:{free_port()}/feed.xml"])
    assert len(report.added) == 1 and a.library()[0].title == "Grain ships leave"
    assert len(report.failures) == 1 and "cannot fetch" in str(report.failures[0])


def test_the_watcher_reads_its_feeds(site, tmp_path, embedder):
    from assistant.watch import watch

    a = Assistant.build([], index_dir=tmp_path / "i", embedder=embedder)
    stop = threading.Event()
    thread = threading.Thread(
        target=watch, args=(a, []), kwargs={"feeds": [f"{site}/feed.xml"], "stop": stop}
    )
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while len(a.library()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert {r.title for r in a.library()} == {"Ferry resumes", "Grain ships leave"}
    finally:
        stop.set()
        thread.join(10)
