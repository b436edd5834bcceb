"""Names and numbers in a text: what a question asks about and what an answer must mention.

A name is a run of capitalised words, joined by "of", "the" or "de" ("Bank of England",
"Donetsk People’s Republic"); a number is a run of digits with its separators. Leading
function words ("What", "The", "In") are dropped, so a question's first word is not a name.
"""

from __future__ import annotations

import re

from .tokens import STOPWORDS

_ENTITY = re.compile(
    r"\b[A-Z][\w’'&.-]*(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w’'&.-]*)*|\b\d[\d,.]*\d\b|\b\d\b"
)
# Capitalised words that open questions and sentences without naming anything.
_OPENERS = STOPWORDS | {"and", "but", "however", "another", "did", "does", "is", "are", "can"}
_POSSESSIVE = re.compile(r"[’']s?$")  # "Broadway’s" names Broadway; "Jones'" names Jones
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n)[\"“‘'(]*$")


def _opens_sentence(text: str, at: int) -> bool:
    return bool(_SENTENCE_START.search(text[max(0, at - 4) : at]))


def _adverb(word: str) -> bool:
    """Return True for a sentence-opening adverb ("Approximately", "Reportedly"): capitalised
    only because it opens the sentence. Short "-ly" words are often names (Italy, Kelly)."""
    return len(word) >= 7 and word.endswith("ly") and word[1:].islower()


def entities(text: str) -> list[str]:
    """Return the names and numbers in ``text``, in order, once each."""
    found: dict[str, None] = {}
    for m in _ENTITY.finditer(text):
        words = m.group(0).strip(".,").split()
        while words and words[0].lower().strip("’'") in _OPENERS:
            words.pop(0)
        if len(words) == 1 and _adverb(words[0]) and _opens_sentence(text, m.start()):
            continue
        if words:
            words[-1] = _POSSESSIVE.sub("", words[-1]) or words[-1]
        name = " ".join(words)
        if len(name) >= 2 or name.isdigit():
            found.setdefault(name, None)
    return list(found)


def bare(entity: str) -> str:
    """Return an entity lower-cased without leading function words ("The DART" -> "dart")."""
    words = entity.lower().split()
    while words and words[0] in STOPWORDS:
        words.pop(0)
    return " ".join(words)


def coverage(names: list[str], text: str) -> float:
    """Return the share of ``names`` found in ``text`` word by word (1.0 when there are none)."""
    if not names:
        return 1.0
    lowered = text.lower().replace("’", "'")
    hits = 0.0
    for name in names:
        parts = name.lower().replace("’", "'").split()
        hits += sum(p in lowered for p in parts) / len(parts)
    return hits / len(names)
