"""The on-disk index: the only module that knows the files under ``index/`` and imports faiss.

Layout (format 1)::

    index/
      manifest.json          format, model, dimension, chunking, counts, file checksums,
                             and the name of the current generation folder
      gen-000003/
        store.sqlite         articles, chunks (offsets only), file->article sources
        vectors.faiss        IndexIDMap2(IndexFlatIP); ids are chunk row ids
      .lock                  flock'd by the one process allowed to write

A write builds a whole new generation folder beside the current one, then swaps
``manifest.json`` with ``os.replace``: a crash at any moment leaves the old manifest pointing at
the old, complete generation. Nothing is ever unpickled.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from .errors import IndexCorruptError, IndexLockedError, IndexMismatchError, IndexNotFoundError
from .types import Article, Chunk

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
STORE = "store.sqlite"
VECTORS = "vectors.faiss"
LOCK = ".lock"

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, source_id TEXT, title TEXT, outlet TEXT, url TEXT, path TEXT,
    published TEXT, date_source TEXT, text TEXT NOT NULL, added TEXT
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, article_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE INDEX IF NOT EXISTS chunks_hash ON chunks(hash);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published);
CREATE INDEX IF NOT EXISTS articles_source_id ON articles(source_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_terms USING fts5(
    title, body, content='', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS source_ids (
    source_id TEXT NOT NULL, article_id TEXT NOT NULL, PRIMARY KEY (source_id, article_id)
);
CREATE TABLE IF NOT EXISTS sources (
    file TEXT NOT NULL, article_id TEXT NOT NULL, PRIMARY KEY (file, article_id)
);
"""


def rebuild_hint(index_dir: Path) -> str:
    return f"rebuild it with `assistant index build PATH... --index {index_dir}`"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_json_atomic(path: Path, value: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, sort_keys=True)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _row_to_article(row: sqlite3.Row | tuple[Any, ...]) -> Article:
    id_, source_id, title, outlet, url, path, published, date_source, text = row[:9]
    return Article(
        id=id_,
        text=text,
        title=title or "",
        outlet=outlet or "",
        url=url or "",
        path=path or "",
        published=dt.date.fromisoformat(published) if published else None,
        date_source=date_source or "",
        source_id=source_id or "",
    )


_ARTICLE_COLUMNS = "id, source_id, title, outlet, url, path, published, date_source, text"


def read_manifest(index_dir: Path) -> dict[str, Any]:
    """Return the manifest of an index folder, or raise an error that says what to do."""
    path = index_dir / MANIFEST
    if not path.is_file():
        raise IndexNotFoundError(
            f"no index at {index_dir} (missing {MANIFEST}); build one with "
            f"`assistant index build PATH... --index {index_dir}`"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"{path} is unreadable ({exc}); {rebuild_hint(index_dir)}") from exc
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index at {index_dir} has format {manifest.get('format')!r}, this version reads "
            f"format {FORMAT_VERSION}; {rebuild_hint(index_dir)}"
        )
    return manifest


@dataclass(frozen=True, slots=True)
class ChunkRef:
    """A chunk row as the search layer needs it."""

    id: int
    article_id: str
    ordinal: int
    start: int
    end: int


