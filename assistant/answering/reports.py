"""Answers from every report a question names: the best sentence of each named outlet's reports,
laid side by side in date order.

A question naming several outlets ("Does the Polygon article suggest ..., while the BBC
article ...?") is answered part by part (see ``retrieval.parts``): each part's best sentence,
weighed as evidence like any extractive quote, from a report no other part used. The answer
stands when the parts' mean confidence reaches the threshold (MHRAG dev, fitted: 97.5% of such
answerable questions answered at 3% of unanswerable ones, against 88% when the weakest part
had to reach it); a refusal names the weakest part's outlet, and a named source that is not
in the index refuses with its name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from ..embedding import Embedder
from ..retrieval.parts import Part
from ..text.entities import bare, entities
from ..text.sentences import sentence_spans
from ..text.tokens import STOPWORDS, query_terms, terms
from ..text.zones import line_zone
from ..types import Answer, Passage, Quote
from .extractive import (
    HAND,
    Candidate,
    Scorer,
    candidates,
    extend_quotes,
    score,
    to_quote,
    weigh_evidence,
)

NAME_CANDIDATES = 5  # leading sentences per part searched for the name the reports share
# One outlet's part often packs several reports ("the article featuring Jones ... and the one
# on Romero's tackle"): further reports are quoted while they bring the part's words the quotes
# so far lack. Fitted on both dev sets (benchmarks/README.md).
COVER_MAX = 3  # reports quoted per part
COVER_MIN_NEW = 1  # the part's words a further report must add
COVER_RATIO = 0.4  # a further report's score, at least this share of the part's best
PART_EMBED_LIMIT = 16  # a part's sentences embedded: embedding is most of an answer's time
PART_PER_PASSAGE = 2  # ... at most this many from each of its passages
FULL_EXTRA_WORDS = 2  # a name's full form ("Sam Bankman-Fried" for "Bankman-Fried") adds at most


_NAME_QUESTION = re.compile(
    r"^\s*(?:which|who|whose|what(?:'s|\s+is|\s+was)?\s+(?:the\s+)?(?:name|company|person|"
    r"organi[sz]ation|team|player|individual|entity))\b",
    re.IGNORECASE,
)


def asks_for_a_name(question: str) -> bool:
    """Return True for "Which company ...?", "Who ...?", "What is the name of ...?"."""
    return bool(_NAME_QUESTION.match(question))


_YES_NO = re.compile(
    r"^\s*(?:does|did|do|is|was|were|are|has|have|had|can|could|would|will|should)\b",
    re.IGNORECASE,
)


def asks_yes_no(question: str) -> bool:
    """Return True for a question a verdict answers ("Does the X article agree ...?", "Was
    the report by X published before ...?")."""
    return bool(_YES_NO.match(question))


def unknown_source_refusal(
    question: str, names: Sequence[str], passages: Sequence[Passage]
) -> Answer:
    """Refuse a question that relies on a source the index doesn't hold, naming it."""
    listed = ", ".join(names)
    return Answer(
        question=question,
        answerable=False,
        refusal=f"No report from {listed} is in the index.",
        passages=tuple(passages),
        mode="extractive",
    )


def ranked_part(
    part: Part,
    embedder: Embedder,
    as_of: dt.date | None,
    stale_days: int | None,
    scorer: Scorer = HAND,
) -> tuple[list[Candidate], float]:
    """Return a part's candidates best first, and the best one's confidence."""
    ranked = score(
        part.query,
        part.query_vector,
        candidates(part.passages),
        embedder,
        scorer,
        limit=PART_EMBED_LIMIT,
        per_passage=PART_PER_PASSAGE,
    )
    if not ranked:
        return [], 0.0
    ranked, signals = weigh_evidence(part.query, ranked, as_of, stale_days)
    return ranked, signals["confidence"]


def agreed_name(question: str, ranked_parts: Sequence[list[Candidate]]) -> str:
    """Return the name (as written, in its longest form) that the most parts' leading
    sentences mention and the question doesn't; "" when no name is shared by two parts (or
    found, with one part). "Swift" and "Taylor Swift" count as one name."""
    asked = {bare(e) for e in entities(question)}
    seen: dict[str, tuple[set[int], float, str]] = {}  # bare name -> parts, weight, longest form
    for i, ranked in enumerate(ranked_parts):
        for c in ranked[:NAME_CANDIDATES]:
            for name in entities(c.passage.article.text[c.start : c.end]):
                key = bare(name)
                if not key or key.replace(",", "").replace(".", "").isdigit():
                    continue
                if any(key in a or a in key for a in asked):
                    continue
                parts, weight, form = seen.get(key, (set(), 0.0, name))
                seen[key] = (parts | {i}, weight + c.score, form)
    if not seen:
        return ""
    merged: dict[str, tuple[set[int], float, str]] = {}
    for key in seen:
        family = [(p, w, f) for k, (p, w, f) in seen.items() if extends_name(k, key)]
        longest = max(family, key=lambda item: (len(item[0]), len(item[2])))[2]
        merged[key] = (
            set().union(*(p for p, _, _ in family)),
            sum(w for _, w, _ in family),
            longest,
        )
    best = max(merged, key=lambda k: (len(merged[k][0]), merged[k][1]))
    parts, _, form = merged[best]
    return form if len(parts) >= min(2, len(ranked_parts)) else ""


def extends_name(longer: str, name: str) -> bool:
    """Return True when the bare name ``longer`` is ``name`` with words before or after it
    ("taylor swift" extends "swift"; "atlanta fed president" does not extend "fed")."""
    a, b = longer.split(), name.split()
    if not b or len(a) - len(b) > FULL_EXTRA_WORDS:
        return False
    if a[: len(b)] == b:
        extra = a[len(b) :]
    elif a[len(a) - len(b) :] == b:
        extra = a[: len(a) - len(b)]
    else:
        return False
    # "Shares of Ridgeway Motors" is a sentence's opening, not a longer name
    return not any(w in STOPWORDS for w in extra)


def _longest_name_in(text: str, name: str) -> str:
    """Return the longest form of ``name`` written in ``text``."""
    key = bare(name)
    forms = [f for f in entities(text) if extends_name(bare(f), key)]
    return max(forms, key=len) if forms else name


def full_name(name: str, quotes: Sequence[Quote]) -> Quote | None:
    """Return the first mention of the name's full form in the quoted reports (news names a
    person or company in full once, then shortens it), as a sentence to quote: the name as the
    quotes have it when no longer form exists."""
    key = bare(name)
    best: tuple[int, Quote] | None = None
    for article in {q.article.id: q.article for q in quotes}.values():
        spans: list[tuple[int, int]] | None = None  # the article's sentences, split once
        for form in entities(article.text):
            extended = bare(form)
            if extended == key or not extends_name(extended, key):
                continue
            at = article.text.find(form)
            if line_zone(article.text, at) != "body":
                continue
            spans = spans if spans is not None else sentence_spans(article.text)
            span = next(((s, e) for s, e in spans if s <= at < e), None)
            if span is None:
                continue
            s, e = span
            quote = Quote(article, s, e, article.text[s:e])
            if best is None or len(form) > best[0]:
                best = (len(form), quote)
    return best[1] if best else None


def _mentions(c: Candidate, name: str) -> bool:
    return name.lower() in c.passage.article.text[c.start : c.end].lower()


def _words(c: Candidate) -> set[str]:
    """The words a quote brings: its sentence's and its report's headline's."""
    return set(terms(c.passage.article.text[c.start : c.end] + " " + c.passage.article.title))


def covering(query: str, best: Candidate, ranked: Sequence[Candidate]) -> list[Candidate]:
    """Return ``best`` and, from other reports, the candidates that cover the part's words
    it lacks: each adds at least COVER_MIN_NEW of them and scores at least COVER_RATIO of
    the best one's score."""
    wanted = set(query_terms(query))
    floor = best.score * COVER_RATIO
    # each eligible candidate's share of the part's words, read once
    pool = [(c, _words(c) & wanted) for c in ranked if c.score >= floor]
    chosen = [best]
    covered = _words(best) & wanted
    while len(chosen) < COVER_MAX:
        seen = {c.passage.article.id for c in chosen}
        options = [
            (len(words - covered), c.score, c, words)
            for c, words in pool
            if c.passage.article.id not in seen
        ]
        options = [o for o in options if o[0] >= COVER_MIN_NEW]
        if not options:
            break
        _, _, pick, words = max(options, key=lambda o: (o[0], o[1]))
        chosen.append(pick)
        covered |= words
    return chosen


def short_span(quotes: Sequence[Quote], name: str) -> Quote | None:
    """Return the name as a verbatim span of the first quote that holds it."""
    for q in quotes:
        at = q.text.lower().find(name.lower())
        if at != -1:
            start = q.start + at
            return Quote(
                q.article, start, start + len(name), q.article.text[start : start + len(name)]
            )
    return None


def answer_parts(
    question: str,
    parts: Sequence[Part],
    general: Answer,
    embedder: Embedder,
    *,
    threshold: float,  # settings.part_threshold: the parts' mean confidence needed
    as_of: dt.date | None = None,
    stale_days: int | None = None,
    scorer: Scorer = HAND,
    extend_margin: float | None = None,
) -> Answer:
    """Return the named reports' best quotes in date order, or a refusal that says which
    named outlet had no evidence. For a question asking for a name, each report's quote is
    its best sentence holding the name the reports agree on, when one does. Quotes grow by a
    neighbouring sentence as ``extractive.extend_quotes`` says (``extend_margin``)."""
    ranked_parts = []
    confidences = []
    weakest: tuple[float, str] = (1.0, "")
    for part in parts:
        ranked, confidence = ranked_part(part, embedder, as_of, stale_days, scorer)
        ranked_parts.append(ranked)
        confidences.append(confidence)
        if confidence < weakest[0]:
            weakest = (confidence, part.mention.text)
    passages = tuple(general.passages) + tuple(
        p for part in parts for p in part.passages if p not in general.passages
    )
    mean = sum(confidences) / max(len(confidences), 1)
    signals = (
        ("confidence", round(mean, 4)),
        ("weakest", round(weakest[0], 4)),
        ("parts", float(len(parts))),
    )
    if mean < threshold:
        return Answer(
            question=question,
            answerable=False,
            refusal=f"The reports from {weakest[1]} don't cover this." if weakest[1] else "",
            passages=passages,
            signals=signals,
        )
    name = agreed_name(question, ranked_parts) if asks_for_a_name(question) else ""
    chosen: list[tuple[str, Candidate]] = []  # (the part's question, quote)
    used: set[str] = set()
    for part, ranked in zip(parts, ranked_parts, strict=True):
        fresh = [c for c in ranked if c.passage.article.id not in used]
        if not fresh:
            continue
        naming = [c for c in fresh[:NAME_CANDIDATES] if name and _mentions(c, name)]
        best = naming[0] if naming else fresh[0]
        for c in covering(part.query, best, fresh):
            chosen.append((part.query, c))
            used.add(c.passage.article.id)
    quotes = [to_quote(c) for c in extend_quotes(chosen, extend_margin)]
    # The general answer's best quote too, when it comes from a report no part used: for a
    # "which company" question it is often the sentence that names it.
    quotes += [q for q in general.quotes[:1] if q.article.id not in used]
    if name and (first := full_name(name, quotes)) is not None:
        full = _longest_name_in(first.text, name)
        if not any(full.lower() in q.text.lower() for q in quotes):
            quotes.append(first)
        name = full
    quotes.sort(key=lambda q: (q.article.published is None, q.article.published or dt.date.min))
    return Answer(
        question=question,
        quotes=tuple(quotes),
        short=short_span(quotes, name) if name else None,
        passages=passages,
        signals=signals,
    )
