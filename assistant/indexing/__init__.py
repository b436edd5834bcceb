"""Build and update an index: ingest -> chunk -> embed what is new -> one atomic generation swap.

Only articles whose text is new are chunked and embedded; a chunk whose text was embedded before
(same hash, same model) reuses its stored vector. A file that fails to load keeps whatever it
contributed before, so a bad file never removes indexed articles.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..embedding import Embedder
from ..errors import IngestError
from ..ingest import IngestReport, load_paths
from ..ingest.web import is_url
from ..ingest.worker import load_isolated
from ..store import Writer, legacy_contents, write_generation
from ..text.tokens import terms_version
from ..types import Article, Chunk
from .chunking import chunk_article, embedding_text

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class UpdateReport:
    """What an index build or update did."""

    added: list[str] = field(default_factory=list)  # article ids
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    failures: list[IngestError] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_reused: int = 0
    seconds: float = 0.0
    # (new article's title, id of the indexed article with the same text): not stored again
    duplicates: list[tuple[str, str]] = field(default_factory=list)

    def raise_for_failures(self) -> UpdateReport:
        """Raise IngestError naming every file that failed (what was indexed stays); return
        the report when none did."""
        if self.failures:
            listed = "; ".join(str(f) for f in self.failures)
            raise IngestError(
                f"{len(self.failures)} file(s)", f"could not be indexed: {listed} (the rest were)"
            )
        return self

    def summary(self) -> str:
        """Return one line: indexed / unchanged / removed / failed, and the embedding work."""
        same = (
            f", {len(self.duplicates)} already indexed with the same text"
            if self.duplicates
            else ""
        )
        return (
            f"{len(self.added)} added, {self.unchanged} unchanged, {len(self.removed)} removed, "
            f"{len(self.failures)} failed{same}; {self.chunks_embedded} chunks embedded, "
            f"{self.chunks_reused} reused in {self.seconds:.1f}s"
        )


def chunk_hash(model: str, text: str) -> str:
    """Return the embedding-cache key of a chunk's embedded text under one model."""
    return hashlib.sha256(f"{model}\x00{text}".encode()).hexdigest()[:24]


def _resolved(file: str) -> str:
    return str(Path(file).resolve())


def _reject_conflicting_ids(report: IngestReport) -> None:
    """Keep the first article for a source id given twice with different text."""
    first: dict[str, Article] = {}
    kept = []
    for article in report.articles:
        if article.source_id and article.source_id in first:
            other = first[article.source_id]
            report.failures.append(
                IngestError(
                    article.path,
                    f"id {article.source_id!r} was already used by {other.path} with different "
                    f"text; kept the first (give each article its own id)",
                )
            )
            continue
        if article.source_id:
            first[article.source_id] = article
        kept.append(article)
    report.articles = kept


def index_versions(embedder: Embedder | None) -> dict[str, str]:
    """Return what defines an index's terms and vectors besides the model name (the terms
    alone when no embedder is loaded yet)."""
    return {"terms": terms_version(), **dict(getattr(embedder, "versions", {}) or {})}


def apply(
    index_dir: Path,
    embedder: Embedder,
    chunking: dict[str, int],
    *,
    paths: Iterable[str | os.PathLike[str]] = (),
    articles: Iterable[Article] = (),
    remove: Iterable[str] = (),
    sync: bool = False,
    fresh: bool = False,
    optimize: bool = False,
    isolate: bool = False,
    progress: Progress | None = None,
    loaded: IngestReport | None = None,
) -> UpdateReport:
    """Add what ``paths`` and ``articles`` hold, remove ``remove``, and swap in the result;
    ``optimize`` also merges every segment into one; ``isolate`` reads the files in bounded
    child processes (untrusted uploads: a reader that blows up never takes this process down).
    ``loaded``: files read already (an archive reads once, then gives each shard its share)."""
    began = time.perf_counter()
    paths = list(paths)
    # With sync, a path that is gone is not a failure: its articles are what sync drops.
    present = [p for p in paths if not sync or is_url(p) or os.path.lexists(p)]
    load = load_isolated if isolate else load_paths
    report = loaded or (load(present) if present else IngestReport())
    report.articles.extend(articles)
    _reject_conflicting_ids(report)
    out = UpdateReport(failures=list(report.failures))
    failed_files = {_resolved(f.path.split(":")[0].split("[")[0]) for f in report.failures}

    with write_generation(
        index_dir,
        model=embedder.name,
        dim=embedder.dim,
        chunking=chunking,
        fresh=fresh,
        versions=index_versions(embedder),
        merge_all=optimize,
    ) as writer:
        existing = writer.article_ids()
        new = [a for a in report.articles if a.id not in existing]
        # The same text without an address of its own (pasted, or a plain file) and from no
        # other outlet is the article already indexed, not a second report agreeing with it.
        same = writer.same_text([a for a in new if not a.url])
        skipped = {
            a.id: match[0]
            for a in new
            if (match := same.get(a.id)) and (not a.outlet or a.outlet == match[1])
        }
        out.duplicates = [(a.title, skipped[a.id]) for a in new if a.id in skipped]
        new = [a for a in new if a.id not in skipped]
        report.sources = [(f, skipped.get(aid, aid)) for f, aid in report.sources]
        report.aliases = [(sid, skipped.get(aid, aid)) for sid, aid in report.aliases]
        out.unchanged = len(report.articles) - len(new) - len(skipped)
        _store_new(writer, new, embedder, chunking, out, progress)
        out.added = [a.id for a in new]

        # Record which file holds which article; a file that failed keeps its old articles.
        by_file: dict[str, set[str]] = {}
        for file, aid in report.sources:
            by_file.setdefault(_resolved(file), set()).add(aid)
        for file in report.files:
            key = _resolved(file)
            if key not in failed_files:
                writer.drop_sources(key)
            for aid in by_file.get(key, ()):
                writer.add_source(key, aid)
        for source_id, aid in report.aliases:
            writer.add_alias(source_id, aid)
        if sync:
            roots = [_resolved(str(p)) for p in paths]
            seen = {_resolved(f) for f in report.files}
            for file in writer.source_files():
                under = any(file == r or file.startswith(r.rstrip(os.sep) + os.sep) for r in roots)
                if under and file not in seen and not os.path.exists(file):
                    writer.drop_sources(file)
        gone = set(writer.orphans()) | set(remove)
        out.removed = [aid for aid in gone if writer.remove([aid])]
    out.seconds = time.perf_counter() - began
    for failure in out.failures:
        log.info("not indexed: %s", failure)  # the CLI and the UI say it too
    log.info("%s at %s: %s", "build" if fresh else "update", index_dir, out.summary())
    return out


