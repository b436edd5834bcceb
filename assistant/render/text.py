"""Answer -> plain text: the answer's prose (streamed, stored on ``Answer.text``) and the CLI view.

Every sentence the assistant says around its quotes is made here, from the answer's structure:
who said what ("Nikolai, quoted by Al Jazeera (2022-10-07)"), claims several reports agree on,
timeline entries, figures that differ, and why the reports don't answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..types import NOT_COVERED, Answer, Article, Conflict, Passage, Quote


def citation(article: Article) -> str:
    """Return "outlet, date — title" for a citation line."""
    title = f" — {article.title}" if article.title else ""
    return f"{article.label}{title}"


def source_phrase(quote: Quote) -> str:
    """Return "Nikolai, quoted by Al Jazeera (2022-10-07)" or "Al Jazeera (2022-10-07)"."""
    where = f"{quote.article.outlet_label} ({quote.article.date_label})"
    return f"{quote.speaker}, quoted by {where}" if quote.speaker else where


def marks(indices: Sequence[int]) -> str:
    """Return "[1] [3]" for quote indices 0 and 2."""
    return " ".join(f"[{i + 1}]" for i in indices)


def group_phrase(answer: Answer, group: Sequence[int]) -> str:
    """Return who states a claim: one source, or "3 reports (A, B, C) agree"."""
    head = answer.quotes[group[0]]
    if len(group) == 1:
        return source_phrase(head)
    outlets = sorted({answer.quotes[i].article.outlet_label for i in group})
    return f"{len(group)} reports ({', '.join(outlets)}) agree"


def describe_conflict(c: Conflict, quotes: Sequence[Quote]) -> str:
    """Return one sentence: "Reports differ on people: Outlet A (date) says 12 people [1]; …"."""
    if c.kind == "claim":
        sides = "; ".join(
            f"{quotes[i].article.outlet_label} ({quotes[i].article.date_label}) [{i + 1}]"
            for i in c.quotes
        )
        verb = "agree" if c.agree else "differ"
        return f"Reports {verb} ({sides}); the model's comparison: {c.summary}"
    parts = []
    for f in c.figures:
        a = quotes[f.quote].article
        parts.append(f"{a.outlet_label} ({a.date_label}) says {f.text} [{f.quote + 1}]")
    if c.agree:
        outlets = sorted({quotes[f.quote].article.outlet_label for f in c.figures})
        return f"{len(outlets)} outlets agree on {c.figures[0].text}: " + "; ".join(parts) + "."
    return f"Reports differ on {c.quantity}: " + "; ".join(parts) + "."


def _holds(quote: Quote, span: Quote) -> bool:
    return quote.article.id == span.article.id and quote.start <= span.start < quote.end


def rejected_note(answer: Answer) -> str:
    """Return the line saying how many of a model's quotes were dropped ("" when none)."""
    if not answer.rejected:
        return ""
    return (
        f"{len(answer.rejected)} of the model's quotes could not be verified in the reports "
        f"and were dropped."
    )


VERDICT_WORDS = {"yes": "Yes", "no": "No", "unclear": "Not settled by the quotes"}


def verdict_line(answer: Answer) -> str:
    """Return "The model's verdict: Yes [1] [2]. <its reason>" ("" without a verdict)."""
    v = answer.verdict
    if v is None:
        return ""
    reason = f" {v.reason}" if v.reason else ""
    return f"The model's verdict: {VERDICT_WORDS.get(v.value, v.value)} {marks(v.quotes)}.{reason}"


def prose(answer: Answer) -> str:
    """Return the answer as plain prose, one line per claim, citing quotes as [n]."""
    if not answer.answerable or not answer.quotes:
        return " ".join(filter(None, [NOT_COVERED, answer.refusal]))
    lines = [verdict_line(answer)] if answer.verdict else []
    if answer.lead:
        lines.append(answer.lead)
    if answer.short is not None:
        where = [i for i, q in enumerate(answer.quotes) if _holds(q, answer.short)]
        lines.append(f"Named in the reports: “{answer.short.text}” {marks(where)}".rstrip())
    if answer.timeline:
        for e in answer.timeline:
            head = answer.quotes[e.quotes[0]]
            when = e.date.isoformat() if e.date else "undated"
            how = "" if e.dated_by == "event" else " (report date)"
            lines.append(f"{when}{how}: {source_phrase(head)}: “{head.text}” {marks(e.quotes)}")
    else:
        for group in answer.claims:
            head = answer.quotes[group[0]]
            lines.append(f"{group_phrase(answer, group)}: “{head.text}” {marks(group)}")
    lines.extend(describe_conflict(c, answer.quotes) for c in answer.conflicts)
    if note := rejected_note(answer):
        lines.append(note)
    return "\n".join(lines)


def answer_to_text(answer: Answer) -> str:
    """Render an answer for a terminal: prose, then each quote with its source and offsets."""
    lines = []
    if answer.rewritten_question and answer.rewritten_question != answer.question:
        lines.append(f"(understood as: {answer.rewritten_question})")
    if answer.notice:
        lines.append(f"note: {answer.notice}")
    lines.append(answer.text or prose(answer))
    if answer.quotes:
        lines.append("")
    for n, q in enumerate(answer.quotes, start=1):
        who = f"{q.speaker}: " if q.speaker else ""
        lines.append(f"[{n}] {who}“{q.text}”")
        where = f"    {citation(q.article)}"
        if q.article.url:
            where += f" <{q.article.url}>"
        lines.append(where)
        lines.append(f"    article {q.article.id} chars {q.start}-{q.end}")
    if not answer.answerable and answer.passages:
        lines.append("")
        lines.append("Closest passages (not an answer):")
        for p in answer.passages[:3]:
            lines.append(f"  - {citation(p.article)}: {p.text[:160]}…")
    for r in answer.rejected:
        lines.append(f"rejected (not in the cited passage): {r.text!r}")
    return "\n".join(lines)


def passage_to_text(p: Passage) -> str:
    """Render one search hit for a terminal: rank, score, citation, then its text."""
    return f"#{p.rank} {p.score:.4f} {citation(p.article)}\n{p.text}"
