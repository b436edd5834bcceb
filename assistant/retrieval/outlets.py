"""Outlets a question names ("according to TechCrunch", "the Sporting News article", "as
reported by CNN"), matched to the outlets in the index. Pure.

An indexed outlet is known by its full name and by short forms: the part before " - " or " | "
("The Independent - Life and Style" -> "The Independent"), and a domain without its suffix
("CBSSports.com" -> "CBSSports", "cnn.com" -> "CNN"). A mention must be capitalised as a name
is ("Polygon", not "polygon"), and only counts in a question that talks about reporting
("article", "reported", "according to", ...), so a question merely about CNN is not one asking
what CNN said.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_REPORTING = re.compile(
    r"\b(articles?|reports?|reported|reporting|according|published|publication|coverage|covered|"
    r"stor(?:y|ies)|piece|review|column|outlets?|writes|wrote|says|said|suggests?|claims?|"
    r"discuss(?:es|ed|ing)?|mention(?:s|ed|ing)?|featur(?:e|es|ed|ing)|highlight(?:s|ed|ing)?|"
    r"describ(?:e|es|ed|ing)|recommend(?:s|ed|ing)?|cover(?:s|ing)?|news|headlines?)\b",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s+[-|–]\s+")
_DOMAIN = re.compile(r"^(?:www\.)?([a-z0-9-]+)\.(?:com|co\.uk|org|net|co|news)$", re.IGNORECASE)
# "an article by Bloomberg", "a report in The Wall Street Journal": a source named as such.
_SOURCE = re.compile(
    r"\b(?:article|report|piece|story|review|column|op-ed)s?\s+(?:by|in|from)\s+"
    r"((?:The\s+)?[A-Z][\w.&'’-]*(?:\s+(?:of\s+)?[A-Z][\w.&'’-]*)*)(?![\w'’])"
)
_NOT_A_SOURCE = re.compile(
    r"^(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mr|Mrs|Ms|Dr)\b"
)


@dataclass(frozen=True, slots=True)
class Mention:
    """Where a question names an outlet, and the indexed outlets that name stands for."""

    start: int
    end: int
    text: str
    outlets: tuple[str, ...]


def aliases(outlet: str) -> set[str]:
    """Return the lower-cased names an outlet goes by."""
    names = {outlet.strip()}
    head = _SPLIT.split(outlet.strip())[0]
    names.add(head)
    if m := _DOMAIN.match(head):
        names.add(m.group(1))
    return {n.lower() for n in names if len(n) >= 3}


def find(question: str, outlets: Sequence[str]) -> list[Mention]:
    """Return the indexed outlets a question names, in the order it names them."""
    if not _REPORTING.search(question):
        return []
    by_alias: dict[str, set[str]] = {}
    for outlet in outlets:
        for alias in aliases(outlet):
            by_alias.setdefault(alias, set()).add(outlet)
    taken = [False] * len(question)
    found: list[Mention] = []
    lowered = question.lower()
    for alias in sorted(by_alias, key=len, reverse=True):  # longest name wins an overlap
        for m in re.finditer(r"(?<![\w.])" + re.escape(alias) + r"(?![\w])", lowered):
            if any(taken[m.start() : m.end()]) or not question[m.start()].isupper():
                continue
            taken[m.start() : m.end()] = [True] * (m.end() - m.start())
            found.append(
                Mention(
                    m.start(),
                    m.end(),
                    question[m.start() : m.end()],
                    tuple(sorted(by_alias[alias])),
                )
            )
    return sorted(found, key=lambda m: m.start)


def unknown_sources(question: str, outlets: Sequence[str]) -> list[str]:
    """Return sources the question names as such ("an article by Forbes") that no indexed
    outlet goes by."""
    known = {a for o in outlets for a in aliases(o)}
    missing = []
    for m in _SOURCE.finditer(question):
        name = m.group(1).strip(" .,'’")
        if _NOT_A_SOURCE.match(name) or len(name.split()) > 6:
            continue
        lowered = name.lower()
        bare = lowered.removeprefix("the ")
        if not any(
            lowered == k or bare == k or k.startswith(lowered) or lowered.startswith(k)
            for k in known
        ):
            missing.append(name)
    return list(dict.fromkeys(missing))


def resolve(names: Sequence[str], outlets: Sequence[str]) -> tuple[str, ...]:
    """Return the indexed outlets that filter names stand for, matched case-insensitively
    by any alias ("CNN" -> "cnn.com", "the verge" -> "The Verge"); a name matching none is
    kept as given (it matches no report, and the refusal says what the index holds)."""
    out: list[str] = []
    for name in names:
        wanted = name.strip().lower()
        matched = [o for o in outlets if wanted in aliases(o) or wanted == o.lower()]
        out.extend(matched or [name])
    return tuple(dict.fromkeys(out))
