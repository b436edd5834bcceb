"""Writing an index: new articles go into new segments, deletions into a copy of the catalog,
then one manifest swap makes the change visible. Nothing the current manifest names is ever
modified, so a crash at any moment leaves the old index whole, and the cost of a write is the
size of the change (plus the catalog copy), not the size of the index."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from ..errors import IndexCorruptError, IndexLockedError, IndexMismatchError, IndexStoreError
from ..types import Article, Chunk
from .format import (
    CATALOG_PREFIX,
    CATALOG_SCHEMA,
    FORMAT_VERSION,
    LOCK,
    MANIFEST,
    SEGMENT_PREFIX,
    STORE,
    TITLES,
    VECTORS,
    _article_fields,
    _fsync_dir,
    _sha256,
    _write_json_atomic,
    file_record,
    read_manifest,
    rebuild_hint,
)
from .segment import Segment, SegmentBuilder, merge

SEGMENT_CHUNKS = 250_000  # a build seals a segment at this many chunks: memory stays bounded
MAX_SEGMENTS = 10  # past this many segments, a write ends by merging the smallest ones
CATALOG_STAGED = "catalog.sqlite"


class _Legacy:
    """A format-3 generation read only as an embedding cache on a rebuild (no re-embedding)."""

    def __init__(self, gen: Path) -> None:
        self.db = sqlite3.connect(f"file:{gen / STORE}?mode=ro", uri=True)
        self.vectors = faiss.read_index(str(gen / VECTORS))
        has_titles = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='titles'"
        ).fetchone()
        self.titles = (
            faiss.read_index(str(gen / TITLES)) if has_titles and (gen / TITLES).exists() else None
        )

    def lookup(self, table: str, h: str) -> np.ndarray | None:
        index = self.vectors if table == "chunks" else self.titles
        if index is None:
            return None
        row = self.db.execute(f"SELECT id FROM {table} WHERE hash = ? LIMIT 1", (h,)).fetchone()
        return index.reconstruct(int(row[0])) if row else None

    def close(self) -> None:
        self.db.close()


class Writer:
    """One write to an index; use through ``write_generation``."""

    def __init__(
        self,
        index_dir: Path,
        staging: Path,
        dim: int,
        old: dict[str, Any] | None,
        fresh: bool,
    ) -> None:
        self.index_dir = index_dir
        self.staging = staging
        self.dim = dim
        self.catalog = sqlite3.connect(staging / CATALOG_STAGED)
        self.catalog.executescript(CATALOG_SCHEMA)
        current = old if old and old.get("format") == FORMAT_VERSION else None
        self.segments: dict[str, Segment] = {}
        self.entries: list[dict[str, Any]] = []
        if current and not fresh:
            self.entries = list(current["segments"])
            self.segments = {e["name"]: Segment(index_dir / e["name"], e) for e in self.entries}
        self.next_id = int(current["next_chunk_id"]) if current and not fresh else 1
        self.next_segment = int(current["next_segment"]) if current else 1
        self.builder: SegmentBuilder | None = None
        self.sealed: list[dict[str, Any]] = []
        self.merge_all = False
        self._caches: list[Any] = []

    # ---- the embedding cache ------------------------------------------------------------------

    def attach_cache(self, old: dict[str, Any]) -> None:
        """Reuse vectors of the index being replaced (same model): nothing is embedded twice."""
        if old.get("format") == FORMAT_VERSION:
            for entry in old["segments"]:
                self._caches.append(Segment(self.index_dir / entry["name"], entry))
        elif old.get("generation"):
            self._caches.append(_Legacy(self.index_dir / old["generation"]))

    def close_cache(self) -> None:
        for cache in self._caches:
            cache.close()
        self._caches = []

    def cached_vectors(
        self, hashes: Iterable[str], *, table: str = "chunks"
    ) -> dict[str, np.ndarray]:
        """Return stored vectors for texts already embedded (the embedding cache), by hash.

        ``table`` is "chunks" (chunk texts) or "titles" (article titles).
        """
        sources: list[Any] = [self.builder] if self.builder else []
        sources += [self._segment(e["name"]) for e in self.sealed]
        sources += list(self.segments.values()) + self._caches
        out: dict[str, np.ndarray] = {}
        for h in set(hashes):
            for source in sources:
                vector = source.lookup(table, h)
                if vector is not None:
                    out[h] = vector
                    break
        return out

    # ---- what the index holds -----------------------------------------------------------------

    def article_ids(self) -> set[str]:
        return {r[0] for r in self.catalog.execute("SELECT id FROM articles")}

    def same_text(self, articles: Sequence[Article]) -> dict[str, tuple[str, str]]:
        """Return, for each given article whose exact text is already stored under another
        id, that (id, outlet). Lengths and openings from the catalog, then exact comparisons."""
        out: dict[str, tuple[str, str]] = {}
        for a in articles:
            for id_, outlet, segment in self.catalog.execute(
                "SELECT id, outlet, segment FROM articles WHERE length = ? AND opening = ?",
                (len(a.text), a.text[:64]),
            ).fetchall():
                if id_ != a.id and a.id not in out and self._text(segment, id_) == a.text:
                    out[a.id] = (id_, outlet or "")
        return out

    def _text(self, segment: str, article_id: str) -> str | None:
        if self.builder and segment == self.builder.name:
            return self.builder.text(article_id)
        rows = self._segment(segment).query("SELECT text FROM articles WHERE id = ?", (article_id,))
        return rows[0][0] if rows else None

    def _segment(self, name: str) -> Segment:
        found = self.segments.get(name)
        if found is None:  # sealed during this write
            entry = next(e for e in self.sealed if e["name"] == name)
            found = self.segments[name] = Segment(self.staging / name, entry)
        return found

    def counts(self) -> dict[str, int]:
        articles, chunks = self.catalog.execute(
            "SELECT count(*), coalesce(sum(chunks), 0) FROM articles"
        ).fetchone()
        return {"articles": int(articles), "chunks": int(chunks)}

    # ---- changes ------------------------------------------------------------------------------

    def add(
        self,
        article: Article,
        chunks: Sequence[Chunk],
        hashes: Sequence[str],
        vectors: np.ndarray,
        title: tuple[str, np.ndarray] | None = None,
    ) -> None:
        """Store one article (replacing a stored one with its id) with its chunks, their
        vectors, and its title's (hash, vector)."""
        self.remove([article.id])
        if self.builder is not None and self.builder.chunks >= SEGMENT_CHUNKS:
            self._seal()
        if self.builder is None:
            self.builder = SegmentBuilder(self.staging / self._new_segment_name(), self.dim)
        ids = list(range(self.next_id, self.next_id + len(chunks)))
        self.next_id += len(chunks)
        self.builder.add(article, ids, chunks, hashes, vectors, title)
        self.catalog.execute(
            "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                article.id,
                self.builder.name,
                *_article_fields(article),
                len(chunks),
                len(article.text),
                article.text[:64],
            ),
        )

    def _new_segment_name(self) -> str:
        name = f"{SEGMENT_PREFIX}{self.next_segment:06d}"
        self.next_segment += 1
        return name

    def _seal(self) -> None:
        assert self.builder is not None
        self.sealed.append(self.builder.finish())
        self.builder = None

    def add_alias(self, source_id: str, article_id: str) -> None:
        self.catalog.execute(
            "INSERT OR IGNORE INTO source_ids VALUES (?, ?)", (source_id, article_id)
        )

    def add_source(self, file: str, article_id: str) -> None:
        self.catalog.execute("INSERT OR IGNORE INTO sources VALUES (?, ?)", (file, article_id))

    def source_files(self) -> list[str]:
        """Return every file recorded as the source of some article."""
        return [r[0] for r in self.catalog.execute("SELECT DISTINCT file FROM sources")]

    def drop_sources(self, file: str) -> None:
        self.catalog.execute("DELETE FROM sources WHERE file = ?", (file,))

    def remove(self, article_ids: Iterable[str]) -> int:
        """Remove articles, their chunks, vectors and sources; return how many existed.

        An article of an older segment gets tombstones (its chunk ids) in the catalog; the
        segment itself is never touched.
        """
        removed = 0
        for aid in article_ids:
            row = self.catalog.execute(
                "SELECT segment FROM articles WHERE id = ?", (aid,)
            ).fetchone()
            if row is None:
                continue
            (segment,) = row
            if self.builder and segment == self.builder.name:
                self.builder.remove(aid)
            else:
                ids = self._segment(segment).query(
                    "SELECT id FROM chunks WHERE article_id = ?", (aid,)
                )
                self.catalog.executemany(
                    "INSERT OR IGNORE INTO dead_chunks VALUES (?, ?)",
                    ((r[0], segment) for r in ids),
                )
            for sql in (
                "DELETE FROM sources WHERE article_id = ?",
                "DELETE FROM source_ids WHERE article_id = ?",
                "DELETE FROM articles WHERE id = ?",
            ):
                self.catalog.execute(sql, (aid,))
            removed += 1
        return removed

    def orphans(self) -> list[str]:
        """Return articles that came from files but no longer have any source file."""
        return [
            r[0]
            for r in self.catalog.execute(
                "SELECT id FROM articles WHERE path != '' "
                "AND id NOT IN (SELECT article_id FROM sources)"
            )
        ]

    # ---- finishing ----------------------------------------------------------------------------

    def abort(self) -> None:
        """Close files after a failed write (the staging folder is deleted next)."""
        self.close_cache()
        if self.builder:
            self.builder.abort()
        for segment in self.segments.values():
            segment.close()
        try:
            self.catalog.close()
        except sqlite3.Error:
            pass

    def finish(self) -> dict[str, Any]:
        """Seal the new segment, merge small segments if there are too many, write the
        catalog; return the manifest's segment list, catalog record and counters."""
        if self.builder is not None:
            if self.builder.db.execute("SELECT 1 FROM articles LIMIT 1").fetchone():
                self._seal()
            else:  # everything it got was removed again: it stays in the staging folder
                self.builder.abort()
                self.builder = None
        entries = [*self.entries, *self.sealed]
        live = self._live_counts()
        kept = [e for e in entries if live.get(e["name"], (0, 0))[1] > 0]
        gone = {e["name"] for e in entries} - {e["name"] for e in kept}
        if gone:
            self._forget(gone)
        if self.merge_all:
            candidates = (
                kept if len(kept) > 1 or any(live[e["name"]][0] < e["chunks"] for e in kept) else []
            )
        elif len(kept) > MAX_SEGMENTS:
            by_size = sorted(kept, key=lambda e: live[e["name"]][0])
            candidates = by_size[: len(kept) - MAX_SEGMENTS // 2 + 1]
        else:
            candidates = []
        if candidates:
            kept = [e for e in kept if e not in candidates] + [self._merge(candidates)]
        self.catalog.commit()
        self.catalog.close()
        self.close_cache()
        for segment in self.segments.values():
            segment.close()
        kept.sort(key=lambda e: e["name"])
        return {
            "segments": kept,
            "catalog": file_record(self.staging / CATALOG_STAGED),
            "next_chunk_id": self.next_id,
            "next_segment": self.next_segment,
        }

    def _live_counts(self) -> dict[str, tuple[int, int]]:
        """Return segment -> (live chunks, live articles), from the catalog."""
        return {
            name: (int(chunks), int(articles))
            for name, chunks, articles in self.catalog.execute(
                "SELECT segment, sum(chunks), count(*) FROM articles GROUP BY segment"
            )
        }

    def _forget(self, names: set[str]) -> None:
        self.catalog.executemany("DELETE FROM dead_chunks WHERE segment = ?", ((n,) for n in names))

    def _merge(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        for entry in entries:  # a merge writes new checksums: never over damaged files
            folder = self._segment(entry["name"]).folder
            if not _intact_files(folder, entry.get("files")):
                raise IndexCorruptError(
                    f"segment {folder} does not match its checksums in {MANIFEST} (truncated or "
                    f"altered), so it can't be merged; the index is unchanged; "
                    f"{rebuild_hint(self.index_dir)}"
                )
        parts = []
        for entry in entries:
            live = [
                r[0]
                for r in self.catalog.execute(
                    "SELECT id FROM articles WHERE segment = ?", (entry["name"],)
                )
            ]
            parts.append((self._segment(entry["name"]), live))
        builder = merge(self.staging / self._new_segment_name(), self.dim, parts)
        merged = builder.finish()
        names = [e["name"] for e in entries]
        self.catalog.executemany(
            "UPDATE articles SET segment = ? WHERE segment = ?",
            ((merged["name"], n) for n in names),
        )
        self._forget(set(names))
        return merged


@contextmanager
def index_lock(index_dir: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the index's write lock, or raise IndexLockedError after ``wait`` seconds."""
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexLockedError(
                        f"another process is updating the index at {index_dir}; wait for it to "
                        f"finish and run the command again"
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _number(name: str) -> int:
    try:
        return int(name.rsplit("-", 1)[1].split(".")[0])
    except (IndexError, ValueError):
        return 0


def referenced(manifest: dict[str, Any] | None) -> set[str]:
    """Return the names of the folders and files in the index folder that ``manifest`` and the
    state before it use (readers may still have the previous one open)."""
    if not manifest:
        return set()
    if manifest.get("format") != FORMAT_VERSION:
        return {n for n in (manifest.get("generation"), manifest.get("previous")) if n}
    names = {e["name"] for e in manifest.get("segments", [])} | {manifest.get("catalog", "")}
    previous = manifest.get("previous") or {}
    if isinstance(previous, dict):
        names |= set(previous.get("segments", [])) | {previous.get("catalog", "")}
    return names - {""}


def _clean(index_dir: Path, keep: set[str]) -> None:
    """Delete segment, catalog, generation and temp entries that no manifest refers to (left by
    a crash or replaced by a later write)."""
    for child in index_dir.iterdir():
        if child.name in keep or not child.name.startswith(
            (SEGMENT_PREFIX, CATALOG_PREFIX, "gen-", ".tmp-")
        ):
            continue
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


@contextmanager
def write_generation(
    index_dir: Path,
    *,
    model: str,
    dim: int,
    chunking: dict[str, int],
    fresh: bool = False,
    lock_wait: float = 0.0,
    versions: dict[str, str] | None = None,
    merge_all: bool = False,
) -> Iterator[Writer]:
    """Yield a Writer over the current index; on success, make the result current.

    ``fresh=True`` starts from an empty index (a full build, reusing the old vectors as a cache).
    ``merge_all=True`` folds every segment into one (``assistant index optimize``). If the
    block raises, what was staged is deleted and the index is exactly as before. ``versions``
    (what defines the terms and vectors: tokenizer and stemmer, embedding runtime, weights) go
    into the manifest; an update whose terms would be spelled differently is refused.
    """
    with index_lock(index_dir, wait=lock_wait):
        old: dict[str, Any] | None = None
        if (index_dir / MANIFEST).exists():
            try:
                old = read_manifest(index_dir, any_format=fresh)  # a rebuild replaces old formats
            except IndexStoreError:
                if not fresh:
                    raise
                old = None  # a rebuild replaces even an unreadable index
            if old is not None and not fresh:
                _check_compatible(index_dir, old, model, dim, chunking, versions or {})
                _check_catalog(index_dir, old)
        _clean(index_dir, referenced(old))
        number = _number(old["generation"]) + 1 if old else 1
        tmp = index_dir / f".tmp-{uuid.uuid4().hex}"
        tmp.mkdir()
        try:
            if old and not fresh:
                shutil.copyfile(index_dir / old["catalog"], tmp / CATALOG_STAGED)
            writer = Writer(index_dir, tmp, dim, old, fresh)
            writer.merge_all = merge_all
            if (
                fresh
                and old
                and old.get("embedding_model") == model
                and int(old.get("dim", 0)) == dim
                and _same_vectors(old.get("versions", {}), versions or {})
                and _intact(index_dir, old)  # damage is never re-certified
            ):
                try:
                    writer.attach_cache(old)
                except Exception:  # unreadable after all: embed everything anew
                    writer.close_cache()
            try:
                yield writer
                counts = writer.counts()
                result = writer.finish()
            except BaseException:
                writer.abort()
                raise
            for entry in result["segments"]:
                if (tmp / entry["name"]).is_dir():
                    os.replace(tmp / entry["name"], index_dir / entry["name"])
            catalog = f"{CATALOG_PREFIX}{number:06d}.sqlite"
            os.replace(tmp / CATALOG_STAGED, index_dir / catalog)
            _fsync_dir(index_dir)
            now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            current = old if old and old.get("format") == FORMAT_VERSION else None
            manifest = {
                "format": FORMAT_VERSION,
                "generation": f"commit-{number:06d}",
                "previous": (
                    {
                        "generation": current["generation"],
                        "catalog": current["catalog"],
                        "segments": [e["name"] for e in current["segments"]],
                    }
                    if current
                    else None
                ),
                "embedding_model": model,
                "dim": dim,
                "chunking": chunking,
                "versions": versions or {},
                "counts": counts,
                "catalog": catalog,
                "files": {catalog: result["catalog"]},
                "segments": result["segments"],
                "next_chunk_id": result["next_chunk_id"],
                "next_segment": result["next_segment"],
                "created": (old or {}).get("created", now) if not fresh else now,
                "updated": now,
            }
            _write_json_atomic(index_dir / MANIFEST, manifest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        _clean(index_dir, referenced(manifest))


def _intact(index_dir: Path, manifest: dict[str, Any]) -> bool:
    """Return True when every file the manifest lists matches its size and checksum."""
    if manifest.get("format") == FORMAT_VERSION:
        folders = [(index_dir / e["name"], e.get("files")) for e in manifest.get("segments", [])]
    else:
        folders = [(index_dir / str(manifest.get("generation")), manifest.get("files"))]
    return all(_intact_files(folder, files) for folder, files in folders)


def _intact_files(folder: Path, files: Any) -> bool:
    """Return True when every listed file of ``folder`` matches its size and checksum."""
    if not isinstance(files, dict) or not files:
        return False
    for name, info in files.items():
        path = folder / name
        try:
            if path.stat().st_size != info["bytes"] or _sha256(path) != info["sha256"]:
                return False
        except (OSError, KeyError, TypeError):
            return False
    return True


def _check_catalog(index_dir: Path, manifest: dict[str, Any]) -> None:
    """Refuse to build on a catalog that isn't the one the manifest certifies."""
    name = manifest.get("catalog", "")
    info = (manifest.get("files") or {}).get(name)
    path = index_dir / name
    try:
        ok = info is not None and path.stat().st_size == info["bytes"]
        ok = ok and _sha256(path) == info["sha256"]
    except (OSError, KeyError, TypeError):
        ok = False
    if not ok:
        raise IndexCorruptError(
            f"{path} does not match its checksum in {MANIFEST} (truncated or altered); "
            f"{rebuild_hint(index_dir)}"
        )


def _same_vectors(recorded: dict[str, str], current: dict[str, str]) -> bool:
    """Return True when the old index's vectors are what this embedder would make: every
    version both record, except the terms' (which define no vector), is the same."""
    shared = (set(recorded) & set(current)) - {"terms"}
    return all(recorded[k] == current[k] for k in shared)


def _check_compatible(
    index_dir: Path,
    manifest: dict[str, Any],
    model: str,
    dim: int,
    chunking: dict[str, int],
    versions: dict[str, str],
) -> None:
    if manifest["embedding_model"] != model or int(manifest["dim"]) != dim:
        raise IndexMismatchError(
            f"index at {index_dir} was built with model {manifest['embedding_model']!r} "
            f"({manifest['dim']}-d), not {model!r} ({dim}-d); set ASSISTANT_EMBEDDING_MODEL="
            f"{manifest['embedding_model']} or {rebuild_hint(index_dir)}"
        )
    recorded = manifest.get("versions", {}).get("terms")
    if recorded and versions.get("terms") and recorded != versions["terms"]:
        raise IndexMismatchError(
            f"index at {index_dir} spells its keyword terms as {recorded}, this installation as "
            f"{versions['terms']}: new articles would not match old ones; install the stemmer "
            f"version the index was built with or {rebuild_hint(index_dir)}"
        )
    if manifest.get("chunking") != chunking:
        raise IndexMismatchError(
            f"index at {index_dir} was chunked with {manifest.get('chunking')}, not {chunking}; "
            f"use the same settings or {rebuild_hint(index_dir)}"
        )
