"""Value types that flow through the assistant: Article -> Chunk -> Passage -> Quote -> Answer.

All are frozen. Every span is a half-open ``[start, end)`` offset into ``Article.text``, the
normalised text stored in the index; ``__post_init__`` checks that each span slices back to its
text, so a wrong offset fails where it is made rather than where it is shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

UNKNOWN_OUTLET = "unknown outlet"  # shown wherever an article's outlet is missing
# Said when the evidence is too weak; the LLM prompt asks the model for this exact phrase.
NOT_COVERED = "The reports don't say."


@dataclass(frozen=True, slots=True)
class Article:
    """One news report as stored: normalised text plus what we know about it."""

    id: str  # content hash of `text` (see ingest.article_id)
    text: str
    title: str = ""
    outlet: str = ""  # e.g. "Al Jazeera", else the URL host, else ""
    url: str = ""
    path: str = ""  # file it came from ("" for pasted text); "file.jsonl:12" for a line
    published: dt.date | None = None
    date_source: str = ""  # "header", "field", "url", "dateline" or "" when unknown
    source_id: str = ""  # an id given by the source (a JSON "id" field), kept for lookups

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("Article.id must not be empty")
        if self.published is not None and not isinstance(self.published, dt.date):
            raise TypeError(f"Article.published must be a date, got {self.published!r}")

    @property
    def date_label(self) -> str:
        """Return the publication date as YYYY-MM-DD, or "undated"."""
        return self.published.isoformat() if self.published else "undated"

    @property
    def outlet_label(self) -> str:
        """Return the outlet, or "unknown outlet" when the source didn't say."""
        return self.outlet or UNKNOWN_OUTLET

    @property
    def label(self) -> str:
        """Return "outlet, date" for citations."""
        return f"{self.outlet_label}, {self.date_label}"


@dataclass(frozen=True, slots=True)
class ArticleInfo:
    """One line of the library: an article's metadata without its text."""

    id: str
    title: str
    outlet: str
    published: str  # YYYY-MM-DD, or "" when undated
    chunks: int
    path: str


@dataclass(frozen=True, slots=True)
class Chunk:
    """A span of an article that is embedded and searched as one unit."""

    article_id: str
    ordinal: int  # position of the chunk within its article, from 0
    start: int
    end: int
    text: str  # invariant: article.text[start:end] == text

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad chunk span [{self.start}, {self.end})")
        if self.end - self.start != len(self.text):
            raise ValueError(
                f"chunk span [{self.start}, {self.end}) has length {self.end - self.start} "
                f"but its text has {len(self.text)} characters"
            )


@dataclass(frozen=True, slots=True)
class Passage:
    """A chunk returned by search, with its article and how it scored."""

    chunk: Chunk
    article: Article
    score: float  # fused score; higher is better
    rank: int  # 1-based position in the result list
    scores: tuple[tuple[str, float], ...] = ()  # per-signal scores, e.g. (("dense", 0.61),)

    def __post_init__(self) -> None:
        if self.article.text[self.chunk.start : self.chunk.end] != self.chunk.text:
            raise ValueError(
                f"chunk [{self.chunk.start}, {self.chunk.end}) does not slice back to "
                f"article {self.article.id}"
            )

    @property
    def text(self) -> str:
        return self.chunk.text

    @property
    def start(self) -> int:
        return self.chunk.start

    @property
    def end(self) -> int:
        return self.chunk.end

    def signal(self, name: str, default: float = 0.0) -> float:
        """Return one named signal score, e.g. ``passage.signal("dense")``."""
        return dict(self.scores).get(name, default)


@dataclass(frozen=True, slots=True)
class Quote:
    """A verbatim span of an article shown to the reader as evidence."""

    article: Article
    start: int
    end: int
    text: str  # invariant: article.text[start:end] == text
    score: float = 0.0
    passage_rank: int = 0  # rank of the passage the quote was taken from (1-based)
    speaker: str = ""  # who is speaking, when known ("" = the outlet's own reporting)

    def __post_init__(self) -> None:
        actual = self.article.text[self.start : self.end]
        if not self.text or actual != self.text:
            raise ValueError(
                f"quote {self.text!r} is not article {self.article.id}'s text at "
                f"[{self.start}, {self.end}) (found {actual!r})"
            )


@dataclass(frozen=True, slots=True)
class RejectedQuote:
    """A quote a model offered that could not be found in the passage it cited."""

    text: str
    key: str  # the passage key the model cited ("" if none)
    reason: str


