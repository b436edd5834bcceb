"""Sentence spans and chunks: every span slices back to the article text, never cuts a word."""

from __future__ import annotations

import pytest

from assistant.indexing.chunking import chunk_article, embedding_text
from assistant.ingest import make_article
from assistant.ingest.loaders import load_text
from assistant.text.sentences import clause_spans, sentence_spans, trim_unbalanced_quotes

from .conftest import SEED


def seed_article():
    return next(load_text(str(SEED), SEED.read_bytes(), {}))


EDGE_CASES = {
    "empty": "",
    "one sentence": "Bakhmut is under fire.",
    "emoji": "Soldiers 🪖 held the line 💥 near Bakhmut. Residents fled 🏃 west.",
    "curly quotes": "He said, “It is a key point.” She said: ‘We stay.’ Then silence.",
    "very long sentence": "word " * 900 + "end.",
    "CRLF": "First line here.\r\nSecond line here.\r\n\r\nThird paragraph here.",
    "abbreviations": "Mr. Putin met U.S. officials on Oct. 3. J. Smith wrote it. Talks ended.",
    "one giant token": "x" * 3000,
}


@pytest.mark.parametrize("text", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_chunks_slice_back_to_article_text(text):
    article = make_article(text, title="T")
    chunks = chunk_article(article, max_chars=1000, overlap=200)
    for chunk in chunks:
        assert article.text[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= 1000
        assert chunk.text == chunk.text.strip()
    covered = "".join(article.text[c.start : c.end] for c in chunks)
    words = set(article.text.split())
    assert words <= set(covered.split()) or not words


@pytest.mark.parametrize("text", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_sentence_spans_never_cut_words(text):
    article = make_article(text)
    t = article.text
    for s, e in sentence_spans(t):
        assert t[s:e] == t[s:e].strip() and t[s:e]
        assert s == 0 or not t[s - 1].isalnum()
        assert e == len(t) or not t[e].isalnum()


def test_seed_chunks_cover_the_article_with_overlap():
    article = seed_article()
    chunks = chunk_article(article)
    assert len(chunks) >= 4
    assert chunks[0].start == 0 and chunks[-1].end == len(article.text)
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.start <= a.end, "consecutive chunks must touch or overlap"
        assert b.start > a.start


def test_seed_chunks_fit_the_model_window(embedder):
    article = seed_article()
    for chunk in chunk_article(article):
        count = embedder.token_count(embedding_text(article, chunk))
        assert count <= embedder.max_seq_length, chunk.text[:60]


def test_abbreviations_do_not_end_sentences():
    text = "Mr. Putin met U.S. officials on Oct. 3. J. Smith wrote it. Talks ended."
    got = [text[s:e] for s, e in sentence_spans(text)]
    assert got == ["Mr. Putin met U.S. officials on Oct. 3.", "J. Smith wrote it.", "Talks ended."]


def test_quotation_after_said_is_its_own_clause():
    text = "Pointing at it, Stratford said, “It takes around 40 seconds for the shell to reach its target. The trajectory is adjusted.”"
    spans = sentence_spans(text)
    first = spans[0]
    clauses = [trim_unbalanced_quotes(text, *c) for c in clause_spans(text, *first)]
    assert "It takes around 40 seconds for the shell to reach its target." in [
        text[s:e] for s, e in clauses
    ]
