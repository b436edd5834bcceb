"""Files and folders in, Articles out; every unreadable part becomes an IngestError with a reason.

``load_paths`` walks folders recursively (following each real folder once, so a symlink loop
ends), dispatches on the extension, and reads a ``NAME.meta.json`` sidecar beside a file to
override its title, outlet, url or published date.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import IngestError
from ..types import Article
from .loaders import LOADERS, format_of
from .normalize import article_id, make_article, normalize_text
from .web import is_url, load_url

__all__ = [
    "IngestReport",
    "article_id",
    "iter_files",
    "load_paths",
    "make_article",
    "normalize_text",
]

SIDECAR = ".meta.json"
# A folder's README or LICENSE describes the folder; it is no report (named alone, it is read).
FOLDER_NOTES = frozenset({"readme", "license", "licence", "copying"})
MAX_FILE_BYTES = 512 * 1024 * 1024  # a larger file is refused with a reason, not read


@dataclass
class IngestReport:
    """What one ingest run found: the articles, and every failure with its reason."""

    articles: list[Article] = field(default_factory=list)
    failures: list[IngestError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every file that was read (or tried)
    sources: list[tuple[str, str]] = field(default_factory=list)  # (file, article id) pairs
    aliases: list[tuple[str, str]] = field(default_factory=list)  # (source id, article id) pairs


def _kind(mode: int) -> str:
    """Name a file type that isn't a regular file."""
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _regular(path: Path) -> IngestError | None:
    """Return an error unless ``path`` is a regular file (devices, FIFOs, sockets are refused
    by name: reading one can hang or never end)."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return IngestError(str(path), f"cannot read: {exc.strerror or exc}")
    if not stat.S_ISREG(mode):
        return IngestError(str(path), f"{_kind(mode)}, not a regular file; only files are read")
    return None


def _outside(path: Path, root: Path) -> bool:
    return not path.resolve().is_relative_to(root)


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path | IngestError]:
    """Yield the files under ``paths`` (sorted, recursive), or an error for a missing path, a
    path that is no regular file, or a symlink in a folder that leads out of it (not followed)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            top = path.resolve()
            seen: set[tuple[int, int]] = set()
            for root, dirs, files in os.walk(path, followlinks=True):
                st = os.stat(root)
                if (st.st_dev, st.st_ino) in seen:  # a symlink loop: this folder was walked
                    dirs[:] = []
                    continue
                seen.add((st.st_dev, st.st_ino))
                kept = []
                for d in sorted(d for d in dirs if not d.startswith(".")):
                    if _outside(Path(root) / d, top):
                        yield IngestError(
                            str(Path(root) / d), "a symlink out of the folder; not followed"
                        )
                    else:
                        kept.append(d)
                dirs[:] = kept
                for name in sorted(files):
                    if name.startswith(".") or name.lower().endswith(SIDECAR):
                        continue
                    if name.lower().split(".")[0] in FOLDER_NOTES:  # the folder's own notes
                        continue
                    if format_of(Path(name)) not in LOADERS:
                        continue
                    file = Path(root) / name
                    if _outside(file, top):
                        yield IngestError(
                            str(file),
                            f"a symlink to {file.resolve()}, outside the folder; not followed",
                        )
                    elif error := _regular(file):
                        yield error
                    else:
                        yield file
        elif path.exists():
            yield _regular(path) or path
        else:
            yield IngestError(str(path), "no such file or folder")


def _sidecar(path: Path) -> dict[str, Any]:
    side = path.with_name(path.name.split(".")[0] + SIDECAR)
    if not side.is_file():
        return {}
    try:
        value = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IngestError(str(side), f"unreadable metadata sidecar: {exc}") from exc
    if not isinstance(value, dict):
        raise IngestError(str(side), "metadata sidecar must hold a JSON object")
    return value


def load_file(path: Path) -> Iterator[Article | IngestError]:
    """Yield the articles of one file, or errors naming the file and the reason."""
    name = str(path)
    loader = LOADERS.get(format_of(path))
    if loader is None:
        yield IngestError(
            name, f"unsupported file type {path.suffix!r}; use one of {', '.join(sorted(LOADERS))}"
        )
        return
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise IngestError(name, f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,} limit")
        yield from loader(name, path.read_bytes(), _sidecar(path))
    except IngestError as exc:
        yield exc
    except OSError as exc:
        yield IngestError(name, f"cannot read: {exc.strerror or exc}")


def load_paths(paths: Iterable[str | os.PathLike[str]]) -> IngestReport:
    """Read every article under ``paths`` (files, folders, and http(s) addresses of RSS/Atom
    feeds or article pages); duplicates (same text) are kept once."""
    report = IngestReport()
    seen: set[str] = set()
    paths = list(paths)
    for url in (p for p in paths if is_url(p)):  # feeds and article pages
        for loaded in load_url(str(url)):
            if isinstance(loaded, IngestError):
                report.failures.append(loaded)
            elif loaded.id not in seen:
                seen.add(loaded.id)
                report.articles.append(loaded)
    for item in iter_files(p for p in paths if not is_url(p)):
        if isinstance(item, IngestError):
            report.failures.append(item)
            continue
        report.files.append(str(item))
        for loaded in load_file(item):
            if isinstance(loaded, IngestError):
                report.failures.append(loaded)
                continue
            report.sources.append((str(item), loaded.id))
            if loaded.source_id:  # a duplicate text's own id still finds the stored article
                report.aliases.append((loaded.source_id, loaded.id))
            if loaded.id not in seen:
                seen.add(loaded.id)
                report.articles.append(loaded)
    return report
