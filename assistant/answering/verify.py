"""Locate a model's quote in the passage it cites, and map it back to exact article offsets.

Matching is exact first. Failing that, one documented normalisation is applied to both sides:
runs of whitespace become one space, curly quotes and apostrophes become straight ones, and
dashes (– — ‒ − ‐ ‑) become ``-``. Each normalised character remembers its position in the
article, so a match maps back to a span of the article's own text, which is what is shown.
Nothing else is forgiven: a paraphrase, a changed word or a merged sentence is rejected.
"""

from __future__ import annotations

import re

from ..text.quotes import EDGE as _EDGE
from ..text.quotes import FOLD as QUOTE_FOLD
from ..types import Passage, Quote
from .attribution import attribute

_ELLIPSIS = re.compile(r"^(?:\.\.\.|…)\s*|\s*(?:\.\.\.|…)$")


def normalise(text: str, offset: int = 0) -> tuple[str, list[int]]:
    """Return the normalised text and, for each of its characters, the source offset."""
    out: list[str] = []
    where: list[int] = []
    in_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            if not in_space and out:
                out.append(" ")
                where.append(offset + i)
            in_space = True
            continue
        in_space = False
        out.append(ch.translate(QUOTE_FOLD))
        where.append(offset + i)
    if out and out[-1] == " ":
        out.pop()
        where.pop()
    return "".join(out), where


def clean_claim(text: str) -> str:
    """Strip what models wrap around a quote: outer quote marks, ellipses, spaces."""
    text = text.strip()
    text = _ELLIPSIS.sub("", text)
    return text.strip(_EDGE)


def locate(claim: str, passage: Passage) -> Quote | None:
    """Return the Quote for ``claim`` inside ``passage``, or None if it isn't there verbatim."""
    claim = clean_claim(claim)
    if len(claim) < 3:
        return None
    article = passage.article
    found = passage.text.find(claim)
    if found != -1:
        start = passage.start + found
        end = start + len(claim)
    else:
        norm_passage, where = normalise(passage.text, passage.start)
        norm_claim, _ = normalise(claim)
        found = norm_passage.find(norm_claim)
        if found == -1 or not norm_claim:
            return None
        start = where[found]
        end = where[found + len(norm_claim) - 1] + 1
    speaker = attribute(article.text, start, end).speaker
    return Quote(
        article, start, end, article.text[start:end], passage_rank=passage.rank, speaker=speaker
    )
