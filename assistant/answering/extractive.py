"""The default answerer: the best sentences of the top passages, quoted verbatim. No LLM.

Candidates are sentences (or the quotation inside one: ``Stratford said, “It takes ...``) of
the retrieved passages. Each is scored on several signals: embedding similarity to the question,
overlap of the question's names and numbers, the rank of its passage, and its position in the
article (news leads carry the facts). Near-duplicates (wire copy repeated by several outlets) are
cited together under one quote.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..embedding import Embedder
from ..retrieval import timeframe
from ..text.entities import bare, entities
from ..text.entities import coverage as coverage_of
from ..text.quotes import CLOSERS
from ..text.sentences import clause_spans, sentence_spans, trim_unbalanced_quotes
from ..text.tokens import jaccard, normal, query_terms, word_set, words
from ..text.zones import line_zone
from ..types import Answer, Passage, Quote
from .attribution import attribute

MIN_CHARS = 25  # shorter spans are fragments ("he said.") rather than evidence
MAX_CHARS = 400  # longer spans are split into clauses or skipped
# Signal weights; tuned on the RTQA dev set (see benchmarks/README.md).
W_DENSE, W_TERMS, W_PASSAGE, W_POSITION = 0.60, 0.30, 0.07, 0.03
EMBED_LIMIT = 16  # candidates embedded per answer: fitted by benchmarks/fit_shortlist.py
W_NOVEL = 0.05  # bonus for a sentence naming something (a name, a number) the question doesn't
W_COVERAGE = 0.5  # share of confidence lost when none of the question's names are in the article
W_TIMEFRAME = 0.15  # confidence lost when the question names a time the article is not from
W_STALE = 0.2  # confidence lost when the article is more than stale_days older than as_of
UNDATED_FRESH = 0.5  # an undated report may be stale or not: half the staleness penalty
DUPLICATE_OVERLAP = 0.7  # word-set Jaccard above which two quotes say the same thing


@dataclass(frozen=True, slots=True)
class Candidate:
    passage: Passage
    start: int
    end: int
    score: float = 0.0
    dense: float = 0.0
    evidence: float = 0.0  # the hand-weighted score, read for abstention
    # Read before the span when scoring it ("Igor Maksymenko said: "), never quoted.
    context: str = ""

    def scored_text(self) -> str:
        """Return the text the scorer reads: the context, then the span."""
        return self.context + self.passage.article.text[self.start : self.end]


def candidates(passages: Sequence[Passage]) -> list[Candidate]:
    """Return sentence/clause spans of the passages, each once, within length bounds.

    Body sentences only, when there are any: headings and photo captions (``text.zones``)
    are candidates only when the passages hold no body sentence.
    """
    seen: set[tuple[str, int, int]] = set()
    out: list[Candidate] = []
    aside: list[Candidate] = []
    for passage in passages:
        text = passage.article.text
        for s, e in sentence_spans(text, passage.start, passage.end):
            pieces = clause_spans(text, s, e)
            spans = [(s, e)] if len(pieces) == 1 else [(s, e), *pieces]
            for ps, pe in spans:
                ps, pe = trim_unbalanced_quotes(text, ps, pe)
                key = (passage.article.id, ps, pe)
                if text[ps:pe].rstrip(CLOSERS).endswith("?"):
                    continue  # a question (a quiz, a headline) restates, it doesn't answer
                if MIN_CHARS <= pe - ps <= MAX_CHARS and key not in seen:
                    seen.add(key)
                    body = line_zone(text, ps) == "body"
                    (out if body else aside).append(Candidate(passage, ps, pe))
    return out or aside


def _term_weights(question: str) -> dict[str, float]:
    """Weigh the question's terms: names and numbers count double."""
    named = {normal(w) for w in words(question[1:]) if w[:1].isupper() or w[:1].isdigit()}
    return {
        t: 2.0 if t in named or any(ch.isdigit() for ch in t) else 1.0
        for t in query_terms(question)
    }


