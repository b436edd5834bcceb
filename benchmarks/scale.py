"""The 1M-chunk scale point for vector search, on synthetic vectors (said so in every output).

    .venv/bin/python benchmarks/scale.py [--n 1000000] [--queries 200]

Real RTQA chunk vectors (from an index, if given) are tiled with Gaussian noise to reach ``--n``
unit vectors of 384 dimensions, so the distribution is news-like rather than uniform. Measures
exact flat search (what the index uses today) and IVF with int8 scalar quantisation, with
recall@10 against exact search, search p50/p95 on one thread, and the memory each index takes.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path

import faiss
import numpy as np


def synthetic(
    n: int, dim: int, index: Path | None, rng: np.random.Generator, name: str = "vectors.faiss"
) -> np.ndarray:
    if index is not None:
        import json

        first = json.loads((index / "manifest.json").read_text())["segments"][0]["name"]
        stored = faiss.read_index(str(index / first / name))
        base = faiss.downcast_index(stored.index).reconstruct_n(0, stored.ntotal)
    else:
        base = rng.standard_normal((50_000, dim), dtype=np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, len(base)):
        part = base[: min(len(base), n - start)]
        out[start : start + len(part)] = part + 0.05 * rng.standard_normal(
            part.shape, dtype=np.float32
        )
    faiss.normalize_L2(out)
    return out


def timed_search(index, queries: np.ndarray, k: int = 10) -> tuple[np.ndarray, list[float]]:
    ids, times = [], []
    for q in queries:
        t = time.perf_counter()
        _, found = index.search(q.reshape(1, -1), k)
        times.append((time.perf_counter() - t) * 1000)
        ids.append(found[0])
    return np.array(ids), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--index", type=Path, default=None, help="an index whose vectors seed the synthetic set"
    )
    parser.add_argument(
        "--bm25-only", action="store_true", help="only the keyword side (needs --index)"
    )
    parser.add_argument(
        "--titles-only", action="store_true", help="only the headline vectors (needs --index)"
    )
    args = parser.parse_args()
    if args.bm25_only:
        bm25_at(args.n, args.index)
        return
    if args.titles_only:
        titles_at(args.n, args.index, args.queries)
        return
    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(0)
    dim = 384
    xb = synthetic(args.n, dim, args.index, rng)
    queries = xb[rng.choice(args.n, args.queries, replace=False)] + 0.02 * rng.standard_normal(
        (args.queries, dim), dtype=np.float32
    )
    faiss.normalize_L2(queries)
    print(
        f"synthetic: {args.n:,} vectors x {dim} (seeded from {'RTQA vectors' if args.index else 'Gaussian noise'})"
    )

    flat = faiss.IndexFlatIP(dim)
    flat.add(xb)
    truth, times = timed_search(flat, queries)
    print(
        f"flat (exact)      p50 {statistics.median(times):7.2f} ms  p95 {sorted(times)[int(0.95 * len(times))]:7.2f} ms  "
        f"memory {xb.nbytes / 1e9:.2f} GB  recall@10 1.000"
    )

    faiss.omp_set_num_threads(2)  # training may use both cores
    nlist = int(4 * np.sqrt(args.n))
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    t = time.perf_counter()
    ivf.train(xb[rng.choice(args.n, min(args.n, 100 * nlist), replace=False)])
    ivf.add(xb)
    print(f"IVF{nlist},SQ8 built in {time.perf_counter() - t:.0f} s")
    faiss.omp_set_num_threads(1)
    for nprobe in (8, 16, 32, 64):
        ivf.nprobe = nprobe
        found, times = timed_search(ivf, queries)
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)])
        print(
            f"IVF nprobe {nprobe:<3}    p50 {statistics.median(times):7.2f} ms  p95 {sorted(times)[int(0.95 * len(times))]:7.2f} ms  "
            f"memory ~{args.n * (dim + 8) / 1e9:.2f} GB  recall@10 {recall:.3f}"
        )
    print(
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB (both indexes and the raw vectors)"
    )
    del flat, ivf
    store_path(xb, queries, truth, args)


def store_path(
    xb: np.ndarray, queries: np.ndarray, truth: np.ndarray, args: argparse.Namespace
) -> None:
    """What the store itself does at this size: its float16 exact index switched to IVF by the
    writer (``to_ivf``), searched the way Snapshot searches it, plus the BM25 posting arrays
    tiled from the RTQA index to the same number of chunks."""
    import gc
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from assistant.store.segment import NPROBE, new_vector_index, to_ivf

    n, dim = xb.shape
    exact = new_vector_index(dim)
    exact.add_with_ids(xb, np.arange(n, dtype=np.int64))
    faiss.omp_set_num_threads(2)
    t = time.perf_counter()
    ivf = to_ivf(exact, dim)
    print(f"store: exact float16 -> IVF (to_ivf) in {time.perf_counter() - t:.0f} s")
    faiss.omp_set_num_threads(1)
    del exact
    gc.collect()
    ivf.nprobe = NPROBE
    found, times = timed_search(ivf, queries)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)])
    print(
        f"store IVF nprobe {NPROBE}  p50 {statistics.median(times):7.2f} ms  p95 {sorted(times)[int(0.95 * len(times))]:7.2f} ms  recall@10 {recall:.3f}"
    )
    if args.index is not None:
        bm25_at(n, args.index)


def titles_at(n_chunks: int, index: Path, n_queries: int) -> None:
    """Headline vectors for an archive of ``n_chunks`` chunks (RTQA: 11.8 chunks per article),
    exact float16 and after the writer's IVF switch, searched the way Snapshot searches them."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from assistant.store.segment import (
        NPROBE,
        TITLES_IVF_THRESHOLD,
        new_vector_index,
        to_ivf,
    )

    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(0)
    n = int(n_chunks / 11.8)
    xb = synthetic(n, 384, index, rng, name="titles.faiss")
    queries = xb[rng.choice(n, n_queries, replace=False)] + 0.02 * rng.standard_normal(
        (n_queries, 384), dtype=np.float32
    )
    faiss.normalize_L2(queries)
    exact = new_vector_index(384)
    exact.add_with_ids(xb, np.arange(n, dtype=np.int64))
    truth, times = timed_search(exact, queries)
    print(
        f"titles: {n:,} (for {n_chunks:,} chunks); exact float16 p50 {statistics.median(times):.2f} ms  "
        f"p95 {sorted(times)[int(0.95 * len(times))]:.2f} ms"
    )
    ivf = to_ivf(exact, 384)
    ivf.nprobe = NPROBE
    found, times = timed_search(ivf, queries)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)])
    print(
        f"titles IVF (store switches at {TITLES_IVF_THRESHOLD:,}) nprobe {NPROBE} p50 {statistics.median(times):.2f} ms  "
        f"p95 {sorted(times)[int(0.95 * len(times))]:.2f} ms  recall@10 {recall:.3f}"
    )


