"""Names and numbers in a text: what a question asks about and what an answer must mention.

A name is a run of capitalised words, joined by "of", "the" or "de" ("Bank of England",
"Donetsk People’s Republic"); a number is a run of digits with its separators. Leading
function words ("What", "The", "In") are dropped, so a question's first word is not a name. A
run ends with its sentence ("... for Alameda. Sam Bankman-Fried said" holds two names), and a
sentence's first word that the text also writes in lower case is not part of a name
("Singer Taylor Swift" names Taylor Swift when the text speaks of a "singer" elsewhere).
"""

from __future__ import annotations

import re

from .sentences import ABBREVIATIONS
from .tokens import STOPWORDS

_ENTITY = re.compile(
    r"\b[A-Z][\w’'&.-]*(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w’'&.-]*)*|\b\d[\d,.]*\d\b|\b\d\b"
)
# Capitalised words that open questions and sentences without naming anything.
_OPENERS = STOPWORDS | {"and", "but", "however", "another", "did", "does", "is", "are", "can"}
_OPENING_MARKS = "\"“‘'("
_POSSESSIVE = re.compile(r"[’']s?$")  # "Broadway’s" names Broadway; "Jones'" names Jones
_LOWER_WORD = re.compile(r"\b[a-z][a-z’'-]*")
_MID_SENTENCE_CAPITAL = re.compile(r"(?<=[a-z0-9,;)] )[A-Z][a-z’'-]*")


def _opens_sentence(text: str, at: int) -> bool:
    """Return True when ``text[at]`` starts a sentence: the text's start, a line's, or after
    ". ", "? ", ": " ... (opening quotes and brackets between)."""
    while at > 0 and text[at - 1] in _OPENING_MARKS:
        at -= 1
    if at == 0 or text[at - 1] == "\n":
        return True
    if not text[at - 1].isspace():
        return False
    while at > 0 and text[at - 1].isspace():
        at -= 1
        if text[at] == "\n":
            return True
    return at == 0 or text[at - 1] in ".!?:;"


def _adverb(word: str) -> bool:
    """Return True for a sentence-opening adverb ("Approximately", "Reportedly"): capitalised
    only because it opens the sentence. Short "-ly" words are often names (Italy, Kelly)."""
    return len(word) >= 7 and word.endswith("ly") and word[1:].islower()


def _ends_sentence(word: str) -> bool:
    """Return True for a word whose full stop ends its sentence ("Alameda."), not an
    abbreviation's or an initial's ("Jr.", "U.S.", "J.")."""
    stem = word.rstrip(".").lower()
    return word.endswith(".") and len(stem) > 1 and stem not in ABBREVIATIONS


def _runs(words: list[str]) -> list[list[str]]:
    """Split a run of capitalised words where a sentence ends inside it."""
    runs: list[list[str]] = [[]]
    for word in words:
        runs[-1].append(word)
        if _ends_sentence(word):
            runs.append([])
    return [r for r in runs if r]


def _common_words(text: str) -> set[str]:
    """Return the words ``text`` writes in lower case and never capitalises mid-sentence:
    "Singer" opening a sentence is the common word when the text speaks of a "singer"; "Will"
    is a name when "Will Smith" appears mid-sentence too."""
    named = {w.lower() for w in _MID_SENTENCE_CAPITAL.findall(text)}
    return set(_LOWER_WORD.findall(text)) - named


def entities(text: str) -> list[str]:
    """Return the names and numbers in ``text``, in order, once each."""
    found: dict[str, None] = {}
    common: set[str] | None = None  # read when first needed
    for m in _ENTITY.finditer(text):
        group = m.group(0)
        runs = _runs(group.split()) if "." in group.rstrip(".") else [group.split()]
        for i, words in enumerate(runs):
            words[-1] = words[-1].rstrip(".,")
            while words and words[0].lower().strip("’'") in _OPENERS:
                words.pop(0)
            if words and not words[0][:1].isdigit() and (i > 0 or _opens_sentence(text, m.start())):
                if len(words) == 1 and _adverb(words[0]):
                    continue
                if common is None:
                    common = _common_words(text)
                if words[0].lower() in common:  # "Considering Swift", "Singer Taylor Swift"
                    words.pop(0)
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
