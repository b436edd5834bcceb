"""Segments: immutable sets of articles with their chunks, vectors, headline vectors and keyword
postings. A segment is written once (``SegmentBuilder``) and only read after (``Segment``);
deleting an article from one is a tombstone in the catalog, and ``merge`` folds segments into a
new one without their dead rows."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from ..types import Article, Chunk
from .format import (
    _ARTICLE_COLUMNS,
    CHUNK_TABLE,
    SEGMENT_FILES,
    SEGMENT_SCHEMA,
    STORE,
    TERM_FILES,
    TITLES,
    VECTORS,
    _article_fields,
    file_record,
)
from .terms import TermIndex, merged

IVF_THRESHOLD = 200_000  # chunks; above it the exact index is replaced by IVF (benchmarks/scale.py)
# Titles per segment; a 250k-chunk segment holds ~21k: exact search of them takes 0.6 ms a
# segment (3.6 ms over the 86k titles of 1M chunks), IVF ~0.07 ms (benchmarks/README.md).
TITLES_IVF_THRESHOLD = 20_000
IVF_TRAIN_PER_LIST = 64  # training vectors per inverted list (capped by the index size)
NPROBE = 16  # inverted lists probed per search when the index is IVF (recall@10 0.987 at 1M)
TITLES_NPROBE = 32  # a titles segment has fewer, wider lists (recall@10 0.973 at 21k, 0.07 ms)


def new_vector_index(dim: int) -> faiss.Index:
    """Return an empty vector index: exact inner product over float16 copies of the vectors.

    Measured at 44k chunks (one thread): 1.3 ms per search against 2.8 ms for float32 flat,
    recall@10 1.000 against it, half the disk and RAM.
    """
    codes = faiss.IndexScalarQuantizer(
        dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
    )
    return faiss.IndexIDMap2(codes)


def to_ivf(exact: faiss.Index, dim: int, seed: int = 0) -> faiss.Index:
    """Return an IVF index (int8 scalar-quantised lists) holding the vectors and ids of ``exact``.

    ~4*sqrt(n) lists, trained on a sample; later merges add to the trained lists without
    retraining. A hash-table direct map keeps ``reconstruct`` and ``remove_ids`` working.
    Measured at 1M synthetic news-like vectors: 0.3 ms per search at nprobe 16, recall@10
    0.987 against exact (benchmarks/README.md).
    """
    n = exact.ntotal
    ids = faiss.vector_to_array(exact.id_map).astype(np.int64)
    vectors = exact.index.reconstruct_n(0, n)
    nlist = max(1, int(4 * np.sqrt(n)))
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    ivf.cp.min_points_per_centroid = 1  # a small segment trains on what it has, without warning
    sample = np.random.default_rng(seed).choice(
        n, min(n, IVF_TRAIN_PER_LIST * nlist), replace=False
    )
    ivf.train(vectors[np.sort(sample)])
    ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
    ivf.add_with_ids(vectors, ids)
    return ivf


def is_ivf(index: faiss.Index) -> bool:
    return isinstance(faiss.downcast_index(index), faiss.IndexIVF)


def reconstruct(index: faiss.Index, ids: np.ndarray) -> np.ndarray:
    """Return the stored vectors of ``ids`` (in batches: one call per id is slow in SWIG)."""
    ids = np.asarray(ids, dtype=np.int64)
    if not len(ids):
        return np.zeros((0, index.d), dtype=np.float32)
    return np.vstack(
        [index.reconstruct_batch(ids[i : i + 65536]) for i in range(0, len(ids), 65536)]
    )


class SegmentBuilder:
    """Writes one new segment folder; articles may be added and removed until ``finish``."""

    def __init__(self, folder: Path, dim: int) -> None:
        folder.mkdir(parents=True)
        self.folder = folder
        self.name = folder.name
        self.dim = dim
        self.db = sqlite3.connect(folder / STORE)
        self.db.executescript(SEGMENT_SCHEMA)
        self.vectors = new_vector_index(dim)
        self.titles = new_vector_index(dim)
        self.terms = TermIndex.empty().edit()
        self.chunks = 0
        self._merged_terms: TermIndex | None = None

    def add(
        self,
        article: Article,
        ids: Sequence[int],
        chunks: Sequence[Chunk],
        hashes: Sequence[str],
        vectors: np.ndarray,
        title: tuple[str, np.ndarray] | None,
    ) -> None:
        self.db.execute(
            f"INSERT INTO articles ({_ARTICLE_COLUMNS}, added) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                article.id,
                *_article_fields(article),
                article.text,
                dt.datetime.now(dt.UTC).isoformat(),
            ),
        )
        self.db.executemany(
            'INSERT INTO chunks (id, article_id, ordinal, start, "end", hash) VALUES (?,?,?,?,?,?)',
            [
                (cid, article.id, c.ordinal, c.start, c.end, h)
                for cid, c, h in zip(ids, chunks, hashes, strict=True)
            ],
        )
        for cid, chunk in zip(ids, chunks, strict=True):
            self.terms.add(cid, article.title, chunk.text)
        if ids:
            self.vectors.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )
            self.chunks += len(ids)
        if ids and title is not None:
            self.db.execute("INSERT INTO titles VALUES (?,?,?)", (ids[0], article.id, title[0]))
            self.titles.add_with_ids(
                np.ascontiguousarray(title[1].reshape(1, -1), dtype=np.float32),
                np.asarray([ids[0]], dtype=np.int64),
            )

    def remove(self, article_id: str) -> None:
        rows = [
            r[0]
            for r in self.db.execute("SELECT id FROM chunks WHERE article_id = ?", (article_id,))
        ]
        if rows:
            self.terms.remove(rows)
            self.vectors.remove_ids(np.asarray(rows, dtype=np.int64))
            self.chunks -= len(rows)
        titled = [
            r[0]
            for r in self.db.execute("SELECT id FROM titles WHERE article_id = ?", (article_id,))
        ]
        if titled:
            self.titles.remove_ids(np.asarray(titled, dtype=np.int64))
        for table, column in (
            ("titles", "article_id"),
            ("chunks", "article_id"),
            ("articles", "id"),
        ):
            self.db.execute(f"DELETE FROM {table} WHERE {column} = ?", (article_id,))

    def text(self, article_id: str) -> str | None:
        row = self.db.execute("SELECT text FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    def chunk_ids(self, article_id: str) -> list[int]:
        return [
            r[0]
            for r in self.db.execute("SELECT id FROM chunks WHERE article_id = ?", (article_id,))
        ]

    def lookup(self, table: str, h: str) -> np.ndarray | None:
        row = self.db.execute(f"SELECT id FROM {table} WHERE hash = ? LIMIT 1", (h,)).fetchone()
        if row is None:
            return None
        return (self.vectors if table == "chunks" else self.titles).reconstruct(int(row[0]))

    def abort(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass

    def finish(self) -> dict[str, Any]:
        """Write every file, flushed; return the segment's manifest entry."""
        self.db.commit()
        outlets: dict[str, int] = {}
        rows = self.db.execute(
            "SELECT c.id, a.published, coalesce(a.outlet, '') FROM chunks c "
            "JOIN articles a ON a.id = c.article_id ORDER BY c.id"
        ).fetchall()
        table = np.zeros((len(rows), 3), dtype=np.int64)
        for i, (cid, published, outlet) in enumerate(rows):
            day = dt.date.fromisoformat(published).toordinal() if published else -1
            table[i] = (cid, day, outlets.setdefault(outlet.lower(), len(outlets)))
        (articles,) = self.db.execute("SELECT count(*) FROM articles").fetchone()
        self.db.close()
        with (self.folder / CHUNK_TABLE).open("wb") as f:
            np.save(f, table, allow_pickle=False)
        if not is_ivf(self.vectors) and self.vectors.ntotal >= IVF_THRESHOLD:
            self.vectors = to_ivf(self.vectors, self.dim)
        faiss.write_index(self.vectors, str(self.folder / VECTORS))
        if not is_ivf(self.titles) and self.titles.ntotal >= TITLES_IVF_THRESHOLD:
            self.titles = to_ivf(self.titles, self.dim)
        faiss.write_index(self.titles, str(self.folder / TITLES))
        terms = self._merged_terms if self._merged_terms is not None else self.terms.result()
        terms.save(self.folder, TERM_FILES)
        return {
            "name": self.name,
            "chunks": len(rows),
            "articles": int(articles),
            "outlets": sorted(outlets, key=outlets.__getitem__),
            "files": {name: file_record(self.folder / name) for name in SEGMENT_FILES},
        }


