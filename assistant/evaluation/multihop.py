"""Answer metrics for questions that need several reports (../shared/bench/mhrag/README.md).

Computed per question and averaged per question type ("inference", "comparison", "temporal")
and over all answerable questions:

- ``answered``: not refused;
- ``answer_in_quotes`` (``answer_match: word`` only): the answer, as a whole word (a closing
  full stop ignored, a possessive "s" allowed), is in the joined, normalised quotes;
- ``two_gold_quoted``: the quotes cite at least two gold articles (all of them if fewer);
- ``gold_quote_recall``: share of the gold articles the quotes cite (refusals count 0);
- ``fact_quoted``: a quote holds one of the gold evidence sentences.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from typing import Any

from ..types import Answer

FIGURES = ("answered", "answer_in_quotes", "two_gold_quoted", "gold_quote_recall", "fact_quoted")


def word_in(answer: str, text: str) -> bool:
    """Return True when ``answer`` occurs in ``text`` as a whole word (both normalised)."""
    answer = answer.rstrip(".")
    if not answer:
        return False
    pattern = r"(?<!\w)" + re.escape(answer) + r"(?:'s|’s|s)?(?!\w)"
    return re.search(pattern, text) is not None


def question_figures(
    q: dict[str, Any], answer: Answer, gold: set[str], normalise: Any
) -> dict[str, float]:
    """Return this question's figures (a figure that does not apply is left out)."""
    cited = {quote.article.id for quote in answer.quotes} if answer.answerable else set()
    out = {"answered": float(answer.answerable)}
    if q.get("answer_match") == "word":
        joined = normalise(" ".join(quote.text for quote in answer.quotes))
        out["answer_in_quotes"] = float(
            answer.answerable and word_in(normalise(q["answer"]), joined)
        )
    need = min(2, len(gold))
    out["two_gold_quoted"] = float(len(cited & gold) >= need) if gold else 0.0
    out["gold_quote_recall"] = len(cited & gold) / len(gold) if gold else 0.0
    facts = [normalise(e["fact"]) for e in q.get("evidence", [])]
    quoted = [normalise(quote.text) for quote in answer.quotes] if answer.answerable else []
    out["fact_quoted"] = float(any(f in t or t in f for f in facts for t in quoted if len(t) > 20))
    return out


def summarise(rows: Sequence[tuple[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Return the mean of each figure per question type and over all (key "all")."""
    groups: dict[str, list[dict[str, float]]] = {"all": []}
    for kind, figures in rows:
        groups.setdefault(kind, []).append(figures)
        groups["all"].append(figures)
    out = {}
    for kind, items in groups.items():
        out[kind] = {
            name: statistics.fmean(vals)
            for name in FIGURES
            if (vals := [f[name] for f in items if name in f])
        }
        out[kind]["questions"] = len(items)
    return out
