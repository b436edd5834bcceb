"""MCP tools: ``search`` and ``ask`` over an Assistant, for MCP clients (Claude Desktop, IDEs,
agents). Run with ``assistant mcp --index IDX`` (stdio); needs the ``mcp`` extra
(``pip install -e '.[mcp]'``). Every answer is the same JSON as ``assistant ask --json``:
quotes with their article, outlet, date and character span."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .api import Assistant
from .errors import AssistantError, ConfigError
from .render import answer_to_dict, passage_to_dict
from .types import Filters

INSTRUCTIONS = (
    "Answers questions about the indexed news reports with verbatim quotes, each cited to its "
    "article, outlet and date, or says the reports don't cover it. Use `ask` for an answer, "
    "`search` for the best passages. Dates are YYYY-MM-DD; outlets by name or domain."
)


def _filters(since: str, until: str, outlets: list[str]) -> Filters:
    try:
        return Filters(
            since=dt.date.fromisoformat(since) if since else None,
            until=dt.date.fromisoformat(until) if until else None,
            outlets=tuple(outlets),
        )
    except ValueError as exc:
        raise AssistantError(f"{exc}; dates are YYYY-MM-DD and since comes before until") from exc


def create_server(assistant: Assistant) -> Any:
    """Return the MCP server (``mcp.server.mcpserver.MCPServer``) with the two tools."""
    try:
        from mcp.server.mcpserver import MCPServer
        from mcp.server.mcpserver.exceptions import ToolError
    except ImportError as exc:
        raise ConfigError(
            "the MCP server needs the mcp extra: run `.venv/bin/pip install -e '.[mcp]'`"
        ) from exc
    server = MCPServer(name="report-assistant", instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool()
    def ask(
        question: str, since: str = "", until: str = "", outlets: list[str] | None = None
    ) -> dict[str, Any]:
        """Answer a question about the news reports with verbatim, cited quotes (or a
        refusal when the reports don't say). Optional date window and outlets."""
        try:
            answer = assistant.ask(question, filters=_filters(since, until, outlets or []))
        except AssistantError as exc:  # the client gets the reason, not a crash
            raise ToolError(str(exc)) from exc
        return answer_to_dict(answer)

    @server.tool()
    def search(
        question: str,
        k: int = 8,
        since: str = "",
        until: str = "",
        outlets: list[str] | None = None,
    ) -> dict[str, Any]:
        """Return the passages of the news reports that best match a question, best first,
        each with its article, outlet, date and character span."""
        try:
            found = assistant.search(question, k, filters=_filters(since, until, outlets or []))
        except AssistantError as exc:
            raise ToolError(str(exc)) from exc
        return {"passages": [passage_to_dict(p) for p in found]}

    return server


def serve(assistant: Assistant) -> None:
    """Serve the tools over stdio until the client closes the connection."""
    create_server(assistant).run("stdio")
