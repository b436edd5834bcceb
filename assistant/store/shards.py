"""Several indexes read as one: a time-sharded archive ("archive-2022", "archive-2023", ...).

``Shards`` offers the reading side of ``Snapshot`` over the snapshots of several indexes, so
search, fusion and answers run over an archive unchanged. A chunk's id in the archive is its
shard's number in the top bits and its own id below (``SHIFT``): ids stay ints, stay sorted
shard by shard, and every call is routed by them.

Vectors rank across shards exactly (cosines are comparable). Keyword scores use the
statistics of all shards together (each query's document frequencies, chunk count and average
length summed first, like Elasticsearch's "DFS query then fetch"), so BM25 ranks as over one
index. A date window (the question's "this week", the reader's filter) skips every shard whose
dates lie outside it before anything is searched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

import numpy as np

from ..errors import ArticleNotFoundError
from ..types import Article, Chunk
from .reader import ChunkRef, Snapshot

SHIFT = 40  # local chunk ids stay below 2**40 (a trillion chunks a shard)
LOCAL = (1 << SHIFT) - 1


def shard_of(chunk_id: int) -> int:
    return int(chunk_id) >> SHIFT


class Shards:
    """A read-only view of several snapshots as one index (see the module docstring)."""

    def __init__(self, snapshots: Sequence[Snapshot]) -> None:
        if not snapshots:
            raise ValueError("an archive needs at least one index")
        self.snapshots = list(snapshots)
        self.generation = tuple(s.generation for s in self.snapshots)
        self.manifest = self.snapshots[0].manifest
        self.ranges = [s.date_range() for s in self.snapshots]

    @property
    def dim(self) -> int:
        return self.snapshots[0].dim

    @property
    def model(self) -> str:
        return self.snapshots[0].model

    # ---- routing ----------------------------------------------------------------------------

    def _split(self, ids: np.ndarray | None) -> list[np.ndarray | None]:
        """Return, per shard, its local ids among global ``ids`` (None: all of them)."""
        if ids is None:
            return [None] * len(self.snapshots)
        ids = np.asarray(ids, dtype=np.int64)
        shards = ids >> SHIFT
        return [ids[shards == n] & LOCAL for n in range(len(self.snapshots))]

    def _merged(
        self,
        run: Callable[[int, np.ndarray | None], list[tuple[int, float]]],
        allowed: np.ndarray | None,
        limit: int,
    ) -> list[tuple[int, float]]:
        """Run a ranker on each shard, ``run(shard number, its allowed local ids)``, skipping
        shards ``allowed`` leaves empty; return the best ``limit`` hits of all, global ids."""
        found: list[tuple[int, float]] = []
        for number, mine in enumerate(self._split(allowed)):
            if mine is not None and not len(mine):
                continue
            found.extend(((number << SHIFT) | cid, score) for cid, score in run(number, mine))
        found.sort(key=lambda pair: (-pair[1], pair[0]))
        return found[:limit]

    def holder(self, article_id: str) -> int | None:
        """Return the number of the shard holding an article, or None."""
        return next((n for n, s in enumerate(self.snapshots) if s.holds(article_id)), None)

    def _holder(self, article_id: str) -> Snapshot:
        number = self.holder(article_id)
        if number is not None:
            return self.snapshots[number]
        raise ArticleNotFoundError(
            f"no article with id {article_id} in the archive "
            f"({', '.join(str(s.index_dir) for s in self.snapshots)})"
        )

    # ---- articles ---------------------------------------------------------------------------

    def article(self, article_id: str) -> Article:
        return self._holder(article_id).article(article_id)

    def articles(self) -> list[Article]:
        every = [a for s in self.snapshots for a in s.articles()]
        every.sort(key=lambda a: (a.published is None, a.published or dt.date.min, a.title))
        return every

    def article_stats(self) -> list[tuple[str, str, str, str, int, str]]:
        rows = [r for s in self.snapshots for r in s.article_stats()]
        rows.sort(key=lambda r: r[1])  # title, then newest first (stable), undated last
        rows.sort(key=lambda r: r[3], reverse=True)
        rows.sort(key=lambda r: r[3] == "")
        return rows

    def outlets(self) -> list[str]:
        return sorted({o for s in self.snapshots for o in s.outlets()})

    def find_by_source_id(self, source_id: str) -> list[str]:
        return [a for s in self.snapshots for a in s.find_by_source_id(source_id)]

    # ---- chunks -----------------------------------------------------------------------------

    def chunk_refs(self, ids: Iterable[int]) -> dict[int, ChunkRef]:
        out: dict[int, ChunkRef] = {}
        for number, (snapshot, mine) in enumerate(
            zip(self.snapshots, self._split(np.fromiter(ids, np.int64)), strict=True)
        ):
            if mine is not None and len(mine):
                for cid, ref in snapshot.chunk_refs(mine).items():
                    out[(number << SHIFT) | cid] = replace(ref, id=(number << SHIFT) | cid)
        return out

    def chunk(self, ref: ChunkRef) -> Chunk:
        return self.snapshots[shard_of(ref.id)].chunk(replace(ref, id=ref.id & LOCAL))

    def vector(self, chunk_id: int) -> np.ndarray:
        return self.snapshots[shard_of(chunk_id)].vector(int(chunk_id) & LOCAL)

    def published(self, chunk_id: int) -> dt.date | None:
        return self.snapshots[shard_of(chunk_id)].published(int(chunk_id) & LOCAL)

    def chunk_ids_where(
        self,
        *,
        since: dt.date | None = None,
        until: dt.date | None = None,
        outlets: Sequence[str] = (),
        article_ids: Sequence[str] = (),
    ) -> np.ndarray:
        """Return global ids of the live chunks matching the filters; a shard whose dates lie
        outside ``since``..``until`` is not read."""
        found = []
        for number, (snapshot, (first, last)) in enumerate(
            zip(self.snapshots, self.ranges, strict=True)
        ):
            if (since or until) and (
                first is None or (since and last < since) or (until and first > until)
            ):
                continue  # an undated shard never matches a date bound either
            ids = snapshot.chunk_ids_where(
                since=since, until=until, outlets=outlets, article_ids=article_ids
            )
            found.append(np.asarray(ids, dtype=np.int64) | (number << SHIFT))
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)

    # ---- rankers ----------------------------------------------------------------------------

    def term_scores(self, words: Sequence[str]) -> list[np.ndarray | None]:
        """Return each shard's BM25 scores by its own chunk ids, computed with the statistics
        of all shards together (chunks, lengths, document frequencies), so keyword scores
        compare across shards as within one index."""
        stats = [s.term_stats(words) for s in self.snapshots]
        totals = stats[0]
        for more in stats[1:]:
            totals = totals.plus(more)
        return [s.term_scores(words, totals) for s in self.snapshots]

    def top_terms(
        self,
        scores: list[np.ndarray | None] | None,
        limit: int,
        allowed: np.ndarray | None = None,
    ) -> list[tuple[int, float]]:
        per_shard = scores or [None] * len(self.snapshots)
        return self._merged(
            lambda n, mine: self.snapshots[n].top_terms(per_shard[n], limit, mine), allowed, limit
        )

    def search_vectors(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        return self._merged(
            lambda n, mine: self.snapshots[n].search_vectors(query, k, mine), allowed, k
        )

    def search_titles(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        return self._merged(
            lambda n, mine: self.snapshots[n].search_titles(query, k, mine), allowed, k
        )

    def vector_count(self, kind: str = "chunks") -> int:
        return sum(s.vector_count(kind) for s in self.snapshots)
