"""How the reporting stands: conflicting figures across reports, and dated timelines. Pure.

Conflicts start with what can be compared without a model: a number with the word it counts
("12 people", "30km") in quotes from different articles. The same quantity with different
values is a conflict; the same value from several outlets is an agreement. Timelines date each
quote by the event date it names ("On September 30, …", resolved against the article's date),
else by the article's publication date, and merge quotes about the same event.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from .ingest.dates import MONTHS
from .types import Conflict, Figure, Quote, TimelineEntry

_NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(%|percent|km|miles?|kilometres?|"
    r"kilometers?|[a-z]+)(?:\s+([a-z]+))?",
    re.IGNORECASE,
)
_SKIP_UNITS = {"and", "or", "to", "of", "in", "on", "at", "the", "a", "an", "am", "pm", "a.m",
               "p.m", "years", "year", "th", "st", "nd", "rd", "per", "more", "than", "percent"}
_MONTH = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_EVENT_DATE = re.compile(r"\b(?:on|since|by|from|until|in)?\s*" + _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+((?:19|20)\d\d))?", re.IGNORECASE)
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAY = re.compile(r"\bon\s+(" + "|".join(_WEEKDAYS) + r")\b", re.IGNORECASE)
_UNIT_ALIASES = {"mile": "miles", "kilometre": "km", "kilometres": "km", "kilometer": "km",
                 "kilometers": "km", "percent": "%", "person": "people", "dead": "killed"}


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


def event_date(quote: Quote) -> dt.date | None:
    """Return the date a quote says its event happened, resolved against the article's date."""
    published = quote.article.published
    if m := _EVENT_DATE.search(quote.text):
        month, day = MONTHS[m.group(1).lower()], int(m.group(2))
        year = int(m.group(3)) if m.group(3) else (published.year if published else None)
        if year is None:
            return None
        if not m.group(3) and published and (month, day) > (published.month, published.day):
            year -= 1  # "On December 30" in a January report is last year's
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    if published and (m := _WEEKDAY.search(quote.text)):
        back = (published.weekday() - _WEEKDAYS.index(m.group(1).lower())) % 7
        return published - dt.timedelta(days=back)
    return None


def timeline(quotes: Sequence[Quote], same_event: float = 0.5) -> list[TimelineEntry]:
    """Return the quotes as dated events in order; quotes about one event share an entry."""
    entries: list[tuple[dt.date | None, str, list[int], set[str]]] = []
    for i, q in enumerate(quotes):
        when = event_date(q)
        dated_by = "event" if when else "article"
        when = when or q.article.published
        words = {w.lower() for w in re.findall(r"\w{4,}", q.text)}
        for entry in entries:
            overlap = len(words & entry[3]) / max(len(words | entry[3]), 1)
            if entry[0] == when and overlap >= same_event:
                entry[2].append(i)
                break
        else:
            entries.append((when, dated_by, [i], words))
    entries.sort(key=lambda e: (e[0] is None, e[0] or dt.date.min))
    return [TimelineEntry(d, by, tuple(idx)) for d, by, idx, _ in entries]


def describe_conflict(c: Conflict, quotes: Sequence[Quote]) -> str:
    """Return one sentence: "Reports differ on people: Outlet A (date) says 12 people [1]; …"."""
    if c.kind == "claim":
        sides = "; ".join(
            f"{quotes[i].article.outlet or 'one report'} ({quotes[i].article.date_label}) [{i + 1}]"
            for i in c.quotes
        )
        verb = "agree" if c.agree else "differ"
        return f"Reports {verb} ({sides}); the model's comparison: {c.summary}"
    parts = []
    for f in c.figures:
        a = quotes[f.quote].article
        parts.append(f"{a.outlet or 'one report'} ({a.date_label}) says {f.text} [{f.quote + 1}]")
    if c.agree:
        outlets = sorted({quotes[f.quote].article.outlet for f in c.figures})
        return f"{len(outlets)} outlets agree on {c.figures[0].text}: " + "; ".join(parts) + "."
    return f"Reports differ on {c.quantity}: " + "; ".join(parts) + "."
