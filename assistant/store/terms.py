"""The keyword index: BM25 over chunk terms, held in memory as posting arrays, saved per generation.

Terms come from ``text.tokens.terms``, the tokenizer questions go through too (FTS5's OR
queries, which this replaced, took ~27 ms at 44k chunks; scoring posting arrays with numpy
takes ~1-2 ms). A chunk's title counts twice (BM25F-style field weight).

On disk (one segment's ``terms-*.npy``, plain arrays, memory-mapped, never unpickled):
``vocab`` (UTF-8 terms joined by newlines), ``term_ptr`` (postings of term t are
``term_ptr[t]:term_ptr[t+1]``), ``post_chunk`` (chunk ids, ascending within a term),
``post_tf`` (weighted term frequency), ``doc_ids`` and ``doc_len`` (every chunk and its
weighted length). A segment's index never changes; ``SegmentedTerms`` scores the live chunks of
every segment with the statistics of all of them together, so the ranking is the one a single
merged index would give; ``merged`` folds segments' postings together without re-tokenising.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..text.tokens import terms

TITLE_WEIGHT = 2
K1 = 1.2  # BM25 parameters, FTS5's and the usual defaults
B = 0.75


def weighted_counts(title: str, body: str) -> Counter[str]:
    """Return term -> weighted frequency for one chunk (title terms count TITLE_WEIGHT times)."""
    counts = Counter(terms(body))
    for term in terms(title):
        counts[term] += TITLE_WEIGHT
    return counts


class TermIndex:
    """BM25 posting arrays for a set of chunks; immutable once built (readers share it)."""

    def __init__(
        self,
        vocab: list[str],
        term_ptr: np.ndarray,
        post_chunk: np.ndarray,
        post_tf: np.ndarray,
        doc_ids: np.ndarray,
        doc_len: np.ndarray,
    ) -> None:
        self.vocab = vocab
        self.term_of = {t: i for i, t in enumerate(vocab)}
        self.term_ptr = term_ptr
        self.post_chunk = post_chunk
        self.post_tf = post_tf
        self.doc_ids = doc_ids
        self.doc_len = doc_len
        self._lengths: np.ndarray | None = None
        self.avg_len = float(doc_len.mean()) if len(doc_len) else 1.0

    @property
    def _len_by_id(self) -> np.ndarray:
        if self._lengths is None:
            size = int(self.doc_ids.max()) + 1 if len(self.doc_ids) else 0
            lengths = np.zeros(size, dtype=np.float32)
            lengths[self.doc_ids] = self.doc_len
            self._lengths = lengths
        return self._lengths

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (chunk ids, weighted term frequencies) of one term; empty when absent."""
        t = self.term_of.get(term)
        if t is None:
            return _NO_DOCS, _NO_TF
        a, b = int(self.term_ptr[t]), int(self.term_ptr[t + 1])
        return self.post_chunk[a:b], self.post_tf[a:b]

    @classmethod
    def empty(cls) -> TermIndex:
        return cls(
            [],
            np.zeros(1, np.int64),
            np.zeros(0, np.int32),
            np.zeros(0, np.uint16),
            np.zeros(0, np.int32),
            np.zeros(0, np.float32),
        )

    def __len__(self) -> int:
        return len(self.doc_ids)

    # ---- search -------------------------------------------------------------------------------

    def search(
        self, words: Iterable[str], limit: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Return up to ``limit`` (chunk id, BM25 score) for any of ``words``, best first.

        ``allowed`` (chunk ids) restricts the ranking before the cut, so a narrow filter still
        gets ``limit`` hits.
        """
        return self.top(self.scores(words), limit, allowed)

    def scores(self, words: Iterable[str]) -> np.ndarray | None:
        """Return BM25 scores indexed by chunk id for index terms (``text.tokens.query_terms``);
        None when no term is in the index.

        Computed once per question; ``top`` then cuts it for each restriction (all chunks, the
        question's date window), which halves the keyword time of a dated question.
        """
        if not len(self.doc_ids):
            return None
        n = len(self.doc_ids)
        scores = np.zeros(len(self._len_by_id), dtype=np.float32)
        hit = False
        for term in dict.fromkeys(t for t in words if t):
            t = self.term_of.get(term)
            if t is None:
                continue
            a, b = int(self.term_ptr[t]), int(self.term_ptr[t + 1])
            docs = self.post_chunk[a:b]
            tf = self.post_tf[a:b].astype(np.float32)
            df = b - a
            idf = np.log1p((n - df + 0.5) / (df + 0.5))
            norm = K1 * (1 - B + B * self._len_by_id[docs] / self.avg_len)
            scores[docs] += idf * tf * (K1 + 1) / (tf + norm)
            hit = True
        return scores if hit else None

    @staticmethod
    def top(
        scores: np.ndarray | None, limit: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Return the ``limit`` best (chunk id, score) of ``scores``, among ``allowed`` if given."""
        if scores is None or limit <= 0:
            return []
        if allowed is not None:
            ids = allowed[(allowed >= 0) & (allowed < len(scores))]
            candidates = ids[scores[ids] > 0]
        else:
            candidates = _above_cut(scores, limit)
        if len(candidates) > limit:  # keep every tie of the limit-th score, then cut by id
            kth = np.partition(scores[candidates], len(candidates) - limit)[len(candidates) - limit]
            candidates = candidates[scores[candidates] >= kth]
        candidates = candidates[np.lexsort((candidates, -scores[candidates]))][:limit]
        return [(int(c), float(scores[c])) for c in candidates]

    # ---- building and merging -----------------------------------------------------------------

    def compacted(self) -> TermIndex:
        """Return the same index without terms that no chunk holds any more."""
        counts = np.diff(self.term_ptr)
        live = np.flatnonzero(counts > 0)
        term_ptr = np.zeros(len(live) + 1, dtype=np.int64)
        np.cumsum(counts[live], out=term_ptr[1:])
        return TermIndex(
            [self.vocab[i] for i in live],
            term_ptr,
            self.post_chunk,
            self.post_tf,
            self.doc_ids,
            self.doc_len,
        )

    def edit(self) -> TermEdit:
        """Start a set of changes that yields a new index (this one stays as it is)."""
        return TermEdit(self)

    # ---- disk ---------------------------------------------------------------------------------

    def save(self, folder: Path, names: dict[str, str]) -> None:
        """Write the arrays as plain .npy files named by ``names`` (format.TERM_FILES)."""
        arrays = {
            "vocab": np.frombuffer("\n".join(self.vocab).encode("utf-8"), dtype=np.uint8),
            "term_ptr": np.asarray(self.term_ptr, dtype=np.int64),
            "post_chunk": np.asarray(self.post_chunk, dtype=np.int32),
            "post_tf": np.asarray(self.post_tf, dtype=np.uint16),
            "doc_ids": np.asarray(self.doc_ids, dtype=np.int32),
            "doc_len": np.asarray(self.doc_len, dtype=np.float32),
        }
        for key, name in names.items():
            with (folder / name).open("wb") as f:
                np.save(f, arrays[key], allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, names: dict[str, str]) -> TermIndex:
        """Read what ``save`` wrote; the posting arrays are memory-mapped, not read."""
        data = {  # plain ndarray views of the maps: numpy's memmap subclass slows every slice
            key: np.asarray(
                np.load(
                    folder / name, mmap_mode=None if key == "vocab" else "r", allow_pickle=False
                )
            )
            for key, name in names.items()
        }
        raw = data["vocab"].tobytes().decode("utf-8")
        return cls(
            raw.split("\n") if raw else [],
            data["term_ptr"],
            data["post_chunk"],
            data["post_tf"],
            data["doc_ids"],
            data["doc_len"],
        )


_NO_DOCS = np.zeros(0, np.int32)
_NO_TF = np.zeros(0, np.uint16)


@dataclass(frozen=True, slots=True)
class Totals:
    """BM25's collection statistics for one query: chunks, their summed length, and each
    query term's document frequency."""

    count: int
    length: float
    df: dict[str, int]

    def plus(self, other: Totals) -> Totals:
        df = dict(self.df)
        for term, n in other.df.items():
            df[term] = df.get(term, 0) + n
        return Totals(self.count + other.count, self.length + other.length, df)


class SegmentedTerms:
    """BM25 over several segments' term indexes as if they were one: document frequencies,
    document count and average length count only live chunks (``owner[chunk id]`` is the
    chunk's segment number, -1 once deleted), so a segmented index ranks like a merged one."""

    def __init__(self, parts: list[tuple[int, TermIndex, bool]], owner: np.ndarray) -> None:
        """``parts``: (segment number, its term index, whether some of its chunks are dead)."""
        self.parts = parts
        self.owner = owner
        self.lengths = np.zeros(len(owner), dtype=np.float32)
        total, count = 0.0, 0
        for number, index, has_dead in parts:
            ids, lens = np.asarray(index.doc_ids), np.asarray(index.doc_len)
            if has_dead:
                live = owner[ids] == number
                ids, lens = ids[live], lens[live]
            self.lengths[ids] = lens
            total += float(lens.sum(dtype=np.float64))
            count += len(ids)
        self.count = count
        self.avg_len = total / count if count else 1.0
        # BM25's length normalisation per chunk id, computed once for the snapshot.
        self.norm = (K1 * (1 - B) + (K1 * B / self.avg_len) * self.lengths).astype(np.float32)

    def __len__(self) -> int:
        return self.count

    def _postings(self, term: str) -> list[tuple[np.ndarray, np.ndarray]]:
        """Return a term's live (chunk ids, term frequencies), one pair per segment."""
        found = []
        for number, index, has_dead in self.parts:
            docs, tf = index.postings(term)
            if has_dead and len(docs):
                live = self.owner[docs] == number
                docs, tf = docs[live], tf[live]
            if len(docs):
                found.append((docs, tf))
        return found

    def stats(self, words: Iterable[str]) -> Totals:
        """Return what BM25 counts over this index for ``words``: chunks, their total length,
        and each term's document frequency. Several indexes' stats add up (``Totals.plus``)
        to score them as one (``scores(words, totals)``)."""
        df = {t: sum(len(d) for d, _ in self._postings(t)) for t in dict.fromkeys(words) if t}
        return Totals(self.count, self.avg_len * self.count, df)

    def scores(self, words: Iterable[str], totals: Totals | None = None) -> np.ndarray | None:
        """Return BM25 scores indexed by chunk id (see ``TermIndex.scores``); with ``totals``
        (several indexes' ``stats`` added up), scored as if this index were part of theirs."""
        count = totals.count if totals else self.count
        if not self.count or not count:
            return None
        norm = self.norm
        if totals is not None:
            avg_len = totals.length / count
            norm = (K1 * (1 - B) + (K1 * B / avg_len) * self.lengths).astype(np.float32)
        scores = np.zeros(len(self.owner), dtype=np.float32)
        hit = False
        for term in dict.fromkeys(t for t in words if t):
            found = self._postings(term)
            if not found:
                continue
            df = totals.df.get(term, 0) if totals else sum(len(d) for d, _ in found)
            idf = np.log1p((count - df + 0.5) / (df + 0.5))
            for docs, tf in found:
                tf = tf.astype(np.float32)
                part = tf * np.float32(idf * (K1 + 1))
                part /= tf + norm[docs]
                scores[docs] += part
            hit = True
        return scores if hit else None

    top = staticmethod(TermIndex.top)


def merged(parts: list[tuple[TermIndex, np.ndarray | None]]) -> TermIndex:
    """Return one index holding the postings of ``parts`` (each with a boolean mask over its
    doc_ids of the chunks to keep, or None for all): how segments are folded together."""
    term_of: dict[str, int] = {}
    terms_, chunks, tfs, doc_ids, doc_len = [], [], [], [], []
    for index, keep_docs in parts:
        mapping = np.fromiter(
            (term_of.setdefault(t, len(term_of)) for t in index.vocab),
            dtype=np.int64,
            count=len(index.vocab),
        )
        counts = np.diff(np.asarray(index.term_ptr))
        term = np.repeat(mapping, counts)
        chunk = np.asarray(index.post_chunk)
        tf = np.asarray(index.post_tf)
        ids, lens = np.asarray(index.doc_ids), np.asarray(index.doc_len)
        if keep_docs is not None:
            live_ids = ids[keep_docs]
            keep = np.isin(chunk, live_ids)
            term, chunk, tf = term[keep], chunk[keep], tf[keep]
            ids, lens = live_ids, lens[keep_docs]
        terms_.append(term)
        chunks.append(chunk.astype(np.int32))
        tfs.append(tf.astype(np.uint16))
        doc_ids.append(ids.astype(np.int32))
        doc_len.append(lens.astype(np.float32))
    vocab = sorted(term_of, key=term_of.__getitem__)
    if not terms_:
        return TermIndex.empty()
    term = np.concatenate(terms_)
    chunk = np.concatenate(chunks)
    tf = np.concatenate(tfs)
    del terms_, chunks, tfs
    order = np.lexsort((chunk, term))
    term, chunk, tf = term[order], chunk[order], tf[order]
    del order
    counts = np.bincount(term, minlength=len(vocab))
    term_ptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(counts, out=term_ptr[1:])
    result = TermIndex(vocab, term_ptr, chunk, tf, np.concatenate(doc_ids), np.concatenate(doc_len))
    return result.compacted() if (counts == 0).any() else result


def _above_cut(scores: np.ndarray, limit: int) -> np.ndarray:
    """Return the ids of a superset of the ``limit`` best nonzero scores, cheaply.

    Common question words touch a third of a big archive's chunks, and sorting those out took
    ~8 ms at 1M chunks. A strided sample of ~10k scores gives a cut that about twice ``limit``
    (plus a margin) scores reach; when at least ``limit`` do, they hold the exact top
    ``limit``; otherwise every nonzero score is returned.
    """
    n = len(scores)
    sample = scores[:: max(1, n // 10_000)]
    expected = limit * len(sample) // max(n, 1)  # sample scores expected among the best `limit`
    m = min(len(sample), 2 * expected + 5)
    cut = np.partition(sample, len(sample) - m)[len(sample) - m]
    if cut > 0:
        candidates = np.flatnonzero(scores >= cut)
        if len(candidates) >= limit:
            return candidates
    return np.flatnonzero(scores)


class TermEdit:
    """Changes to a TermIndex, held compactly until ``result()`` merges them in one pass."""

    def __init__(self, base: TermIndex) -> None:
        self.base = base
        self.vocab = list(base.vocab)
        self.term_of = dict(base.term_of)
        self.removed: set[int] = set()
        self._terms = array("q")
        self._chunks = array("i")
        self._tf = array("H")
        self._doc_ids = array("i")
        self._doc_len = array("f")

    def add(self, chunk_id: int, title: str, body: str) -> None:
        counts = weighted_counts(title, body)
        for term, count in counts.items():
            t = self.term_of.get(term)
            if t is None:
                t = self.term_of[term] = len(self.vocab)
                self.vocab.append(term)
            self._terms.append(t)
            self._chunks.append(chunk_id)
            self._tf.append(min(count, 65535))
        self._doc_ids.append(chunk_id)
        self._doc_len.append(float(sum(counts.values())))

    def remove(self, chunk_ids: Iterable[int]) -> None:
        self.removed.update(int(c) for c in chunk_ids)

    def result(self) -> TermIndex:
        base = self.base
        chunk, tf = base.post_chunk, base.post_tf
        doc_ids, doc_len = base.doc_ids, base.doc_len
        counts = np.diff(base.term_ptr).astype(np.int64)  # postings per term, by term id
        new_ids = np.frombuffer(self._doc_ids, dtype=np.int32)
        # A re-used chunk id replaces its old postings.
        newest = int(doc_ids.max()) if len(doc_ids) else -1
        gone = np.concatenate(
            [np.fromiter(self.removed, dtype=np.int64), new_ids[new_ids <= newest].astype(np.int64)]
        )
        if len(gone) and len(doc_ids):
            keep = ~np.isin(chunk, gone)
            kept_before = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
            counts = kept_before[base.term_ptr[1:]] - kept_before[base.term_ptr[:-1]]
            chunk, tf = chunk[keep], tf[keep]
            keep_docs = ~np.isin(doc_ids, gone)
            doc_ids, doc_len = doc_ids[keep_docs], doc_len[keep_docs]
        add_terms = np.frombuffer(self._terms, dtype=np.int64)
        add_chunk = np.frombuffer(self._chunks, dtype=np.int32)
        add_tf = np.frombuffer(self._tf, dtype=np.uint16)
        order = np.lexsort((add_chunk, add_terms))  # the new postings, by term then chunk id
        add_terms, add_chunk, add_tf = add_terms[order], add_chunk[order], add_tf[order]
        n_terms = len(self.vocab)
        counts = np.concatenate([counts, np.zeros(n_terms - len(counts), dtype=np.int64)])
        if not len(add_chunk) or not len(chunk) or int(add_chunk.min()) > int(chunk.max()):
            # New chunk ids come after every kept one (the usual case): slot each new posting in
            # after its term's kept postings, in one linear pass, never expanding a term id per
            # posting (108M postings at 1M chunks).
            ends = np.cumsum(counts)
            at = ends[add_terms]
            chunk = np.insert(chunk.astype(np.int32), at, add_chunk)
            tf = np.insert(tf.astype(np.uint16), at, add_tf)
        else:
            terms = np.repeat(np.arange(n_terms, dtype=np.int64), counts)
            terms = np.concatenate([terms, add_terms])
            chunk = np.concatenate([chunk.astype(np.int32), add_chunk])
            tf = np.concatenate([tf.astype(np.uint16), add_tf])
            order = np.lexsort((chunk, terms))
            chunk, tf = chunk[order], tf[order]
            del terms
        counts += np.bincount(add_terms, minlength=n_terms)
        term_ptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(counts, out=term_ptr[1:])
        del order
        result = TermIndex(
            self.vocab,
            term_ptr,
            chunk,
            tf,
            np.concatenate([doc_ids.astype(np.int32), new_ids]),
            np.concatenate(
                [doc_len.astype(np.float32), np.frombuffer(self._doc_len, dtype=np.float32)]
            ),
        )
        live = int((np.diff(term_ptr) > 0).sum())
        return result.compacted() if len(self.vocab) > 2 * max(live, 1) else result
