"""Question -> ranked passages: the rankers, run over the filter and the question's date window,
fused, with reports after ``as_of`` pushed down and at most a few passages per article.

Filters are applied inside every ranker (FAISS ID selector, a mask on the BM25 scores), so a
narrow date or outlet filter still returns k passages instead of starving after a post-filter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ..embedding import Embedder
from ..store import Snapshot
from ..types import Filters, Passage
from . import fusion, timeframe
from .rankers import RANKERS, Query, prepare

CANDIDATES = 100  # hits taken from each ranked list before fusion
METHODS = tuple(RANKERS)  # every ranker, fused by default
# Rankers also run inside the question's date window. Not headlines: RTQA dev Hits@1 0.743
# without, 0.730 with.
WINDOWED = ("dense", "bm25")


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Passages plus the query vector, so answerers don't embed the question twice."""

    passages: list[Passage]
    query_vector: np.ndarray


def allowed_ids(snapshot: Snapshot, filters: Filters) -> np.ndarray | None:
    """Return the chunk ids a filter allows (None when it allows everything)."""
    if not filters.active:
        return None
    return snapshot.chunk_ids_where(
        since=filters.since,
        until=filters.until,
        outlets=filters.outlets,
        article_ids=filters.article_ids,
    )


def date_window(
    snapshot: Snapshot, frame: timeframe.Timeframe | None, filters: Filters
) -> np.ndarray | None:
    """Return the chunk ids inside both the question's time frame and the filter."""
    if frame is None:
        return None
    return snapshot.chunk_ids_where(
        since=max(frame.since, filters.since or frame.since),
        until=min(frame.until, filters.until or frame.until),
        outlets=filters.outlets,
        article_ids=filters.article_ids,
    )


def ranked_lists(
    snapshot: Snapshot,
    query: Query,
    methods: tuple[str, ...],
    allowed: np.ndarray | None,
    window: np.ndarray | None,
) -> list[tuple[str, list[tuple[int, float]]]]:
    """Run each chosen ranker over the allowed chunks, and again inside the date window."""
    lists = [(m, RANKERS[m](snapshot, query, allowed, CANDIDATES)) for m in methods]
    if window is not None and len(window):
        lists += [
            (f"{m}@date", RANKERS[m](snapshot, query, window, CANDIDATES))
            for m in methods
            if m in WINDOWED
        ]
    return lists


def search(
    snapshot: Snapshot,
    embedder: Embedder,
    question: str,
    *,
    k: int = 8,
    filters: Filters | None = None,
    max_per_article: int = 2,
    methods: tuple[str, ...] = METHODS,
    as_of: dt.date | None = None,
    dates: bool = True,
) -> SearchResult:
    """Return the top ``k`` passages for a question, at most ``max_per_article`` per article.

    ``methods`` picks the rankers fused (all by default, see ``rankers``). When the question
    names a time ("this week", "in October 2022") or ``as_of`` is given, the windowed rankers
    also run restricted to that window and join the fusion, so reports from the right days
    rise without shutting out undated ones; reports dated after ``as_of`` are pushed down.
    ``dates=False`` turns all of that off (the no-dates baseline).
    """
    filters = filters or Filters()
    query = prepare(snapshot, question, embedder.embed_query)
    frame = timeframe.resolve(question, as_of) if dates else None
    lists = ranked_lists(
        snapshot,
        query,
        methods,
        allowed_ids(snapshot, filters),
        date_window(snapshot, frame, filters),
    )
    fused, signals = fusion.fuse(lists)
    order = sorted(fused, key=lambda c: fused[c], reverse=True)[: max(k * 8, 50)]
    refs = snapshot.chunk_refs(order)

    def article_of(cid: int) -> str | None:
        ref = refs.get(cid)
        return ref.article_id if ref else None

    if dates and as_of is not None:
        shortlist = {c: fused[c] for c in order}

        fusion.penalise_future(shortlist, snapshot.published, as_of)
        fused.update(shortlist)
        order.sort(key=lambda c: fused[c], reverse=True)
    passages = []
    for cid in fusion.cap_per_article(order, article_of, k, max_per_article):
        ref = refs[cid]
        sig = signals[cid]
        sig.setdefault("dense", float(np.dot(query.vector, snapshot.vector(cid))))
        passages.append(
            Passage(
                chunk=snapshot.chunk(ref),
                article=snapshot.article(ref.article_id),
                score=fused[cid],
                rank=len(passages) + 1,
                scores=tuple(sorted(sig.items())),
            )
        )
    return SearchResult(passages, query.vector)
