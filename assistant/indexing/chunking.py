"""Article -> chunks of whole sentences with ``[start, end)`` offsets. Pure.

Chunks are packed from sentences up to ``max_chars`` (1,000 characters of news English is about
220 word pieces, inside MiniLM's 256-token window); the next chunk starts with the last sentences
of the previous one, up to ``overlap`` characters, so a fact that straddles a boundary is whole in
one of them. A sentence longer than ``max_chars`` is split at clause punctuation or spaces.
"""

from __future__ import annotations

from ..text.sentences import sentence_spans, word_spans_within
from ..types import Article, Chunk


def chunk_article(article: Article, max_chars: int = 1000, overlap: int = 200) -> list[Chunk]:
    """Return the chunks of one article, in order; empty text gives no chunks."""
    text = article.text
    units: list[tuple[int, int]] = []
    for s, e in sentence_spans(text):
        if e - s > max_chars:
            units.extend(word_spans_within(text, s, e, max_chars))
        else:
            units.append((s, e))
    if not units:
        return []

    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        first = i
        start = units[i][0]
        end = units[i][1]
        i += 1
        while i < len(units) and units[i][1] - start <= max_chars:
            end = units[i][1]
            i += 1
        chunks.append(Chunk(article.id, len(chunks), start, end, text[start:end]))
        if i >= len(units):
            break
        # Step back over trailing sentences that fit in the overlap, but always move forward.
        back = i
        while back - 1 > first and end - units[back - 1][0] <= overlap:
            back -= 1
        i = back
    return chunks


def embedding_text(article: Article, chunk: Chunk) -> str:
    """Return the text embedded for a chunk: the title gives the chunk its story's context."""
    if article.title and not chunk.text.startswith(article.title):
        return f"{article.title}\n\n{chunk.text}"
    return chunk.text
