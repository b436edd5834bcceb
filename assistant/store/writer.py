"""Writing an index: build the next generation beside the current one, then swap the manifest."""

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

from ..errors import IndexLockedError, IndexMismatchError, IndexStoreError
from ..types import Article, Chunk
from .format import (
    _ARTICLE_COLUMNS,
    FORMAT_VERSION,
    LOCK,
    MANIFEST,
    SCHEMA,
    STORE,
    TERMS,
    TITLES,
    VECTORS,
    _fsync_dir,
    _sha256,
    _write_json_atomic,
    read_manifest,
    rebuild_hint,
)
from .terms import TermIndex

IVF_THRESHOLD = 200_000  # chunks; above it the exact index is replaced by IVF (benchmarks/scale.py)
TITLES_IVF_THRESHOLD = 50_000  # titles; exact search of 100k title vectors takes ~4 ms, IVF ~0.3
IVF_TRAIN_PER_LIST = 64  # training vectors per inverted list (capped by the index size)


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

    ~4*sqrt(n) lists, trained on a sample; later updates add to the trained lists without
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
    sample = np.random.default_rng(seed).choice(
        n, min(n, IVF_TRAIN_PER_LIST * nlist), replace=False
    )
    ivf.train(vectors[np.sort(sample)])
    ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
    ivf.add_with_ids(vectors, ids)
    return ivf


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return (
        db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone()
        is not None
    )


def is_ivf(index: faiss.Index) -> bool:
    return isinstance(faiss.downcast_index(index), faiss.IndexIVF)


