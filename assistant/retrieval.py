"""Question -> ranked passages: dense (FAISS) and keyword (BM25), fused, filtered.

Filters are applied inside both searches (FAISS ID selector, a mask on the BM25 scores), so a
narrow date or outlet filter still returns k passages instead of starving after a post-filter.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

from . import timeframe
from .embedding import Embedder
from .store import Snapshot
from .types import Filters, Passage

STOPWORDS = frozenset(
    ["a", "an", "the", "and", "or", "but", "if", "of", "at", "by", "for", "with", "about", "against", "between", "into", "through", "during", "before", "after", "above", "below", "to", "from", "up", "down", "in", "out", "on", "off", "over", "under", "again", "further", "then", "once", "here", "there", "when", "where", "why", "how", "all", "any", "both", "each", "few", "more", "most", "other", "some", "such", "no", "nor", "not", "only", "own", "same", "so", "than", "too", "very", "s", "t", "can", "will", "just", "don", "should", "now", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had", "having", "do", "does", "did", "doing", "i", "me", "my", "we", "our", "you", "your", "he", "him", "his", "she", "her", "it", "its", "they", "them", "their", "what", "which", "who", "whom", "this", "that", "these", "those", "am", "would", "could", "might", "must", "shall", "may", "also", "as", "per", "said", "says", "say", "new", "one", "week", "year", "years", "month", "recently", "according"]
)
_WORD = re.compile(r"[\w][\w'’.-]*[\w]|\w")
RRF_K = 60  # reciprocal-rank constant from the RRF paper; the RTQA baseline uses it too
CANDIDATES = 100  # hits taken from each of dense and keyword search before fusion
METHODS = ("dense", "bm25", "title")  # every ranker, fused by default
FUTURE_PENALTY = 0.5  # score factor for reports published after the question's as_of date


def query_terms(text: str) -> list[str]:
    """Return the distinct content words of a question, lower-cased, in order."""
    seen: dict[str, None] = {}
    for raw in _WORD.findall(text):
        word = raw.lower().strip(".'’-")
        if word.isdigit() or (len(word) > 1 and word not in STOPWORDS):
            seen.setdefault(word, None)
    return list(seen)


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Passages plus the query vector, so answerers don't embed the question twice."""

    passages: list[Passage]
    query_vector: np.ndarray


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

    ``methods`` picks the rankers fused (all by default): "dense" (chunk vectors), "bm25"
    (keywords), "title" (headline vectors: an article whose headline matches the question is
    about it, where a roundup or an older story only mentions it; the hit is the article's
    first chunk, its lead). When the question names a time ("this week", "in October 2022")
    or ``as_of`` is given, dense and keyword search also run restricted to that window and
    join the fusion, so reports from the right days rise
    without shutting out undated ones; reports dated after ``as_of`` are pushed down.
    ``dates=False`` turns all of that off (the no-dates baseline).
    """
    filters = filters or Filters()
    allowed = None
    if filters.active:
        allowed = snapshot.chunk_ids_where(
            since=filters.since,
            until=filters.until,
            outlets=filters.outlets,
            article_ids=filters.article_ids,
        )
    qvec = embedder.embed_query(question)
    frame = timeframe.resolve(question, as_of) if dates else None
    window = None
    if frame is not None:
        window = snapshot.chunk_ids_where(
            since=max(frame.since, filters.since or frame.since),
            until=min(frame.until, filters.until or frame.until),
            outlets=filters.outlets,
            article_ids=filters.article_ids,
        )
    keyword_scores = snapshot.term_scores(query_terms(question)) if "bm25" in methods else None
    lists: list[tuple[str, list[tuple[int, float]]]] = []

    def run(suffix: str, ids: np.ndarray | None) -> None:
        if "dense" in methods:
            lists.append(("dense" + suffix, snapshot.search_vectors(qvec, CANDIDATES, ids)))
        if "bm25" in methods:
            lists.append(("bm25" + suffix, snapshot.top_terms(keyword_scores, CANDIDATES, ids)))
        if "title" in methods and not suffix:  # not in the window: RTQA dev Hits@1 0.743 vs 0.730 with it
            lists.append(("title", snapshot.search_titles(qvec, CANDIDATES, ids)))

    run("", allowed)
    if window is not None and len(window):
        run("@date", window)

    fused: dict[int, float] = {}
    signals: dict[int, dict[str, float]] = {}
    for name, hits in lists:
        for rank, (cid, score) in enumerate(hits, start=1):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (RRF_K + rank)
            signals.setdefault(cid, {}).setdefault(name.split("@")[0], score)
    order = sorted(fused, key=lambda c: fused[c], reverse=True)[: max(k * 8, 50)]
    refs = snapshot.chunk_refs(order)
    if dates and as_of is not None:  # a report from after the question's date can't be what it asks about
        for cid in order:
            ref = refs.get(cid)
            published = snapshot.article(ref.article_id).published if ref else None
            if published and published > as_of + dt.timedelta(days=1):
                fused[cid] *= FUTURE_PENALTY
        order.sort(key=lambda c: fused[c], reverse=True)
    passages: list[Passage] = []
    per_article: dict[str, int] = {}
    for cid in order:
        ref = refs.get(cid)
        if ref is None or per_article.get(ref.article_id, 0) >= max_per_article:
            continue
        per_article[ref.article_id] = per_article.get(ref.article_id, 0) + 1
        sig = signals[cid]
        sig.setdefault("dense", float(np.dot(qvec, snapshot.vectors.reconstruct(cid))))
        passages.append(
            Passage(
                chunk=snapshot.chunk(ref),
                article=snapshot.article(ref.article_id),
                score=fused[cid],
                rank=len(passages) + 1,
                scores=tuple(sorted(sig.items())),
            )
        )
        if len(passages) >= k:
            break
    return SearchResult(passages, qvec)
