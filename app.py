"""Gradio web UI over the assistant's public API: chat with quoted evidence, and a library.

    python app.py [--index DIR] [--host 127.0.0.1] [--port 7860]

Clicking a citation [n] opens the article beside the chat with the quoted span in a <mark>,
from the stored offsets. Everything taken from articles is escaped by ``assistant.render``.
State that differs per user (filters, the last answer) lives in the browser session; the index
is shared, and one update runs at a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hmac
import html
import json
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path

import gradio as gr
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from assistant import (
    Answer,
    Assistant,
    AssistantError,
    Filters,
    IndexMismatchError,
    Settings,
    TextDelta,
    index_exists,
)
from assistant.http import ApiFirst, create_api
from assistant.render import answer_html, answer_markdown, article_html, evidence_html
from assistant.watch import watch

UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".json", ".jsonl"]
EXAMPLES = [
    "How long does it take for the shell to reach its target?",
    "What happened at OpenAI after Sam Altman was fired?",  # a timeline across outlets
    "What did The Verge report about the jury hearing from Sam Bankman-Fried?",  # a named outlet
    "How many people did the Hamas attack on Israel kill?",  # reports disagree: a conflict badge
    "Who is defending Bakhmut?",
]
CSS = """
.hidden-input { display: none !important; }
.quote { border-left: 4px solid #c48f00; margin: 0.4em 0; padding: 0.2em 0.8em; }
.quote footer { font-size: 0.85em; color: #555; }
.cite { font-weight: bold; text-decoration: none; cursor: pointer; }
.notice { color: #8a4b00; }
.rewritten { color: #555; font-size: 0.9em; }
.article { max-height: 70vh; overflow-y: auto; line-height: 1.5; }
.article .meta, .passage .meta { font-size: 0.85em; color: #555; margin-bottom: 0.5em; }
.score { color: #777; }
mark { background: #ffe066; color: #1a1a1a; padding: 0 2px; }
.speaker { font-weight: 600; color: #1d4e89; }
.speaker::after { content: ":"; }
.conflict, .agree { border: 1px solid #d9822b; border-radius: 6px; padding: 0.3em 0.8em; margin: 0.4em 0; }
.agree { border-color: #3c8d40; }
.badge { font-weight: 600; }
.timeline { padding-left: 1.2em; }
.timeline .when { font-weight: 700; }
.dated-by { color: #777; font-size: 0.85em; }
.back-to-chat { font-size: 0.9em; }
/* Dark mode (Gradio puts .dark on the page): light text colours for the fixed dark ones. */
.dark .quote footer, .dark .article .meta, .dark .passage .meta, .dark .rewritten { color: #c8c8c8; }
.dark .score, .dark .dated-by { color: #b0b0b0; }
.dark .speaker { color: #9cc3ff; }
.dark .notice { color: #ffb366; }
/* Narrow screens: the article follows the chat; its "Back to the chat" link returns. */
@media (max-width: 600px) { .article { max-height: none; } }
"""
# A click on any citation link (#cite/<article>/<start>/<end>) is sent to the server through a
# hidden textbox; a nonce makes a second click on the same citation count too.
HEAD = """
<script>
document.addEventListener('click', (event) => {
  const link = event.target.closest('a[href^="#cite/"]');
  if (!link) return;
  event.preventDefault();
  const box = document.querySelector('#cite-target textarea, #cite-target input');
  if (!box) return;
  const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(box), 'value').set;
  setter.call(box, link.getAttribute('href').slice(6) + '/' + Date.now());
  box.dispatchEvent(new Event('input', { bubbles: true }));
});
</script>
"""
SCROLL_TO_MARK = """() => { setTimeout(() => {
  const mark = document.getElementById('quote-mark');
  if (mark) mark.scrollIntoView({block: 'center', behavior: 'smooth'});
}, 150); }"""
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str) -> str:
    """Return a file name that can't leave its folder (no separators, NUL, or leading dots)."""
    base = Path(name.replace("\\", "/").replace("\x00", "")).name
    cleaned = _SAFE_NAME.sub("_", base).lstrip(".") or "upload"
    return cleaned[:120]


def parse_day(text: str | None) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise gr.Error(f"Dates are written YYYY-MM-DD, got {text!r}") from exc


def outlet_choices(assistant: Assistant) -> list[tuple[str, str]]:
    """Return the outlet filter's choices: the label escaped (an outlet name is data), the
    value as stored."""
    return [(html.escape(o), o) for o in assistant.outlets()]


def library_rows(assistant: Assistant, query: str = "") -> list[list[object]]:
    """Return the library table's rows, filtered by a search string."""
    q = (query or "").lower().strip()
    return [
        [info.title or "(untitled)", info.outlet, info.published or "undated", info.chunks, info.id]
        for info in assistant.library()
        if not q or q in f"{info.title} {info.outlet} {info.published}".lower()
    ]


def figures(assistant: Assistant) -> str:
    """Return the index's one-line summary shown on the Library tab."""
    info = assistant.info()
    counts = info.get("counts", {})
    return (
        f"**{counts.get('articles', 0)} articles**, {counts.get('chunks', 0)} chunks · model "
        f"`{info['embedding_model']}` · last update {info.get('updated', '?')}"
    )


class Handlers:
    """The UI's event handlers, each a named method over the public API."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.settings = assistant.settings

    def respond(self, message, history, since, until, outlets, k, mode, transcript=None):
        """Stream an answer into the chat; the final message is the rendered answer. The
        transcript (each answer as Markdown, for copy and export) gains the answer."""
        transcript = list(transcript or [])
        if not (message or "").strip():
            raise gr.Error("Type a question first.")
        filters = Filters(
            since=parse_day(since), until=parse_day(until), outlets=tuple(outlets or ())
        )
        turns = [m for m in history if m.get("role") in ("user", "assistant")]
        history = history + [
            {"role": "user", "content": message},
            {"role": "assistant", "content": "…"},
        ]
        answer: Answer | None = None
        partial = ""
        try:
            for event in self.assistant.stream(
                message, k=int(k), filters=filters, history=turns, mode=mode
            ):
                if isinstance(event, TextDelta):
                    partial += event.text
                    history[-1] = {"role": "assistant", "content": partial}
                    yield history, gr.skip(), "", gr.skip()
                else:
                    answer = event
        except (AssistantError, ValueError) as exc:
            history[-1] = {"role": "assistant", "content": f"⚠ {exc}"}
            yield history, gr.skip(), "", transcript + [f"**Q: {message}**\n\n⚠ {exc}"]
            return
        assert answer is not None
        history[-1] = {"role": "assistant", "content": answer_html(answer)}
        yield history, evidence_html(answer.passages), "", transcript + [answer_markdown(answer)]

    def retry(self, retry: gr.RetryData, history, since, until, outlets, k, mode, transcript):
        """Ask the retried question again, dropping it and what followed from the chat."""
        yield from self._again(retry, history, since, until, outlets, k, mode, transcript)

    def edit(self, edited: gr.EditData, history, since, until, outlets, k, mode, transcript):
        """Ask an edited question in place of the old one, dropping what followed it."""
        yield from self._again(edited, history, since, until, outlets, k, mode, transcript)

    def _again(self, event, history, since, until, outlets, k, mode, transcript):
        index = event.index if isinstance(event.index, int) else event.index[0]
        asked = sum(1 for m in history[:index] if m.get("role") == "user")
        value = event.value
        yield from self.respond(
            str(value.get("text", "") if isinstance(value, dict) else value),
            history[:index],
            since,
            until,
            outlets,
            k,
            mode,
            (transcript or [])[:asked],
        )

    def export(self, transcript):
        """Write the conversation as Markdown; return the file the export button downloads
        (None, nothing to download, before the first answer)."""
        if not transcript:
            return None
        folder = Path(tempfile.mkdtemp(prefix="chat-"))
        path = folder / f"report-assistant-chat-{dt.date.today().isoformat()}.md"
        path.write_text("\n\n---\n\n".join(transcript) + "\n", encoding="utf-8")
        return str(path)

    def open_citation(self, value: str) -> str:
        """Return the cited article with the quoted span marked."""
        try:
            article_id, start, end, _nonce = value.split("/")
            return article_html(self.assistant.article(article_id), int(start), int(end))
        except (ValueError, KeyError):
            return "<p>That article is no longer in the index.</p>"

    def add_files(self, files, outlet="", published="", url="", progress=gr.Progress()):  # noqa: B008 - Gradio injects progress this way
        """Copy uploads into the index folder and index them. ``outlet``, ``published`` and
        ``url``, when given, describe text, Markdown and HTML files (JSON records carry their
        own)."""
        if not files:
            raise gr.Error("Choose one or more files first.")
        folder = Path(tempfile.mkdtemp(prefix="upload-", dir=self._uploads_dir()))
        paths = []
        given: dict[str, str] = {}  # stored path -> the name the user gave
        for n, f in enumerate(files, start=1):
            source = Path(f if isinstance(f, str) else f.name)
            if source.stat().st_size > self.settings.ui_max_upload_mb * 1024 * 1024:
                raise gr.Error(f"{source.name} is larger than {self.settings.ui_max_upload_mb} MB")
            # one folder per file: two uploads named report.txt stay two files
            target = folder / f"{n:03d}" / safe_filename(source.name)
            target.parent.mkdir()
            shutil.copyfile(source, target)
            paths.append(target)
            given[str(target)] = source.name
            meta = {
                "outlet": (outlet or "").strip(),
                "published": (published or "").strip(),
                "url": (url or "").strip(),
            }
            if any(meta.values()) and target.suffix.lower() not in (".json", ".jsonl"):
                sidecar = target.with_name(target.name.split(".")[0] + ".meta.json")
                sidecar.write_text(
                    json.dumps({k: v for k, v in meta.items() if v}), encoding="utf-8"
                )
        progress(0, desc="indexing")
        try:
            report = self.assistant.update(  # read in a bounded child: uploads are untrusted
                paths,
                progress=lambda stage, d, n: progress(d / max(n, 1), desc=stage),
                isolate=True,
            )
        except AssistantError as exc:  # the real reason (disk full, read-only), not "Error"
            raise gr.Error(str(exc)) from exc
        return self._after_change(report, given)

    def add_pasted(self, text, title, outlet, published, url=""):
        """Index one pasted article; the form is cleared once it is in."""
        if not (text or "").strip():
            raise gr.Error("Paste the article's text first.")
        try:
            report = self.assistant.add_text(
                text,
                title=title or "",
                outlet=outlet or "",
                published=parse_day(published),
                url=(url or "").strip(),
            )
        except (AssistantError, ValueError) as exc:
            raise gr.Error(str(exc)) from exc
        return (*self._after_change(report), "", "", "", "", "")

    def delete(self, article_id):
        """Remove one article from the index (the browser asked to confirm first)."""
        if not article_id:
            raise gr.Error("Pick an article to delete, then confirm.")
        try:
            report = self.assistant.remove([article_id])
        except AssistantError as exc:
            raise gr.Error(str(exc)) from exc
        return self._after_change(report)

    def refresh(self):
        """Return the library table, figures, outlet and delete choices as the index is now
        (another process may have updated it): on every page load."""
        return (
            library_rows(self.assistant),
            figures(self.assistant),
            gr.update(choices=outlet_choices(self.assistant)),
            gr.update(choices=self.delete_choices(), value=None),
        )

    def library(self, query: str):
        return library_rows(self.assistant, query)

    def delete_choices(self):
        return [
            (html.escape(f"{r[0]} ({r[1]}, {r[2]})"), r[4]) for r in library_rows(self.assistant)
        ]

    def _after_change(self, report, given: dict[str, str] | None = None):
        """Return the status line and the refreshed lists. Failures name each file as the user
        gave it (never the server's upload folder); everything from data is escaped."""

        def named(line: str) -> str:
            for stored, name in (given or {}).items():
                line = line.replace(stored, name)
            return line

        lines = [f"✔ {report.summary()}"] + [
            named(f"✖ {f.path}: {f.reason}") for f in report.failures
        ]
        return (
            "\n".join(f"- {html.escape(line)}" for line in lines),
            library_rows(self.assistant),
            figures(self.assistant),
            gr.update(choices=outlet_choices(self.assistant)),
            gr.update(choices=self.delete_choices(), value=None),
        )

    def _uploads_dir(self) -> Path:
        folder = Path(self.settings.index_dir) / "uploads"
        folder.mkdir(parents=True, exist_ok=True)
        return folder


# Copies the last answer's Markdown (quotes with outlet, date, title, URL) as plain text.
COPY_LAST = """(transcript) => {
  const last = (transcript || [])[(transcript || []).length - 1];
  if (last) navigator.clipboard.writeText(last);
}"""
# Runs in the browser before the delete handler: a cancelled dialog sends no article id.
CONFIRM_DELETE = (
    """(id) => (id && window.confirm(`Delete article ${id} from the index?`)) ? id : null"""
)


def _clear_chat():
    return [], "", "<p>Click a citation [n] to open its article here.</p>", [], [], None


def build_ui(assistant: Assistant) -> gr.Blocks:
    """Return the app's Blocks, answering through ``assistant``."""
    h = Handlers(assistant)
    settings = assistant.settings
    modes = ["extractive", "timeline"] + (["llm"] if settings.llm_model else [])
    mode_value = settings.answer_mode if settings.answer_mode in modes else "extractive"
    with gr.Blocks(title="Report assistant") as demo:
        gr.Markdown(
            "## Report assistant\nAnswers are verbatim quotes from the reports, each cited. Click **[n]** to read it in the article."
        )
        with gr.Tab("Ask"), gr.Row():
            with gr.Column(scale=3):
                # Gradio's own copy icon would copy the answer's HTML: the copy button below
                # gives text with sources. A question can be edited and asked again.
                chat = gr.Chatbot(
                    label="Chat", height=520, elem_id="chat", buttons=[], editable="user"
                )
                # Kept in the browser, so a reload (or a closed tab) keeps the conversation.
                saved_chat = gr.BrowserState([], storage_key="report-assistant-chat")
                transcript = gr.BrowserState([], storage_key="report-assistant-transcript")
                question = gr.Textbox(
                    label="Question", placeholder="Ask about the reports…", elem_id="question"
                )
                with gr.Row():
                    send = gr.Button("Ask", variant="primary", elem_id="ask")
                    stop = gr.Button("Stop", elem_id="stop")
                    clear = gr.Button("New chat", elem_id="new-chat")
                with gr.Row():
                    copy = gr.Button("Copy last answer as text", size="sm", elem_id="copy-answer")
                    export = gr.DownloadButton(
                        "Export chat (Markdown)", size="sm", elem_id="export-chat"
                    )
                gr.Examples(EXAMPLES, inputs=question)
                with gr.Accordion("Filters and options", open=False):
                    with gr.Row():
                        since = gr.Textbox(label="From (YYYY-MM-DD)", elem_id="since")
                        until = gr.Textbox(label="To (YYYY-MM-DD)", elem_id="until")
                    outlets = gr.Dropdown(
                        outlet_choices(assistant), multiselect=True, label="Outlets"
                    )
                    k = gr.Slider(1, 20, value=settings.top_k, step=1, label="Passages")
                    mode = gr.Radio(modes, value=mode_value, label="Answer mode")
            with gr.Column(scale=2):
                article_view = gr.HTML(
                    "<p>Click a citation [n] to open its article here.</p>",
                    elem_id="article-view",
                    label="Article",
                )
                with gr.Accordion("Evidence behind the last answer", open=False):
                    evidence = gr.HTML(elem_id="evidence")
                cite = gr.Textbox(
                    elem_id="cite-target", elem_classes=["hidden-input"], show_label=False
                )
        with gr.Tab("Library"):
            stats = gr.Markdown(figures(assistant), elem_id="figures")
            status = gr.Markdown(elem_id="status")
            with gr.Row():
                with gr.Column():
                    files = gr.File(
                        file_count="multiple",
                        file_types=UPLOAD_TYPES,
                        label="Upload articles",
                        elem_id="upload",
                    )
                    with gr.Row():
                        f_outlet = gr.Textbox(label="Outlet (optional)", elem_id="upload-outlet")
                        f_date = gr.Textbox(label="Date (YYYY-MM-DD)", elem_id="upload-date")
                        f_url = gr.Textbox(label="URL (optional)", elem_id="upload-url")
                    add_btn = gr.Button("Add files to the index", elem_id="add-files")
                with gr.Column():
                    paste = gr.Textbox(lines=6, label="…or paste an article", elem_id="paste")
                    with gr.Row():
                        p_title = gr.Textbox(label="Title", elem_id="paste-title")
                        p_outlet = gr.Textbox(label="Outlet", elem_id="paste-outlet")
                        p_date = gr.Textbox(label="Date (YYYY-MM-DD)")
                    p_url = gr.Textbox(label="URL (optional)", elem_id="paste-url")
                    paste_btn = gr.Button("Add pasted article", elem_id="add-paste")
            search = gr.Textbox(label="Search the library", elem_id="library-search")
            table = gr.Dataframe(
                library_rows(assistant),
                headers=["title", "outlet", "date", "chunks", "id"],
                interactive=False,
                elem_id="library",
            )
            with gr.Row():
                victim = gr.Dropdown(
                    h.delete_choices(), value=None, label="Delete an article", elem_id="victim"
                )
                delete_btn = gr.Button("Delete…", variant="stop", elem_id="delete")

        ask_inputs = [question, chat, since, until, outlets, k, mode, transcript]
        ask_outputs = [chat, evidence, question, transcript]
        asked = [
            send.click(h.respond, ask_inputs, ask_outputs, concurrency_limit=4, api_name="ask"),
            question.submit(
                h.respond, ask_inputs, ask_outputs, concurrency_limit=4, api_name=False
            ),
            *(  # a retried or edited question: asked again in its place
                event(
                    handler,
                    [chat, since, until, outlets, k, mode, transcript],
                    ask_outputs,
                    concurrency_limit=4,
                    api_name=False,
                )
                for event, handler in ((chat.retry, h.retry), (chat.edit, h.edit))
            ),
        ]
        for event in asked:  # after every answer: saved in the browser, ready to export
            event.then(lambda history: history, chat, saved_chat, api_name=False).then(
                h.export, transcript, export, api_name=False
            )
        stop.click(None, None, None, cancels=asked, api_name=False)
        clear.click(
            _clear_chat,
            None,
            [chat, evidence, article_view, saved_chat, transcript, export],
            api_name=False,
        )
        copy.click(None, transcript, None, js=COPY_LAST, api_name=False)
        demo.load(lambda history: history or [], saved_chat, chat, api_name=False).then(
            h.export, transcript, export, api_name=False
        )
        cite.change(h.open_citation, cite, article_view, api_name="open_citation").then(
            None, None, None, js=SCROLL_TO_MARK
        )
        changed = [status, table, stats, outlets, victim]
        writer = {"concurrency_limit": 1, "concurrency_id": "writer"}
        add_btn.click(
            h.add_files, [files, f_outlet, f_date, f_url], changed, api_name="add_files", **writer
        )
        paste_btn.click(
            h.add_pasted,
            [paste, p_title, p_outlet, p_date, p_url],
            [*changed, paste, p_title, p_outlet, p_date, p_url],
            api_name="add_text",
            **writer,
        )
        delete_btn.click(h.delete, victim, changed, api_name="delete", js=CONFIRM_DELETE, **writer)
        demo.load(h.refresh, None, [table, stats, outlets, victim], api_name=False)
        search.change(h.library, search, table, api_name="library")
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo


class ThrottledLogin:
    """The login check: after ``max_failures`` wrong tries within ``window`` seconds, every
    try fails until the window has passed (guessing slows to a few tries a minute)."""

    def __init__(
        self, user: str, password: str, max_failures: int = 5, window: float = 60.0, clock=None
    ) -> None:
        self._user, self._password = user, password
        self._compare = hmac.compare_digest
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._failures: list[float] = []
        self.max_failures, self.window = max_failures, window

    def __call__(self, user: str, password: str) -> bool:
        with self._lock:
            now = self._clock()
            self._failures = [t for t in self._failures if now - t < self.window]
            if len(self._failures) >= self.max_failures:
                return False
            right = self._compare(user.encode(), self._user.encode()) & self._compare(
                password.encode(), self._password.encode()
            )
            if not right:
                self._failures.append(now)
            return bool(right)


LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def allowed_hosts(server_name: str, configured: str = "") -> list[str]:
    """Return the Host names the server answers to: the configured ones, else the loopback
    names and the address it binds (any name when it binds every interface unconfigured)."""
    named = [h.strip() for h in configured.split(",") if h.strip()]
    if named:
        return [*LOOPBACK, *named]
    if server_name in ("0.0.0.0", "::", ""):
        return ["*"]
    return list(dict.fromkeys([*LOOPBACK, server_name]))


def launch(assistant: Assistant, *, prevent_thread_lock: bool = False, **kwargs) -> gr.Blocks:
    """Start the UI with the app's CSS, click handler, login and upload limits; return it."""
    settings = assistant.settings
    auth, user = None, ""
    if settings.ui_auth:
        user, _, password = settings.ui_auth.partition(":")
        auth = ThrottledLogin(user, password)
    demo = build_ui(assistant)
    api = create_api(assistant, login=auth, user=user)  # /v1/...: JSON and OpenAI-compatible
    server_name = kwargs.pop("server_name", settings.ui_host)
    hosts = allowed_hosts(server_name, settings.ui_allowed_hosts)
    demo.launch(
        app_kwargs={
            "middleware": [
                Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
                Middleware(ApiFirst, api=api),
            ]
        },
        server_name=server_name,
        server_port=kwargs.pop("server_port", settings.ui_port),
        auth=auth,
        css=CSS,
        head=HEAD,
        max_file_size=f"{settings.ui_max_upload_mb}mb",
        prevent_thread_lock=prevent_thread_lock,
        **kwargs,
    )
    return demo


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the report assistant web UI.")
    parser.add_argument(
        "--index",
        action="append",
        default=None,
        help="index folder (default: index/); repeated, time shards (oldest first) served as "
        "one archive",
    )
    parser.add_argument(
        "--host", default=None, help="address to bind (default 127.0.0.1; ASSISTANT_UI_HOST)"
    )
    parser.add_argument(
        "--port", type=int, default=None, help="port (default 7860; ASSISTANT_UI_PORT)"
    )
    parser.add_argument(
        "--reports", default="reports", help="folder indexed when no index exists yet"
    )
    parser.add_argument(
        "--watch",
        action="append",
        default=[],
        metavar="FOLDER",
        help="keep the index in step with this folder while serving (repeatable)",
    )
    args = parser.parse_args()
    # Gradio's own variables work too; ASSISTANT_UI_* and the flags win over them.
    env = os.environ
    host = args.host or (None if "ASSISTANT_UI_HOST" in env else env.get("GRADIO_SERVER_NAME"))
    port = args.port or (None if "ASSISTANT_UI_PORT" in env else env.get("GRADIO_SERVER_PORT"))
    shards = args.index or []
    if len(shards) > 1 and args.watch:
        parser.error("--watch keeps one index in step with folders; give one --index with it")
    settings = Settings.load(
        index_dir=shards[0] if shards else None, ui_host=host, ui_port=int(port) if port else None
    )
    settings.configure_logging()
    if len(shards) > 1:  # an archive: every shard must exist (each is built on its own)
        assistant = Assistant.open(shards, settings=settings)
    elif not index_exists(settings.index_dir):
        print(f"No index at {settings.index_dir}; indexing {args.reports} first…")
        assistant = Assistant.build([args.reports], settings=settings)
    else:
        try:
            assistant = Assistant.open(settings=settings)
        except IndexMismatchError as exc:  # the previous format: its own articles carry over
            if "assistant index upgrade" not in str(exc):
                raise
            print(f"Upgrading the index at {settings.index_dir} (articles and vectors kept)…")
            assistant = Assistant.upgrade(settings=settings)
    if args.watch:  # new, changed and removed files applied while the app serves
        threading.Thread(
            target=watch, args=(assistant, args.watch), name="watch", daemon=True
        ).start()
    launch(assistant)


if __name__ == "__main__":
    main()
