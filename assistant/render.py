"""Answer -> plain text (CLI) and safe HTML (UI). Every article string is escaped here."""

from __future__ import annotations

import html

from .types import Answer, Article, Passage, Quote


def citation(article: Article) -> str:
    """Return "outlet, date — title" for a citation line."""
    title = f" — {article.title}" if article.title else ""
    return f"{article.label}{title}"


def answer_to_text(answer: Answer) -> str:
    """Render an answer for a terminal: text, then each quote with its source and offsets."""
    lines = []
    if answer.rewritten_question and answer.rewritten_question != answer.question:
        lines.append(f"(understood as: {answer.rewritten_question})")
    if answer.notice:
        lines.append(f"note: {answer.notice}")
    lines.append(answer.text)
    if answer.quotes:
        lines.append("")
    for n, q in enumerate(answer.quotes, start=1):
        lines.append(f"[{n}] “{q.text}”")
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
    return f"#{p.rank} {p.score:.4f} {citation(p.article)}\n{p.text}"


def quote_html(n: int, quote: Quote) -> str:
    """Return one quote as an HTML block quote with its escaped citation."""
    a = quote.article
    title = html.escape(a.title or "untitled")
    if a.url.startswith(("http://", "https://")):
        title = f'<a href="{html.escape(a.url, quote=True)}" target="_blank" rel="noopener noreferrer">{title}</a>'
    return (
        f'<blockquote class="quote" data-article="{html.escape(a.id)}" data-start="{quote.start}" '
        f'data-end="{quote.end}"><p>{html.escape(quote.text)}</p>'
        f'<footer><span class="cite">[{n}]</span> {html.escape(a.outlet or "unknown outlet")}, '
        f"{html.escape(a.date_label)} · {title}</footer></blockquote>"
    )


def article_html(article: Article, start: int | None = None, end: int | None = None) -> str:
    """Return the article text as escaped HTML paragraphs with ``[start, end)`` in a <mark>."""
    text = article.text
    if start is not None and end is not None and 0 <= start < end <= len(text):
        body = (
            html.escape(text[:start])
            + f'<mark id="quote-mark">{html.escape(text[start:end])}</mark>'
            + html.escape(text[end:])
        )
    else:
        body = html.escape(text)
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
    meta = html.escape(citation(article))
    link = (
        f' · <a href="{html.escape(article.url, quote=True)}" target="_blank" rel="noopener noreferrer">source</a>'
        if article.url.startswith(("http://", "https://"))
        else ""
    )
    return f'<div class="article"><div class="meta">{meta}{link}</div>{paragraphs}</div>'
