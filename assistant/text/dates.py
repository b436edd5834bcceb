"""Publication dates of news articles: from a field, a URL, a header or a dateline. Pure."""

from __future__ import annotations

import datetime as dt
import email.utils
import re

MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
# A month name or abbreviation as a regex group, longest first ("sept" before "sep").
MONTH_PATTERN = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_MONTH = MONTH_PATTERN
_URL_DATE = re.compile(r"/((?:19|20)\d\d)[/-](\d\d?)[/-](\d\d?)(?:/|-|$)")
_URL_COMPACT = re.compile(r"/((?:19|20)\d\d)(\d\d)(\d\d)(?:/|-|_|$)")
_ISO = re.compile(r"((?:19|20)\d\d)-(\d\d)-(\d\d)")
_MDY = re.compile(_MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d)", re.IGNORECASE)
_DMY = re.compile(r"(\d{1,2})\s+" + _MONTH + r",?\s+((?:19|20)\d\d)", re.IGNORECASE)


def _make(year: str | int, month: str | int, day: str | int) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_date(value: object) -> dt.date | None:
    """Parse a date field: ISO 8601, RFC 2822, "October 2, 2022", "2 Oct 2022", or a timestamp."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:  # a number too large for a float or a date is no date
            seconds = value / 1000 if value > 10**11 else value  # milliseconds since the epoch
            return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).date()
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    if m := _ISO.match(text):
        return _make(*m.groups())
    try:
        parsed = email.utils.parsedate_to_datetime(text)
        if parsed is not None:
            return parsed.date()
    except (TypeError, ValueError, IndexError):
        pass
    return date_in_text(text)


def date_from_url(url: str) -> dt.date | None:
    """Return the date a URL path carries (``/2022/10/02/`` or ``/20221002/``), if any."""
    for pattern in (_URL_DATE, _URL_COMPACT):
        if m := pattern.search(url):
            if found := _make(*m.groups()):
                return found
    return None


def date_in_text(text: str) -> dt.date | None:
    """Return the first full date written in ``text`` ("Oct 2, 2022", "2 October 2022", ISO)."""
    best: tuple[int, dt.date] | None = None
    for m in _MDY.finditer(text):
        if d := _make(m.group(3), MONTHS[m.group(1).lower()], m.group(2)):
            best = (m.start(), d)
            break
    for m in _DMY.finditer(text):
        if (d := _make(m.group(3), MONTHS[m.group(2).lower()], m.group(1))) and (
            best is None or m.start() < best[0]
        ):
            best = (m.start(), d)
            break
    for m in _ISO.finditer(text):
        if (d := _make(*m.groups())) and (best is None or m.start() < best[0]):
            best = (m.start(), d)
            break
    return best[1] if best else None


def dateline_date(text: str, window: int = 300) -> dt.date | None:
    """Return a full date written near the start of an article (its dateline), if any."""
    return date_in_text(text[:window])
