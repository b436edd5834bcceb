"""The UI in a real browser: Debian's chromium driven by Playwright, against a real Gradio server.

Screenshots of each step are saved under test-artifacts/ to be looked at.
"""

from __future__ import annotations

import os
import shutil

import pytest

from .conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SHOTS = ROOT / "test-artifacts"
SHELL = "It takes around 40 seconds for the shell to reach its target."

pytestmark = pytest.mark.browser
if not os.path.exists(CHROMIUM):
    if os.environ.get("CI"):
        raise RuntimeError("chromium is missing in CI: .ci/run must `apt-get install -y chromium`")
    pytest.skip(
        "Debian chromium is not installed (apt-get install -y chromium)", allow_module_level=True
    )


@pytest.fixture(scope="module")
def page(served):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        page.goto(served[0])
        page.wait_for_selector("#question textarea")
        yield page
        browser.close()


def send(page, question: str, *, new_chat: bool = False) -> None:
    """Ask ``question`` in the Ask tab (in a new chat if asked), without waiting."""
    page.get_by_role("tab", name="Ask").click()
    if new_chat:
        page.click("#new-chat")
    page.fill("#question textarea", question)
    page.click("#ask")


def ask(page, question: str, expect: str):
    send(page, question)
    page.wait_for_function(
        "text => [...document.querySelectorAll('#chat .quote')].some(q => q.innerText.includes(text))",
        arg=expect,
    )


def test_ask_shows_quote_with_outlet_and_date_then_citation_opens_highlighted_article(page):
    ask(page, "How long does it take for the shell to reach its target?", SHELL)
    quote = page.locator("#chat .quote").filter(has_text=SHELL).last
    footer = quote.locator("footer").inner_text()
    assert "Al Jazeera" in footer and "2022-10-07" in footer
    page.screenshot(path=str(SHOTS / "1-answer.png"))

    quote.locator("a.cite").click()
    mark = page.locator("#article-view mark#quote-mark")
    mark.wait_for()
    assert SHELL in mark.inner_text()  # the whole quote, which holds the sentence
    page.wait_for_timeout(600)  # the smooth scroll settles
    box = mark.bounding_box()
    view = page.locator("#article-view .article").bounding_box()
    assert box and view and view["y"] <= box["y"] <= view["y"] + view["height"], (
        "mark not scrolled into view"
    )
    page.screenshot(path=str(SHOTS / "2-citation-highlighted.png"))


def test_uploaded_article_is_answerable_right_after(page, tmp_path):
    report = tmp_path / "odesa-grain.txt"
    report.write_text(
        "date 2022-08-01 The first grain ship left Odesa on Monday under a UN-brokered deal.\n\n"
        "The Razoni carried 26,000 tonnes of corn bound for Lebanon, officials said.",
        encoding="utf-8",
    )
    page.get_by_role("tab", name="Library").click()
    page.set_input_files("#upload input[type=file]", str(report))
    page.click("#add-files")
    page.wait_for_function("() => document.querySelector('#status')?.innerText.includes('1 added')")
    page.screenshot(path=str(SHOTS / "3-upload.png"))
    ask(page, "How many tonnes of corn did the Razoni carry?", "26,000 tonnes")
    page.screenshot(path=str(SHOTS / "4-answer-from-upload.png"))


def test_article_with_html_and_script_renders_inert(page):
    page.get_by_role("tab", name="Library").click()
    page.fill(
        "#paste textarea",
        (
            "Saboteurs damaged the Kerch bridge early on Saturday <script>window.__pwned = 1</script>.\n\n"
            'Witnesses said <img src=x onerror="window.__pwned = 2"> the bridge fire burned for hours '
            "[see the official report](http://evil.example/) **URGENT** [1]."
        ),
    )
    page.click("#add-paste")
    page.wait_for_function("() => document.querySelector('#status')?.innerText.includes('1 added')")
    ask(page, "How long did the Kerch bridge fire burn?", "burned for hours")
    quote = page.locator("#chat .quote").filter(has_text="burned for hours").last
    assert "<img src=x" in quote.inner_text()
    quote.locator("a.cite").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#article-view mark')].map(m => m.innerText)"
        ".join(' ').includes('burned for hours')"
    )
    assert "<script>window.__pwned = 1</script>" in page.locator("#article-view").inner_text()
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#article-view img, #chat img[src='x']").count() == 0
    assert (
        page.locator("#chat a[href*='evil.example'], #chat strong:has-text('URGENT')").count() == 0
    )
    assert "[see the official report](http://evil.example/)" in quote.inner_text()
    page.screenshot(path=str(SHOTS / "5-inert-html.png"))


