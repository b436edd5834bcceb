"""Answer -> Markdown, for copying and exporting: quotes as block quotes, sources as links."""

from __future__ import annotations

from ..types import Answer, Quote
from .text import citation, prose


def _escape(text: str) -> str:
    """Keep an article's own characters from acting as Markdown in a block quote."""
    return "".join("\\" + c if c in "\\`*_[]<>#|" else c for c in text)


def quote_markdown(n: int, quote: Quote) -> str:
    """Return one quote as a Markdown block quote followed by its numbered source."""
    a = quote.article
    who = f"{_escape(quote.speaker)}: " if quote.speaker else ""
    source = _escape(citation(a))
    if a.url.startswith(("http://", "https://")):
        source = f"[{source}](<{a.url}>)"
    return f"> {who}“{_escape(quote.text)}”\n\n[{n}] {source}, characters {quote.start}-{quote.end}"


def answer_markdown(answer: Answer) -> str:
    """Return the whole answer as Markdown: question, prose, then every quote with its source."""
    parts = [f"**Q: {_escape(answer.question)}**", _escape(answer.text or prose(answer))]
    if answer.notice:
        parts.insert(1, f"*Note: {_escape(answer.notice)}*")
    parts.extend(quote_markdown(n, q) for n, q in enumerate(answer.quotes, start=1))
    return "\n\n".join(parts)
