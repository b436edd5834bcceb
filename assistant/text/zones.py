"""Which part of an article a line is: body text, a heading, or a photo caption or credit.

News text pulled from pages keeps its headings ("# Hurricane Ian", "What we know") and photo
captions ("A man walks through flood water in Fort Myers. (Getty Images)"). They read like
answers to an embedding model but are not the reporting; answers quote them only when the body
says nothing. Judged per line, from its own shape. Pure.
"""

from __future__ import annotations

import re

_CREDIT = re.compile(
    r"(?:\b(?:AP|AFP|Reuters|Getty|EPA|Shutterstock|Bloomberg|Xinhua|Anadolu)\b.{0,30}\b"
    r"(?:Photo|Images?|Pool|via)\b|\bPhoto(?:graph)?s?\s*(?:by|:|credit)|\b(?:Image|Photo|Picture)"
    r"\s+credit\b|\bCredit:\s|\bCaption:\s|\(\s*(?:AP|AFP|Getty Images|Reuters)[^)]*\)\s*$|"
    r"/\s*(?:AP|AFP|Getty Images|Reuters|EPA)\b)",
    re.IGNORECASE,
)
# A caption's closing credit with no full stop of its own: "... this winter. Courtesy Jason Bell",
# "... in Kharkiv. Alex Platt/CNN", "... at sunrise. Ben Smegelsky/NASA". A sentence that ends
# with a web address ("Sign up at DesMoinesRegister.com/Deal.") ends with its full stop.
_NAMES = r"[A-Z][\w.'’&-]*(?:\s+(?:[A-Z][\w.'’&-]*|of|de|van|von))*"
_TRAILING_CREDIT = re.compile(
    rf"(?:^|[.!?\"”’)]\s+)(?:(?:{_NAMES}\s*/\s*)?Courtesy(?:\s+of)?\s+{_NAMES}"
    rf"|{_NAMES}(?:\s*/\s*[A-Z][\w.'’& -]*)+)\s*$"
)
_HEADING = re.compile(r"^\s*(?:#{1,6}\s|[-=*_]{3,}\s*$)")
_END = re.compile(r"[.!?…][\"'”’»)\]]*\s*$")
HEADING_WORDS = 14  # a line this short with no full stop is a heading, not a sentence


def zone(line: str) -> str:
    """Return "heading", "caption" or "body" for one line of article text."""
    if _HEADING.match(line):
        return "heading"
    if _CREDIT.search(line) or (_TRAILING_CREDIT.search(line) and not line.rstrip().endswith(".")):
        return "caption"
    if not _END.search(line) and len(line.split()) <= HEADING_WORDS:
        return "heading"
    return "body"


def line_zone(text: str, start: int) -> str:
    """Return the zone of the line of ``text`` holding position ``start``."""
    begin = text.rfind("\n", 0, start) + 1
    end = text.find("\n", start)
    return zone(text[begin : len(text) if end == -1 else end])
