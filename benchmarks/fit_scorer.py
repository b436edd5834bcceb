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


def fit_listwise(groups, names: tuple[str, ...], l2: float = 1e-3, steps: int = 300):
    """Return weights and bias fitted for ranking: a softmax over each question's candidates
    should put its mass on the positives (gradient descent), then a one-feature logistic
    model on the resulting score for a calibrated scale (abstention reads it)."""
    data = [
        (np.column_stack([f[n] for n in names]), lab, float(f.get("_weight", [1.0])[0]))
        for f, lab in groups
        if lab.max() > 0
    ]
    scale = np.vstack([x for x, _, _ in data]).std(axis=0) + 1e-9
    total = sum(g for _, _, g in data)
    w = np.zeros(len(names))
    for step in range(steps):
        grad = l2 * w
        for x, lab, g in data:
            z = (x / scale) @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            pos = p * lab
            q = pos / pos.sum()
            grad += g * (x / scale).T @ (p - q)
        w -= 0.5 / (1 + step / 100) * grad / total
    w = w / scale
    raw = [{"s": np.column_stack([f[n] for n in names]) @ w} for f, _ in groups]
    a, b = fit([(r, lab) for r, (_, lab) in zip(raw, groups, strict=True)], ("s",))
    return w * a[0], b


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


def cross_validated(by_corpus, names, folds: int = 5, fitter=fit) -> dict[str, float]:
    """Return top-1 per corpus, each question scored by a model fitted without it."""
    tagged = [(c, g) for c, rows in by_corpus.items() for g in rows]
    order = list(range(len(tagged)))
    random.Random(5).shuffle(order)
    hits = {c: [0.0, 0] for c in by_corpus}
    for k in range(folds):
        test = [tagged[i] for i in order[k::folds]]
        train = [tagged[i][1] for j, i in enumerate(order) if j % folds != k]
        w, b = fitter(train, names)
        scorer = as_scorer(names, w, b)
        for c in by_corpus:
            part = [g for cc, g in test if cc == c and g[1].max() > 0]
            hits[c][0] += top1(part, scorer) * len(part)
            hits[c][1] += len(part)
    return {c: h / max(n, 1) for c, (h, n) in hits.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rtqa-index", required=True)
    parser.add_argument("--mhrag-index", required=True)
    parser.add_argument("--bench", default="../shared/bench")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--cache", help="JSON file keeping the features between runs")
    args = parser.parse_args()
    rerank = available()
    bench = Path(args.bench)
    if args.cache and Path(args.cache).exists():
        raw = json.loads(Path(args.cache).read_text())
        by_corpus = {
            c: [({k: np.array(v) for k, v in f.items()}, np.array(lab)) for f, lab in rows]
            for c, rows in raw.items()
        }
    else:
        by_corpus = {
            name: collect(index, [bench / name / "queries_dev.jsonl"], rerank)
            for name, index in (("rtqa", args.rtqa_index), ("mhrag", args.mhrag_index))
        }
        if args.cache:
            Path(args.cache).write_text(
                json.dumps(
                    {
                        c: [
                            ({k: v.tolist() for k, v in f.items()}, lab.tolist()) for f, lab in rows
                        ]
                        for c, rows in by_corpus.items()
                    }
                )
            )
    for rows in by_corpus.values():  # each corpus weighs the same in a ranked fit
        for f, _ in rows:
            f["_weight"] = np.array([1.0 / len(rows)])
    groups = by_corpus["rtqa"] + by_corpus["mhrag"]
    variants = {"features": (BASE, fit), "features, ranked": (BASE, fit_listwise)}
    if rerank:
        variants["features+reranker"] = ((*BASE, "rerank"), fit)
        variants["features+reranker, ranked"] = ((*BASE, "rerank"), fit_listwise)
        variants["reranker alone"] = (("rerank",), fit)
    print(f"{'scorer (top-1, 5-fold CV)':<28}{'rtqa':>10}{'mhrag':>10}{'worse of two':>14}")
    hand = [top1(by_corpus[c], extractive.HAND) for c in ("rtqa", "mhrag")]
    print(f"{'hand (no fit)':<28}{hand[0]:>10.3f}{hand[1]:>10.3f}{min(hand):>14.3f}")
    results = {}
    for name, (names, fitter) in variants.items():
        per = cross_validated(by_corpus, names, fitter=fitter)
        cv = min(per.values())  # never one corpus at the other's expense
        w, b = fitter(groups, names)
        results[name] = (cv, names, w, b)
        print(f"{name:<28}{per['rtqa']:>10.3f}{per['mhrag']:>10.3f}{cv:>14.3f}")
    best = max(results, key=lambda n: results[n][0])
    cv, names, w, b = results[best]
    model = {
        "name": best,
        "weights": dict(zip(names, (round(float(v), 5) for v in w), strict=True)),
        "bias": round(b, 5),
        "cv_top1_worse_corpus": round(cv, 4),
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
