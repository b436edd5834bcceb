"""Fit when a quote grows by a neighbouring sentence (``Settings.extend_margin``) on both dev
sets together, and print the grid.

    python benchmarks/fit_quoting.py --rtqa-index IDX --mhrag-index IDX [--bench ../shared/bench]

A quote grows by the sentence before or after it when our reranker scores the longer quote at
least ``extend_margin`` logits higher and the added sentence names something new
(``answering.extractive.extend_with_neighbours``); "none" is the rule without the reranker (the
next sentence when a quote names nothing new). Every value answers every answerable dev
question of both corpora. The objective is the worst of RTQA answer-in-quotes, MHRAG
answer-in-quotes on inference questions (they ask for a name) and MHRAG "two needed reports
quoted" (all types); within ``TOLERANCE`` of the best, the largest margin wins (shorter quotes).
Growing a quote never changes whether a question is answered, so unanswerable questions are
not asked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from pathlib import Path

from assistant import Assistant
from assistant.evaluation import load_queries, multihop, normalise_answer

MARGIN_GRID: tuple[float | None, ...] = (None, 2.0, 1.0, 0.5, 0.25, 0.0, -0.25, -0.5, -1.0)
TOLERANCE = 0.01  # one question in a hundred


def measure(index: str, queries: list[dict], margin: float | None) -> dict[str, float]:
    """Return answer-in-quotes (MHRAG: on inference questions), two needed reports quoted
    (MHRAG), mean quote length and ask p50 over ``queries``."""
    a = Assistant.open(index)
    a.settings = a.settings.replace(extend_margin=margin)
    hits = asked_names = two = 0
    lengths: list[int] = []
    times: list[float] = []
    for q in queries:
        as_of = dt.date.fromisoformat(q["question_date"]) if q.get("question_date") else None
        began = time.perf_counter()
        answer = a.ask(q["question"], as_of=as_of)
        times.append((time.perf_counter() - began) * 1000)
        lengths += [len(x.text) for x in answer.quotes]
        if q.get("type"):
            gold = {i for g in q["gold_article_ids"] for i in a.snapshot.find_by_source_id(g)}
            figures = multihop.question_figures(q, answer, gold, normalise_answer)
            two += figures["two_gold_quoted"]
        if q.get("type") in (None, "inference"):
            asked_names += 1
            joined = normalise_answer(" ".join(x.text for x in answer.quotes))
            hits += bool(joined) and normalise_answer(q["answer"]) in joined
    typed = any(q.get("type") for q in queries)
    return {
        "answer_in_quotes": hits / max(asked_names, 1),
        "two_gold_quoted": two / len(queries) if typed else 1.0,
        "quote_chars": statistics.fmean(lengths) if lengths else 0.0,
        "ask_p50_ms": statistics.median(times),
    }


def run(indexes: tuple[str, str], sets: tuple[list, list], margin: float | None) -> float:
    """Print one row of a grid and return its objective (the worst figure)."""
    r = measure(indexes[0], sets[0], margin)
    m = measure(indexes[1], sets[1], margin)
    worst = min(r["answer_in_quotes"], m["answer_in_quotes"], m["two_gold_quoted"])
    print(
        f"  RTQA {r['answer_in_quotes']:.3f} ({r['quote_chars']:.0f} chars, p50 "
        f"{r['ask_p50_ms']:.0f} ms) | MHRAG inference {m['answer_in_quotes']:.3f}, two reports "
        f"{m['two_gold_quoted']:.3f} ({m['quote_chars']:.0f} chars, p50 {m['ask_p50_ms']:.0f} ms)"
        f" | worst {worst:.3f}",
        flush=True,
    )
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rtqa-index", required=True)
    ap.add_argument("--mhrag-index", required=True)
    ap.add_argument("--bench", default=str(Path(__file__).resolve().parents[2] / "shared/bench"))
    args = ap.parse_args()
    bench = Path(args.bench)
    sets = (
        [q for q in load_queries(bench / "rtqa/queries_dev.jsonl") if q["gold_article_ids"]],
        [q for q in load_queries(bench / "mhrag/queries_dev.jsonl") if q["gold_article_ids"]],
    )
    indexes = (args.rtqa_index, args.mhrag_index)
    rows = []
    for value in MARGIN_GRID:
        print(f"extend_margin {value}:")
        rows.append((value, run(indexes, sets, value)))
    best = max(w for _, w in rows)
    near = [m for m, w in rows if w >= best - TOLERANCE and m is not None]
    print(f"chosen extend_margin: {max(near) if near else None} (worst figure {best:.3f} at best)")


if __name__ == "__main__":
    main()