@dataclass(frozen=True, slots=True)
class Figure:
    """One number a quote gives for a quantity."""

    quote: int  # index into Answer.quotes
    quantity: str  # the counted word, normalised ("people", "km")
    value: float
    text: str  # as written, e.g. "70,000 people"


@dataclass(frozen=True, slots=True)
class Conflict:
    """Reports that differ (or agree, when ``agree``) on one quantity or claim.

    ``kind`` "figure": the same quantity with different numbers, found by rule; ``figures`` say
    where. ``kind`` "claim": opposite statements ("captured" vs "held") found by the LLM when one
    is configured; ``quotes`` are the verified quotes on each side (indices into Answer.quotes)
    and ``summary`` is the model's one-sentence description, shown as the model's words.
    """

    quantity: str
    figures: tuple[Figure, ...]
    agree: bool
    kind: str = "figure"
    quotes: tuple[int, ...] = ()
    summary: str = ""

    @property
    def quote_indices(self) -> tuple[int, ...]:
        """Every quote this conflict cites, in order."""
        return self.quotes or tuple(dict.fromkeys(f.quote for f in self.figures))


@dataclass(frozen=True, slots=True)
class Verdict:
    """A model's yes/no answer to a comparison or time question, read from verified quotes.

    ``value`` is "yes", "no" or "unclear"; ``quotes`` are the verified quotes it rests on
    (indices into Answer.quotes, at least one); ``reason`` is the model's one sentence, shown
    as the model's words, never as a quote.
    """

    value: str
    quotes: tuple[int, ...]
    reason: str = ""


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One event on a timeline: its date, how it was dated, and the quotes about it."""

    date: dt.date | None
    dated_by: str  # "event" (the quote names the date) or "article" (publication date)
    quotes: tuple[int, ...]  # indices into Answer.quotes


@dataclass(frozen=True, slots=True)
class Answer:
    """What `Assistant.ask` returns: verified quotes and what is known about them.

    Answerers fill in the structure; ``text`` is the prose form, made by ``assistant.render``
    (the only producer of prose) when the answer is finished, citing quotes as [1], [2], ...
    """

    question: str
    text: str = ""  # rendered prose; filled by render.text.prose when the answer is finished
    quotes: tuple[Quote, ...] = ()
    answerable: bool = True
    groups: tuple[tuple[int, ...], ...] = ()  # quotes (indices) that state one claim, by report
    refusal: str = ""  # why the reports don't answer, when not answerable ("" = no reason known)
    short: Quote | None = None  # the name the quotes agree on, as a verbatim span of one of them
    lead: str = ""  # one short sentence before the quotes ("" when none); not itself a quote
    rewritten_question: str = ""  # standalone form of a follow-up; "" when unchanged
    passages: tuple[Passage, ...] = ()  # the evidence the answer was drawn from
    rejected: tuple[RejectedQuote, ...] = ()
    raw_output: str = ""  # an LLM's raw text, kept for inspection
    compare_output: str = ""  # the LLM's raw reply when asked to compare the quotes' claims
    notice: str = ""  # e.g. "The LLM timed out; this is the extractive answer."
    mode: str = "extractive"  # "extractive", "llm" or "timeline"
    conflicts: tuple[Conflict, ...] = ()  # figures that differ (or agree) across reports
    verdict: Verdict | None = None  # LLM mode: the yes/no a comparison or time question asks for
    verdict_output: str = ""  # the LLM's raw reply when asked for the verdict
    timeline: tuple[TimelineEntry, ...] = ()  # dated events, in order (timeline answers)
    signals: tuple[tuple[str, float], ...] = ()  # evidence strength behind answerable, by signal
    timings: tuple[tuple[str, float], ...] = field(default=())  # (stage, seconds)

    def __post_init__(self) -> None:
        for group in self.groups:
            if any(not 0 <= i < len(self.quotes) for i in group):
                raise ValueError(f"answer group {group} names a quote that isn't there")

    @property
    def claims(self) -> tuple[tuple[int, ...], ...]:
        """Quote indices grouped by claim: ``groups``, or one group per quote."""
        return self.groups or tuple((i,) for i in range(len(self.quotes)))


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of answer text, streamed before the final Answer."""

    text: str


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrictions applied inside a search, so a narrow filter still returns k results."""

    since: dt.date | None = None  # publication date on or after
    until: dt.date | None = None  # publication date on or before
    outlets: tuple[str, ...] = ()  # case-insensitive outlet names; empty = all
    article_ids: tuple[str, ...] = ()  # restrict to these articles; empty = all

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise ValueError(
                f"date filter is empty: since {self.since} is after until {self.until}"
            )

    @property
    def active(self) -> bool:
        return bool(self.since or self.until or self.outlets or self.article_ids)