def tiled_terms(index: Path, n: int):  # a TermIndex
    """Return the RTQA index's BM25 posting arrays tiled to about ``n`` chunks."""
    import json
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from assistant.store.format import TERM_FILES
    from assistant.store.terms import TermIndex

    first = json.loads((index / "manifest.json").read_text())["segments"][0]["name"]
    small = TermIndex.load(index / first, TERM_FILES)
    copies = -(-n // len(small))
    step = int(small.doc_ids.max()) + 1
    counts = np.diff(small.term_ptr)
    spans = list(zip(small.term_ptr[:-1], small.term_ptr[1:], strict=True))
    # Each term's postings repeated per copy, chunk ids shifted by copy * step (still ascending).
    post_chunk = np.concatenate(
        [
            (small.post_chunk[a:b][None, :] + step * np.arange(copies)[:, None]).ravel()
            for a, b in spans
        ]
    ).astype(np.int32)
    post_tf = np.concatenate([np.tile(small.post_tf[a:b], copies) for a, b in spans])
    term_ptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts * copies, out=term_ptr[1:])
    doc_ids = (small.doc_ids[None, :] + step * np.arange(copies)[:, None]).ravel().astype(np.int32)
    return TermIndex(
        small.vocab, term_ptr, post_chunk, post_tf, doc_ids, np.tile(small.doc_len, copies)
    ), copies


def bm25_at(n: int, index: Path) -> None:
    """Keyword search at ``n`` chunks the way retrieval runs it: score once, cut twice."""
    import json

    big, copies = tiled_terms(index, n)
    from assistant.text.tokens import query_terms

    rows = [
        json.loads(x)
        for x in (
            Path(__file__).resolve().parents[1].parent / "shared/bench/rtqa/queries_dev.jsonl"
        )
        .read_text()
        .splitlines()
    ]
    window = np.sort(np.random.default_rng(1).choice(big.doc_ids, len(big) // 50, replace=False))
    times = []
    for q in rows:
        words = query_terms(q["question"])
        t = time.perf_counter()
        scores = big.scores(words)
        big.top(scores, 100)
        big.top(scores, 100, window)  # the question's date window (2% of chunks here)
        times.append((time.perf_counter() - t) * 1000)
    size = sum(
        x.nbytes for x in (big.term_ptr, big.post_chunk, big.post_tf, big.doc_ids, big.doc_len)
    )
    print(
        f"store BM25 at {len(big):,} chunks (RTQA postings tiled x{copies}): p50 {statistics.median(times):.2f} ms  "
        f"p95 {sorted(times)[int(0.95 * len(times))]:.2f} ms  arrays {size / 1e9:.2f} GB"
    )
    print(
        f"store: IVF lists ~{n * (384 + 8) / 1e9:.2f} GB + BM25 {size / 1e9:.2f} GB in RAM; "
        f"peak RSS of this script {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB"
    )


if __name__ == "__main__":
    main()
