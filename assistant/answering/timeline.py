"""Timelines: quotes as dated events, in order. Pure.

Each quote is dated by the event date it names ("On September 30, …", resolved against the
article's date), else by the article's publication date; quotes about the same event share an
entry.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import replace

from ..text.dates import MONTH_PATTERN, MONTHS
from ..text.tokens import jaccard, word_set
from ..types import Answer, Quote, TimelineEntry

_EVENT_DATE = re.compile(
    r"\b(?:on|since|by|from|until|in)?\s*"
    + MONTH_PATTERN
    + r"\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+((?:19|20)\d\d))?",
    re.IGNORECASE,
)
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAY = re.compile(r"\bon\s+(" + "|".join(_WEEKDAYS) + r")\b", re.IGNORECASE)
SAME_EVENT = 0.5  # word overlap (words of 4+ letters) above which two quotes tell one event
TIMELINE_QUOTES = 8  # quotes gathered for a timeline answer
TIMELINE_FLOOR = 0.6  # a timeline keeps quotes scoring >= 60% of the best (0.8 for answers)
_TIMELINE = re.compile(
    r"\b(timeline|chronolog\w*|what happened (?:in|to|at|with)|how did .+ (?:unfold|develop|"
    r"evolve|happen)|sequence of events|what led to)\b",
    re.IGNORECASE,
)


def is_timeline_question(question: str) -> bool:
    """Return True for questions asking how events unfolded ("What happened in Bakhmut?")."""
    return bool(_TIMELINE.search(question))


def as_timeline(answer: Answer) -> Answer:
    """Return the answer with its quotes ordered as dated events, one line per event."""
    if not answer.quotes:
        return replace(answer, mode="timeline")
    entries = timeline(answer.quotes)
    order = [i for e in entries for i in e.quotes]
    quotes = tuple(answer.quotes[i] for i in order)
    renumber = {old: new for new, old in enumerate(order)}
    entries = [replace(e, quotes=tuple(renumber[i] for i in e.quotes)) for e in entries]
    return replace(answer, quotes=quotes, timeline=tuple(entries), groups=(), mode="timeline")


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


def timeline(quotes: Sequence[Quote], same_event: float = SAME_EVENT) -> list[TimelineEntry]:
    """Return the quotes as dated events in order; quotes about one event share an entry."""
    entries: list[tuple[dt.date | None, str, list[int], set[str]]] = []
    for i, q in enumerate(quotes):
        when = event_date(q)
        dated_by = "event" if when else "article"
        when = when or q.article.published
        words = word_set(q.text, min_chars=4)
        for entry in entries:
            if entry[0] == when and jaccard(words, entry[3]) >= same_event:
                entry[2].append(i)
                break
        else:
            entries.append((when, dated_by, [i], words))
    entries.sort(key=lambda e: (e[0] is None, e[0] or dt.date.min))
    return [TimelineEntry(d, by, tuple(idx)) for d, by, idx, _ in entries]
