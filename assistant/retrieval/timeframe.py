"""Time expressions in questions -> date windows, resolved against an ``as_of`` date. Pure.

"this week", "last month", "in October 2022", "yesterday", "since March 2022", "in 2021"...
A question with no time expression still gets a window when ``as_of`` is given: news questions
are about what was recent then, so the default window is the few weeks before ``as_of``, used
as a soft preference by retrieval, never as a hard filter.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from ..text.dates import MONTH_PATTERN, MONTHS

_MONTH = MONTH_PATTERN
_MONTH_YEAR = re.compile(r"\b" + _MONTH + r"\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_SINCE = re.compile(r"\bsince\s+(?:" + _MONTH + r"\s+)?((?:19|20)\d\d)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:in|during|of)\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_BARE_MONTH = re.compile(
    r"\b(?:in|during|early|late|mid-?)\s+" + _MONTH + r"\b(?!\s+\d)", re.IGNORECASE
)
_RELATIVE = [  # (pattern, days back, days forward)
    (re.compile(r"\b(today|tonight)\b", re.I), 1, 0),
    (re.compile(r"\byesterday\b", re.I), 2, 0),
    (re.compile(r"\b(this|past|last few) days?\b", re.I), 4, 0),
    (re.compile(r"\b(this|past) week(end)?\b|\brecently\b|\bthese days\b", re.I), 8, 1),
    (re.compile(r"\blast week(end)?\b", re.I), 14, 0),
    (re.compile(r"\b(this|past) month\b|\blast few weeks\b", re.I), 31, 1),
    (re.compile(r"\b(this|past) year\b", re.I), 366, 1),
]
DEFAULT_DAYS_BACK = 14  # window for a question with no time expression, when as_of is known


@dataclass(frozen=True, slots=True)
class Timeframe:
    """A date window a question refers to; ``explicit`` when the question said it."""

    since: dt.date
    until: dt.date
    explicit: bool
    phrase: str = ""

    def contains(self, day: dt.date | None) -> bool:
        return day is not None and self.since <= day <= self.until


def resolve(question: str, as_of: dt.date | None) -> Timeframe | None:
    """Return the date window a question refers to, or None when nothing can be said."""
    if m := _MONTH_YEAR.search(question):
        if not _SINCE.search(question):
            month, year = MONTHS[m.group(1).lower()], int(m.group(2))
            last = calendar.monthrange(year, month)[1]
            return Timeframe(dt.date(year, month, 1), dt.date(year, month, last), True, m.group(0))
    if m := _SINCE.search(question):
        month = MONTHS[m.group(1).lower()] if m.group(1) else 1
        until = as_of or dt.date.today()
        return Timeframe(dt.date(int(m.group(2)), month, 1), until, True, m.group(0))
    if m := _YEAR.search(question):
        year = int(m.group(1))
        return Timeframe(dt.date(year, 1, 1), dt.date(year, 12, 31), True, m.group(0))
    if as_of is None:
        return None
    if m := re.search(r"\blast month\b", question, re.I):
        first_this = as_of.replace(day=1)
        first_last = (first_this - dt.timedelta(days=1)).replace(day=1)
        return Timeframe(first_last, as_of, True, m.group(0))
    for pattern, back, forward in _RELATIVE:
        if m := pattern.search(question):
            return Timeframe(
                as_of - dt.timedelta(days=back),
                as_of + dt.timedelta(days=forward),
                True,
                m.group(0),
            )
    if m := _BARE_MONTH.search(question):
        month = MONTHS[m.group(1).lower()]
        year = as_of.year if month <= as_of.month else as_of.year - 1
        last = calendar.monthrange(year, month)[1]
        return Timeframe(dt.date(year, month, 1), dt.date(year, month, last), True, m.group(0))
    return Timeframe(
        as_of - dt.timedelta(days=DEFAULT_DAYS_BACK), as_of + dt.timedelta(days=1), False
    )
