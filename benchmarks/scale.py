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


def synthetic(n: int, dim: int, index: Path | None, rng: np.random.Generator) -> np.ndarray:
    if index is not None:
        import json

        gen = json.loads((index / "manifest.json").read_text())["generation"]
        flat = faiss.read_index(str(index / gen / "vectors.faiss"))
        base = faiss.rev_swig_ptr(faiss.downcast_index(flat.index).get_xb(), flat.ntotal * dim)
        base = np.array(base, dtype=np.float32).reshape(flat.ntotal, dim)
    else:
        base = rng.standard_normal((50_000, dim), dtype=np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, len(base)):
        part = base[: min(len(base), n - start)]
        out[start : start + len(part)] = part + 0.05 * rng.standard_normal(part.shape, dtype=np.float32)
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
    parser.add_argument("--index", type=Path, default=None, help="an index whose vectors seed the synthetic set")
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(0)
    dim = 384
    xb = synthetic(args.n, dim, args.index, rng)
    queries = xb[rng.choice(args.n, args.queries, replace=False)] + 0.02 * rng.standard_normal((args.queries, dim), dtype=np.float32)
    faiss.normalize_L2(queries)
    print(f"synthetic: {args.n:,} vectors x {dim} (seeded from {'RTQA vectors' if args.index else 'Gaussian noise'})")

    flat = faiss.IndexFlatIP(dim)
    flat.add(xb)
    truth, times = timed_search(flat, queries)
    print(f"flat (exact)      p50 {statistics.median(times):7.2f} ms  p95 {sorted(times)[int(0.95 * len(times))]:7.2f} ms  "
          f"memory {xb.nbytes / 1e9:.2f} GB  recall@10 1.000")

    faiss.omp_set_num_threads(2)  # training may use both cores
    nlist = int(4 * np.sqrt(args.n))
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    t = time.perf_counter()
    ivf.train(xb[rng.choice(args.n, min(args.n, 100 * nlist), replace=False)])
    ivf.add(xb)
    print(f"IVF{nlist},SQ8 built in {time.perf_counter() - t:.0f} s")
    faiss.omp_set_num_threads(1)
    for nprobe in (8, 16, 32, 64):
        ivf.nprobe = nprobe
        found, times = timed_search(ivf, queries)
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)])
        print(f"IVF nprobe {nprobe:<3}    p50 {statistics.median(times):7.2f} ms  p95 {sorted(times)[int(0.95 * len(times))]:7.2f} ms  "
              f"memory ~{args.n * (dim + 8) / 1e9:.2f} GB  recall@10 {recall:.3f}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB (both indexes and the raw vectors)")


if __name__ == "__main__":
    main()