class Segment:
    """One written segment, read-only; its files are opened on first use. Thread-safe."""

    def __init__(self, folder: Path, entry: dict[str, Any]) -> None:
        self.folder = folder
        self.name = folder.name
        self.entry = entry
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._vectors: faiss.Index | None = None
        self._titles: faiss.Index | None = None
        self._terms: TermIndex | None = None
        self._table: np.ndarray | None = None
        self._title_ids: np.ndarray | None = None

    def load(self) -> Segment:
        """Open every file now: a snapshot holds its segments' files open (or mapped), so a
        later commit deleting a merged segment can't pull them from under a reader."""
        self.query("SELECT 1")
        _ = self.vectors, self.titles, self.terms, self.table
        return self

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            if self._db is None:
                uri = f"file:{self.folder / STORE}?mode=ro&immutable=1"
                self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            return self._db.execute(sql, params).fetchall()

    @property
    def vectors(self) -> faiss.Index:
        with self._lock:
            if self._vectors is None:
                self._vectors = _read_vectors(self.folder / VECTORS, NPROBE)
            return self._vectors

    @property
    def titles(self) -> faiss.Index:
        with self._lock:
            if self._titles is None:
                self._titles = _read_vectors(self.folder / TITLES, TITLES_NPROBE)
            return self._titles

    @property
    def terms(self) -> TermIndex:
        with self._lock:
            if self._terms is None:
                self._terms = TermIndex.load(self.folder, TERM_FILES)
            return self._terms

    @property
    def table(self) -> np.ndarray:
        """(chunk id, publication day ordinal or -1, outlet number) per chunk, by chunk id."""
        with self._lock:
            if self._table is None:
                self._table = np.asarray(
                    np.load(self.folder / CHUNK_TABLE, mmap_mode="r", allow_pickle=False)
                )
            return self._table

    def title_ids(self) -> np.ndarray:
        with self._lock:
            if self._title_ids is None:
                self._title_ids = np.array(
                    [r[0] for r in self.query("SELECT id FROM titles")], dtype=np.int64
                )
            return self._title_ids

    def lookup(self, table: str, h: str) -> np.ndarray | None:
        """Return the stored vector of a chunk text or title by its hash (the embedding cache)."""
        rows = self.query(f"SELECT id FROM {table} WHERE hash = ? LIMIT 1", (h,))
        if not rows:
            return None
        return (self.vectors if table == "chunks" else self.titles).reconstruct(int(rows[0][0]))

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def _read_vectors(path: Path, nprobe: int) -> faiss.Index:
    index = faiss.read_index(str(path))
    typed = faiss.downcast_index(index)
    if isinstance(typed, faiss.IndexIVF):
        typed.nprobe = nprobe
    return index


