"""Sentence and clause spans of news text, as ``(start, end)`` offsets. Pure functions.

Spans never include surrounding whitespace and never cut a word. A sentence ends at ``.``, ``!``
or ``?`` (plus any closing quote or bracket) followed by whitespace and a capital, digit or
opening quote, unless the word before the stop is a known abbreviation or an initial; a blank line
or a line break always ends one.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sen",
        "rep",
        "gov",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "cmdr",
        "adm",
        "maj",
        "st",
        "jr",
        "sr",
        "inc",
        "ltd",
        "corp",
        "co",
        "no",
        "vs",
        "etc",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mt",
        "ft",
        "approx",
        "est",
        "dept",
        "univ",
        "u.s",
        "u.k",
        "u.n",
        "e.g",
        "i.e",
        "a.m",
        "p.m",
    ]
)

_BOUNDARY = re.compile(r"[.!?]+[\"'”’»)\]]*(?=\s+[\"'“‘«(\[]?[A-Z0-9])")
_LINE = re.compile(r"[^\n]+")
_WORD_BEFORE = re.compile(r"([A-Za-z.]+)$")
# A quotation opened after "said," / ": " starts a clause of its own.
_QUOTE_OPEN = re.compile(r"(?<=[,:]) (?=[“\"‘])")


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _is_abbreviation(text: str, stop: int) -> bool:
    """Return True when the '.' at `stop` ends an abbreviation or an initial."""
    match = _WORD_BEFORE.search(text, max(0, stop - 40), stop)
    if not match:
        return False
    word = match.group(1).lower().rstrip(".")
    if word in ABBREVIATIONS:
        return True
    return len(word) == 1 and word.isalpha()  # "J. Smith"


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Return the sentences of ``text[start:end]`` as absolute spans."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text, start, end):
        cursor = line.start()
        for match in _BOUNDARY.finditer(text, line.start(), line.end()):
            if text[match.start()] == "." and match.end() - match.start() == 1:
                if _is_abbreviation(text, match.start()):
                    continue
            s, e = _strip(text, cursor, match.end())
            if s < e:
                spans.append((s, e))
            cursor = match.end()
        s, e = _strip(text, cursor, line.end())
        if s < e:
            spans.append((s, e))
    return spans


def clause_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split one sentence span where a quotation opens after a comma or colon.

    ``Stratford said, “It takes 40 seconds.`` gives the attribution and the quotation as two
    spans, so the quotation can be cited on its own.
    """
    cuts = [m.start() for m in _QUOTE_OPEN.finditer(text, start, end)]
    spans = []
    cursor = start
    for cut in cuts:
        s, e = _strip(text, cursor, cut)
        if s < e:
            spans.append((s, e))
        cursor = cut
    s, e = _strip(text, cursor, end)
    if s < e:
        spans.append((s, e))
    return spans


def trim_unbalanced_quotes(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop an opening or closing quote mark whose partner lies outside the span."""
    span = text[start:end]
    if (
        span
        and span[0] in '“"'
        and not any(c in span[1:] for c in '”"')
        or span
        and span[0] == "‘"
        and "’" not in span[1:]
    ):
        start += 1
    span = text[start:end]
    if span and span[-1] in '”"' and not any(c in span[:-1] for c in '“"'):
        end -= 1
    return _strip(text, start, end)


def word_spans_within(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Split an over-long span at clause punctuation or spaces into pieces of <= limit chars."""
    pieces: list[tuple[int, int]] = []
    cursor = start
    while end - cursor > limit:
        window_end = cursor + limit
        cut = -1
        for pattern in ("; ", ", ", " "):
            cut = text.rfind(pattern, cursor + limit // 2, window_end)
            if cut != -1:
                cut += len(pattern) - 1  # cut after the punctuation, before the space
                break
        if cut == -1:  # one enormous token: cut it, there is no word to keep whole
            cut = window_end
        s, e = _strip(text, cursor, cut)
        if s < e:
            pieces.append((s, e))
        cursor = cut
    s, e = _strip(text, cursor, end)
    if s < e:
        pieces.append((s, e))
    return pieces
