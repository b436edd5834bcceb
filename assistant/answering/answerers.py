"""The answerers the API picks from, all of one shape: ``stream(evidence)`` yields the model's
text as it arrives (LLM only) and ends with an Answer holding structure, never prose.

- ``Extractive``: the default, no LLM (``extractive.answer``).
- ``Timeline``: more quotes, ordered as dated events.
- ``LLM``: a chat model picks quotes; only verified ones are kept.
- ``WithFallback``: runs one answerer and, when it fails or verifies nothing, another, with a
  notice saying why.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from ..config import Settings
from ..embedding import Embedder
from ..errors import LLMError
from ..retrieval.parts import Part, interleave
from ..types import Answer, Filters, Passage, TextDelta
from . import extractive, llm, reports
from .timeline import TIMELINE_FLOOR, TIMELINE_QUOTES, as_timeline

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What every answerer gets: the question, its passages and the date it is asked on."""

    question: str
    passages: tuple[Passage, ...]
    query_vector: np.ndarray
    as_of: dt.date  # the question's date (today unless the caller said)
    dated: bool  # the caller gave ``as_of``: reports long before it count as stale
    parts: tuple[Part, ...] = ()  # one per outlet the question names (retrieval.parts)
    unknown_sources: tuple[str, ...] = ()  # sources it names that the index doesn't hold
    filters: Filters | None = None  # the reader's filters, to say when they leave nothing
    scope: str = ""  # what the index holds (outlets, dates), said when the filters leave nothing


def empty_reason(filters: Filters | None, scope: str = "") -> str:
    """Return why no passage came back: the filters leave no report (and what the index
    holds, from ``scope``), or the index is empty."""
    if filters is None or not filters.active:
        return "No report in the index matches the question."
    said = []
    if filters.outlets:
        said.append("outlet " + " or ".join(filters.outlets))
    if filters.since or filters.until:
        since = filters.since.isoformat() if filters.since else "the start"
        until = filters.until.isoformat() if filters.until else "today"
        said.append(f"dates {since} to {until}")
    if filters.article_ids:
        said.append(f"{len(filters.article_ids)} chosen articles")
    return " ".join(filter(None, [f"No report matches the filters ({', '.join(said)}).", scope]))


class Answerer(Protocol):
    def stream(self, evidence: Evidence) -> Iterator[TextDelta | Answer]:
        """Yield text as it is produced (if any), then the final Answer."""
        ...


class Extractive:
    """The best sentences of the passages, weighed as evidence. No LLM."""

    def __init__(self, embedder: Embedder, settings: Settings) -> None:
        self.embedder = embedder
        self.settings = settings

    def answer(
        self, evidence: Evidence, *, max_quotes: int | None = None, floor: float = 0.8
    ) -> Answer:
        s = self.settings
        if not evidence.passages:
            return Answer(
                question=evidence.question,
                answerable=False,
                refusal=empty_reason(evidence.filters, evidence.scope),
            )
        if evidence.unknown_sources:
            return reports.unknown_source_refusal(
                evidence.question, evidence.unknown_sources, evidence.passages
            )
        general = extractive.answer(
            evidence.question,
            evidence.passages,
            evidence.query_vector,
            self.embedder,
            max_quotes=max_quotes or s.max_quotes,
            threshold=s.abstain_threshold,
            floor=floor,
            as_of=evidence.as_of,
            stale_days=s.stale_days if evidence.dated else None,
            scorer=extractive.load_scorer(s.sentence_scorer),
            extend_margin=s.extend_margin,
        )
        if not evidence.parts:
            return general
        return reports.answer_parts(
            evidence.question,
            evidence.parts,
            general,
            self.embedder,
            threshold=s.part_threshold,
            as_of=evidence.as_of,
            stale_days=s.stale_days if evidence.dated else None,
            scorer=extractive.load_scorer(s.sentence_scorer),
            extend_margin=s.extend_margin,
        )

    def stream(self, evidence: Evidence) -> Iterator[TextDelta | Answer]:
        yield self.answer(evidence)


class Timeline(Extractive):
    """More quotes than an answer, ordered as dated events."""

    def stream(self, evidence: Evidence) -> Iterator[TextDelta | Answer]:
        yield as_timeline(self.answer(evidence, max_quotes=TIMELINE_QUOTES, floor=TIMELINE_FLOOR))


class LLM:
    """A chat model picks quotes by passage key; only quotes found verbatim are kept."""

    def __init__(self, settings: Settings, model: Any | None = None) -> None:
        self.settings = settings
        self.model = model

    def stream(self, evidence: Evidence) -> Iterator[TextDelta | Answer]:
        passages = list(evidence.passages)
        if evidence.parts:  # each named outlet's best passages first, so the model sees them
            passages = interleave(passages, list(evidence.parts), len(passages))
        yield from llm.stream_answer(evidence.question, passages, self.settings, self.model)


@dataclass
class WithFallback:
    """Run ``primary``; when it raises LLMError, or answers without a verified quote and
    without saying the reports don't cover it, answer with ``fallback`` and say why."""

    primary: Answerer
    fallback: Answerer

    def stream(self, evidence: Evidence) -> Iterator[TextDelta | Answer]:
        answer: Answer | None = None
        notice = ""
        try:
            for event in self.primary.stream(evidence):
                if isinstance(event, Answer):
                    answer = event
                else:
                    yield event
        except LLMError as exc:
            notice = f"{exc}; showing the extractive answer instead."
        if answer is not None and not answer.quotes and not llm.refused(answer.raw_output):
            notice = (
                f"None of the model's {len(answer.rejected)} quotes could be verified in the "
                f"reports; showing the extractive answer instead."
                if answer.rejected
                else "The model's answer held no quote that could be checked; showing the "
                "extractive answer instead."
            )
        if answer is not None and not notice:
            yield answer
            return
        log.warning("LLM answer not used: %s", notice)
        for event in self.fallback.stream(evidence):
            if isinstance(event, Answer):
                if answer is not None:  # keep what the model said, for inspection
                    event = replace(event, raw_output=answer.raw_output, rejected=answer.rejected)
                event = replace(event, notice=notice)
            yield event
