"""Follow-up questions -> standalone questions. No gradio here; the UI passes its history in.

Without an LLM the rewrite is rule-based: "And what about Lyman?" swaps the previous question's
subject for Lyman; a question that leans on the previous turn ("When did that happen?", no names
of its own) gets the previous question's names, numbers and dates appended. A question that
names its own subject is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..text.entities import entities

_WHAT_ABOUT = re.compile(
    r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(?P<x>.+?)\s*\??\s*$|^\s*and\s+(?P<y>[^?]+?)\s*\?\s*$",
    re.IGNORECASE,
)
_DEICTIC = re.compile(
    r"\b(it|its|that|this|those|these|they|them|their|he|she|his|her|him|there|then|the same)\b",
    re.IGNORECASE,
)


_POSSESSIVE = {"its", "their", "his", "her"}
_NOUN_BEFORE = re.compile(r"\b(?:the|a|an)\s+\w+", re.IGNORECASE)


# The "it" of "how long does it take", "is it true": it stands for nothing earlier.
_EXPLETIVE = re.compile(
    r"\b(?:does|did|do|will|would|is|was|can|could)\s+it\s+(?:take|cost|mean|matter|true|"
    r"possible|likely)\b|\bit\s+(?:takes|took|costs|cost)\b",
    re.IGNORECASE,
)


def _refers_within(question: str, m: re.Match[str]) -> bool:
    """Return True for a word that leans on nothing earlier: a possessive whose owner the
    question names before it ("the shell to reach its target"), or an expletive "it"."""
    if any(e.start() <= m.start() < e.end() for e in _EXPLETIVE.finditer(question)):
        return True
    return m.group(1).lower() in _POSSESSIVE and bool(_NOUN_BEFORE.search(question, 0, m.start()))


def _previous_questions(history: Sequence[dict[str, Any]]) -> list[str]:
    return [
        str(m.get("content", "")) for m in history if m.get("role") == "user" and m.get("content")
    ]


def rewrite(question: str, history: Sequence[dict[str, Any]]) -> str:
    """Return a standalone form of ``question`` given earlier turns (role/content dicts)."""
    standalone: list[str] = []
    for earlier in _previous_questions(history):  # earlier turns may be follow-ups themselves
        standalone.append(_rewrite_one(earlier, standalone))
    return _rewrite_one(question, standalone)


def _rewrite_one(question: str, previous: list[str]) -> str:
    if not previous:
        return question
    last = previous[-1]
    if m := _WHAT_ABOUT.match(question):
        subject = (m.group("x") or m.group("y") or "").strip()
        old = entities(last)
        if subject and old:
            target = old[-1] if len(old) == 1 else max(old, key=lambda e: last.rfind(e))
            return last.replace(target, subject, 1)
        if subject:
            return f"{last.rstrip('?')} {subject}?"
    own = entities(question)
    if own or not any(not _refers_within(question, m) for m in _DEICTIC.finditer(question)):
        return question
    context = entities(last)
    if not context:
        return f"{question} ({last})"
    unique = list(dict.fromkeys(context))
    return f"{question.rstrip()} ({', '.join(unique)})"