def test_timeline_question_shows_dated_events_in_order(page):
    page.get_by_role("tab", name="Ask").click()
    page.fill("#question textarea", "What happened in Lyman and Bakhmut?")
    page.click("#ask")
    page.wait_for_selector("#chat ol.timeline .when")
    dates = page.locator("#chat ol.timeline").last.locator(".when").all_inner_texts()
    assert dates == sorted(dates) and "2022-09-30" in dates
    page.screenshot(path=str(SHOTS / "6-timeline.png"))


def test_lists_follow_an_update_made_elsewhere_after_a_reload(page, served, tmp_path):
    import subprocess
    import sys

    url, assistant = served
    report = tmp_path / "kharkiv.jsonl"
    report.write_text(
        '{"id": "kh-1", "title": "Kharkiv trains resume", "source": "Kyiv Independent", '
        '"published": "2022-09-20", "text": "Trains to Kharkiv resumed on Tuesday, the railway '
        'said."}\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "index", "update", str(report)]
        + ["--index", str(assistant.index_dir)],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    page.goto(url)
    page.wait_for_selector("#question textarea")
    page.get_by_role("tab", name="Library").click()
    page.wait_for_function(
        "() => document.querySelector('#library')?.innerText.includes('Kharkiv trains resume')"
    )
    assert "Kyiv Independent" in page.locator("#library").inner_text()
    page.get_by_role("tab", name="Ask").click()
    page.get_by_text("Filters and options").click()
    page.get_by_label("Outlets").click()
    assert page.get_by_role("option", name="Kyiv Independent").count() == 1
    page.keyboard.press("Escape")
    page.screenshot(path=str(SHOTS / "7-lists-after-cli-update.png"))


def test_delete_asks_first_and_a_cancel_keeps_the_article(page, served):
    url, assistant = served
    title = "Ferry service to Kherson suspended"
    assistant.add_text("The ferry service to Kherson was suspended on Friday.", title=title)
    page.goto(url)  # the lists are read on load
    page.wait_for_selector("#question textarea")
    page.get_by_role("tab", name="Library").click()
    before = len(assistant.library())
    assert page.locator("#victim input").input_value() == ""  # nothing chosen up front
    page.locator("#victim input").click()
    page.get_by_role("option", name=title).first.click()
    page.once("dialog", lambda d: d.dismiss())
    page.click("#delete")
    page.wait_for_timeout(1500)
    assert len(assistant.library()) == before
    page.once("dialog", lambda d: d.accept())
    page.click("#delete")
    page.wait_for_function(
        "() => document.querySelector('#status')?.innerText.includes('1 removed')"
    )
    assert len(assistant.library()) == before - 1
    page.screenshot(path=str(SHOTS / "8-confirmed-delete.png"))


def test_the_chat_survives_a_reload_and_new_chat_clears_it(page, served):
    ask(page, "How long does it take for the shell to reach its target?", SHELL)
    page.reload()
    page.wait_for_selector("#question textarea")
    page.wait_for_function(
        "text => [...document.querySelectorAll('#chat .quote')].some(q => q.innerText.includes(text))",
        arg=SHELL,
    )
    page.screenshot(path=str(SHOTS / "9-chat-after-reload.png"))
    page.click("#new-chat")
    page.wait_for_function("() => document.querySelectorAll('#chat .quote').length === 0")
    page.reload()
    page.wait_for_selector("#question textarea")
    page.wait_for_timeout(1000)
    assert page.locator("#chat .quote").count() == 0


def test_copy_gives_the_answer_as_text_with_its_sources(page, served):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("tab", name="Ask").click()
    page.click("#new-chat")
    ask(page, "How long does it take for the shell to reach its target?", SHELL)
    page.click("#copy-answer")
    page.wait_for_timeout(500)
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert SHELL in copied and "<" not in copied.replace("<http", "")  # Markdown, not HTML
    assert "**Q: How long does it take" in copied and "characters" in copied
    exported = ""
    for _ in range(6):  # the file is written just after the answer is saved in the browser
        try:
            with page.expect_download(timeout=5_000) as download:
                page.click("#export-chat")
            exported = download.value.path().read_text(encoding="utf-8")
            break
        except Exception:  # not ready yet: no download started
            page.wait_for_timeout(500)
    assert SHELL in exported


def test_stop_ends_an_answer_in_progress(page, served):
    send(page, "What happened in Lyman and Bakhmut?", new_chat=True)
    page.click("#stop")
    page.wait_for_timeout(1500)
    # the app stays usable: the next question is answered
    ask(page, "How long does it take for the shell to reach its target?", SHELL)


def _contrast(fg: str, bg: str) -> float:
    """WCAG contrast ratio of two computed CSS colours ("rgb(r, g, b)")."""
    import re

    def luminance(colour: str) -> float:
        r, g, b = (int(v) / 255 for v in re.findall(r"\d+", colour)[:3])
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _open_first_citation(page, question: str, expect: str) -> None:
    page.wait_for_selector("#question textarea")
    ask(page, question, expect)
    page.locator("#chat .quote a.cite").last.click()
    page.wait_for_selector("#article-view mark")


def test_dark_mode_keeps_the_highlight_and_sources_readable(page, served):
    dark = page.context.browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        dark.goto(served[0] + "?__theme=dark")
        _open_first_citation(
            dark, "How long does it take for the shell to reach its target?", SHELL
        )
        mark = dark.evaluate(
            "() => { const s = getComputedStyle(document.querySelector('#article-view mark'));"
            " return [s.color, s.backgroundColor]; }"
        )
        assert _contrast(*mark) >= 4.5, mark
        footer = dark.evaluate(
            "() => { const f = document.querySelector('#chat .quote footer');"
            " let e = f; let bg = 'rgba(0, 0, 0, 0)';"
            " while (e && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {"
            "   bg = getComputedStyle(e).backgroundColor; e = e.parentElement; }"
            " return [getComputedStyle(f).color, bg]; }"
        )
        assert _contrast(*footer) >= 4.5, footer
        dark.screenshot(path=str(SHOTS / "10-dark-mode.png"))
    finally:
        dark.close()


def test_a_phone_reader_can_go_from_the_article_back_to_the_chat(page, served):
    phone = page.context.browser.new_page(viewport={"width": 390, "height": 844})
    try:
        phone.goto(served[0])
        _open_first_citation(
            phone, "How long does it take for the shell to reach its target?", SHELL
        )
        phone.wait_for_timeout(800)  # the highlighted span is scrolled into view
        phone.screenshot(path=str(SHOTS / "11-phone-article.png"))
        phone.locator("#article-view a.back-to-chat").first.click()
        phone.wait_for_timeout(800)
        top = phone.evaluate("() => document.querySelector('#chat').getBoundingClientRect().top")
        assert -50 <= top <= 200, top  # the chat is on screen again
        phone.screenshot(path=str(SHOTS / "12-phone-back-to-chat.png"))
    finally:
        phone.close()


HOSTILE_TITLE = '<img src="https://track.example/title.png">Ferry strike ends'
HOSTILE_OUTLET = '<a href="javascript:window.__pwned=3">Harbour Wire</a>'


@pytest.mark.parametrize(
    ("url", "linked"),
    [("javascript:window.__pwned=4", False), ("https://news.example/ferry-strike", True)],
)
def test_no_address_from_article_data_reaches_a_src_or_href_but_its_https_link(
    page, served, url, linked
):
    page.get_by_role("tab", name="Library").click()
    page.fill(
        "#paste textarea",
        f"The ferry strike at the harbour ended on Monday after talks ({url[:5]}).\n\n"
        "Crews said sailings to the islands resume on Tuesday morning.",
    )
    page.fill("#paste-title textarea", HOSTILE_TITLE)
    page.fill("#paste-outlet textarea", HOSTILE_OUTLET)
    page.fill("#paste-url textarea", url)
    page.click("#add-paste")
    page.wait_for_function("() => document.querySelector('#status')?.innerText.includes('added')")
    page.reload()
    page.wait_for_selector("#question textarea")
    page.get_by_role("tab", name="Library").click()
    page.wait_for_function(
        "() => document.querySelector('#library')?.innerText.includes('Ferry strike ends')"
    )
    page.click("#victim")  # the delete list, holding the hostile title and outlet
    page.keyboard.press("Escape")
    ask(page, "When do the ferry sailings to the islands resume?", "sailings to the islands")
    page.locator("#chat .quote").filter(has_text="sailings to the islands").last.locator(
        "a.cite"
    ).click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#article-view mark')].map(m => m.innerText)"
        ".join(' ').includes('sailings')"
    )
    addresses = page.evaluate(
        """() => [...document.querySelectorAll('[src],[href],[srcset],[action],[formaction]')]
            .flatMap(e => ['src', 'href', 'srcset', 'action', 'formaction']
            .map(a => e.getAttribute(a)).filter(Boolean))"""
    )
    assert not [a for a in addresses if "track.example" in a or "javascript:" in a.lower()]
    from_data = [a for a in addresses if "news.example" in a]
    assert from_data == (["https://news.example/ferry-strike"] * len(from_data))
    assert bool(from_data) is linked
    assert page.evaluate("() => window.__pwned") is None
    assert HOSTILE_TITLE in page.locator("#article-view").inner_text()
    page.screenshot(path=str(SHOTS / f"12-data-addresses-{'https' if linked else 'js'}.png"))


