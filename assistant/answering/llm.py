"""The LLM answerer: a chat model picks quotes by passage key; every quote is verified.

Backends are LangChain chat models: any OpenAI-compatible server (llama.cpp, vLLM, LM Studio,
OpenAI) or Ollama. The model sees passages keyed ``[P1]..[Pn]`` and must answer with quotes tied
to keys. A quote is shown only if ``verify.locate`` finds it in the passage it cites; the rest
are kept on the answer as ``rejected``. The raw output is kept too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from ..config import Settings
from ..errors import ConfigError, LLMError
from ..prompts import load_prompt
from ..types import Answer, Conflict, Passage, Quote, RejectedQuote, TextDelta, Verdict
from . import NOT_COVERED
from .verify import locate

# `[P2] "quote"`, `[P2]: “quote”`, or `"quote" [P2]`; keys are matched case-insensitively.
_KEYED = re.compile(
    r"\[(P\d+)\]\s*[:\-–]?\s*[\"“](.+?)[\"”](?=\s*(?:\[|$|\n))", re.IGNORECASE | re.MULTILINE
)
_TRAILING_KEY = re.compile(r"[\"“]([^\"”\n]{3,}?)[\"”]\s*\[(P\d+)\]", re.IGNORECASE)
_UNKEYED = re.compile(r"[\"“]([^\"”\n]{20,})[\"”]")  # a quotation with no key, anywhere
_LEAD = re.compile(r"^\s*ANSWER:\s*(.+)$", re.IGNORECASE | re.MULTILINE)


_MISSING = (
    "LLM mode needs {package}, which is not installed: run `pip install -e '.[llm]'` "
    "(or answer in extractive mode)"
)


def chat_model(settings: Settings) -> Any:
    """Return the LangChain chat model the settings describe."""
    if not settings.llm_model:
        raise ConfigError("no LLM model set: set ASSISTANT_LLM_MODEL (and ASSISTANT_LLM_BASE_URL)")
    if settings.llm_backend == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError as exc:
            raise ConfigError(_MISSING.format(package="langchain-ollama")) from exc

        return ChatOllama(
            model=settings.llm_model,
            base_url=settings.llm_base_url or None,
            temperature=0,
            num_predict=settings.llm_max_tokens,
            client_kwargs={"timeout": settings.llm_timeout},
        )
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise ConfigError(_MISSING.format(package="langchain-openai")) from exc

    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url or None,
        api_key=settings.llm_api_key or "not-needed",  # local servers ignore the key
        timeout=settings.llm_timeout,
        max_retries=0,
        temperature=0,
        max_tokens=settings.llm_max_tokens,
    )


def passages_block(passages: Sequence[Passage]) -> str:
    """Return the passages as the prompt shows them, keyed [P1]..[Pn]."""
    blocks = []
    for i, p in enumerate(passages, start=1):
        a = p.article
        blocks.append(f"[P{i}] {a.outlet_label}, {a.date_label}, {a.title}\n{p.text}")
    return "\n\n".join(blocks)


def parse(raw: str) -> tuple[str, list[tuple[str, str]]]:
    """Return the model's lead sentence and its (key, quote) claims, in order."""
    lead_match = _LEAD.search(raw)
    lead = lead_match.group(1).strip() if lead_match else ""
    claims: list[tuple[str, str]] = []
    seen_spans: list[tuple[int, int]] = []
    for m in _KEYED.finditer(raw):
        claims.append((m.group(1).upper(), m.group(2)))
        seen_spans.append(m.span())
    for m in _TRAILING_KEY.finditer(raw):
        if not any(s <= m.start() < e for s, e in seen_spans):
            claims.append((m.group(2).upper(), m.group(1)))
            seen_spans.append(m.span())
    for m in _UNKEYED.finditer(raw):
        if not any(s <= m.start() < e for s, e in seen_spans):
            claims.append(("", m.group(1)))
    return lead, claims