def _term_overlap(weights: dict[str, float], text: str) -> float:
    """Return the weighted share of the question's terms that ``text`` holds."""
    if not weights:
        return 0.0
    held = {normal(w) for w in words(text)}
    return sum(w for t, w in weights.items() if t in held) / sum(weights.values())


FEATURES = ("dense", "terms", "passage", "position", "novel", "rerank")


@dataclass(frozen=True, slots=True)
class Scorer:
    """How a candidate's features become its score: a weighted sum, through a sigmoid when
    the weights were fitted as a logistic model (``benchmarks/fit_scorer.py``)."""

    weights: tuple[tuple[str, float], ...]
    bias: float = 0.0
    logistic: bool = False
    name: str = "hand"

    @property
    def uses_reranker(self) -> bool:
        return any(f == "rerank" and w for f, w in self.weights)

    def __call__(self, features: dict[str, np.ndarray]) -> np.ndarray:
        z = np.full(len(next(iter(features.values()))), self.bias, dtype=np.float64)
        for name, weight in self.weights:
            z += weight * features[name]
        return 1.0 / (1.0 + np.exp(-z)) if self.logistic else z


# The weights tuned by hand on RTQA dev in earlier sessions, kept for comparison.
HAND = Scorer(
    (
        ("dense", W_DENSE),
        ("terms", W_TERMS),
        ("passage", W_PASSAGE),
        ("position", W_POSITION),
        ("novel", W_NOVEL),
    ),
)
SCORER_FILE = Path(__file__).resolve().parent / "models" / "scorer.json"


@lru_cache(maxsize=4)
def load_scorer(kind: str = "fitted") -> Scorer:
    """Return the sentence scorer: "fitted" (models/scorer.json, when shipped) or "hand"."""
    if kind == "hand" or not SCORER_FILE.is_file():
        return HAND
    data = json.loads(SCORER_FILE.read_text(encoding="utf-8"))
    return Scorer(
        tuple((f, float(data["weights"].get(f, 0.0))) for f in FEATURES),
        float(data["bias"]),
        logistic=True,
        name=str(data.get("name", "fitted")),
    )


def shortlist(
    question: str, cands: list[Candidate], limit: int | None = None, per_passage: int = 0
) -> list[Candidate]:
    """Return the ``limit`` candidates with the best cheap score (term overlap and passage
    rank), in their order: embedding is most of an answer's time. With ``per_passage``, at
    most that many from each passage, so every passage keeps its best sentences. ``limit``
    defaults to ``EMBED_LIMIT``, read at each call."""
    limit = EMBED_LIMIT if limit is None else limit
    if len(cands) <= limit and not per_passage:
        return cands
    weights = _term_weights(question)
    cheap = [
        W_TERMS * _term_overlap(weights, c.scored_text()) + W_PASSAGE / c.passage.rank
        for c in cands
    ]
    order = sorted(range(len(cands)), key=lambda i: cheap[i], reverse=True)
    if per_passage:
        taken: dict[tuple[str, int], int] = {}
        kept = []
        for i in order:
            key = (cands[i].passage.article.id, cands[i].passage.start)
            if taken.get(key, 0) < per_passage:
                taken[key] = taken.get(key, 0) + 1
                kept.append(i)
        order = kept
    return [cands[i] for i in sorted(order[:limit])]


def features(
    question: str,
    query_vector: np.ndarray,
    cands: list[Candidate],
    embedder: Embedder,
    *,
    rerank: bool = False,
) -> dict[str, np.ndarray]:
    """Return each feature of the candidates as an array (``rerank`` only when asked)."""
    weights = _term_weights(question)
    texts = [c.scored_text() for c in cands]
    out = {
        "dense": _embed_cached(embedder, texts) @ query_vector,
        "terms": np.array([_term_overlap(weights, t) for t in texts]),
        "passage": np.array([1.0 / c.passage.rank for c in cands]),
        "position": np.array(
            [1.0 - min(c.start / max(len(c.passage.article.text), 1), 1.0) for c in cands]
        ),
        # an answer usually brings a name or number the question lacks
        "novel": np.array([float(_novel(question, t)) for t in texts]),
        "rerank": np.zeros(len(cands)),
    }
    if rerank:
        from .reranker import shared

        out["rerank"] = shared().scores(question, texts)
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


