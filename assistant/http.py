"""The HTTP API: JSON endpoints over an Assistant, and an OpenAI-compatible chat endpoint whose
reply is the quoted answer with its citations as Markdown (so Open WebUI, LibreChat or the
``openai`` client can use the assistant as a "model").

One FastAPI app (``assistant.http``) under ``/v1/`` (documented at ``/v1/docs``); the web UI serves it on its own
port beside Gradio (``app.py``), with the same login when ``ASSISTANT_UI_AUTH`` is set: HTTP
Basic with the UI's user and password, or ``Authorization: Bearer PASSWORD`` (an OpenAI client's
``api_key``). Errors are JSON: ``{"error": {"message": ..., "type": ...}}``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel, Field

from .api import Assistant
from .errors import ArticleNotFoundError, AssistantError
from .render import (
    answer_markdown,
    answer_to_dict,
    article_to_dict,
    passage_to_dict,
    report_to_dict,
)
from .types import Filters

MODEL_ID = "report-assistant"
PREFIX = "/v1"


class FilterFields(BaseModel):
    since: dt.date | None = Field(None, description="only articles published on or after")
    until: dt.date | None = Field(None, description="only articles published on or before")
    outlets: list[str] = Field(default_factory=list, description="only these outlets (aliases)")

    def filters(self) -> Filters:
        try:
            return Filters(since=self.since, until=self.until, outlets=tuple(self.outlets))
        except ValueError as exc:  # since after until
            raise AssistantError(f"{exc}; swap since and until") from exc


class AskBody(FilterFields):
    question: str = Field(..., min_length=1)
    k: int | None = Field(None, ge=1, le=50, description="passages to retrieve")
    mode: str | None = Field(None, description='"extractive", "llm" or "timeline"')
    as_of: dt.date | None = Field(None, description="read time words relative to this date")
    history: list[dict[str, str]] = Field(
        default_factory=list, description='earlier turns: [{"role": "user", "content": ...}, ...]'
    )


class SearchBody(FilterFields):
    question: str = Field(..., min_length=1)
    k: int | None = Field(None, ge=1, le=100)
    as_of: dt.date | None = None


class ArticleBody(BaseModel):
    text: str = Field(..., min_length=1)
    title: str = ""
    outlet: str = ""
    url: str = ""
    published: dt.date | None = None


class UpdateBody(BaseModel):
    paths: list[str] = Field(..., min_length=1, description="files or folders on the server")
    sync: bool = Field(False, description="also drop articles whose files are gone")


class ChatMessage(BaseModel):
    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # OpenAI's content parts: keep the text ones
            return " ".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatBody(BaseModel):
    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(..., min_length=1)
    stream: bool = False


def _error(status: int, message: str, kind: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)


def _credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user, password
    if scheme.lower() == "bearer" and value:
        user, sep, password = value.partition(":")
        return (user, password) if sep else ("", value)
    return None


def create_api(
    assistant: Assistant, *, login: Callable[[str, str], bool] | None = None, user: str = ""
) -> FastAPI:
    """Return the FastAPI app of the HTTP API over ``assistant``.

    ``login(user, password)`` guards every route when given (the UI's throttled check);
    a bearer token without a user name is checked as ``user``'s password.
    """
    api = FastAPI(
        title="Report assistant API",
        summary="Answers as verbatim, cited quotes from the indexed news reports.",
        docs_url=f"{PREFIX}/docs",
        openapi_url=f"{PREFIX}/openapi.json",
        redoc_url=None,
    )

    async def guard(request: Request) -> None:
        if login is None:
            return
        given = _credentials(request)
        if given is None or not login(given[0] or user, given[1]):
            raise _UnauthorizedError

    @api.exception_handler(_UnauthorizedError)
    async def unauthorized(request: Request, exc: Exception) -> JSONResponse:
        response = _error(
            401, "log in: HTTP Basic with the UI's user and password, or a Bearer password", "auth"
        )
        response.headers["WWW-Authenticate"] = 'Basic realm="report-assistant"'
        return response

    @api.exception_handler(ArticleNotFoundError)
    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        return _error(404, str(exc.args[0] if exc.args else exc), type(exc).__name__)

    @api.exception_handler(AssistantError)
    async def refused(request: Request, exc: Exception) -> JSONResponse:
        return _error(400, str(exc), type(exc).__name__)

    guarded = [Depends(guard)]

    @api.get("/docs", include_in_schema=False)
    def docs() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/docs")

    @api.post(f"{PREFIX}/ask", dependencies=guarded, tags=["answers"])
    def ask(body: AskBody) -> dict[str, Any]:
        """Answer a question with verbatim quotes, each with its article and character span."""
        answer = assistant.ask(
            body.question,
            k=body.k,
            filters=body.filters(),
            history=body.history,
            mode=body.mode,
            as_of=body.as_of,
        )
        return answer_to_dict(answer)

    @api.post(f"{PREFIX}/search", dependencies=guarded, tags=["answers"])
    def search(body: SearchBody) -> dict[str, Any]:
        """Return the passages that best match a question, best first."""
        found = assistant.search(body.question, body.k, filters=body.filters(), as_of=body.as_of)
        return {"passages": [passage_to_dict(p) for p in found]}

    @api.get(f"{PREFIX}/articles", dependencies=guarded, tags=["articles"])
    def articles(
        since: dt.date | None = None, until: dt.date | None = None, outlet: str | None = None
    ) -> dict[str, Any]:
        """List the indexed articles (no text), newest first; filter by dates and outlet."""
        fields = FilterFields(since=since, until=until, outlets=[outlet] if outlet else [])
        rows = assistant.library(fields.filters())
        return {
            "articles": [
                {
                    "id": r.id,
                    "title": r.title,
                    "outlet": r.outlet,
                    "published": r.published or None,
                    "chunks": r.chunks,
                }
                for r in rows
            ]
        }

    @api.get(f"{PREFIX}/articles/{{article_id}}", dependencies=guarded, tags=["articles"])
    def article(article_id: str) -> dict[str, Any]:
        """Return one article with its full text (quotes' spans index into it)."""
        return article_to_dict(assistant.article(article_id), with_text=True)

    @api.post(f"{PREFIX}/articles", dependencies=guarded, tags=["articles"])
    def add(body: ArticleBody) -> dict[str, Any]:
        """Index one article given as text (the same text twice is stored once)."""
        report = assistant.add_text(
            body.text, title=body.title, outlet=body.outlet, url=body.url, published=body.published
        )
        return report_to_dict(report)

    @api.delete(f"{PREFIX}/articles/{{article_id}}", dependencies=guarded, tags=["articles"])
    def remove(article_id: str) -> dict[str, Any]:
        """Remove one article from the index."""
        return report_to_dict(assistant.remove([article_id]))

    roots = [
        os.path.realpath(r.strip())
        for r in assistant.settings.api_update_roots.split(",")
        if r.strip()
    ]

    @api.post(f"{PREFIX}/update", dependencies=guarded, tags=["articles"])
    def update(body: UpdateBody) -> Any:
        """Index new or changed files from folders on the server (only what changed is embedded).
        Only under the folders ASSISTANT_API_UPDATE_ROOTS names; feed and page URLs too then."""
        if not roots:
            return _error(
                403,
                "updating from server paths is off; set ASSISTANT_API_UPDATE_ROOTS to the folders "
                "it may read (or POST the text to /v1/articles)",
                "forbidden",
            )
        outside = [
            p
            for p in body.paths
            if not p.lower().startswith(("http://", "https://"))
            and not any(
                os.path.realpath(p) == r
                or os.path.realpath(p).startswith(r.rstrip(os.sep) + os.sep)
                for r in roots
            )
        ]
        if outside:
            return _error(
                403,
                f"{', '.join(outside)}: outside ASSISTANT_API_UPDATE_ROOTS; not read",
                "forbidden",
            )
        return report_to_dict(assistant.update(body.paths, sync=body.sync))

    @api.get(f"{PREFIX}/info", dependencies=guarded, tags=["index"])
    def info() -> dict[str, Any]:
        """Return the index's model, counts, outlets and date range."""
        manifest = assistant.info()
        held = assistant.holdings()
        return {
            "embedding_model": manifest.get("embedding_model"),
            "counts": manifest.get("counts"),
            "segments": len(manifest.get("segments", [])),  # type: ignore[arg-type]
            "updated": manifest.get("updated"),
            "outlets": held["outlets"],
            "published": {"first": held["first"], "last": held["last"]},
            "undated": held["undated"],
            "version_notes": manifest.get("version_notes", []),
        }

    @api.get(f"{PREFIX}/models", dependencies=guarded, tags=["openai"])
    def models() -> dict[str, Any]:
        """The assistant as the one "model" an OpenAI-compatible client can pick."""
        return {
            "object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": MODEL_ID}],
        }

    @api.post(
        f"{PREFIX}/chat/completions", dependencies=guarded, tags=["openai"], response_model=None
    )
    def chat(body: ChatBody) -> dict[str, Any] | StreamingResponse:
        """OpenAI-compatible chat: the last user message is the question, earlier turns are the
        conversation; the reply is the answer as Markdown with its quotes and sources."""
        turns = [
            {"role": m.role, "content": m.text()}
            for m in body.messages
            if m.role in ("user", "assistant")
        ]
        if not turns or turns[-1]["role"] != "user" or not turns[-1]["content"].strip():
            raise AssistantError("the last message must be the user's question")
        answer = assistant.ask(turns[-1]["content"], history=turns[:-1])
        content = answer_markdown(answer)
        ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if not body.stream:
            return {
                "id": ident,
                "object": "chat.completion",
                "created": created,
                "model": body.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            }
        return StreamingResponse(
            _chunks(ident, created, body.model, content), media_type="text/event-stream"
        )

    return api


def _chunks(ident: str, created: int, model: str, content: str) -> Iterator[str]:
    """Server-sent events of an OpenAI chat completion stream: the role, the answer paragraph
    by paragraph, the stop, then [DONE]."""

    def event(delta: dict[str, str], finish: str | None = None) -> str:
        chunk = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(chunk)}\n\n"

    yield event({"role": "assistant"})
    pieces = content.split("\n\n")
    for i, piece in enumerate(pieces):
        yield event({"content": piece + ("\n\n" if i < len(pieces) - 1 else "")})
    yield event({}, "stop")
    yield "data: [DONE]\n\n"


class _UnauthorizedError(Exception):
    """Raised by the login check; answered with 401 and a JSON error."""


class ApiFirst:
    """ASGI middleware: requests under ``/v1`` (and ``/docs``) go to the HTTP API, the rest to
    the web UI."""

    def __init__(self, app: Any, api: FastAPI) -> None:
        self.app, self.api = app, api

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope.get("type") in ("http", "websocket") else ""
        if path in (PREFIX, "/docs") or path.startswith(PREFIX + "/"):
            await self.api(scope, receive, send)
        else:
            await self.app(scope, receive, send)
