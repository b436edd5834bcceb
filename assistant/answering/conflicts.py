"""Figures that differ (or agree) across reports, found by rule. Pure.

Conflicts start with what can be compared without a model: a number with the word it counts
("12 people", "30km") in quotes from different articles. The same quantity with different
values is a conflict; the same value from several outlets is an agreement. Opposite claims in
words are the LLM's job (``llm.compare_claims``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from ..types import Answer, Conflict, Figure, Quote

_NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(%|percent|km|miles?|kilometres?|"
    r"kilometers?|[a-z]+)(?:\s+([a-z]+))?",
    re.IGNORECASE,
)
_SKIP_UNITS = {
    "and",
    "or",
    "to",
    "of",
    "in",
    "on",
    "at",
    "the",
    "a",
    "an",
    "am",
    "pm",
    "a.m",
    "p.m",
    "years",
    "year",
    "th",
    "st",
    "nd",
    "rd",
    "per",
    "more",
    "than",
    "percent",
}
_UNIT_ALIASES = {
    "mile": "miles",
    "kilometre": "km",
    "kilometres": "km",
    "kilometer": "km",
    "kilometers": "km",
    "percent": "%",
    "person": "people",
    "dead": "killed",
}


def figures(quotes: Sequence[Quote]) -> list[Figure]:
    """Return the counted numbers in each quote."""
    out = []
    for i, q in enumerate(quotes):
        for m in _NUMBER.finditer(q.text):
            unit = m.group(2).lower()
            if unit in ("st", "nd", "rd", "th"):  # an ordinal ("3rd brigade") counts nothing
                continue
            if unit in _SKIP_UNITS and m.group(3):
                unit = m.group(3).lower()
            if unit in _SKIP_UNITS or unit.isdigit():
                continue
            unit = _UNIT_ALIASES.get(unit, unit)
            try:
                value = float(m.group(1).replace(",", ""))
            except ValueError:
                continue
            out.append(Figure(i, unit, value, m.group(0).strip()))
    return out


def conflicts(quotes: Sequence[Quote]) -> list[Conflict]:
    """Return quantities that quotes from different articles give differently (or the same)."""
    by_quantity: dict[str, list[Figure]] = {}
    for f in figures(quotes):
        by_quantity.setdefault(f.quantity, []).append(f)
    out = []
    for quantity, figs in by_quantity.items():
        articles = {quotes[f.quote].article.id for f in figs}
        if len(articles) < 2:
            continue
        values = {f.value for f in figs}
        outlets = {quotes[f.quote].article.outlet for f in figs}
        if len(values) > 1:
            out.append(Conflict(quantity, tuple(figs), agree=False))
        elif len(outlets) > 1:
            out.append(Conflict(quantity, tuple(figs), agree=True))
    return out


def with_conflicts(answer: Answer) -> Answer:
    """Return the answer with figures that differ (or agree) across reports."""
    found = tuple(conflicts(answer.quotes)) if len(answer.quotes) > 1 else ()
    return replace(answer, conflicts=found) if found else answer
