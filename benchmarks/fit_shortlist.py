"""Fit how many candidate sentences an answer embeds (``extractive.EMBED_LIMIT``) on both dev
sets together, and print the grid.

    python benchmarks/fit_shortlist.py --rtqa-index IDX --mhrag-index IDX [--bench ../shared/bench]

Embedding the shortlisted sentences is most of an answer's time, so fewer is faster; too few and
the sentence that answers is never scored. Each value answers every dev question of both corpora
(answerable and unanswerable, on their question dates) with ``assistant eval``'s metrics. The
largest value is the reference; the smallest value wins whose figures all stay within ``SLACK``
of it (RTQA answer-in-quotes and both refusal rates, MHRAG answered, inference answer-in-quotes,
two needed reports quoted and unanswerable refused) and whose answers quote what the
reference's do for all but ``MOVED`` of the questions: the figures are coarse, a reader sees
every quote.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from assistant import Assistant
from assistant.answering import extractive
from assistant.evaluation import evaluate, load_queries

GRID = (8, 12, 16, 24, 32)
SLACK = 0.005  # less than one question in any of the figures: the answers must not move
# Share of questions whose quotes may differ from the reference's: one in 200. Dev questions
# are quiz-like and share many words with the sentence that answers, so the cheap shortlist
# finds it; a paraphrased question leans on the dense score the shortlist cuts off, so the
# answers themselves, not only the coarse figures, must stay put.
MOVED = 0.005


def quoted(a: Assistant, queries: list[dict]) -> list[tuple]:
    """Return each question's quotes as (article, start, end) spans."""
    out = []
    for q in queries:
        as_of = dt.date.fromisoformat(q["question_date"]) if q.get("question_date") else None
        answer = a.ask(q["question"], as_of=as_of)
        out.append(tuple((x.article.id, x.start, x.end) for x in answer.quotes))
    return out


def figures(index: str, bench: Path, corpus: str) -> tuple[dict[str, float], list[tuple]]:
    queries = [
        q
        for f in ("queries_dev.jsonl", "queries_unanswerable_dev.jsonl")
        for q in load_queries(bench / corpus / f)
    ]
    a = Assistant.open(index)
    out = evaluate(a, queries, systems=())
    answers = out["answers"]
    # No latency here: sentence vectors cached by the first value's run speed up the rest
    # (ask p50 per value: ``assistant eval`` in a fresh process).
    row = {f"{corpus}_unanswerable_refused": answers["unanswerable_refused"]}
    if corpus == "rtqa":
        row["rtqa_answer_in_quotes"] = answers["answer_in_quotes"]
        row["rtqa_answerable_refused"] = answers["answerable_wrongly_refused"]
    else:
        by_type = out["by_type"]
        row["mhrag_answered"] = by_type["all"]["answered"]
        row["mhrag_inference_aiq"] = by_type["inference"]["answer_in_quotes"]
        row["mhrag_two_gold"] = by_type["all"]["two_gold_quoted"]
    return row, quoted(a, queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtqa-index", required=True)
    parser.add_argument("--mhrag-index", required=True)
    parser.add_argument("--bench", default="../shared/bench")
    parser.add_argument("--grid", type=int, nargs="*", default=list(GRID))
    args = parser.parse_args()
    bench = Path(args.bench)
    rows: dict[int, dict[str, float]] = {}
    answers: dict[int, list[tuple]] = {}
    for limit in sorted(args.grid, reverse=True):
        extractive.EMBED_LIMIT = limit  # read by ``shortlist`` at each call
        rtqa, rtqa_quotes = figures(args.rtqa_index, bench, "rtqa")
        mhrag, mhrag_quotes = figures(args.mhrag_index, bench, "mhrag")
        rows[limit], answers[limit] = {**rtqa, **mhrag}, rtqa_quotes + mhrag_quotes
        reference = answers[max(answers)]
        moved = sum(x != y for x, y in zip(answers[limit], reference, strict=True))
        rows[limit]["moved"] = moved / len(reference)
        print(limit, {k: round(v, 3) for k, v in rows[limit].items()}, flush=True)
    reference = rows[max(rows)]
    worse_is_higher = {"rtqa_answerable_refused"}

    def holds(row: dict[str, float]) -> bool:
        return row["moved"] <= MOVED and all(
            (row[k] - reference[k] if k in worse_is_higher else reference[k] - row[k]) <= SLACK
            for k in reference
            if k != "moved"
        )

    chosen = min(limit for limit, row in rows.items() if holds(row))
    print(
        f"chosen: EMBED_LIMIT {chosen} (figures within {SLACK} of {max(rows)}'s, at most "
        f"{MOVED:.0%} of answers quoting differently)"
    )


if __name__ == "__main__":
    main()
