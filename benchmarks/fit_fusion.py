"""Fit each ranker's weight in the reciprocal-rank fusion on both dev sets, and print the grid.

    python benchmarks/fit_fusion.py --rtqa-index IDX --mhrag-index IDX [--bench ../shared/bench]

The weights live in ``assistant/retrieval/fusion.py`` (``WEIGHTS``; dense stays 1.0, the scale).
Each combination runs the default search (every ranker, dates, named outlets searched on their
own) over the answerable dev questions of both corpora. It keeps RTQA's ranking (Hits@1 and
MRR@10 at most ``SLACK`` below equal weights: one question in 74) and, among those, maximises
MHRAG's "every needed report in the top 10"; within ``TOLERANCE`` of the best, the combination
closest to equal weights wins.

Then, with those weights, how many passages a named outlet's part keeps (``PART_K``) and each of
its clauses (``CLAUSE_K``, in ``assistant/retrieval/parts.py``): they act only on questions that
name outlets (none in RTQA dev), so MHRAG's "every needed report in the top 10" alone is
maximised; within ``TOLERANCE``, the fewest passages win. ``--parts-only`` keeps the weights.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from assistant import Assistant
from assistant.evaluation import evaluate, load_queries
from assistant.retrieval import fusion, parts

GRID = {"bm25": (1.0, 1.5, 2.0, 2.5, 3.0, 4.0), "title": (0.25, 0.5, 0.75, 1.0, 1.5)}
PARTS_GRID = {"PART_K": (2, 3, 4, 5, 6), "CLAUSE_K": (0, 1, 2, 3)}
SLACK = 0.014  # one RTQA dev question
TOLERANCE = 0.007  # two MHRAG dev questions in 300


def figures(a: Assistant, queries: list[dict]) -> dict[str, float]:
    return evaluate(a, queries, systems=("default",), answers=False)["systems"]["default"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rtqa-index", required=True)
    ap.add_argument("--mhrag-index", required=True)
    ap.add_argument("--bench", default=str(Path(__file__).resolve().parents[2] / "shared/bench"))
    ap.add_argument("--parts-only", action="store_true", help="keep the shipped weights")
    args = ap.parse_args()
    bench = Path(args.bench)
    rtqa = (Assistant.open(args.rtqa_index), load_queries(bench / "rtqa/queries_dev.jsonl"))
    mhrag = (Assistant.open(args.mhrag_index), load_queries(bench / "mhrag/queries_dev.jsonl"))
    if not args.parts_only:
        fit_weights(rtqa, mhrag)
    fit_parts(mhrag)


def fit_weights(rtqa: tuple, mhrag: tuple) -> None:
    rows = []
    print("bm25 title | RTQA Hits@1 MRR@10 all@10 | MHRAG Hits@1 MRR@10 all@10")
    for bm25, title in itertools.product(GRID["bm25"], GRID["title"]):
        fusion.WEIGHTS.update(bm25=bm25, title=title)
        r, m = figures(*rtqa), figures(*mhrag)
        rows.append(((bm25, title), r, m))
        print(
            f"{bm25:4} {title:5} | {r['hits@1']:.3f} {r['mrr@10']:.3f} {r['all_gold@10']:.3f} | "
            f"{m['hits@1']:.3f} {m['mrr@10']:.3f} {m['all_gold@10']:.3f}",
            flush=True,
        )
    equal = next(r for w, r, _ in rows if w == (1.0, 1.0))
    kept = [
        (w, m["all_gold@10"])
        for w, r, m in rows
        if r["hits@1"] >= equal["hits@1"] - SLACK and r["mrr@10"] >= equal["mrr@10"] - SLACK
    ]
    best = max(v for _, v in kept)
    chosen = min(
        (w for w, v in kept if v >= best - TOLERANCE),
        key=lambda w: abs(w[0] - 1.0) + abs(w[1] - 1.0),
    )
    fusion.WEIGHTS.update(bm25=chosen[0], title=chosen[1])
    print(
        f"chosen: bm25 {chosen[0]}, title {chosen[1]} (MHRAG every needed report in the top "
        f"10 {best:.3f} at best)"
    )


def fit_parts(mhrag: tuple) -> None:
    rows = []
    print("PART_K CLAUSE_K | MHRAG Hits@1 MRR@10 all@10")
    for part_k, clause_k in itertools.product(*PARTS_GRID.values()):
        parts.PART_K, parts.CLAUSE_K = part_k, clause_k
        m = figures(*mhrag)
        rows.append(((part_k, clause_k), m["all_gold@10"]))
        print(
            f"{part_k:6} {clause_k:8} | {m['hits@1']:.3f} {m['mrr@10']:.3f} {m['all_gold@10']:.3f}",
            flush=True,
        )
    best = max(v for _, v in rows)
    chosen = min((k for k, v in rows if v >= best - TOLERANCE), key=lambda k: (sum(k), k))
    print(
        f"chosen: PART_K {chosen[0]}, CLAUSE_K {chosen[1]} (MHRAG every needed report in the "
        f"top 10 {best:.3f} at best)"
    )


if __name__ == "__main__":
    main()
