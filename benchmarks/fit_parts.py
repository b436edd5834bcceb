"""Fit how answers across named reports are put together, on the MHRAG dev set, and print the grid.

    python benchmarks/fit_parts.py --mhrag-index IDX [--rtqa-index IDX] [--bench ../shared/bench]

The settings fitted live in ``assistant/answering/reports.py`` and ``assistant/retrieval/parts.py``:
how many reports one named outlet's part may quote (``COVER_MAX``), how many of the part's words
a further report must add (``COVER_MIN_NEW``), how its score compares with the part's best
(``COVER_RATIO``); how many passages a part and its clauses search for is fitted with the
search (``benchmarks/fit_fusion.py``). Every combination answers all dev questions (answerable
and unanswerable, each on its question date); the objective is the
mean of "two needed reports quoted" over all types and answer-in-quotes on inference questions,
among the combinations that answer at most ``MAX_WRONGLY_ANSWERED`` of the unanswerable ones;
within ``TOLERANCE`` of the best, the one quoting fewest reports per answer is chosen.

These settings only act on questions that name outlets. ``--rtqa-index`` checks that no RTQA
dev question does (so RTQA answers can't move) and says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import statistics
from pathlib import Path

from assistant import Assistant
from assistant.answering import extractive, reports
from assistant.evaluation import load_queries, multihop, normalise_answer
from assistant.retrieval import outlets

GRID = {
    "COVER_MAX": (1, 2, 3, 4),
    "COVER_MIN_NEW": (1, 2, 3),
    "COVER_RATIO": (0.4, 0.6),
}
MAX_WRONGLY_ANSWERED = 0.10  # the MHRAG target for unanswerable questions answered
# Within this much of the best objective (two questions in a hundred), the combination
# quoting fewest reports per answer wins: more quotes always find more reports, and a reader
# pays for each one.
TOLERANCE = 0.02


def run(a: Assistant, questions: list[dict], gold: dict[str, set[str]]) -> dict[str, float]:
    rows = []
    wrongly = 0
    negatives = 0
    quotes = []
    for q in questions:
        as_of = dt.date.fromisoformat(q["question_date"]) if q.get("question_date") else None
        answer = a.ask(q["question"], as_of=as_of)
        if answer.answerable:
            quotes.append(len(answer.quotes))
        if not q.get("gold_article_ids"):
            negatives += 1
            wrongly += int(answer.answerable)
            continue
        rows.append(
            (q["type"], multihop.question_figures(q, answer, gold[q["id"]], normalise_answer))
        )
    by_type = multihop.summarise(rows)
    two = by_type["all"]["two_gold_quoted"]
    aiq = by_type.get("inference", {}).get("answer_in_quotes", 0.0)
    return {
        "two_gold": two,
        "inference_aiq": aiq,
        "answered": by_type["all"]["answered"],
        "unanswerable_answered": wrongly / max(negatives, 1),
        "objective": statistics.fmean([two, aiq]),
        "quotes": statistics.fmean(quotes) if quotes else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mhrag-index", required=True)
    parser.add_argument("--rtqa-index")
    parser.add_argument("--bench", default="../shared/bench")
    parser.add_argument(
        "--grid", nargs="*", default=[], help="NAME=v1,v2 replaces one setting's values"
    )
    args = parser.parse_args()
    for item in args.grid:
        name, values = item.split("=")
        GRID[name] = tuple(type(GRID[name][0])(v) for v in values.split(","))
    bench = Path(args.bench)
    if args.rtqa_index:
        rtqa = Assistant.open(args.rtqa_index)
        named = [
            q["question"]
            for f in ("queries_dev.jsonl", "queries_unanswerable_dev.jsonl")
            for q in load_queries(bench / "rtqa" / f)
            if outlets.find(q["question"], rtqa.outlets())
        ]
        print(f"RTQA dev questions naming an outlet: {len(named)} (these settings act on no other)")
    a = Assistant.open(args.mhrag_index)
    extractive.VECTOR_CACHE = 1_000_000  # every configuration reuses the sentence vectors
    questions = [
        q
        for f in ("queries_dev.jsonl", "queries_unanswerable_dev.jsonl")
        for q in load_queries(bench / "mhrag" / f)
    ]
    gold = {
        q["id"]: {aid for g in q["gold_article_ids"] for aid in a.snapshot.find_by_source_id(g)}
        for q in questions
        if q.get("gold_article_ids")
    }
    results = []
    names = list(GRID)
    print(
        " ".join(f"{n:>13}" for n in names), "  two_gold  inf_aiq  answered  unans_ans  objective"
    )
    for values in itertools.product(*GRID.values()):
        chosen = dict(zip(names, values, strict=True))
        if chosen["COVER_MAX"] == 1 and (chosen["COVER_MIN_NEW"], chosen["COVER_RATIO"]) != (
            GRID["COVER_MIN_NEW"][0],
            GRID["COVER_RATIO"][0],
        ):
            continue  # one report per part: the other two don't act
        for name, value in zip(names, values, strict=True):
            setattr(reports, name, value)
        began = dt.datetime.now()
        figures = run(a, questions, gold)
        results.append((values, figures))
        print(
            " ".join(f"{v:>13}" for v in values),
            f"{figures['two_gold']:>9.3f} {figures['inference_aiq']:>8.3f} "
            f"{figures['answered']:>9.3f} {figures['unanswerable_answered']:>10.3f} "
            f"{figures['objective']:>10.3f} {figures['quotes']:>7.2f}"
            f"   ({(dt.datetime.now() - began).seconds} s)",
            flush=True,
        )
    allowed = [r for r in results if r[1]["unanswerable_answered"] <= MAX_WRONGLY_ANSWERED]
    top = max(r[1]["objective"] for r in allowed or results)
    near = [r for r in allowed or results if r[1]["objective"] >= top - TOLERANCE]
    best = min(near, key=lambda r: (r[1]["quotes"], -r[1]["objective"]))
    print(
        "best:",
        dict(zip(names, best[0], strict=True)),
        {k: round(v, 3) for k, v in best[1].items()},
    )


if __name__ == "__main__":
    main()