def verify_claims(
    claims: Sequence[tuple[str, str]], passages: Sequence[Passage]
) -> tuple[list[Quote], list[RejectedQuote]]:
    """Keep the claims found verbatim in the passage they cite; reject the others with a reason."""
    keyed = {f"P{i}": p for i, p in enumerate(passages, start=1)}
    quotes: list[Quote] = []
    rejected: list[RejectedQuote] = []
    for key, text in claims:
        if not key:  # no key: accept it only if it is verbatim in one of the given passages
            quote = next((q for p in passages if (q := locate(text, p)) is not None), None)
            if quote is None:
                rejected.append(RejectedQuote(text, "", "cites no passage and is in none verbatim"))
                continue
        elif (passage := keyed.get(key)) is None:
            rejected.append(RejectedQuote(text, key, f"cites {key}, which was never given"))
            continue
        else:
            quote = locate(text, passage)
        if quote is None:
            rejected.append(RejectedQuote(text, key, f"not found verbatim in {key}"))
        elif not any(
            q.article.id == quote.article.id and q.start == quote.start and q.end == quote.end
            for q in quotes
        ):
            quotes.append(quote)
    return quotes, rejected


def stream_answer(
    question: str, passages: Sequence[Passage], settings: Settings, model: Any | None = None
) -> Iterator[TextDelta | Answer]:
    """Yield the model's tokens as they arrive, then the verified Answer.

    Raises LLMError when the backend fails or times out; the caller falls back to extractive.
    An Answer with no quotes (and answerable=False) means nothing could be verified.
    """
    template = load_prompt("answer", settings.prompts_dir)
    prompt = template.substitute(
        passages=passages_block(passages), question=question, not_covered=NOT_COVERED
    )
    model = model or chat_model(settings)
    parts: list[str] = []
    try:
        for chunk in model.stream([("human", prompt)]):
            piece = chunk.content if isinstance(chunk.content, str) else ""
            if piece:
                parts.append(piece)
                yield TextDelta(piece)
    except Exception as exc:  # any backend failure means: fall back
        raise LLMError(
            f"the LLM backend failed: {type(exc).__name__}: {_redact(str(exc), settings)}"
        ) from exc
    raw = "".join(parts)
    lead, claims = parse(raw)
    quotes, rejected = verify_claims(claims, passages)
    yield Answer(
        question=question,
        lead=lead if quotes else "",
        quotes=tuple(quotes),
        answerable=bool(quotes),
        passages=tuple(passages),
        rejected=tuple(rejected),
        raw_output=raw,
        mode="llm",
    )


def refused(raw: str) -> bool:
    """Return True when the model said the passages don't answer the question."""
    return NOT_COVERED.lower().rstrip(".") in raw.lower().replace("’", "'")


def rewrite_question(
    question: str, history: Sequence[dict[str, Any]], settings: Settings, model: Any | None = None
) -> str:
    """Return the model's standalone form of a follow-up question (one line)."""
    template = load_prompt("rewrite", settings.prompts_dir)
    turns = "\n".join(
        f"{m.get('role', 'user')}: {str(m.get('content', ''))[:500]}" for m in history[-6:]
    )
    prompt = template.substitute(history=turns, question=question)
    model = model or chat_model(settings)
    try:
        reply = model.invoke([("human", prompt)])
    except Exception as exc:  # any backend failure means: use the rules
        raise LLMError(
            f"the LLM backend failed: {type(exc).__name__}: {_redact(str(exc), settings)}"
        ) from exc
    text = reply.content if isinstance(reply.content, str) else ""
    line = text.strip().split("\n", 1)[0].strip().strip('"')
    return line if 3 <= len(line) <= 500 else question


_FINDING = re.compile(
    r"^\s*(?:\d+[.)])?\W*(CONFLICT|AGREE)\w*\W*((?:\[?\d+\]?[\s,&and]*){2,}?)\s*[:\-–]\s*(.+)$",
    re.IGNORECASE | re.MULTILINE,
)
SUMMARY_CHARS = 300  # a longer "one sentence" is cut