def merge(folder: Path, dim: int, parts: list[tuple[Segment, list[str]]]) -> SegmentBuilder:
    """Start a segment in ``folder`` holding the given live articles of each segment, with their
    chunk ids, vectors and postings as they are (nothing re-embedded or re-tokenised); return the
    builder (call ``finish``)."""
    builder = SegmentBuilder(folder, dim)
    db = builder.db
    db.execute("CREATE TEMP TABLE keep (id TEXT PRIMARY KEY)")
    term_parts: list[tuple[TermIndex, np.ndarray | None]] = []
    big = max(
        (s for s, _ in parts if is_ivf(s.vectors)), key=lambda s: s.vectors.ntotal, default=None
    )
    if big is not None:  # keep the trained lists of the largest IVF segment; add the rest to it
        builder.vectors = faiss.clone_index(big.vectors)
    for segment, live in parts:
        db.execute("DELETE FROM keep")
        db.executemany("INSERT INTO keep VALUES (?)", ((a,) for a in live))
        db.commit()
        db.execute("ATTACH DATABASE ? AS src", (f"file:{segment.folder / STORE}?mode=ro",))
        db.execute(
            "INSERT INTO articles SELECT * FROM src.articles WHERE id IN (SELECT id FROM keep)"
        )
        db.execute(
            "INSERT INTO chunks SELECT * FROM src.chunks WHERE article_id IN (SELECT id FROM keep)"
        )
        db.execute(
            "INSERT INTO titles SELECT * FROM src.titles WHERE article_id IN (SELECT id FROM keep)"
        )
        db.commit()
        db.execute("DETACH DATABASE src")
        ids = np.array(
            [r[0] for r in segment.query("SELECT id FROM chunks ORDER BY id")], dtype=np.int64
        )
        kept = np.array(
            [
                r[0]
                for r in db.execute(
                    "SELECT c.id FROM chunks c WHERE c.article_id IN (SELECT id FROM keep) ORDER BY c.id"
                )
            ],
            dtype=np.int64,
        )
        if segment is big:
            dead = ids[~np.isin(ids, kept)]
            if len(dead):
                builder.vectors.remove_ids(dead)
        elif len(kept):
            builder.vectors.add_with_ids(reconstruct(segment.vectors, kept), kept)
        titled = np.array(
            [
                r[0]
                for r in db.execute(
                    "SELECT id FROM titles WHERE article_id IN (SELECT id FROM keep)"
                )
            ],
            dtype=np.int64,
        )
        if len(titled):
            builder.titles.add_with_ids(reconstruct(segment.titles, titled), titled)
        terms = segment.terms
        term_parts.append((terms, np.isin(np.asarray(terms.doc_ids), kept)))
        builder.chunks += len(kept)
    if not is_ivf(builder.vectors) and builder.vectors.ntotal >= IVF_THRESHOLD:
        builder.vectors = to_ivf(builder.vectors, dim)
    builder._merged_terms = merged(term_parts)
    return builder
