"""The index's on-disk format: names, schemas, manifest, checksums, atomic JSON writes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from ..errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError
from ..types import Article

# 2: keyword index moved from SQLite FTS5 to terms.npz; 3: titles.faiss; 4: segments + catalog
FORMAT_VERSION = 4
MANIFEST = "manifest.json"
LOCK = ".lock"
VERIFIED = ".verified.json"  # checksums already verified, by file identity (see reader.py)
SEGMENT_PREFIX = "seg-"
CATALOG_PREFIX = "catalog-"
# Files of one segment.
STORE = "store.sqlite"
VECTORS = "vectors.faiss"
TITLES = "titles.faiss"  # one vector per article title, id = the article's first chunk id
TERM_FILES = {  # the keyword index, see terms.py; plain .npy files, memory-mapped when read
    "vocab": "terms-vocab.npy",
    "term_ptr": "terms-ptr.npy",
    "post_chunk": "terms-chunk.npy",
    "post_tf": "terms-tf.npy",
    "doc_ids": "terms-docs.npy",
    "doc_len": "terms-len.npy",
}
CHUNK_TABLE = "chunks.npy"  # (chunk id, publication day ordinal or -1, outlet number) per chunk
SEGMENT_FILES = (STORE, VECTORS, TITLES, CHUNK_TABLE, *TERM_FILES.values())

SEGMENT_SCHEMA = """
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
CREATE TABLE IF NOT EXISTS titles (
    id INTEGER PRIMARY KEY, article_id TEXT NOT NULL, hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS titles_article ON titles(article_id);
CREATE INDEX IF NOT EXISTS titles_hash ON titles(hash);
"""

# The catalog: every live article's metadata and segment, what was deleted from older segments,
# and which file and which source id name which article. Small (no text): a write copies it.
CATALOG_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, segment TEXT NOT NULL, source_id TEXT, title TEXT, outlet TEXT,
    url TEXT, path TEXT, published TEXT, date_source TEXT, chunks INTEGER NOT NULL,
    length INTEGER NOT NULL, opening TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_segment ON articles(segment);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published);
CREATE INDEX IF NOT EXISTS articles_source_id ON articles(source_id);
CREATE INDEX IF NOT EXISTS articles_length ON articles(length);
CREATE TABLE IF NOT EXISTS dead_chunks (
    id INTEGER PRIMARY KEY, segment TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_chunks_segment ON dead_chunks(segment);
CREATE TABLE IF NOT EXISTS source_ids (
    source_id TEXT NOT NULL, article_id TEXT NOT NULL, PRIMARY KEY (source_id, article_id)
);
CREATE TABLE IF NOT EXISTS sources (
    file TEXT NOT NULL, article_id TEXT NOT NULL, PRIMARY KEY (file, article_id)
);
CREATE INDEX IF NOT EXISTS sources_article ON sources(article_id);
"""


def rebuild_hint(index_dir: Path) -> str:
    return f"rebuild it with `assistant index build PATH... --index {index_dir} --force`"


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


def _article_fields(article: Article) -> tuple[Any, ...]:
    """Return (source_id, title, outlet, url, path, published, date_source): the metadata a
    segment's row and the catalog's row both store, in that order."""
    return (
        article.source_id,
        article.title,
        article.outlet,
        article.url,
        article.path,
        article.published.isoformat() if article.published else None,
        article.date_source,
    )


def file_record(path: Path) -> dict[str, Any]:
    """Return a file's size and checksum for the manifest, after flushing it to disk."""
    with path.open("rb") as f:
        os.fsync(f.fileno())
    return {"bytes": path.stat().st_size, "sha256": _sha256(path)}


def read_manifest(index_dir: Path, *, any_format: bool = False) -> dict[str, Any]:
    """Return the manifest of an index folder, or raise an error that says what to do.

    ``any_format=True`` accepts older formats (a full rebuild reads them to reuse vectors).
    """
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
    if manifest.get("format") != FORMAT_VERSION and not any_format:
        how = (
            f"upgrade it with `assistant index upgrade --index {index_dir}` (its articles and "
            f"vectors are kept)"
            if manifest.get("format") == 3
            else rebuild_hint(index_dir)
        )
        raise IndexMismatchError(
            f"index at {index_dir} has format {manifest.get('format')!r}, this version reads "
            f"format {FORMAT_VERSION}; {how}"
        )
    return manifest


def legacy_contents(
    index_dir: Path,
) -> tuple[dict[str, Any], list[Article], list[tuple[str, str]], list[tuple[str, str]]]:
    """Return a format-3 index's manifest, articles, (file, article id) sources and (source id,
    article id) aliases, read from its generation's store: what an upgrade carries over."""
    manifest = read_manifest(index_dir, any_format=True)
    if manifest.get("format") != 3:
        raise IndexMismatchError(
            f"index at {index_dir} has format {manifest.get('format')!r}; only format 3 is "
            f"upgraded in place; {rebuild_hint(index_dir)}"
        )
    store = index_dir / str(manifest.get("generation")) / STORE
    try:
        db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
        try:
            articles = [
                _row_to_article(r) for r in db.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles")
            ]
            sources = [tuple(r) for r in db.execute("SELECT file, article_id FROM sources")]
            aliases = [tuple(r) for r in db.execute("SELECT source_id, article_id FROM source_ids")]
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise IndexCorruptError(f"cannot read {store}: {exc}; {rebuild_hint(index_dir)}") from exc
    return manifest, articles, sources, aliases  # type: ignore[return-value]
