"""Answers from every report a question names: the best sentence of each named outlet's reports,
laid side by side in date order.

A question naming several outlets ("Does the Polygon article suggest ..., while the BBC
article ...?") is answered part by part (see ``retrieval.parts``): each part's best sentence,
weighed as evidence like any extractive quote, from a report no other part used. The answer
stands only when every part found evidence (the weakest part's confidence reaches the
threshold); a named source that is not in the index refuses with its name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ..embedding import Embedder
from ..retrieval.parts import Part
from ..types import Answer, Passage
from .extractive import (
    Candidate,
    candidates,
    score,
    to_quote,
    weigh_evidence,
    with_continuation,
)

PART_THRESHOLD = 0.27  # weakest part's confidence needed to answer; see benchmarks/calibrate.py


def unknown_source_refusal(
    question: str, names: Sequence[str], passages: Sequence[Passage]
) -> Answer:
    """Refuse a question that relies on a source the index doesn't hold, naming it."""
    listed = ", ".join(names)
    return Answer(
        question=question,
        answerable=False,
        refusal=f"No report from {listed} is in the index.",
        passages=tuple(passages),
        mode="extractive",
    )


def best_of_part(
    part: Part, embedder: Embedder, used: set[str], as_of: dt.date | None, stale_days: int | None
) -> tuple[Candidate | None, float]:
    """Return a part's best sentence from a report no other part used, and its confidence."""
    ranked = score(part.query, part.query_vector, candidates(part.passages), embedder)
    ranked = [c for c in ranked if c.passage.article.id not in used]
    if not ranked:
        return None, 0.0
    ranked, signals = weigh_evidence(part.query, ranked, as_of, stale_days)
    return with_continuation(part.query, ranked[0]), signals["confidence"]


def answer_parts(
    question: str,
    parts: Sequence[Part],
    general: Answer,
    embedder: Embedder,
    *,
    threshold: float = PART_THRESHOLD,
    as_of: dt.date | None = None,
    stale_days: int | None = None,
) -> Answer:
    """Return the named reports' best quotes in date order, or a refusal that says which
    named outlet had no evidence."""
    chosen: list[Candidate] = []
    weakest: tuple[float, str] = (1.0, "")
    used: set[str] = set()
    for part in parts:
        best, confidence = best_of_part(part, embedder, used, as_of, stale_days)
        if confidence < weakest[0]:
            weakest = (confidence, part.mention.text)
        if best is not None:
            chosen.append(best)
            used.add(best.passage.article.id)
    passages = tuple(general.passages) + tuple(
        p for part in parts for p in part.passages if p not in general.passages
    )
    signals = (("confidence", round(weakest[0], 4)), ("parts", float(len(parts))))
    if weakest[0] < threshold:
        return Answer(
            question=question,
            answerable=False,
            refusal=f"The reports from {weakest[1]} don't cover this." if weakest[1] else "",
            passages=passages,
            signals=signals,
        )
    quotes = [to_quote(c) for c in chosen]
    # The general answer's best quote too, when it comes from a report no part used: for a
    # "which company" question it is often the sentence that names it.
    quotes += [q for q in general.quotes[:1] if q.article.id not in used]
    quotes.sort(key=lambda q: (q.article.published is None, q.article.published or dt.date.min))
    return Answer(
        question=question,
        quotes=tuple(quotes),
        passages=passages,
        signals=signals,
    )
