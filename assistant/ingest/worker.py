"""Reading untrusted files in a bounded child process: a file that makes a parser run out of
memory or crash (a native abort) takes down the child, never the caller (the web server).

``load_isolated`` reads the batch in one child limited to ``memory_mb`` of address space and
``timeout`` seconds; if the child dies, each file is read again in a child of its own, so the
file that kills a reader is named with the reason and the others are kept. The child prints
the batch as JSON (never pickle).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from ..errors import IngestError
from ..types import Article
from . import IngestReport, load_paths

MEMORY_MB = 1536  # address space of a reader child (importing the package takes ~500 MB)
TIMEOUT = 300.0  # seconds a reader child may take for its files


def load_isolated(
    paths: Iterable[str | os.PathLike[str]],
    *,
    memory_mb: int = MEMORY_MB,
    timeout: float = TIMEOUT,
) -> IngestReport:
    """Return what ``load_paths`` would, read in bounded child processes."""
    paths = [str(p) for p in paths]
    outcome = _run(paths, memory_mb, timeout)
    if isinstance(outcome, IngestReport) or len(paths) <= 1:
        if isinstance(outcome, str):
            return IngestReport(failures=[IngestError(paths[0], outcome)] if paths else [])
        return outcome
    report = IngestReport()  # one file took the reader down: find it, keep the rest
    for path in paths:
        single = _run([path], memory_mb, timeout)
        if isinstance(single, str):
            report.failures.append(IngestError(path, single))
            continue
        report.articles.extend(
            a for a in single.articles if a.id not in {x.id for x in report.articles}
        )
        report.failures.extend(single.failures)
        report.files.extend(single.files)
        report.sources.extend(single.sources)
        report.aliases.extend(single.aliases)
    return report


def _limit(memory_mb: int) -> None:  # runs in the child, before it starts
    size = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _run(paths: Sequence[str], memory_mb: int, timeout: float) -> IngestReport | str:
    """Read ``paths`` in a child; return its report, or why the child failed."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "assistant.ingest.worker", *paths],
            capture_output=True,
            timeout=timeout,
            preexec_fn=lambda: _limit(memory_mb),
            env={**os.environ, "PYTHONHASHSEED": "0"},
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"reading took longer than {timeout:.0f} s and was stopped"
    if proc.returncode == 0:
        try:
            return _report(json.loads(proc.stdout))
        except (ValueError, KeyError, TypeError) as exc:
            return f"the reader's output was unreadable ({exc})"
    if proc.returncode < 0:
        name = signal.Signals(-proc.returncode).name
        return f"the reader crashed ({name}) on this file; nothing of it was indexed"
    if b"MemoryError" in proc.stderr:
        return f"reading needs more than {memory_mb} MB of memory; nothing of it was indexed"
    last = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
    return f"the reader failed ({last[0][:200]})"


def _article(d: dict[str, Any]) -> Article:
    published = dt.date.fromisoformat(d["published"]) if d.get("published") else None
    return Article(**{**d, "published": published})


def _report(data: dict[str, Any]) -> IngestReport:
    return IngestReport(
        articles=[_article(a) for a in data["articles"]],
        failures=[IngestError(p, r) for p, r in data["failures"]],
        files=list(data["files"]),
        sources=[tuple(s) for s in data["sources"]],
        aliases=[tuple(s) for s in data["aliases"]],
    )


def main(argv: Sequence[str]) -> None:
    report = load_paths(argv)

    def article(a: Article) -> dict[str, Any]:
        d = dataclasses.asdict(a)
        d["published"] = a.published.isoformat() if a.published else None
        return d

    json.dump(
        {
            "articles": [article(a) for a in report.articles],
            "failures": [[f.path, f.reason] for f in report.failures],
            "files": report.files,
            "sources": report.sources,
            "aliases": report.aliases,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
