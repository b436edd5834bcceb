"""Answers that show how the reporting stands: conflicting figures and dated timelines."""

from __future__ import annotations

import re
from dataclasses import replace

from ..insights import conflicts, describe_conflict, timeline

__all__ = ["as_timeline", "describe_conflict", "is_timeline_question", "with_conflicts"]
from ..types import Answer
from .extractive import source_phrase

TIMELINE_QUOTES = 8  # quotes gathered for a timeline answer
TIMELINE_FLOOR = 0.6  # a timeline keeps quotes scoring >= 60% of the best (0.8 for answers)
_TIMELINE = re.compile(
    r"\b(timeline|chronolog\w*|what happened (?:in|to|at|with)|how did .+ (?:unfold|develop|"
    r"evolve|happen)|sequence of events|what led to)\b",
    re.IGNORECASE,
)


def is_timeline_question(question: str) -> bool:
    """Return True for questions asking how events unfolded ("What happened in Bakhmut?")."""
    return bool(_TIMELINE.search(question))


def as_timeline(answer: Answer) -> Answer:
    """Return the answer with its quotes ordered as dated events, one line per event."""
    if not answer.quotes:
        return replace(answer, mode="timeline")
    entries = timeline(answer.quotes)
    order = [i for e in entries for i in e.quotes]
    quotes = tuple(answer.quotes[i] for i in order)
    renumber = {old: new for new, old in enumerate(order)}
    entries = [replace(e, quotes=tuple(renumber[i] for i in e.quotes)) for e in entries]
    lines = []
    for e in entries:
        head = quotes[e.quotes[0]]
        when = e.date.isoformat() if e.date else "undated"
        how = "" if e.dated_by == "event" else " (report date)"
        marks = " ".join(f"[{i + 1}]" for i in e.quotes)
        lines.append(f"{when}{how}: {source_phrase(head)}: “{head.text}” {marks}")
    return replace(answer, quotes=quotes, timeline=tuple(entries), text="\n".join(lines), mode="timeline")


def with_conflicts(answer: Answer) -> Answer:
    """Return the answer with figures that differ (or agree) across reports, stated once each."""
    found = tuple(conflicts(answer.quotes)) if len(answer.quotes) > 1 else ()
    if not found:
        return answer
    notes = "\n".join(describe_conflict(c, answer.quotes) for c in found)
    return replace(answer, conflicts=found, text=f"{answer.text}\n{notes}")
