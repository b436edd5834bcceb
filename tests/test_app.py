"""The web app's endpoints, called through gradio_client against a real Gradio server."""

from __future__ import annotations

import html

import pytest
from gradio_client import Client

import app as webapp

SHELL = "It takes around 40 seconds for the shell to reach its target."


def reply_text(chat) -> str:
    """Return the last assistant message's HTML (Gradio 6 gives a list of typed parts)."""
    content = chat[-1]["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def ask(client, question, **kw):
    args = dict(since="", until="", outlets=[], k=8, mode="extractive") | kw
    chat, evidence, _box, *_transcript = client.predict(
        question,
        [],
        args["since"],
        args["until"],
        args["outlets"],
        args["k"],
        args["mode"],
        api_name="/ask",
    )
    return chat, evidence


def test_ask_endpoint_returns_the_quote_with_outlet_date_and_citation_link(served):
    url, assistant = served
    chat, evidence = ask(
        Client(url, verbose=False), "How long does it take for the shell to reach its target?"
    )
    reply = reply_text(chat)
    reply = html.unescape(reply)
    assert SHELL in reply and "Al Jazeera" in reply and "2022-10-07" in reply
    assert 'href="#cite/' in reply and "[1]" in reply
    assert "score" in evidence


def test_date_filter_outside_the_reports_gives_no_quotes(served):
    url, _ = served
    chat, _ = ask(Client(url, verbose=False), "Who is defending Bakhmut?", since="2030-01-01")
    assert "The reports don't say." in html.unescape(reply_text(chat))


def test_open_citation_highlights_the_span_from_stored_offsets(served):
    url, assistant = served
    article = assistant.articles()[0]
    start = article.text.index(SHELL)
    html = Client(url, verbose=False).predict(
        f"{article.id}/{start}/{start + len(SHELL)}/1", api_name="/open_citation"
    )
    assert f'<mark id="quote-mark">{SHELL}</mark>' in html
    assert "Al Jazeera" in html


def test_pasted_article_with_html_is_answerable_and_escaped(served):
    url, _ = served
    client = Client(url, verbose=False)
    text = (
        "Officials said the new bridge over the Dnipro opened on Tuesday <script>alert(1)</script>.\n\n"
        "Engineers said <img src=x onerror=alert(2)> the bridge carries 4,000 trucks a day."
    )
    status, *_ = client.predict(
        text, "Dnipro bridge <b>opens</b>", "Test Wire", "2022-11-01", "", api_name="/add_text"
    )
    assert "1 added" in status
    chat, _ = ask(client, "How many trucks a day does the Dnipro bridge carry?")
    reply = reply_text(chat)
    assert "4,000 trucks" in reply
    assert "<img" not in reply and "<script>" not in reply and "&#60;img" in reply


def test_library_lists_articles_and_search_filters_them(served):
    url, _ = served
    client = Client(url, verbose=False)
    table = client.predict("al jazeera", api_name="/library")
    rows = table["data"] if isinstance(table, dict) else table
    assert rows and rows[0][1] == "Al Jazeera"
    assert client.predict("no such outlet xyz", api_name="/library")["data"] in (
        [],
        [[]],
        [["", "", "", "", ""]],
    )


@pytest.mark.parametrize(
    "name,expected",
    [
        ("../../etc/passwd", "passwd"),
        ("/abs/path/x.txt", "x.txt"),
        ("a\x00b.txt", "ab.txt"),
        ("..", "upload"),
        (".hidden.txt", "hidden.txt"),
    ],
)
def test_uploaded_file_names_cannot_leave_their_folder(name, expected):
    assert webapp.safe_filename(name) == expected


def test_fifty_questions_from_ten_concurrent_sessions_are_all_answered(served):
    """Correctness under concurrency; throughput is measured in benchmarks/load.py. Generous
    timeouts: on a busy 2-core machine a queued question can wait, which is not a failure."""
    from concurrent.futures import ThreadPoolExecutor

    url, _ = served
    question = "How long does it take for the shell to reach its target?"

    def session(_):
        client = Client(url, verbose=False, httpx_kwargs={"timeout": 300})
        return [html.unescape(reply_text(ask(client, question)[0])) for _ in range(5)]

    with ThreadPoolExecutor(max_workers=10) as pool:
        replies = [r for batch in pool.map(session, range(10)) for r in batch]
    assert len(replies) == 50 and all(SHELL in r for r in replies)


def test_sessions_do_not_share_chat_history(served):
    url, _ = served
    first, second = Client(url, verbose=False), Client(url, verbose=False)
    ask(first, "Who is defending Bakhmut?")
    chat, _ = ask(second, "How long does it take for the shell to reach its target?")
    assert len(chat) == 2  # only this session's own question and answer


def test_upload_with_a_bad_file_names_it_and_indexes_the_rest_then_delete(served, tmp_path):
    from gradio_client import handle_file

    url, assistant = served
    client = Client(url, verbose=False)
    good = tmp_path / "kyiv-metro.txt"
    good.write_text(
        "date 2022-10-10 Kyiv residents sheltered in metro stations.\n\nThousands slept underground overnight.",
        encoding="utf-8",
    )
    bad = tmp_path / "broken.txt"
    bad.write_bytes(b"%PDF-1.7 binary")
    status, table, *_ = client.predict(
        [handle_file(str(good)), handle_file(str(bad))], "", "", "", api_name="/add_files"
    )
    assert "1 added" in status and "broken.txt" in status and "PDF" in status
    added = next(a for a in assistant.articles() if a.title.startswith("Kyiv residents"))
    status, *_ = client.predict(added.id, api_name="/delete")
    assert "1 removed" in status
    assert all(a.id != added.id for a in assistant.articles())


def test_uploads_and_pastes_take_outlet_date_and_url(served, tmp_path):
    from gradio_client import handle_file

    url, assistant = served
    client = Client(url, verbose=False)
    report = tmp_path / "zaporizhzhia.txt"
    report.write_text(
        "Power returned to the Zaporizhzhia plant.\n\nEngineers restored the last line on Sunday.",
        encoding="utf-8",
    )
    status, *_ = client.predict(
        [handle_file(str(report))],
        "Kyiv Post",
        "2022-10-09",
        "https://example.org/zpp",
        api_name="/add_files",
    )
    assert "1 added" in status
    added = next(a for a in assistant.articles() if a.title.startswith("Power returned"))
    assert (added.outlet, str(added.published), added.url) == (
        "Kyiv Post",
        "2022-10-09",
        "https://example.org/zpp",
    )
    status, *rest = client.predict(
        "Kherson ferries resumed.\n\nThe first ferry crossed on Monday.",
        "Kherson ferries resume",
        "Ukrainska Pravda",
        "2022-11-14",
        "https://example.org/ferry",
        api_name="/add_text",
    )
    assert "1 added" in status
    assert rest[-5:] == ["", "", "", "", ""]  # the paste form is cleared
    pasted = next(a for a in assistant.articles() if a.title == "Kherson ferries resume")
    assert pasted.url == "https://example.org/ferry" and pasted.outlet == "Ukrainska Pravda"


def test_upload_status_names_files_as_given_escapes_data_and_keeps_same_names_apart(
    served, tmp_path
):
    from gradio_client import handle_file

    url, assistant = served
    client = Client(url, verbose=False)
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    (tmp_path / "x" / "report.txt").write_text(
        "Mykolaiv bridge repaired\n\nCrews reopened the bridge.", encoding="utf-8"
    )
    (tmp_path / "y" / "report.txt").write_text(
        "Sumy school reopened\n\nPupils returned on Monday.", encoding="utf-8"
    )
    hostile = tmp_path / "dup.jsonl"
    hostile.write_text(
        '{"id": "<img src=http://track.example/t.png>", "title": "A", "text": "One."}\n'
        '{"id": "<img src=http://track.example/t.png>", "title": "B", "text": "Two."}\n',
        encoding="utf-8",
    )
    status, *_ = client.predict(
        [
            handle_file(str(tmp_path / "x" / "report.txt")),
            handle_file(str(tmp_path / "y" / "report.txt")),
            handle_file(str(hostile)),
        ],
        "",
        "",
        "",
        api_name="/add_files",
    )
    titles = {a.title for a in assistant.articles()}
    assert {"Mykolaiv bridge repaired", "Sumy school reopened"} <= titles
    assert "<img" not in status and "&lt;img" in status  # shown as text, never fetched
    assert str(assistant.index_dir) not in status and "uploads" not in status
    assert "dup.jsonl" in status


def test_a_request_naming_another_host_is_refused(served):
    import urllib.error
    import urllib.request

    url, _ = served
    request = urllib.request.Request(url + "config", headers={"Host": "evil.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    with urllib.request.urlopen(url + "config", timeout=10) as ok:
        assert ok.status == 200


@pytest.mark.parametrize(
    ("server", "configured", "expected"),
    [
        ("127.0.0.1", "", ["127.0.0.1", "localhost", "::1", "[::1]"]),
        ("0.0.0.0", "", ["*"]),
        ("0.0.0.0", "news.example, desk.example", ["news.example", "desk.example"]),
    ],
)
def test_allowed_hosts_follow_the_address_and_settings(server, configured, expected):
    import app as webapp

    assert set(expected) <= set(webapp.allowed_hosts(server, configured))


def test_login_guessing_is_throttled_and_recovers_after_the_window():
    import app as webapp

    now = [0.0]
    login = webapp.ThrottledLogin("desk", "s3cret", max_failures=5, window=60, clock=lambda: now[0])
    assert login("desk", "s3cret")
    assert not any(login("desk", f"guess{i}") for i in range(5))
    assert not login("desk", "s3cret")  # locked: even the right password waits
    now[0] = 61.0
    assert login("desk", "s3cret")


def test_the_login_guards_the_app_and_lets_the_right_password_in(served_with_login):
    import urllib.error
    import urllib.request

    url, _ = served_with_login
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url + "gradio_api/info", timeout=10)
    assert refused.value.code == 401
    client = Client(url, auth=("desk", "s3cret"), verbose=False)
    chat, *_ = ask(client, "How long does it take for the shell to reach its target?")
    assert SHELL in reply_text(chat)
