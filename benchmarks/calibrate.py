"""Fit the two abstain thresholds on both dev sets together (RTQA and MHRAG), and print them.

    python benchmarks/calibrate.py --rtqa-index IDX --mhrag-index IDX [--bench ../shared/bench]

Every dev question (answerable and unanswerable, both corpora) is asked once with the
thresholds off, recording its evidence confidence and which path answered it: the general
extractive path (``abstain_threshold``) or the per-outlet path for questions naming outlets
(``part_threshold``, the weakest part). Each threshold is then the value that maximises
balanced accuracy (mean of answerable-answered and unanswerable-refused) over the questions of
its path from both corpora, so neither corpus is tuned alone: the lowest value at which at
most ``MAX_WRONGLY_ANSWERED`` of the unanswerable questions are answered (the RTQA target is
refusing 95% of them), which answers as many answerable questions as that allows. Refusals that need no threshold
(a named source that isn't indexed) count as refusals at every value.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from assistant import Assistant
from assistant.evaluation import load_queries


def collect(index: str, files: list[Path]) -> list[tuple[str, bool, float | None]]:
    """Return (path, answerable, confidence or None when refused without a threshold)."""
    a = Assistant.open(index)
    a.settings = a.settings.replace(abstain_threshold=-9.0, part_threshold=-9.0)
    rows = []
    for path in files:
        for q in load_queries(path):
            as_of = dt.date.fromisoformat(q["question_date"]) if q.get("question_date") else None
            answer = a.ask(q["question"], as_of=as_of)
            signals = dict(answer.signals)
            route = "parts" if "parts" in signals else "general"
            confidence = signals.get(SIGNAL.get(route, "confidence")) if answer.answerable else None
            rows.append((route, bool(q.get("gold_article_ids")), confidence))
    return rows


MAX_WRONGLY_ANSWERED = 0.05
MIN_NEGATIVES = 20  # a corpus with fewer unanswerable questions on a route is judged pooled
# Which signal each route's threshold reads (the parts' route: their mean confidence;
# "--parts-signal weakest" tries the weakest part instead).
SIGNAL = {"general": "confidence", "parts": "confidence"}


def best_threshold(
    rows: list[tuple[str, bool, float | None]],
) -> tuple[float, float, float, float]:
    """Return (threshold, balanced accuracy, answerable answered, unanswerable answered).

    The unanswerable limit holds in each corpus that has at least ``MIN_NEGATIVES`` of them on
    this route, not just pooled: a threshold that one corpus's easy refusals carry is no fit.
    """
    values = sorted({c for _, _, c in rows if c is not None})
    pos = [c for _, y, c in rows if y]
    neg = [c for _, y, c in rows if not y]
    corpora = {k for k, y, _ in rows if not y}
    by_corpus = {k: [c for kk, y, c in rows if kk == k and not y] for k in corpora}
    by_corpus = {k: v for k, v in by_corpus.items() if len(v) >= MIN_NEGATIVES}

    def answered(values: list[float | None], t: float) -> float:
        return sum(c is not None and c >= t for c in values) / max(len(values), 1)

    best = (0.0, -1.0, 0.0, 0.0)
    for t in [v + 1e-4 for v in values] + [0.0]:
        tpr, fpr = answered(pos, t), answered(neg, t)
        worst = max([answered(v, t) for v in by_corpus.values()] + [fpr])
        score = (tpr + 1 - fpr) / 2
        if worst <= MAX_WRONGLY_ANSWERED and (tpr, score) > (best[2], best[1]):
            best = (round(t, 4), score, tpr, fpr)
    return best


def rates(rows: list[tuple[bool, float | None]], t: float) -> dict[str, float]:
    """Return how many answerable and unanswerable questions a threshold answers."""
    pos = [c for y, c in rows if y]
    neg = [c for y, c in rows if not y]
    return {
        "answerable": len(pos),
        "answered": round(sum(c is not None and c >= t for c in pos) / max(len(pos), 1), 3),
        "unanswerable": len(neg),
        "wrongly_answered": round(sum(c is not None and c >= t for c in neg) / max(len(neg), 1), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rtqa-index", required=True)
    parser.add_argument("--mhrag-index", required=True)
    parser.add_argument("--bench", default="../shared/bench")
    parser.add_argument("--cache", help="JSON file keeping the recorded confidences")
    parser.add_argument("--parts-signal", default="confidence", choices=["confidence", "weakest"])
    args = parser.parse_args()
    SIGNAL["parts"] = args.parts_signal
    bench = Path(args.bench)
    rows = []
    if args.cache and Path(args.cache).exists():
        rows = [tuple(r) for r in json.loads(Path(args.cache).read_text())]
    else:
        for name, index in (("rtqa", args.rtqa_index), ("mhrag", args.mhrag_index)):
            files = [
                bench / name / "queries_dev.jsonl",
                bench / name / "queries_unanswerable_dev.jsonl",
            ]
            rows += [(name, *row) for row in collect(index, files)]
        if args.cache:
            Path(args.cache).write_text(json.dumps(rows))
    out = {}
    for route in ("general", "parts"):
        chosen = [(k, y, c) for k, r, y, c in rows if r == route]
        if not chosen:
            continue
        t, score, tpr, fpr = best_threshold(chosen)
        out[route] = {
            "threshold": t,
            "balanced_accuracy": round(score, 3),
            "answerable_answered": round(tpr, 3),
            "unanswerable_answered": round(fpr, 3),
            "questions": len(chosen),
            "by_corpus": {
                n: rates([(y, c) for cc, r, y, c in rows if cc == n and r == route], t)
                for n in ("rtqa", "mhrag")
            },
        }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