def test_an_edited_question_is_asked_again_in_place_and_no_copy_icon_copies_html(page, served):
    send(page, "Who is defending Bakhmut?", new_chat=True)
    page.wait_for_function("() => document.querySelectorAll('#chat [aria-label=Retry]').length > 0")
    assert (
        page.locator("#chat button[aria-label*='Copy' i], #chat button[title*='Copy' i]").count()
        == 0
    )
    page.locator("#chat .message").first.hover()
    page.locator("#chat button[aria-label='Edit']").first.click()
    page.locator("#chat textarea").first.fill(
        "How long does it take for the shell to reach its target?"
    )
    page.locator("#chat button[aria-label='Submit']").first.click()
    page.wait_for_function(
        "text => [...document.querySelectorAll('#chat .quote')].some(q => q.innerText.includes(text))",
        arg=SHELL,
    )
    chat = page.locator("#chat").inner_text()
    assert "Who is defending Bakhmut?" not in chat
    assert chat.count("How long does it take for the shell to reach its target?") >= 1
    page.screenshot(path=str(SHOTS / "13-edited-question.png"))


def test_a_date_window_without_reports_says_what_the_index_holds(page, served):
    page.get_by_role("tab", name="Ask").click()
    page.click("#new-chat")
    page.get_by_text("Filters and options").click()
    page.fill("#since textarea, #since input", "2030-01-01")
    send(page, "Who is defending Bakhmut?")
    page.wait_for_function(
        "() => document.querySelector('#chat')?.innerText.includes('The index holds')"
    )
    said = page.locator("#chat").inner_text()
    assert "No report matches the filters" in said and "Al Jazeera" in said
    assert "2022-10-07" in said  # the index's date range
    page.fill("#since textarea, #since input", "")
    page.get_by_text("Filters and options").click()
    page.screenshot(path=str(SHOTS / "14-empty-window.png"))
