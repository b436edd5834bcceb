"""Watched folders and feeds: new, changed and removed files applied to the index as they
happen, and RSS/Atom feeds read every few minutes.

``watch`` first brings the index in step with the folders (one update with ``sync``), then
waits for file events (watchfiles: inotify on Linux), gathers them for ``debounce`` seconds and
applies each batch through the same crash-safe update as the CLI: only the batch's files are
read, only new text is embedded, a removed file's articles go. A bad file is named in the
batch's report and never stops the watcher; a watcher killed mid-update leaves the index as it
was, and the next start catches up.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from .api import Assistant
from .errors import AssistantError
from .indexing import UpdateReport

log = logging.getLogger(__name__)
SIDECAR = ".meta.json"  # a text file's metadata beside it: a change re-reads that file


def _relevant(path: str) -> bool:
    name = os.path.basename(path)
    return not (name.startswith(".") or name.endswith(("~", ".tmp", ".part", ".swp")))


def _article_file(path: str) -> str:
    """Return the file a changed path stands for (a sidecar stands for its text file)."""
    if path.endswith(SIDECAR):
        base = path[: -len(SIDECAR)]
        for suffix in (".txt", ".md", ".html", ".htm"):
            if os.path.exists(base + suffix):
                return base + suffix
    return path


def watch(
    assistant: Assistant,
    folders: Sequence[str | os.PathLike[str]],
    *,
    debounce: float = 1.0,
    stop: threading.Event | None = None,
    on_report: Callable[[UpdateReport], None] | None = None,
    ready: threading.Event | None = None,
    feeds: Sequence[str] = (),
    poll: float = 900.0,
) -> None:
    """Keep the index in step with ``folders`` (and ``feeds``, read every ``poll`` seconds)
    until ``stop`` is set (or forever).

    Each applied batch's report goes to ``on_report`` (and to the log); ``ready`` is set once
    the first catch-up update is done and events are being watched.
    """
    from watchfiles import watch as file_events

    stop = stop or threading.Event()
    if feeds:
        threading.Thread(
            target=_poll, args=(assistant, list(feeds), poll, stop, on_report), daemon=True
        ).start()
    if not folders:
        if ready is not None:
            ready.set()
        stop.wait()
        return
    roots = [str(Path(f).resolve()) for f in folders]
    missing = [r for r in roots if not os.path.isdir(r)]
    if missing:
        raise AssistantError(
            f"cannot watch {', '.join(missing)}: not a folder; create it or name another"
        )
    _apply(assistant, roots, on_report)  # what changed while nobody was watching
    if ready is not None:
        ready.set()
    for changes in file_events(
        *roots,
        debounce=max(1, int(debounce * 1000)),
        stop_event=stop,
        rust_timeout=500,
        yield_on_timeout=False,
        raise_interrupt=False,
    ):
        batch = sorted({_article_file(p) for _, p in changes if _relevant(p)})
        if batch:
            _apply(assistant, batch, on_report)


def _poll(
    assistant: Assistant,
    feeds: list[str],
    every: float,
    stop: threading.Event,
    on_report: Callable[[UpdateReport], None] | None,
) -> None:
    """Read the feeds now and then every ``every`` seconds (only new items are embedded)."""
    while not stop.is_set():
        _apply(assistant, feeds, on_report, sync=False)
        stop.wait(every)


def _apply(
    assistant: Assistant,
    paths: Iterable[str],
    on_report: Callable[[UpdateReport], None] | None,
    *,
    sync: bool = True,
) -> None:
    try:
        report = assistant.update(list(paths), sync=sync)
    except AssistantError as exc:  # the index is unchanged; the next batch tries again
        log.error("watched update failed: %s", exc)
        return
    if on_report is not None:
        on_report(report)
