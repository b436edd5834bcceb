"""Answers and passages as JSON-ready dicts: the one serialiser used by CLI, UI and tests."""

from __future__ import annotations

from typing import Any

from ..types import Answer, Article, Passage, Quote


def article_to_dict(article: Article, *, with_text: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "outlet": article.outlet,
        "url": article.url,
        "path": article.path,
        "published": article.published.isoformat() if article.published else None,
        "date_source": article.date_source,
        "source_id": article.source_id,
    }
    if with_text:
        out["text"] = article.text
    return out


def quote_to_dict(quote: Quote) -> dict[str, Any]:
    return {
        "text": quote.text,
        "start": quote.start,
        "end": quote.end,
        "score": quote.score,
        "passage_rank": quote.passage_rank,
        "speaker": quote.speaker,
        "article": article_to_dict(quote.article),
    }


def passage_to_dict(passage: Passage) -> dict[str, Any]:
    return {
        "rank": passage.rank,
        "score": round(passage.score, 6),
        "scores": {k: round(v, 6) for k, v in passage.scores},
        "start": passage.start,
        "end": passage.end,
        "text": passage.text,
        "article": article_to_dict(passage.article),
    }


def answer_to_dict(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "rewritten_question": answer.rewritten_question,
        "text": answer.text,
        "lead": answer.lead,
        "groups": [list(g) for g in answer.groups],
        "refusal": answer.refusal,
        "short": quote_to_dict(answer.short) if answer.short else None,
        "answerable": answer.answerable,
        "mode": answer.mode,
        "notice": answer.notice,
        "quotes": [quote_to_dict(q) for q in answer.quotes],
        "rejected": [{"text": r.text, "key": r.key, "reason": r.reason} for r in answer.rejected],
        "raw_output": answer.raw_output,
        "compare_output": answer.compare_output,
        "verdict": {
            "value": answer.verdict.value,
            "quotes": list(answer.verdict.quotes),
            "reason": answer.verdict.reason,
        }
        if answer.verdict
        else None,
        "verdict_output": answer.verdict_output,
        "passages": [passage_to_dict(p) for p in answer.passages],
        "conflicts": [
            {
                "kind": c.kind,
                "quantity": c.quantity,
                "agree": c.agree,
                "summary": c.summary,
                "quotes": list(c.quote_indices),
                "figures": [
                    {"quote": f.quote, "value": f.value, "text": f.text} for f in c.figures
                ],
            }
            for c in answer.conflicts
        ],
        "timeline": [
            {
                "date": e.date.isoformat() if e.date else None,
                "dated_by": e.dated_by,
                "quotes": list(e.quotes),
            }
            for e in answer.timeline
        ],
        "signals": dict(answer.signals),
        "timings": {k: round(v, 4) for k, v in answer.timings},
    }


def report_to_dict(report: Any) -> dict[str, Any]:
    """Return what an index build or update did (an ``UpdateReport``), as the CLI's --json and
    the HTTP API give it."""
    return {
        "added": list(report.added),
        "unchanged": report.unchanged,
        "removed": list(report.removed),
        "failed": [{"path": f.path, "reason": f.reason} for f in report.failures],
        "duplicates": [{"title": t, "indexed_as": i} for t, i in report.duplicates],
        "chunks_embedded": report.chunks_embedded,
        "chunks_reused": report.chunks_reused,
        "seconds": round(report.seconds, 3),
        "summary": report.summary(),
    }
