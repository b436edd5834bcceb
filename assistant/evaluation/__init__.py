"""`assistant eval`: retrieval and answer metrics on RTQA-format query files.

Metrics follow ../shared/bench/rtqa/README.md exactly: chunks are ranked, collapsed to articles
in rank order (first occurrence wins); Hits@k and MRR@10 over articles; answer@5 over the text
of the top 5 chunks, an article's first chunk carrying its title as the README's baseline chunks
do (``answer@5_body`` leaves titles out); answer-in-quotes over the answer's quotes joined; abstention on sets whose
questions have no gold articles. Baselines (BM25 alone, dense alone) run in the same pass over
the same chunks and model, so the table compares like with like.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import statistics
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from . import multihop

if TYPE_CHECKING:  # the API imports this module lazily; no cycle at run time
    from ..api import Assistant
    from ..types import Passage

SYSTEMS: dict[str, dict[str, Any]] = {
    # name: keyword arguments for Assistant.search
    "bm25": {"methods": ("bm25",), "use_dates": False, "by_outlet": False},
    "dense": {"methods": ("dense",), "use_dates": False, "by_outlet": False},
    "hybrid": {"methods": ("dense", "bm25"), "use_dates": False, "by_outlet": False},
    "hybrid+dates": {"methods": ("dense", "bm25"), "use_dates": True, "by_outlet": False},
    "+titles": {"methods": ("dense", "bm25", "title"), "use_dates": True, "by_outlet": False},
    # the default: + each outlet the question names searched on its own
    "default": {"methods": ("dense", "bm25", "title"), "use_dates": True, "by_outlet": True},
}
_QUOTES = re.compile(r"[\"'“”‘’«»`]")


def normalise_answer(text: str) -> str:
    """Lower-case, NFKC, no quote characters, collapsed whitespace (the README's rule)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(_QUOTES.sub("", text).split())


def load_queries(path: str | Path) -> list[dict[str, Any]]:
    """Read an RTQA-format JSONL query file."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read queries from {path}: {exc}") from exc


def chunk_text(passage: Passage) -> str:
    """Return a passage's text as the RTQA baseline chunks it: the article's first chunk starts
    with the title (its splitter runs over ``title + "\n\n" + text``), later chunks don't."""
    if passage.start == 0 and passage.article.title:
        return f"{passage.article.title}\n\n{passage.text}"
    return passage.text


def _percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


@dataclass
class SystemScores:
    hits: dict[int, float] = field(default_factory=dict)
    all_gold10: float = 0.0  # every gold article among the first 10 (multi-report questions)
    mrr10: float = 0.0
    answer_at5: float = 0.0
    answer_at5_body: float = 0.0
    latency_ms: list[float] = field(default_factory=list)

    def row(self) -> dict[str, float]:
        return {
            "hits@1": self.hits.get(1, 0.0),
            "hits@5": self.hits.get(5, 0.0),
            "hits@10": self.hits.get(10, 0.0),
            "all_gold@10": self.all_gold10,
            "mrr@10": self.mrr10,
            "answer@5": self.answer_at5,
            "answer@5_body": self.answer_at5_body,
            "search_p50_ms": _percentile(self.latency_ms, 0.5),
            "search_p95_ms": _percentile(self.latency_ms, 0.95),
        }


def evaluate(
    assistant: Assistant,
    queries: Iterable[dict[str, Any]],
    *,
    systems: Sequence[str] = tuple(SYSTEMS),
    answers: bool = True,
) -> dict[str, Any]:
    """Return metrics for each retrieval system, plus the answer metrics of the full system."""
    queries = list(queries)
    answerable = [q for q in queries if q.get("gold_article_ids")]
    unanswerable = [q for q in queries if not q.get("gold_article_ids")]
    snapshot = assistant.snapshot
    gold_ids = {
        q["id"]: {aid for g in q["gold_article_ids"] for aid in snapshot.find_by_source_id(g)}
        for q in answerable
    }
    out: dict[str, Any] = {
        "questions": len(queries),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "systems": {},
    }
    for name in systems if answerable else ():  # retrieval needs gold articles
        cfg = SYSTEMS[name]
        scores = SystemScores()
        hits = {1: 0, 5: 0, 10: 0}
        mrr = 0.0
        ans5 = ans5_body = all10 = 0
        for q in answerable:
            as_of = (
                dt.date.fromisoformat(q["question_date"])
                if cfg["use_dates"] and q.get("question_date")
                else None
            )
            began = time.perf_counter()
            passages = assistant.search(
                q["question"],
                k=30,
                methods=cfg["methods"],
                as_of=as_of,
                dates=cfg["use_dates"],
                by_outlet=cfg["by_outlet"],
            )
            scores.latency_ms.append((time.perf_counter() - began) * 1000)
            ranked: list[str] = []
            for p in passages:
                if p.article.id not in ranked:
                    ranked.append(p.article.id)
            gold = gold_ids[q["id"]]
            first = next((i for i, aid in enumerate(ranked[:10], start=1) if aid in gold), None)
            for k in hits:
                hits[k] += int(first is not None and first <= k)
            mrr += 1.0 / first if first else 0.0
            all10 += int(gold <= set(ranked[:10]))
            gold_answer = normalise_answer(q["answer"])
            ans5 += int(
                gold_answer in normalise_answer(" ".join(chunk_text(p) for p in passages[:5]))
            )
            ans5_body += int(
                gold_answer in normalise_answer(" ".join(p.text for p in passages[:5]))
            )
        n = max(len(answerable), 1)
        scores.hits = {k: v / n for k, v in hits.items()}
        scores.mrr10 = mrr / n
        scores.all_gold10 = all10 / n
        scores.answer_at5 = ans5 / n
        scores.answer_at5_body = ans5_body / n
        out["systems"][name] = scores.row()
    if answers:
        out["answers"], by_type = _answer_metrics(assistant, answerable, unanswerable, gold_ids)
        if by_type:
            out["by_type"] = by_type
    return out


def _answer_metrics(
    assistant: Assistant,
    answerable: list[dict],
    unanswerable: list[dict],
    gold_ids: dict[str, set[str]],
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Return the answer metrics, and per question type when the questions have types."""
    in_quotes = refused_ok = refused_wrong = faithful = total_quotes = 0
    typed: list[tuple[str, dict[str, float]]] = []
    lengths: list[int] = []
    latency: list[float] = []
    for q in answerable + unanswerable:
        as_of = dt.date.fromisoformat(q["question_date"]) if q.get("question_date") else None
        began = time.perf_counter()
        answer = assistant.ask(q["question"], as_of=as_of)
        latency.append((time.perf_counter() - began) * 1000)
        for quote in answer.quotes:
            total_quotes += 1
            lengths.append(len(quote.text))
            stored = assistant.article(quote.article.id).text
            faithful += int(stored[quote.start : quote.end] == quote.text)
        if q.get("gold_article_ids"):
            joined = normalise_answer(" ".join(quote.text for quote in answer.quotes))
            in_quotes += int(bool(joined) and normalise_answer(q["answer"]) in joined)
            refused_wrong += int(not answer.answerable)
            if q.get("type"):
                figures = multihop.question_figures(q, answer, gold_ids[q["id"]], normalise_answer)
                typed.append((q["type"], figures))
        else:
            refused_ok += int(not answer.answerable)
    return {
        "answer_in_quotes": in_quotes / max(len(answerable), 1),
        "answerable_wrongly_refused": refused_wrong / max(len(answerable), 1),
        "unanswerable_refused": refused_ok / max(len(unanswerable), 1)
        if unanswerable
        else float("nan"),
        "quote_fidelity": faithful / total_quotes if total_quotes else 1.0,
        "quotes": total_quotes,
        "mean_quote_chars": statistics.fmean(lengths) if lengths else 0.0,
        "ask_p50_ms": _percentile(latency, 0.5),
        "ask_p95_ms": _percentile(latency, 0.95),
    }, multihop.summarise(typed) if typed else {}


def format_table(result: dict[str, Any]) -> str:
    """Return the systems side by side, then the answer metrics, as a plain-text table."""
    cols = [
        "hits@1",
        "hits@5",
        "hits@10",
        "all_gold@10",
        "mrr@10",
        "answer@5",
        "answer@5_body",
        "search_p50_ms",
        "search_p95_ms",
    ]
    lines = []
    if result["systems"]:
        lines.append(f"{'system':<20}" + "".join(f"{c:>15}" for c in cols))
        for name, row in result["systems"].items():
            lines.append(f"{name:<20}" + "".join(f"{row[c]:>15.3f}" for c in cols))
        lines.append("")
    if "answers" in result:
        for key, value in result["answers"].items():
            lines.append(
                f"{key:<28}{value:>10.3f}" if isinstance(value, float) else f"{key:<28}{value:>10}"
            )
    if result.get("by_type"):
        names = multihop.FIGURES
        lines.append("")
        lines.append(f"{'type':<14}{'n':>5}" + "".join(f"{n:>19}" for n in names))
        for kind, row in result["by_type"].items():
            cells = "".join(f"{row[n]:>19.3f}" if n in row else f"{'-':>19}" for n in names)
            lines.append(f"{kind:<14}{row['questions']:>5}" + cells)
    return "\n".join(lines)
