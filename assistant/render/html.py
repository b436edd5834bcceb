"""Answer -> safe HTML for the web UI. Every article string is escaped here."""

from __future__ import annotations

import html
from collections.abc import Sequence

from ..types import Answer, Article, Passage, Quote
from .text import VERDICT_WORDS, citation

# Characters that Markdown would act on, as HTML entities: the chat renders Markdown, and an
# article's "[click](http://…)" or "**URGENT**" must show as the article's text, not as a link.
# Newlines too: a blank line would end the chat's HTML block and hand the rest of a quote that
# runs across paragraphs to Markdown (links auto-made from bare addresses, emphasis).
_INERT = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'[]()*_`#|~\\!{}$\n"})


def esc(text: str) -> str:
    """Return article text safe inside the chat: HTML-escaped and Markdown-inert, in one pass."""
    return text.translate(_INERT)


def esc_paragraphs(text: str) -> str:
    """Return ``esc(text)`` with its paragraph breaks as line breaks (a quote may run across)."""
    return "<br>".join(esc(part) for part in text.split("\n\n"))


def cite_href(article_id: str, start: int, end: int) -> str:
    """Return the in-page link the UI turns into "open this article at this span"."""
    return f"#cite/{html.escape(article_id, quote=True)}/{start}/{end}"


def safe_href(url: str) -> str | None:
    """Return an article's address escaped for an href when it is https, else None: the only
    link the page takes from data (no javascript:, data: or plain-http links)."""
    url = url.strip()
    if url.lower().startswith("https://") and len(url) > len("https://"):
        return html.escape(url, quote=True)
    return None


def _title_link(article: Article) -> str:
    title = esc(article.title or "untitled")
    href = safe_href(article.url)
    if href:
        return f'<a href="{href}" target="_blank" rel="noopener noreferrer">{title}</a>'
    return title


def quote_html(n: int, quote: Quote) -> str:
    """Return one quote as an HTML block quote; its [n] opens the article at the quote."""
    a = quote.article
    speaker = f'<span class="speaker">{esc(quote.speaker)}</span> ' if quote.speaker else ""
    return (
        f'<blockquote class="quote"><p>{speaker}“{esc_paragraphs(quote.text)}”</p>'
        f'<footer><a class="cite" href="{cite_href(a.id, quote.start, quote.end)}">[{n}]</a> '
        f"<b>{esc(a.outlet_label)}</b>, {esc(a.date_label)} · "
        f"{_title_link(a)}</footer></blockquote>"
    )


def answer_html(answer: Answer) -> str:
    """Return a whole answer as safe HTML for the chat: lead, notices, quotes, fallbacks."""
    parts = []
    if answer.rewritten_question:
        parts.append(
            f'<p class="rewritten">Understood as: <i>{esc(answer.rewritten_question)}</i></p>'
        )
    if answer.notice:
        parts.append(f'<p class="notice">⚠ {esc(answer.notice)}</p>')
    if not answer.answerable:
        parts.append(f"<p><b>{esc(answer.text)}</b></p>")
        if answer.passages:
            items = "".join(
                f'<li><a class="cite" href="{cite_href(p.article.id, p.start, p.end)}">'
                f"{esc(p.article.label)}</a> · {esc(p.article.title or 'untitled')}</li>"
                for p in answer.passages[:3]
            )
            parts.append(f"<p>Closest passages (they don't answer it):</p><ul>{items}</ul>")
        return "\n".join(parts)
    if answer.verdict is not None:
        v = answer.verdict
        cites = " ".join(
            f'<a class="cite" href="{cite_href(answer.quotes[i].article.id, answer.quotes[i].start, answer.quotes[i].end)}">[{i + 1}]</a>'
            for i in v.quotes
        )
        parts.append(
            f'<p class="lead"><span class="lead-label">The model\'s verdict:</span> '
            f"<b>{esc(VERDICT_WORDS.get(v.value, v.value))}</b> {cites} {esc(v.reason)}</p>"
        )
    if answer.short is not None:
        short = answer.short
        link = cite_href(short.article.id, short.start, short.end)
        parts.append(
            f'<p class="lead"><span class="lead-label">Named in the reports:</span> '
            f'<a class="cite" href="{link}">“{esc(short.text)}”</a></p>'
        )
    if answer.lead:
        who = "The model's summary" if answer.mode == "llm" else "In short"
        parts.append(
            f'<p class="lead"><span class="lead-label">{who}:</span> {esc(answer.lead)}</p>'
        )
    for c in answer.conflicts:
        label = "Reports agree" if c.agree else "Reports differ"
        sides = "".join(
            f"<li>{esc(answer.quotes[f.quote].article.outlet_label)} "
            f"({esc(answer.quotes[f.quote].article.date_label)}): <b>{esc(f.text)}</b> "
            f'<a class="cite" href="{cite_href(answer.quotes[f.quote].article.id, answer.quotes[f.quote].start, answer.quotes[f.quote].end)}">[{f.quote + 1}]</a></li>'
            for f in c.figures
        )
        if c.kind == "claim":
            sides = "".join(
                f"<li>{esc(answer.quotes[i].article.outlet_label)} "
                f"({esc(answer.quotes[i].article.date_label)}): “{esc(answer.quotes[i].text)}” "
                f'<a class="cite" href="{cite_href(answer.quotes[i].article.id, answer.quotes[i].start, answer.quotes[i].end)}">[{i + 1}]</a></li>'
                for i in c.quotes
            )
            what = f'<span class="lead-label">The model\'s comparison:</span> {esc(c.summary)}'
            sides = f"<p>{what}</p><ul>{sides}</ul>"
        else:
            sides = f"<ul>{sides}</ul>"
        kind = "agree" if c.agree else "conflict"
        parts.append(
            f'<div class="{kind}"><span class="badge">⚖ {label} on {esc(c.quantity)}</span>{sides}</div>'
        )
    if answer.timeline:
        items = []
        for e in answer.timeline:
            when = e.date.isoformat() if e.date else "undated"
            note = "" if e.dated_by == "event" else ' <span class="dated-by">(report date)</span>'
            quotes = "".join(quote_html(i + 1, answer.quotes[i]) for i in e.quotes)
            items.append(f'<li><span class="when">{when}</span>{note}{quotes}</li>')
        parts.append(f'<ol class="timeline">{"".join(items)}</ol>')
    else:
        parts.extend(quote_html(n, q) for n, q in enumerate(answer.quotes, start=1))
    if answer.rejected:
        parts.append(
            f'<p class="notice">{len(answer.rejected)} of the model\'s quotes were not found in the '
            f"reports and are not shown.</p>"
        )
    return "\n".join(parts)


