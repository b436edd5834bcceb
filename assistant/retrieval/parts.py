"""Questions that name several outlets, searched one named outlet at a time.

"Which company, reported by The Verge as ... and by TechCrunch as ...?" needs a report from
each. Each part is the question's text about one named outlet (from that mention to the next)
searched among that outlet's reports, so every named report gets its own passages instead of
competing with the others for one top-k.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

import numpy as np

from ..embedding import Embedder
from ..store import Snapshot
from ..text.tokens import query_terms
from ..types import Filters, Passage
from .outlets import Mention
from .search import search

PART_K = 5  # passages kept per named outlet (fitted: benchmarks/fit_fusion.py)
MIN_PART_TERMS = 4  # a part with fewer content words is searched with the whole question
# Vectors and keywords, not headlines: a question's part is a claim, not a story's headline.
# MHRAG dev, gold articles among the parts' passages: 0.752 (0.707 with headlines).
PART_METHODS = ("dense", "bm25")
# A part often packs several claims, each from its own report ("the article featuring Jones
# ..., and the one on Romero's tackle ..."): each clause is searched too, for a few passages.
CLAUSE_K = 1  # passages kept per clause (fitted with PART_K)
MIN_CLAUSE_TERMS = 3  # a shorter clause joins its neighbour
_CLAUSE_BREAK = re.compile(
    r"\s*[,;](?!\s*\d)\s*(?:and\s+|but\s+|while\s+|whereas\s+)?|\s+(?:and|but|while|whereas|as well as|"
    r"compared (?:to|with)|in contrast to|before|after)\s+",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Part:
    """One named outlet's share of a question, and what its reports say about it."""

    mention: Mention
    query: str  # the question's words about this outlet
    passages: tuple[Passage, ...]
    query_vector: np.ndarray


def part_queries(question: str, mentions: list[Mention]) -> list[str]:
    """Return, per mention, the question's text from that mention to the next, without the
    outlet names: they choose where to look, they are not what the report must say."""
    blanked = question
    for m in mentions:
        blanked = blanked[: m.start] + " " * (m.end - m.start) + blanked[m.end :]
    out = []
    for i, m in enumerate(mentions):
        end = mentions[i + 1].start if i + 1 < len(mentions) else len(question)
        start = 0 if i == 0 else m.start
        text = " ".join(blanked[start:end].split()).strip(" ,;")
        out.append(text if len(query_terms(text)) >= MIN_PART_TERMS else " ".join(blanked.split()))
    return out


def clauses(text: str) -> list[str]:
    """Return a part's clauses (split at commas and joining words, each with at least
    MIN_CLAUSE_TERMS content words); [] when it holds just one."""
    merged: list[str] = []
    for piece in _CLAUSE_BREAK.split(text):
        piece = piece.strip(" ?.")
        if not piece:
            continue
        if merged and len(query_terms(merged[-1])) < MIN_CLAUSE_TERMS:
            merged[-1] += " " + piece
        else:
            merged.append(piece)
    if len(merged) > 1 and len(query_terms(merged[-1])) < MIN_CLAUSE_TERMS:
        last = merged.pop()
        merged[-1] += " " + last
    return merged if len(merged) > 1 else []


def search_parts(
    snapshot: Snapshot,
    embedder: Embedder,
    question: str,
    mentions: list[Mention],
    *,
    filters: Filters | None = None,
    as_of: dt.date | None = None,
) -> list[Part]:
    """Search each named outlet's reports for its part of the question."""
    filters = filters or Filters()
    parts = []
    for mention, query in zip(mentions, part_queries(question, mentions), strict=True):
        wanted = mention.outlets
        if filters.outlets:  # the user's outlet filter still applies
            chosen = {o.lower() for o in filters.outlets}
            wanted = tuple(o for o in wanted if o.lower() in chosen)
            if not wanted:
                continue
        scope = replace(filters, outlets=wanted)
        result = search(
            snapshot,
            embedder,
            query,
            k=PART_K,
            filters=scope,
            max_per_article=1,
            as_of=as_of,
            methods=PART_METHODS,
        )
        lists = [list(result.passages)]
        for clause in clauses(query) if CLAUSE_K else ():
            found = search(
                snapshot,
                embedder,
                clause,
                k=CLAUSE_K,
                filters=scope,
                max_per_article=1,
                as_of=as_of,
                methods=PART_METHODS,
            )
            lists.append(list(found.passages))
        # In turns: the part's best, each clause's best, the part's second, ...
        passages = in_turns(lists)
        parts.append(Part(mention, query, tuple(passages), result.query_vector))
    return parts


def in_turns(lists: list[list[Passage]]) -> list[Passage]:
    """Return the lists' first passages, then their second ones, ...; each chunk once. A part's
    clauses each find their own report: taken in turns, the first places hold one from each."""
    seen: set[tuple[str, int]] = set()
    merged: list[Passage] = []
    for n in range(max((len(lst) for lst in lists), default=0)):
        for lst in lists:
            if n < len(lst) and (key := (lst[n].article.id, lst[n].start)) not in seen:
                seen.add(key)
                merged.append(lst[n])
    return merged


def interleave(general: list[Passage], parts: list[Part], k: int) -> list[Passage]:
    """Return one ranking: each named outlet's n-th passage, then the general n-th, for n = 1,
    2, ...; each chunk once, ranks renumbered. Every named report reaches the first places."""
    merged = in_turns([list(part.passages) for part in parts] + [general])
    return [replace(p, rank=i) for i, p in enumerate(merged[:k], start=1)]