def parse_findings(raw: str, quotes: Sequence[Quote]) -> list[Conflict]:
    """Return the comparisons in a model's reply that cite quotes of at least two articles.

    A finding naming a quote number that doesn't exist, or quotes all from one article, is
    dropped: the sides shown are always verified quotes of different reports.
    """
    found: list[Conflict] = []
    seen: set[tuple[bool, tuple[int, ...]]] = set()
    for m in _FINDING.finditer(raw):
        numbers = [int(n) for n in re.findall(r"\d+", m.group(2))]
        if not numbers or any(n < 1 or n > len(quotes) for n in numbers):
            continue
        indices = tuple(dict.fromkeys(n - 1 for n in numbers))
        if len({quotes[i].article.id for i in indices}) < 2:
            continue
        agree = m.group(1).upper() == "AGREE"
        if (agree, indices) in seen:
            continue
        seen.add((agree, indices))
        summary = " ".join(m.group(3).split())[:SUMMARY_CHARS]
        found.append(Conflict("claims", (), agree, kind="claim", quotes=indices, summary=summary))
    return found


def compare_claims(
    question: str, quotes: Sequence[Quote], settings: Settings, model: Any | None = None
) -> tuple[list[Conflict], str]:
    """Ask the model which quotes contradict (or agree with) each other; return findings and raw.

    Only quote numbers come back from the model, so every side shown is a verified quote.
    Raises LLMError when the backend fails.
    """
    template = load_prompt("compare", settings.prompts_dir)
    prompt = template.substitute(quotes=numbered_quotes(quotes), question=question)
    model = model or chat_model(settings)
    try:
        reply = model.invoke([("human", prompt)])
    except Exception as exc:  # any backend failure: no claim comparison
        raise LLMError(
            f"the LLM backend failed: {type(exc).__name__}: {_redact(str(exc), settings)}"
        ) from exc
    raw = reply.content if isinstance(reply.content, str) else ""
    return parse_findings(raw, quotes), raw


_VERDICT = re.compile(
    r"VERDICT\W*(YES|NO|UNCLEAR)\b\W*((?:\[?\d+\]?[\s,&and]*)*)\s*[:\-–]?\s*(.*)$",
    re.IGNORECASE | re.MULTILINE,
)


def parse_verdict(raw: str, quotes: Sequence[Quote]) -> Verdict | None:
    """Return the model's verdict when it names at least one existing quote; else None.

    A verdict citing a quote number that doesn't exist is dropped: what it rests on must be a
    verified quote the reader can open.
    """
    m = _VERDICT.search(raw)
    if not m:
        return None
    numbers = [int(n) for n in re.findall(r"\d+", m.group(2))]
    if not numbers or any(n < 1 or n > len(quotes) for n in numbers):
        return None
    reason = " ".join(m.group(3).split())[:SUMMARY_CHARS]
    return Verdict(m.group(1).lower(), tuple(dict.fromkeys(n - 1 for n in numbers)), reason)


def numbered_quotes(quotes: Sequence[Quote]) -> str:
    """Return the quotes as the prompts list them: number, outlet, date, text."""
    return "\n".join(
        f"[{n}] {q.article.outlet_label}, {q.article.date_label}: “{q.text}”"
        for n, q in enumerate(quotes, start=1)
    )


def yes_no_verdict(
    question: str, quotes: Sequence[Quote], settings: Settings, model: Any | None = None
) -> tuple[Verdict | None, str]:
    """Ask the model for the yes/no a question asks, from the verified quotes only; return
    the verdict (None when the reply names no existing quote) and the raw reply.

    Raises LLMError when the backend fails.
    """
    template = load_prompt("verdict", settings.prompts_dir)
    prompt = template.substitute(quotes=numbered_quotes(quotes), question=question)
    model = model or chat_model(settings)
    try:
        reply = model.invoke([("human", prompt)])
    except Exception as exc:  # any backend failure: no verdict
        raise LLMError(
            f"the LLM backend failed: {type(exc).__name__}: {_redact(str(exc), settings)}"
        ) from exc
    raw = reply.content if isinstance(reply.content, str) else ""
    return parse_verdict(raw, quotes), raw


def _redact(message: str, settings: Settings) -> str:
    """Keep the API key out of error messages."""
    return message.replace(settings.llm_api_key, "***") if settings.llm_api_key else message