def evidence_html(passages: Sequence[Passage]) -> str:
    """Return the passages behind an answer, with their scores, as safe HTML."""
    if not passages:
        return "<p>No passages yet.</p>"
    rows = []
    for p in passages:
        scores = ", ".join(f"{k} {v:.3f}" for k, v in p.scores)
        rows.append(
            f'<div class="passage"><div class="meta"><a class="cite" href="{cite_href(p.article.id, p.start, p.end)}">'
            f"#{p.rank}</a> {esc(p.article.label)} · {esc(p.article.title or 'untitled')}"
            f' <span class="score" title="score {p.score:.4f} ({esc(scores)})">'
            f"{esc(match_words(p))}</span></div>"
            f"<p>{esc(p.text)}</p></div>"
        )
    return "".join(rows)


MATCH_WORDS = {"bm25": "keyword", "dense": "meaning", "title": "headline"}


def match_words(passage: Passage) -> str:
    """Return how a passage was found, in words: "keyword, meaning and headline match"."""
    found = [
        MATCH_WORDS[name.split("@")[0]]
        for name, _ in passage.scores
        if name.split("@")[0] in MATCH_WORDS
    ]
    found = list(dict.fromkeys(found))
    if not found:
        return "found by the outlet it names"
    said = found[0] if len(found) == 1 else ", ".join(found[:-1]) + " and " + found[-1]
    return f"{said} match"


def article_html(article: Article, start: int | None = None, end: int | None = None) -> str:
    """Return the article text as escaped HTML paragraphs with ``[start, end)`` in <mark>s: one
    per paragraph the quote covers (a quote may run across a paragraph break), the first with
    ``id="quote-mark"`` (scrolled to)."""
    text = article.text
    span = (start, end) if start is not None and end is not None and 0 <= start < end else None
    blocks = []
    at = 0
    for para in text.split("\n\n"):
        lo, hi = (max(span[0], at) - at, min(span[1], at + len(para)) - at) if span else (0, 0)
        if lo < hi:
            first = ' id="quote-mark"' if not any("<mark" in b for b in blocks) else ""
            blocks.append(
                f"<p>{esc(para[:lo])}<mark{first}>{esc(para[lo:hi])}</mark>{esc(para[hi:])}</p>"
            )
        else:
            blocks.append(f"<p>{esc(para)}</p>")
        at += len(para) + 2
    paragraphs = "".join(blocks)
    meta = esc(citation(article))
    href = safe_href(article.url)
    if href:
        link = f' · <a href="{href}" target="_blank" rel="noopener noreferrer">source</a>'
    else:  # any other address is shown as text, never followed
        link = f" · source: {esc(article.url)}" if article.url.strip() else ""

    back = '<a class="back-to-chat" href="#chat">↑ Back to the chat</a>'
    return (
        f'<div class="article"><div class="meta">{meta}{link} · {back}</div>{paragraphs}'
        f"<p>{back}</p></div>"
    )