class Snapshot:
    """A read-only view of one generation of the index; safe to share between threads."""

    def __init__(self, index_dir: Path, *, verify: bool = True) -> None:
        self.index_dir = index_dir
        self.manifest = read_manifest(index_dir)
        self.generation = self.manifest["generation"]
        gen = index_dir / self.generation
        for name, info in self.manifest.get("files", {}).items():
            path = gen / name
            if not path.is_file():
                raise IndexCorruptError(f"{path} is missing; {rebuild_hint(index_dir)}")
            if path.stat().st_size != info["bytes"] or (verify and _sha256(path) != info["sha256"]):
                raise IndexCorruptError(
                    f"{path} does not match its checksum in {MANIFEST} (truncated or altered); "
                    f"{rebuild_hint(index_dir)}"
                )
        self._lock = threading.Lock()
        try:
            uri = f"file:{gen / STORE}?mode=ro&immutable=1"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self.vectors = faiss.read_index(str(gen / VECTORS))
        except (sqlite3.Error, RuntimeError) as exc:
            raise IndexCorruptError(f"cannot open {gen}: {exc}; {rebuild_hint(index_dir)}") from exc
        self._articles: dict[str, Article] = {}

    @property
    def dim(self) -> int:
        return int(self.manifest["dim"])

    @property
    def model(self) -> str:
        return str(self.manifest["embedding_model"])

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def article(self, article_id: str) -> Article:
        """Return one article by id (cached)."""
        found = self._articles.get(article_id)
        if found is None:
            rows = self._query(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id = ?", (article_id,))
            if not rows:
                raise KeyError(article_id)
            found = _row_to_article(rows[0])
            if len(self._articles) > 4096:
                self._articles.clear()
            self._articles[article_id] = found
        return found

    def articles(self) -> list[Article]:
        """Return every article, oldest publication date first (undated last)."""
        rows = self._query(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles ORDER BY published IS NULL, published, title"
        )
        return [_row_to_article(r) for r in rows]

    def article_stats(self) -> list[tuple[str, str, str, str, int, str]]:
        """Return (id, title, outlet, date, chunk count, path) for every article, cheaply."""
        return self._query(
            "SELECT a.id, a.title, a.outlet, coalesce(a.published, ''), count(c.id), a.path "
            "FROM articles a LEFT JOIN chunks c ON c.article_id = a.id GROUP BY a.id "
            "ORDER BY a.published IS NULL, a.published DESC, a.title"
        )

    def chunk_refs(self, ids: Iterable[int]) -> dict[int, ChunkRef]:
        """Return chunk rows by id."""
        ids = [int(i) for i in ids]
        out: dict[int, ChunkRef] = {}
        for begin in range(0, len(ids), 900):  # SQLite's default variable limit is 999
            part = ids[begin : begin + 900]
            marks = ",".join("?" * len(part))
            for row in self._query(
                f'SELECT id, article_id, ordinal, start, "end" FROM chunks WHERE id IN ({marks})',
                part,
            ):
                out[row[0]] = ChunkRef(*row)
        return out

    def chunk(self, ref: ChunkRef) -> Chunk:
        text = self.article(ref.article_id).text
        return Chunk(ref.article_id, ref.ordinal, ref.start, ref.end, text[ref.start : ref.end])

    def chunks_of(self, article_id: str) -> list[Chunk]:
        """Return the chunks of one article in order."""
        rows = self._query(
            'SELECT id, article_id, ordinal, start, "end" FROM chunks WHERE article_id = ? '
            "ORDER BY ordinal",
            (article_id,),
        )
        return [self.chunk(ChunkRef(*r)) for r in rows]

    def chunk_ids_where(
        self,
        *,
        since: dt.date | None = None,
        until: dt.date | None = None,
        outlets: Sequence[str] = (),
        article_ids: Sequence[str] = (),
    ) -> np.ndarray:
        """Return the ids of chunks whose article matches the filters (for in-search filtering)."""
        clauses, params = [], []
        if since:
            clauses.append("a.published >= ?")
            params.append(since.isoformat())
        if until:
            clauses.append("a.published <= ?")
            params.append(until.isoformat())
        if outlets:
            clauses.append(f"lower(a.outlet) IN ({','.join('?' * len(outlets))})")
            params.extend(o.lower() for o in outlets)
        if article_ids:
            clauses.append(f"a.id IN ({','.join('?' * len(article_ids))})")
            params.extend(article_ids)
        where = " AND ".join(clauses) or "1"
        rows = self._query(
            f"SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id WHERE {where}", params
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def outlets(self) -> list[str]:
        return [r[0] for r in self._query("SELECT DISTINCT outlet FROM articles ORDER BY outlet") if r[0]]

    def find_by_source_id(self, source_id: str) -> list[str]:
        """Return the stored articles that a source's own id (e.g. a JSON "id") refers to."""
        return [
            r[0]
            for r in self._query(
                "SELECT article_id FROM source_ids WHERE source_id = ? "
                "UNION SELECT id FROM articles WHERE source_id = ?",
                (source_id, source_id),
            )
        ]

    def sources(self) -> dict[str, set[str]]:
        """Return file -> article ids for every recorded source file."""
        out: dict[str, set[str]] = {}
        for file, article_id in self._query("SELECT file, article_id FROM sources"):
            out.setdefault(file, set()).add(article_id)
        return out

    def search_terms(
        self, match: str, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Return (chunk id, BM25 score, higher is better) for an FTS5 MATCH expression."""
        if not match or k <= 0:
            return []
        sql = "SELECT rowid, -bm25(chunk_terms, 2.0, 1.0) FROM chunk_terms WHERE chunk_terms MATCH ?"
        params: list[Any] = [match]
        if allowed is not None:
            if len(allowed) == 0:
                return []
            sql += f" AND rowid IN ({','.join(str(int(i)) for i in allowed)})"
        sql += " ORDER BY rank LIMIT ?"
        params.append(k)
        try:
            return [(int(r[0]), float(r[1])) for r in self._query(sql, params)]
        except sqlite3.OperationalError:  # a query FTS5 can't parse finds nothing, not a crash
            return []

    def search_vectors(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Return (chunk id, cosine) for the k nearest chunks, restricted to ``allowed`` ids."""
        if self.vectors.ntotal == 0 or k <= 0:
            return []
        params = None
        if allowed is not None:
            if len(allowed) == 0:
                return []
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        with self._lock:
            scores, ids = self.vectors.search(q, min(k, self.vectors.ntotal), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i != -1]

    def close(self) -> None:
        with self._lock:
            self._db.close()


class Writer:
    """Builds the next generation of an index; use through ``write_generation``."""

    def __init__(self, index_dir: Path, gen_dir: Path, dim: int) -> None:
        self.index_dir = index_dir
        self.gen_dir = gen_dir
        self.db = sqlite3.connect(gen_dir / STORE)
        self.db.executescript(SCHEMA)
        vec_path = gen_dir / VECTORS
        if vec_path.exists():
            self.vectors = faiss.read_index(str(vec_path))
        else:
            self.vectors = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self.dim = dim
        self._cache: tuple[sqlite3.Connection, Any] | None = None

    def attach_cache(self, gen_dir: Path) -> None:
        """Reuse vectors of an older generation built with the same model (no re-embedding)."""
        db = sqlite3.connect(f"file:{gen_dir / STORE}?mode=ro", uri=True)
        self._cache = (db, faiss.read_index(str(gen_dir / VECTORS)))

    def article_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT id FROM articles")}

    def cached_vectors(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Return stored vectors for chunk hashes already embedded (the embedding cache)."""
        out: dict[str, np.ndarray] = {}
        sources = [(self.db, self.vectors)] + ([self._cache] if self._cache else [])
        for h in set(hashes):
            for db, vectors in sources:
                row = db.execute("SELECT id FROM chunks WHERE hash = ? LIMIT 1", (h,)).fetchone()
                if row:
                    out[h] = vectors.reconstruct(int(row[0]))
                    break
        return out

    def add(self, article: Article, chunks: Sequence[Chunk], hashes: Sequence[str], vectors: np.ndarray) -> None:
        """Store one article with its chunks and their vectors."""
        self.db.execute(
            f"INSERT OR REPLACE INTO articles ({_ARTICLE_COLUMNS}, added) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                article.id, article.source_id, article.title, article.outlet, article.url,
                article.path, article.published.isoformat() if article.published else None,
                article.date_source, article.text, dt.datetime.now(dt.timezone.utc).isoformat(),
            ),
        )
        ids = []
        for chunk, h in zip(chunks, hashes, strict=True):
            cur = self.db.execute(
                'INSERT INTO chunks (article_id, ordinal, start, "end", hash) VALUES (?,?,?,?,?)',
                (article.id, chunk.ordinal, chunk.start, chunk.end, h),
            )
            ids.append(cur.lastrowid)
            self.db.execute(
                "INSERT INTO chunk_terms (rowid, title, body) VALUES (?, ?, ?)",
                (cur.lastrowid, article.title, chunk.text),
            )
        if ids:
            self.vectors.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )

    def add_alias(self, source_id: str, article_id: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO source_ids VALUES (?, ?)", (source_id, article_id))

    def add_source(self, file: str, article_id: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO sources VALUES (?, ?)", (file, article_id))

    def drop_sources(self, file: str) -> None:
        self.db.execute("DELETE FROM sources WHERE file = ?", (file,))

    def remove(self, article_ids: Iterable[str]) -> int:
        """Remove articles, their chunks, vectors and sources; return how many existed."""
        removed = 0
        for aid in article_ids:
            rows = self.db.execute(
                'SELECT id, start, "end" FROM chunks WHERE article_id = ?', (aid,)
            ).fetchall()
            article = self.db.execute("SELECT title, text FROM articles WHERE id = ?", (aid,)).fetchone()
            if article:
                # A contentless FTS5 table forgets a row only when given its original values.
                for cid, start, end in rows:
                    self.db.execute(
                        "INSERT INTO chunk_terms (chunk_terms, rowid, title, body) "
                        "VALUES ('delete', ?, ?, ?)",
                        (cid, article[0], article[1][start:end]),
                    )
            if rows:
                self.vectors.remove_ids(np.asarray([r[0] for r in rows], dtype=np.int64))
            self.db.execute("DELETE FROM chunks WHERE article_id = ?", (aid,))
            self.db.execute("DELETE FROM sources WHERE article_id = ?", (aid,))
            self.db.execute("DELETE FROM source_ids WHERE article_id = ?", (aid,))
            removed += self.db.execute("DELETE FROM articles WHERE id = ?", (aid,)).rowcount
        return removed

    def orphans(self) -> list[str]:
        """Return articles that came from files but no longer have any source file."""
        return [
            r[0]
            for r in self.db.execute(
                "SELECT id FROM articles WHERE path != '' AND id NOT IN (SELECT article_id FROM sources)"
            )
        ]

    def close_cache(self) -> None:
        if self._cache:
            self._cache[0].close()
            self._cache = None

    def abort(self) -> None:
        """Close files after a failed write (the folder is deleted next)."""
        self.close_cache()
        try:
            self.db.close()
        except sqlite3.Error:
            pass

    def counts(self) -> dict[str, int]:
        return {
            "articles": self.db.execute("SELECT count(*) FROM articles").fetchone()[0],
            "chunks": self.db.execute("SELECT count(*) FROM chunks").fetchone()[0],
        }

    def finish(self) -> dict[str, dict[str, Any]]:
        """Flush everything to disk; return file sizes and checksums for the manifest."""
        self.db.commit()
        self.db.close()
        self.close_cache()
        faiss.write_index(self.vectors, str(self.gen_dir / VECTORS))
        files = {}
        for name in (STORE, VECTORS):
            path = self.gen_dir / name
            with path.open("rb") as f:
                os.fsync(f.fileno())
            files[name] = {"bytes": path.stat().st_size, "sha256": _sha256(path)}
        return files


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


def _generation_number(name: str) -> int:
    try:
        return int(name.split("-")[1])
    except (IndexError, ValueError):
        return 0


def _clean(index_dir: Path, keep: set[str]) -> None:
    """Delete generation and temp folders that no manifest refers to (left by a crash)."""
    for child in index_dir.iterdir():
        if child.is_dir() and (child.name.startswith("gen-") or child.name.startswith(".tmp-")):
            if child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)


@contextmanager
def write_generation(
    index_dir: Path,
    *,
    model: str,
    dim: int,
    chunking: dict[str, int],
    fresh: bool = False,
    lock_wait: float = 0.0,
) -> Iterator[Writer]:
    """Yield a Writer over a copy of the current generation; on success, make it current.

    ``fresh=True`` starts from an empty index (a full build). If the block raises, the new
    generation is deleted and the index is exactly as before.
    """
    with index_lock(index_dir, wait=lock_wait):
        old: dict[str, Any] | None = None
        if (index_dir / MANIFEST).exists():
            old = read_manifest(index_dir)
            if not fresh:
                _check_compatible(index_dir, old, model, dim, chunking)
        keep = {old["generation"]} if old else set()
        if old and old.get("previous"):
            keep.add(old["previous"])
        _clean(index_dir, keep)
        number = _generation_number(old["generation"]) + 1 if old else 1
        tmp = index_dir / f".tmp-{uuid.uuid4().hex}"
        tmp.mkdir()
        try:
            if old and not fresh:
                for name in (STORE, VECTORS):
                    shutil.copyfile(index_dir / old["generation"] / name, tmp / name)
            writer = Writer(index_dir, tmp, dim)
            if fresh and old and old["embedding_model"] == model and int(old["dim"]) == dim:
                writer.attach_cache(index_dir / old["generation"])
            try:
                yield writer
                counts = writer.counts()
                files = writer.finish()
            except BaseException:
                writer.abort()
                raise
            final = index_dir / f"gen-{number:06d}"
            os.replace(tmp, final)
            _fsync_dir(index_dir)
            now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
            manifest = {
                "format": FORMAT_VERSION,
                "generation": final.name,
                "previous": old["generation"] if old else None,
                "embedding_model": model,
                "dim": dim,
                "chunking": chunking,
                "counts": counts,
                "files": files,
                "created": (old or {}).get("created", now) if not fresh else now,
                "updated": now,
            }
            _write_json_atomic(index_dir / MANIFEST, manifest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        # The previous generation stays for readers that still have it open; older ones go.
        _clean(index_dir, {final.name} | ({old["generation"]} if old else set()))


def _check_compatible(
    index_dir: Path, manifest: dict[str, Any], model: str, dim: int, chunking: dict[str, int]
) -> None:
    if manifest["embedding_model"] != model or int(manifest["dim"]) != dim:
        raise IndexMismatchError(
            f"index at {index_dir} was built with model {manifest['embedding_model']!r} "
            f"({manifest['dim']}-d), not {model!r} ({dim}-d); set ASSISTANT_EMBEDDING_MODEL="
            f"{manifest['embedding_model']} or {rebuild_hint(index_dir)}"
        )
    if manifest.get("chunking") != chunking:
        raise IndexMismatchError(
            f"index at {index_dir} was chunked with {manifest.get('chunking')}, not {chunking}; "
            f"use the same settings or {rebuild_hint(index_dir)}"
        )
