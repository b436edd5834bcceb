"""Fit the sentence scorer on both dev sets: a logistic model over the candidate features,
with and without our reranker, compared with the hand weights; write the better one.

    python benchmarks/fit_scorer.py --rtqa-index IDX --mhrag-index IDX [--write]

For every answerable dev question of RTQA and MHRAG, the candidates the extractive answerer
would weigh (the shortlist of its passages' sentences, and for a question naming outlets each
part's sentences with that part's words) get their features. A candidate is a positive when it
holds the answer (RTQA: the answer string; MHRAG: one of the gold evidence sentences, or the
answer name in a gold report). Models are compared by 5-fold cross-validation over questions:
how often the top-scored candidate of a question is a positive. ``--write`` saves the best
fitted model (refitted on all questions) to ``assistant/answering/models/scorer.json``.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np

from assistant import Assistant
from assistant.answering import extractive
from assistant.answering.reranker import available
from assistant.evaluation import load_queries, normalise_answer
from assistant.evaluation.multihop import word_in
from assistant.retrieval import outlets
from assistant.retrieval.parts import search_parts

BASE = ("dense", "terms", "passage", "position", "novel")
OUT = Path(__file__).resolve().parent.parent / "assistant" / "answering" / "models" / "scorer.json"


def label(q: dict, gold: set[str], cand: extractive.Candidate) -> float:
    text = normalise_answer(cand.passage.article.text[cand.start : cand.end])
    answer = normalise_answer(q["answer"])
    if q.get("type") is None:  # RTQA: the answer string in the sentence
        return float(answer in text)
    if cand.passage.article.id not in gold:
        return 0.0
    facts = [normalise_answer(e["fact"]) for e in q.get("evidence", [])]
    if any(f in text or (len(text) > 30 and text in f) for f in facts):
        return 1.0
    return float(q.get("answer_match") == "word" and word_in(answer, text))


def collect(index: str, files: list[Path], rerank: bool) -> list[tuple[dict, np.ndarray]]:
    """Return per question group: (features by name, labels)."""
    a = Assistant.open(index)
    known = a.outlets()
    groups = []
    for path in files:
        for q in load_queries(path):
            if not q.get("gold_article_ids"):
                continue
            gold = {x for g in q["gold_article_ids"] for x in a.snapshot.find_by_source_id(g)}
            question = q["question"]
            jobs = [
                (question, a.search(question, by_outlet=False), a.embedder.embed_query(question))
            ]
            mentions = outlets.find(question, known)
            for part in search_parts(a.snapshot, a.embedder, question, mentions):
                jobs.append((part.query, list(part.passages), part.query_vector))
            for text, passages, vector in jobs:
                cands = extractive.shortlist(text, extractive.candidates(passages))
                if not cands:
                    continue
                feats = extractive.features(text, vector, cands, a.embedder, rerank=rerank)
                labels = np.array([label(q, gold, c) for c in cands])
                groups.append((feats, labels))
    return groups


def fit(groups, names: tuple[str, ...], l2: float = 1e-2) -> tuple[np.ndarray, float]:
    """Return logistic weights (one per name) and bias, by Newton's method."""
    x = np.vstack([np.column_stack([f[n] for n in names]) for f, _ in groups])
    y = np.concatenate([lab for _, lab in groups])
    xb = np.column_stack([x, np.ones(len(x))])
    w = np.zeros(xb.shape[1])
    reg = np.eye(len(w)) * l2
    reg[-1, -1] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) + reg @ w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def top1(groups, scorer) -> float:
    """Share of question groups (with a positive) whose best-scored candidate is positive."""
    hits = n = 0
    for feats, labels in groups:
        if labels.max() == 0:
            continue
        n += 1
        hits += int(labels[int(np.argmax(scorer(feats)))] > 0)
    return hits / max(n, 1)


def as_scorer(names, w, b) -> extractive.Scorer:
    return extractive.Scorer(tuple(zip(names, (float(v) for v in w), strict=True)), b, True)


def cross_validated(groups, names, folds: int = 5) -> float:
    order = list(range(len(groups)))
    random.Random(5).shuffle(order)
    total = 0.0
    for k in range(folds):
        test = [groups[i] for i in order[k::folds]]
        train = [groups[i] for j, i in enumerate(order) if j % folds != k]
        w, b = fit(train, names)
        total += top1(test, as_scorer(names, w, b)) * len(test)
    return total / len(groups)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rtqa-index", required=True)
    parser.add_argument("--mhrag-index", required=True)
    parser.add_argument("--bench", default="../shared/bench")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    rerank = available()
    bench = Path(args.bench)
    by_corpus = {
        name: collect(index, [bench / name / "queries_dev.jsonl"], rerank)
        for name, index in (("rtqa", args.rtqa_index), ("mhrag", args.mhrag_index))
    }
    groups = by_corpus["rtqa"] + by_corpus["mhrag"]
    variants = {"features": BASE}
    if rerank:
        variants["features+reranker"] = (*BASE, "rerank")
        variants["reranker alone"] = ("rerank",)
    print(f"{'scorer':<20}{'top-1 (5-fold CV)':>20}{'rtqa':>10}{'mhrag':>10}")
    print(
        f"{'hand':<20}{top1(groups, extractive.HAND):>20.3f}"
        f"{top1(by_corpus['rtqa'], extractive.HAND):>10.3f}{top1(by_corpus['mhrag'], extractive.HAND):>10.3f}"
    )
    results = {}
    for name, names in variants.items():
        cv = cross_validated(groups, names)
        w, b = fit(groups, names)
        results[name] = (cv, names, w, b)
        scorer = as_scorer(names, w, b)
        print(
            f"{name:<20}{cv:>20.3f}{top1(by_corpus['rtqa'], scorer):>10.3f}"
            f"{top1(by_corpus['mhrag'], scorer):>10.3f}"
        )
    best = max(results, key=lambda n: results[n][0])
    cv, names, w, b = results[best]
    model = {
        "name": best,
        "weights": dict(zip(names, (round(float(v), 5) for v in w), strict=True)),
        "bias": round(b, 5),
        "cv_top1": round(cv, 4),
        "questions": len(groups),
        "command": "python benchmarks/fit_scorer.py --rtqa-index IDX --mhrag-index IDX --write",
    }
    print(json.dumps(model, indent=2))
    if args.write:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