_VECTORS: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_VECTORS_LOCK = threading.Lock()
VECTOR_CACHE = 4096  # sentence vectors kept: parts of one question and follow-ups share sentences


def _embed_cached(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Return the texts' vectors, embedding only those not seen lately (same model)."""
    keys = [(embedder.name, t) for t in texts]
    missing = [t for k, t in zip(keys, texts, strict=True) if k not in _VECTORS]
    if missing:
        vectors = embedder.embed(missing)
        with _VECTORS_LOCK:
            for t, v in zip(missing, vectors, strict=True):
                _VECTORS[(embedder.name, t)] = v
            while len(_VECTORS) > VECTOR_CACHE:
                _VECTORS.popitem(last=False)
    out = []
    for k in keys:
        vector = _VECTORS.get(k)
        if vector is None:  # evicted by a concurrent answer meanwhile
            vector = embedder.embed([k[1]])[0]
        out.append(vector)
    return np.vstack(out) if out else np.zeros((0, embedder.dim), dtype=np.float32)


def score(
    question: str,
    query_vector: np.ndarray,
    cands: list[Candidate],
    embedder: Embedder,
    scorer: Scorer = HAND,
    *,
    limit: int | None = None,
    per_passage: int = 0,
) -> list[Candidate]:
    """Return the shortlisted candidates (see ``shortlist``) with scores, best first."""
    if not cands:
        return []
    cands = shortlist(question, cands, limit, per_passage)
    feats = features(question, query_vector, cands, embedder, rerank=scorer.uses_reranker)
    scores = scorer(feats)
    evidence = HAND(feats)
    scored = [
        replace(c, score=float(s), dense=float(d), evidence=float(e))
        for c, s, d, e in zip(cands, scores, feats["dense"], evidence, strict=True)
    ]
    scored.sort(key=lambda c: c.score, reverse=True)
    return scored


_STATEMENTS = re.compile(
    r"\bwhat (?:did|do|does|have|has) .+? (?:say|said|tell|told|claim|warn)\b|\bwho said\b",
    re.IGNORECASE,
)


def asks_for_statements(question: str) -> bool:
    """Return True for questions about what someone said ("What did officials say about X?")."""
    return bool(_STATEMENTS.search(question))


NO_EVIDENCE = {"best": 0.0, "coverage": 0.0, "in_timeframe": 0.0, "fresh": 0.0, "confidence": 0.0}


def weigh_evidence(
    question: str, ranked: list[Candidate], as_of: dt.date | None, stale_days: int | None = None
) -> tuple[list[Candidate], dict[str, float]]:
    """Return the candidates re-ranked by confidence, and the best one's signals.

    A candidate's confidence is its score, scaled by how many of the question's names and
    numbers its article contains (a quote that merely shares words with the question is no
    answer), lowered when the question names a time ("this week") that the article isn't from,
    and lowered when ``stale_days`` is given and the article is older than that before
    ``as_of``. Judged per candidate, so a fresh report on the story wins over an old report
    whose sentence happens to read closer to the question.
    """
    frame = timeframe.resolve(question, as_of) if as_of else None
    asked = entities(question)  # extracted once, not once per article
    # Names and numbers of the question in the passages an article contributed, not the whole
    # article: a long article mentions many things in passing.
    near: dict[str, dict[int, str]] = {}
    articles = {}
    for c in ranked:
        near.setdefault(c.passage.article.id, {})[c.passage.start] = c.passage.text
        articles[c.passage.article.id] = c.passage.article
    per_article: dict[str, tuple[float, float, float]] = {}
    for article_id, texts in near.items():
        article = articles[article_id]
        coverage = coverage_of(asked, article.title + "\n" + " ".join(texts.values()))
        in_frame = 1.0
        if frame is not None and frame.explicit and article.published is not None:
            in_frame = 1.0 if frame.contains(article.published) else 0.0
        fresh = 1.0
        if stale_days and as_of:
            if article.published is None:
                fresh = UNDATED_FRESH
            elif (as_of - article.published).days > stale_days:
                fresh = 0.0
        per_article[article_id] = (coverage, in_frame, fresh)

    def weigh(value: float, article_id: str) -> float:
        coverage, in_frame, fresh = per_article[article_id]
        return (
            value * (1 - W_COVERAGE * (1 - coverage))
            - W_TIMEFRAME * (1 - in_frame)
            - W_STALE * (1 - fresh)
        )

    # Quotes are ranked by the scorer; whether to answer at all reads the evidence score (the
    # calibrated abstention signal; the same number when the scorer is the hand one).
    weighed = [(weigh(c.score, c.passage.article.id), c) for c in ranked]
    weighed.sort(key=lambda pair: pair[0], reverse=True)
    strongest = max(ranked, key=lambda c: weigh(c.evidence, c.passage.article.id))
    confidence = weigh(strongest.evidence, strongest.passage.article.id)
    best = weighed[0][1]
    coverage, in_frame, fresh = per_article[best.passage.article.id]
    signals = {
        "best": round(best.evidence, 4),
        "coverage": round(coverage, 4),
        "in_timeframe": in_frame,
        "fresh": fresh,
        "confidence": round(confidence, 4),
    }
    return [_rescored(c, conf) for conf, c in weighed], signals


def _rescored(c: Candidate, score: float) -> Candidate:
    return replace(c, score=score)


def _same_claim(a: str, b: str) -> bool:
    return jaccard(word_set(a), word_set(b)) >= DUPLICATE_OVERLAP


def select(ranked: list[Candidate], max_quotes: int, floor: float = 0.8) -> list[list[Candidate]]:
    """Pick up to ``max_quotes`` distinct claims scoring >= ``floor`` x the best one.

    Each group holds one claim's copies from different articles (wire copy repeated).
    """
    groups: list[list[Candidate]] = []
    if not ranked:
        return groups
    floor = ranked[0].score * floor
    for cand in ranked:
        if cand.score < floor:
            break
        text = cand.passage.article.text[cand.start : cand.end]
        for group in groups:
            head = group[0]
            head_text = head.passage.article.text[head.start : head.end]
            overlaps = head.passage.article.id == cand.passage.article.id and (
                cand.start < head.end and head.start < cand.end
            )
            if overlaps:
                break
            if _same_claim(head_text, text):
                if all(g.passage.article.id != cand.passage.article.id for g in group):
                    group.append(cand)
                break
        else:
            if len(groups) < max_quotes:
                groups.append([cand])
    return groups


CONTINUE_MAX_CHARS = 500  # a restating sentence plus the one after it stays under this


def _novel(question: str, text: str) -> bool:
    """Return True when ``text`` names something (a name, a number) the question doesn't."""
    asked = {bare(e) for e in entities(question)}
    return any((b := bare(e)) and b not in asked for e in entities(text))


def with_continuation(question: str, cand: Candidate) -> Candidate:
    """Extend a quote that only restates the question with the next sentence, when that one
    brings the specifics ("A NASA spacecraft slammed into an asteroid ... The DART mission, ...").

    Only within a paragraph, only when the result stays short; the span is still the article's
    own text from ``cand.start``.
    """
    text = cand.passage.article.text
    if _novel(question, text[cand.start : cand.end]):
        return cand
    window = min(len(text), cand.end + MAX_CHARS)
    following = sentence_spans(text, cand.end, window)
    if not following or (following[0][1] >= window and window < len(text)):
        return cand  # no next sentence, or it runs past the window (could end mid-sentence)
    start, end = following[0]
    gap = text[cand.end : start]
    if (
        "\n" in gap
        or end - cand.start > CONTINUE_MAX_CHARS
        or text[start:end].rstrip(CLOSERS).endswith("?")
    ):
        return cand
    if not _novel(question, text[start:end]):
        return cand
    return replace(cand, end=end)


def neighbours(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Return the quote ``[start, end)`` grown by the sentence before it and by the one after
    it (each a span of ``text``), where that sentence is body text, at most one paragraph
    away, not a question, and the grown quote stays under ``CONTINUE_MAX_CHARS``."""
    added: list[tuple[int, int, int, int]] = []  # grown start and end, the sentence's own
    low, high = max(0, start - MAX_CHARS), min(len(text), end + MAX_CHARS)
    before = sentence_spans(text, low, start)
    if before and (low == 0 or len(before) > 1):  # a window's first sentence may be cut
        s, e = before[-1]
        added.append((s, end, s, e))
    after = sentence_spans(text, end, high)
    if after and (high == len(text) or len(after) > 1):
        s, e = after[0]
        added.append((start, e, s, e))
    return [
        (gs, ge)
        for gs, ge, s, e in added
        if ge - gs <= CONTINUE_MAX_CHARS
        and text[min(e, start) : max(s, end)].count("\n") <= 2  # at most one paragraph away
        and line_zone(text, s) == "body"
        and not text[s:e].rstrip(CLOSERS).endswith("?")
    ]


def extend_with_neighbours(
    asked: Sequence[tuple[str, Candidate]], margin: float
) -> list[Candidate]:
    """Grow each (question, quote) pair's quote by each neighbouring sentence (``neighbours``)
    with which our reranker reads the grown quote as at least as good an answer to the question
    (logit up by ``margin`` or more) and that names something (a name, a number) that neither
    the quote nor the question does; by the better one alone when both would pass
    ``CONTINUE_MAX_CHARS``. A restating sentence ("A few major
    reforms were left out of the proposed deal.") so gets the one beside it that holds the
    answer ("Also absent is a ban on military-style assault weapons."). ``margin`` is fitted on
    both dev sets (``benchmarks/fit_quoting.py``); still the article's own text, one span."""
    from .reranker import shared

    spans: list[tuple[int, int, int]] = []  # (pair, start, end); a quote itself, then grown
    for i, (question, c) in enumerate(asked):
        text = c.passage.article.text
        said = question + "\n" + text[c.start : c.end]
        grown = [
            (i, s, e)
            for s, e in neighbours(text, c.start, c.end)
            if _novel(said, text[s : c.start] if s < c.start else text[c.end : e])
        ]
        if grown:  # a quote with nothing to grow by is not scored at all
            spans += [(i, c.start, c.end), *grown]
    if not spans:
        return [c for _, c in asked]
    # Wire copy repeats a claim word for word across reports: each distinct pair scored once.
    pairs = [(asked[i][0], asked[i][1].passage.article.text[s:e]) for i, s, e in spans]
    distinct = list(dict.fromkeys(pairs))
    scored = dict(zip(distinct, shared().pair_scores(distinct), strict=True))
    logits = [scored[pair] for pair in pairs]
    own: dict[int, float] = {}
    grow: dict[int, tuple[int, int]] = {}  # the quote grown by every neighbour that passed
    for (i, s, e), logit in zip(spans, logits, strict=True):
        if i not in own:
            own[i] = float(logit)
        elif logit - own[i] >= margin:
            start, end = grow.get(i, (s, e))
            grow[i] = (min(start, s), max(end, e))
    out = []
    for i, (_, c) in enumerate(asked):
        start, end = grow.get(i, (c.start, c.end))
        if end - start > CONTINUE_MAX_CHARS:  # both sides would make it too long: the better one
            start, end = max(
                ((s, e) for j, s, e in spans if j == i and (s, e) != (c.start, c.end)),
                key=lambda span: scored[(asked[i][0], c.passage.article.text[span[0] : span[1]])],
            )
        out.append(replace(c, start=start, end=end))
    return out


def extend_quotes(asked: Sequence[tuple[str, Candidate]], margin: float | None) -> list[Candidate]:
    """Return the quotes grown where they need it: by neighbouring sentences the reranker
    prefers (``extend_with_neighbours``), or without the reranker (``margin`` None, or not
    shipped) by the next sentence when a quote names nothing new (``with_continuation``)."""
    from .reranker import available

    if margin is None or not available():
        return [with_continuation(q, c) for q, c in asked]
    return extend_with_neighbours(asked, margin)


def to_quote(c: Candidate) -> Quote:
    article = c.passage.article
    text = article.text[c.start : c.end]
    speaker = attribute(article.text, c.start, c.end).speaker
    return Quote(article, c.start, c.end, text, round(c.score, 4), c.passage.rank, speaker)


def to_answer(groups: list[list[Candidate]]) -> tuple[list[Quote], list[tuple[int, ...]]]:
    """Return the quotes of the chosen claims, in order, and each claim's quote indices."""
    quotes: list[Quote] = []
    claims: list[tuple[int, ...]] = []
    for group in groups:
        claims.append(tuple(range(len(quotes), len(quotes) + len(group))))
        quotes.extend(to_quote(cand) for cand in group)
    return quotes, claims


def answer(
    question: str,
    passages: Sequence[Passage],
    query_vector: np.ndarray,
    embedder: Embedder,
    *,
    max_quotes: int = 3,
    threshold: float = 0.35,
    floor: float = 0.8,
    as_of: dt.date | None = None,
    stale_days: int | None = None,
    scorer: Scorer = HAND,
    extend_margin: float | None = None,
) -> Answer:
    """Answer from passages with verbatim quotes, or say the reports don't cover it.

    ``stale_days`` (only when the caller gave ``as_of``): see ``weigh_evidence``;
    ``extend_margin``: see ``extend_quotes``.
    """
    cands = candidates(passages)
    if asks_for_statements(question):  # "What did officials say…": only attributed statements
        cands = [
            replace(c, context=f"{speaker} said: ")
            for c in cands
            if (speaker := attribute(c.passage.article.text, c.start, c.end).speaker)
        ]
    ranked = score(question, query_vector, cands, embedder, scorer)
    signals = NO_EVIDENCE
    if ranked:
        ranked, signals = weigh_evidence(question, ranked, as_of, stale_days)
    if not ranked or signals["confidence"] < threshold:
        reason = ""
        closest = ranked[0].passage.article.published if ranked else None
        if signals["fresh"] == 0.0 and closest and as_of:
            reason = (
                f"The closest reports are from {closest.isoformat()}, "
                f"{(as_of - closest).days} days before {as_of.isoformat()}."
            )
        return Answer(
            question=question,
            refusal=reason,
            answerable=False,
            passages=tuple(passages),
            mode="extractive",
            signals=tuple(signals.items()),
        )
    chosen = select(ranked, max_quotes, floor)
    flat = [c for group in chosen for c in group]
    extended = extend_quotes([(question, c) for c in flat], extend_margin)
    if asks_for_statements(question):  # a statement stays one: never grown past its speaker
        extended = [
            g if attribute(g.passage.article.text, g.start, g.end).speaker else c
            for c, g in zip(flat, extended, strict=True)
        ]
    grown = iter(extended)
    groups = [[next(grown) for _ in group] for group in chosen]
    quotes, claims = to_answer(groups)
    return Answer(
        question=question,
        quotes=tuple(quotes),
        groups=tuple(claims),
        answerable=True,
        passages=tuple(passages),
        mode="extractive",
        signals=tuple(signals.items()),
    )
