"""MCP: the search and ask tools, served by `assistant mcp` over stdio and called by the real
MCP client, answer with quotes whose spans slice their article."""

from __future__ import annotations

import json
import os
import sys

import anyio
import pytest

from .conftest import ROOT

SHELL_Q = "How long does it take for the shell to reach its target?"
SHELL = "It takes around 40 seconds for the shell to reach its target."


def _payload(result) -> dict:
    if getattr(result, "structured_content", None):
        return result.structured_content
    return json.loads(result.content[0].text)


def test_an_mcp_client_lists_the_tools_and_gets_cited_quotes(seed_index, embedder):
    pytest.importorskip("mcp")
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    from assistant import Assistant

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "assistant", "mcp", "--index", str(seed_index)],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        cwd=str(ROOT),
    )

    async def session():
        async with Client(params) as client:
            tools = await client.list_tools()
            answer = await client.call_tool("ask", {"question": SHELL_Q})
            found = await client.call_tool("search", {"question": "Bakhmut", "k": 3})
            refused = await client.call_tool(
                "ask", {"question": SHELL_Q, "since": "2030-01-01", "until": "2020-01-01"}
            )
            return tools, answer, found, refused

    tools, answer, found, refused = anyio.run(session)
    assert {"ask", "search"} <= {t.name for t in tools.tools}
    quote = next(q for q in _payload(answer)["quotes"] if SHELL in q["text"])
    article = Assistant.open(seed_index, embedder=embedder).article(quote["article"]["id"])
    assert article.text[quote["start"] : quote["end"]] == quote["text"]
    assert 1 <= len(_payload(found)["passages"]) <= 3
    assert refused.is_error and "since" in refused.content[0].text
