"""Words and terms: one tokenizer for the keyword index and for questions, plus stop words.

A token is a run of letters and digits (``state-run`` -> ``state``, ``run``; ``Russia's`` ->
``russia``, ``s``; ``U.S.`` -> ``u``, ``s``). Index terms are tokens lower-cased, without
diacritics, Porter-stemmed (the rules of SQLite FTS5's ``porter unicode61``, which the BM25
arrays replaced). Questions go through the same ``terms`` function, so every word a question
asks for is spelled the way the index holds it.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "at",
        "by",
        "for",
        "with",
        "about",
        "against",
        "between",
        "into",
        "through",
        "during",
        "before",
        "after",
        "above",
        "below",
        "to",
        "from",
        "up",
        "down",
        "in",
        "out",
        "on",
        "off",
        "over",
        "under",
        "again",
        "further",
        "then",
        "once",
        "here",
        "there",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "such",
        "no",
        "nor",
        "not",
        "only",
        "own",
        "same",
        "so",
        "than",
        "too",
        "very",
        "s",
        "t",
        "can",
        "will",
        "just",
        "don",
        "should",
        "now",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "have",
        "has",
        "had",
        "having",
        "do",
        "does",
        "did",
        "doing",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "him",
        "his",
        "she",
        "her",
        "it",
        "its",
        "they",
        "them",
        "their",
        "what",
        "which",
        "who",
        "whom",
        "this",
        "that",
        "these",
        "those",
        "am",
        "would",
        "could",
        "might",
        "must",
        "shall",
        "may",
        "also",
        "as",
        "per",
        "said",
        "says",
        "say",
        "new",
        "one",
        "week",
        "year",
        "years",
        "month",
        "recently",
        "according",
    ]
)
MAX_TERM_CHARS = 40  # longer runs (URLs, hashes) are not words anyone searches for

_TOKEN = re.compile(r"[^\W_]+")
_stemmer_lock = threading.Lock()
_stemmer = None


def words(text: str) -> list[str]:
    """Return the tokens of ``text`` as written, in order, repeats kept."""
    return [w for w in _TOKEN.findall(text) if len(w) <= MAX_TERM_CHARS]


def word_set(text: str, min_chars: int = 1) -> set[str]:
    """Return the distinct lower-cased tokens of ``text`` of at least ``min_chars``."""
    return {w.lower() for w in _TOKEN.findall(text) if len(w) >= min_chars}


def jaccard(a: set[str], b: set[str]) -> float:
    """Return |a & b| / |a | b| (0.0 when both are empty): how far two texts say the same."""
    union = a | b
    return len(a & b) / len(union) if union else 0.0


TOKENIZER_VERSION = 2  # bump when `words`, `normal` or STOPWORDS change what terms come out


@lru_cache(maxsize=1)
def terms_version() -> str:
    """Return what defines the index terms: the tokenizer rules and the stemmer's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        stemmer = version("PyStemmer")
    except PackageNotFoundError:
        stemmer = "unknown"
    return f"tokens-{TOKENIZER_VERSION}/porter-pystemmer-{stemmer}"


@lru_cache(maxsize=500_000)
def normal(word: str) -> str:
    """Return one token as an index term: lower-cased, no diacritics, stemmed (cached)."""
    global _stemmer
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c)
    )
    with _stemmer_lock:
        if _stemmer is None:
            import Stemmer

            _stemmer = Stemmer.Stemmer("porter")
        return _stemmer.stemWord(plain) or plain  # Porter turns a lone "s" into nothing


def terms(text: str) -> list[str]:
    """Return the index terms of a text, in order, repeats kept."""
    return [normal(w) for w in words(text)]


def query_terms(text: str) -> list[str]:
    """Return the distinct index terms of a question's content words, in order.

    Stop words are judged on the word as written (before stemming); a lone letter counts
    only as a digit.
    """
    seen: dict[str, None] = {}
    for word in words(text):
        lower = word.lower()
        if lower.isdigit() or (len(lower) > 1 and lower not in STOPWORDS):
            seen.setdefault(normal(word), None)
    return list(seen)