class Writer:
    """Builds the next generation of an index; use through ``write_generation``."""

    def __init__(self, index_dir: Path, gen_dir: Path, dim: int, base: Path | None = None) -> None:
        """Write into ``gen_dir`` (holding a copy of the store, or nothing); the vector and
        keyword files are read from ``base`` (the current generation) and written anew."""
        self.index_dir = index_dir
        self.gen_dir = gen_dir
        self.db = sqlite3.connect(gen_dir / STORE)
        self.db.executescript(SCHEMA)
        base = base or gen_dir
        vec_path = base / VECTORS
        if vec_path.exists():
            self.vectors = faiss.read_index(str(vec_path))
        else:
            self.vectors = new_vector_index(dim)
        titles_path = base / TITLES
        self.titles = (
            faiss.read_index(str(titles_path)) if titles_path.exists() else new_vector_index(dim)
        )
        terms_path = base / TERMS
        self.terms = (
            TermIndex.load(terms_path) if terms_path.exists() else TermIndex.empty()
        ).edit()
        self.dim = dim
        self._cache: tuple[sqlite3.Connection, Any, Any] | None = None

    def attach_cache(self, gen_dir: Path) -> None:
        """Reuse vectors of an older generation built with the same model (no re-embedding)."""
        db = sqlite3.connect(f"file:{gen_dir / STORE}?mode=ro", uri=True)
        titles = None  # format 2 had no titles: those are embedded anew
        if (gen_dir / TITLES).exists() and _has_table(db, "titles"):
            titles = faiss.read_index(str(gen_dir / TITLES))
        self._cache = (db, faiss.read_index(str(gen_dir / VECTORS)), titles)

    def article_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT id FROM articles")}

    def same_text(self, articles: Sequence[Article]) -> dict[str, tuple[str, str]]:
        """Return, for each given article whose exact text is already stored under another
        id, that (id, outlet). One pass over lengths and openings, then exact comparisons."""
        if not articles:
            return {}
        wanted = {(len(a.text), a.text[:64]): a for a in articles}
        out: dict[str, tuple[str, str]] = {}
        rows = self.db.execute(
            "SELECT id, outlet, length(text), substr(text, 1, 64) FROM articles"
        ).fetchall()
        for id_, outlet, length, opening in rows:
            a = wanted.get((length, opening))
            if a is None or a.id == id_ or a.id in out:
                continue
            (text,) = self.db.execute("SELECT text FROM articles WHERE id = ?", (id_,)).fetchone()
            if text == a.text:
                out[a.id] = (id_, outlet or "")
        return out

    def cached_vectors(
        self, hashes: Iterable[str], *, table: str = "chunks"
    ) -> dict[str, np.ndarray]:
        """Return stored vectors for texts already embedded (the embedding cache), by hash.

        ``table`` is "chunks" (chunk texts) or "titles" (article titles).
        """
        out: dict[str, np.ndarray] = {}
        sources = [(self.db, self.vectors, self.titles)] + ([self._cache] if self._cache else [])
        for h in set(hashes):
            for db, vectors, titles in sources:
                index = vectors if table == "chunks" else titles
                if index is None:
                    continue
                row = db.execute(f"SELECT id FROM {table} WHERE hash = ? LIMIT 1", (h,)).fetchone()
                if row:
                    out[h] = index.reconstruct(int(row[0]))
                    break
        return out

    def add(
        self,
        article: Article,
        chunks: Sequence[Chunk],
        hashes: Sequence[str],
        vectors: np.ndarray,
        title: tuple[str, np.ndarray] | None = None,
    ) -> None:
        """Store one article with its chunks and their vectors, and its title's (hash, vector)."""
        self.db.execute(
            f"INSERT OR REPLACE INTO articles ({_ARTICLE_COLUMNS}, added) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                article.id,
                article.source_id,
                article.title,
                article.outlet,
                article.url,
                article.path,
                article.published.isoformat() if article.published else None,
                article.date_source,
                article.text,
                dt.datetime.now(dt.UTC).isoformat(),
            ),
        )
        ids = []
        for chunk, h in zip(chunks, hashes, strict=True):
            cur = self.db.execute(
                'INSERT INTO chunks (article_id, ordinal, start, "end", hash) VALUES (?,?,?,?,?)',
                (article.id, chunk.ordinal, chunk.start, chunk.end, h),
            )
            ids.append(cur.lastrowid)
            self.terms.add(cur.lastrowid, article.title, chunk.text)
        if ids:
            self.vectors.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )
        if ids and title is not None:
            title_hash, title_vector = title
            self.db.execute("INSERT INTO titles VALUES (?,?,?)", (ids[0], article.id, title_hash))
            self.titles.add_with_ids(
                np.ascontiguousarray(title_vector.reshape(1, -1), dtype=np.float32),
                np.asarray([ids[0]], dtype=np.int64),
            )

    def add_alias(self, source_id: str, article_id: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO source_ids VALUES (?, ?)", (source_id, article_id))

    def add_source(self, file: str, article_id: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO sources VALUES (?, ?)", (file, article_id))

    def source_files(self) -> list[str]:
        """Return every file recorded as the source of some article."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT file FROM sources")]

    def drop_sources(self, file: str) -> None:
        self.db.execute("DELETE FROM sources WHERE file = ?", (file,))

    def remove(self, article_ids: Iterable[str]) -> int:
        """Remove articles, their chunks, vectors and sources; return how many existed."""
        removed = 0
        for aid in article_ids:
            rows = self.db.execute("SELECT id FROM chunks WHERE article_id = ?", (aid,)).fetchall()
            self.terms.remove(r[0] for r in rows)
            if rows:
                self.vectors.remove_ids(np.asarray([r[0] for r in rows], dtype=np.int64))
            titled = self.db.execute(
                "SELECT id FROM titles WHERE article_id = ?", (aid,)
            ).fetchall()
            if titled:
                self.titles.remove_ids(np.asarray([r[0] for r in titled], dtype=np.int64))
            self.db.execute("DELETE FROM titles WHERE article_id = ?", (aid,))
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
        if not is_ivf(self.vectors) and self.vectors.ntotal >= IVF_THRESHOLD:
            self.vectors = to_ivf(self.vectors, self.dim)
        faiss.write_index(self.vectors, str(self.gen_dir / VECTORS))
        if not is_ivf(self.titles) and self.titles.ntotal >= TITLES_IVF_THRESHOLD:
            self.titles = to_ivf(self.titles, self.dim)
        faiss.write_index(self.titles, str(self.gen_dir / TITLES))
        self.terms.result().save(self.gen_dir / TERMS)
        files = {}
        for name in (STORE, VECTORS, TERMS, TITLES):
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
    versions: dict[str, str] | None = None,
) -> Iterator[Writer]:
    """Yield a Writer over a copy of the current generation; on success, make it current.

    ``fresh=True`` starts from an empty index (a full build). If the block raises, the new
    generation is deleted and the index is exactly as before. ``versions`` (what defines the
    terms and vectors: tokenizer and stemmer, embedding runtime, weights) go into the manifest;
    an update whose terms would be spelled differently from the index's is refused.
    """
    with index_lock(index_dir, wait=lock_wait):
        old: dict[str, Any] | None = None
        if (index_dir / MANIFEST).exists():
            try:
                old = read_manifest(
                    index_dir, any_format=fresh
                )  # a rebuild may replace an old format
            except IndexStoreError:
                if not fresh:
                    raise
                old = None  # a rebuild replaces even an unreadable index
            if old is not None and not fresh:
                _check_compatible(index_dir, old, model, dim, chunking, versions or {})
        keep = {old["generation"]} if old else set()
        if old and old.get("previous"):
            keep.add(old["previous"])
        _clean(index_dir, keep)
        number = _generation_number(old["generation"]) + 1 if old else 1
        tmp = index_dir / f".tmp-{uuid.uuid4().hex}"
        tmp.mkdir()
        try:
            base = None
            if old and not fresh:
                # Only the store is changed in place; the other files are read from the current
                # generation and written whole by finish() (1M chunks: 1.1 GB not copied).
                base = index_dir / old["generation"]
                shutil.copyfile(base / STORE, tmp / STORE)
            writer = Writer(index_dir, tmp, dim, base)
            if (
                fresh
                and old
                and old.get("embedding_model") == model
                and int(old.get("dim", 0)) == dim
            ):
                base_gen = index_dir / old["generation"]
                if _intact(base_gen, old.get("files", {})):  # damage is never re-certified
                    try:
                        writer.attach_cache(base_gen)
                    except Exception:  # unreadable after all: embed everything anew
                        writer.close_cache()
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
            now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            manifest = {
                "format": FORMAT_VERSION,
                "generation": final.name,
                "previous": old["generation"] if old else None,
                "embedding_model": model,
                "dim": dim,
                "chunking": chunking,
                "versions": versions or {},
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


def _intact(gen: Path, files: dict[str, Any]) -> bool:
    """Return True when every file the manifest lists matches its size and checksum."""
    if not files:
        return False
    for name, info in files.items():
        path = gen / name
        try:
            if path.stat().st_size != info["bytes"] or _sha256(path) != info["sha256"]:
                return False
        except (OSError, KeyError, TypeError):
            return False
    return True


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
