"""Ranked lists -> one ranking: reciprocal-rank fusion, the as-of penalty, the per-article cap."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

RRF_K = 60  # reciprocal-rank constant from the RRF paper; the RTQA baseline uses it too
# Each ranker's weight in the fusion (a list "dense@date" weighs as "dense"). Fitted on both dev
# sets by benchmarks/fit_fusion.py: keywords count double (MHRAG every needed report in the top
# 10 0.793 -> 0.820, Hits@1 0.820 -> 0.833; RTQA Hits@1 0.743 -> 0.730, MRR@10 0.836 -> 0.826,
# within the one-question slack; answers improve on both, benchmarks/README.md).
WEIGHTS = {"dense": 1.0, "bm25": 2.0, "title": 1.0}
FUTURE_PENALTY = 0.5  # score factor for reports published after the question's as_of date

Ranked = list[tuple[int, float]]


def fuse(
    lists: Sequence[tuple[str, Ranked]],
) -> tuple[dict[int, float], dict[int, dict[str, float]]]:
    """Return each chunk's fused RRF score and its score in each named list it appeared in.

    A list named "dense@date" (the same ranker in the date window) adds to the fused score
    and reports its signal under "dense".
    """
    fused: dict[int, float] = {}
    signals: dict[int, dict[str, float]] = {}
    for name, hits in lists:
        base = name.split("@")[0]
        weight = WEIGHTS.get(base, 1.0)
        for rank, (cid, score) in enumerate(hits, start=1):
            fused[cid] = fused.get(cid, 0.0) + weight / (RRF_K + rank)
            signals.setdefault(cid, {}).setdefault(base, score)
    return fused, signals


def penalise_future(
    fused: dict[int, float], published: Callable[[int], dt.date | None], as_of: dt.date
) -> None:
    """Scale down chunks of reports dated after ``as_of``: a question can't ask about them."""
    limit = as_of + dt.timedelta(days=1)
    for cid in fused:
        day = published(cid)
        if day and day > limit:
            fused[cid] *= FUTURE_PENALTY


def cap_per_article(
    order: Sequence[int], article_of: Callable[[int], str | None], k: int, per_article: int
) -> list[int]:
    """Return the first ``k`` chunk ids of ``order`` with at most ``per_article`` per article."""
    kept: list[int] = []
    seen: dict[str, int] = {}
    for cid in order:
        article = article_of(cid)
        if article is None or seen.get(article, 0) >= per_article:
            continue
        seen[article] = seen.get(article, 0) + 1
        kept.append(cid)
        if len(kept) >= k:
            break
    return kept