def upgrade(index_dir: Path, embedder: Embedder) -> UpdateReport:
    """Rewrite a format-3 index in the current format from its own stored articles: the same
    ids, sources and aliases, its vectors reused (nothing embedded when the model is the same).
    No source file is read, so an index whose files are gone upgrades too."""
    began = time.perf_counter()
    manifest, articles, sources, aliases = legacy_contents(index_dir)
    chunking = dict(manifest["chunking"])
    out = UpdateReport()
    with write_generation(
        index_dir,
        model=embedder.name,
        dim=embedder.dim,
        chunking=chunking,
        fresh=True,
        versions=index_versions(embedder),
    ) as writer:
        _store_new(writer, articles, embedder, chunking, out, None)
        for file, aid in sources:
            writer.add_source(file, aid)
        for source_id, aid in aliases:
            writer.add_alias(source_id, aid)
    out.added = [a.id for a in articles]
    out.seconds = time.perf_counter() - began
    log.info("upgraded %s: %s", index_dir, out.summary())
    return out


def _store_new(
    writer: Writer,
    articles: list[Article],
    embedder: Embedder,
    chunking: dict[str, int],
    out: UpdateReport,
    progress: Progress | None,
) -> None:
    planned: list[tuple[Article, list[Chunk], list[str], list[str]]] = []
    for article in articles:
        chunks = chunk_article(article, chunking["max_chars"], chunking["overlap"])
        texts = [embedding_text(article, c) for c in chunks]
        planned.append((article, chunks, texts, [chunk_hash(embedder.name, t) for t in texts]))
    all_hashes = [h for *_, hashes in planned for h in hashes]
    cached = writer.cached_vectors(all_hashes)
    todo: dict[str, str] = {}
    for _, _, texts, hashes in planned:
        for t, h in zip(texts, hashes, strict=True):
            if h not in cached:
                todo.setdefault(h, t)
    # Titles get a vector of their own: a headline says what the whole article is about.
    title_hashes = {a.id: chunk_hash(embedder.name, a.title) for a in articles if a.title.strip()}
    titles = {h: a.title for a in articles if (h := title_hashes.get(a.id))}
    cached_titles = writer.cached_vectors(titles, table="titles")
    title_todo = {h: t for h, t in titles.items() if h not in cached_titles}
    if todo or title_todo:
        report = (lambda d, n: progress("embedding", d, n)) if progress else None
        vectors = embedder.embed([*todo.values(), *title_todo.values()], progress=report)
        cached.update(zip(todo.keys(), vectors[: len(todo)], strict=True))
        cached_titles.update(zip(title_todo.keys(), vectors[len(todo) :], strict=True))
    out.chunks_embedded += len(todo)
    out.chunks_reused += len(all_hashes) - len(todo)
    for i, (article, chunks, _, hashes) in enumerate(planned):
        vecs = np.stack([cached[h] for h in hashes]) if hashes else np.zeros((0, embedder.dim))
        title_hash = title_hashes.get(article.id)
        title = (title_hash, cached_titles[title_hash]) if title_hash else None
        writer.add(article, chunks, hashes, vecs, title)
        if progress:
            progress("storing", i + 1, len(planned))
