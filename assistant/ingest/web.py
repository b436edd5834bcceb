"""Articles from the web: an RSS or Atom feed (each item's page fetched and its main text
extracted) or one article page. A feed's own fields win: each article's title, published date,
outlet (the feed's title) and address come from the feed. A page that can't be fetched falls back
to the text the feed carries, or is named with the reason; the rest are kept."""

from __future__ import annotations

import dataclasses
import datetime as dt
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

from ..errors import IngestError
from ..types import Article
from .loaders import load_html
from .normalize import make_article

MAX_PAGE_BYTES = 10 * 1024 * 1024  # a feed or page larger than this is refused
TIMEOUT = 20.0  # seconds per request
USER_AGENT = "report-assistant/0.1 (news question answering; feed reader)"
FEED_TYPES = ("rss", "atom", "xml")
FEED_TEXT_WORDS = 60  # a feed item's own text stands in for its page from this length on


def is_url(value: object) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def fetch(url: str, timeout: float = TIMEOUT) -> tuple[bytes, str]:
    """Return (body, content type) of ``url``; IngestError naming the URL and the reason."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(MAX_PAGE_BYTES + 1)
            kind = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        raise IngestError(url, f"the server answered {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise IngestError(url, f"cannot fetch: {exc.reason}") from None
    except (TimeoutError, OSError, ValueError) as exc:
        raise IngestError(url, f"cannot fetch: {exc}") from None
    if len(body) > MAX_PAGE_BYTES:
        raise IngestError(url, f"over {MAX_PAGE_BYTES:,} bytes; not read")
    return body, kind


def _is_feed(body: bytes, kind: str) -> bool:
    if any(t in kind.lower() for t in FEED_TYPES):
        return True
    head = body[:512].lstrip().lower()
    return head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf"))


def load_url(url: str) -> Iterator[Article | IngestError]:
    """Yield the articles of a feed or a page at ``url``, or errors naming what failed."""
    try:
        body, kind = fetch(url)
    except IngestError as exc:
        yield exc
        return
    if _is_feed(body, kind):
        yield from _feed(url, body)
    else:
        yield from _page(url, body, {"url": url})


def _page(url: str, body: bytes, meta: dict[str, Any]) -> Iterator[Article | IngestError]:
    for item in load_html(url, body, meta):
        # A web article has no file behind it: a later sync must never drop it as an orphan.
        yield dataclasses.replace(item, path="") if isinstance(item, Article) else item


def _day(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            return dt.date(*parsed[:3]).isoformat()
    return None


def _feed(url: str, body: bytes) -> Iterator[Article | IngestError]:
    import feedparser  # only when a feed arrives

    parsed = feedparser.parse(body)
    if not parsed.entries:
        reason = getattr(parsed, "bozo_exception", None) or "no items"
        yield IngestError(url, f"not a readable RSS or Atom feed ({reason})")
        return
    outlet = parsed.feed.get("title", "") or urllib.parse.urlsplit(url).hostname or ""
    for n, entry in enumerate(parsed.entries):
        link = urllib.parse.urljoin(url, entry.get("link", ""))
        meta = {"title": entry.get("title", ""), "outlet": outlet, "url": link}
        if published := _day(entry):
            meta["published"] = published
        carried = " ".join(c.get("value", "") for c in entry.get("content", []) or []) or entry.get(
            "summary", ""
        )
        try:
            if not is_url(link):
                raise IngestError(f"{url} item {n + 1}", "the item has no http(s) link")
            page, _ = fetch(link)
            yield from _page(link, page, meta)
        except IngestError as exc:
            text = _plain(carried)
            if len(text.split()) >= FEED_TEXT_WORDS:  # the feed carries the article itself
                yield make_article(
                    text, title=meta["title"], outlet=outlet, url=link, published=published
                )
            else:
                yield exc


def _plain(html_text: str) -> str:
    """Return a feed item's HTML content as plain text."""
    if "<" not in html_text:
        return html_text.strip()
    import trafilatura

    return (trafilatura.extract(f"<html><body>{html_text}</body></html>") or "").strip()
