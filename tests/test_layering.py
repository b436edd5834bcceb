"""Architecture rules, read from the code's imports: which part of the package may import which,
who owns the heavy libraries, and that the UI goes through the public API only."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import pytest

import assistant

from .conftest import ROOT

PACKAGE = ROOT / "assistant"
# Each part of the package and the parts it may import. Lower layers never import higher ones:
# text -> ingest -> indexing -> store -> retrieval -> answering -> render -> api -> cli.
ALLOWED = {
    "text": set(),
    "errors": set(),
    "types": set(),
    "config": {"errors"},
    "prompts": {"errors"},
    "ingest": {"text", "types", "errors"},
    "embedding": {"config", "errors"},
    "store": {"text", "types", "errors"},
    "indexing": {"ingest", "embedding", "store", "text", "types", "errors"},
    "retrieval": {"store", "embedding", "text", "types"},
    "answering": {"retrieval", "embedding", "text", "types", "config", "errors", "prompts"},
    "render": {"text", "types"},
    "api": {
        "answering",
        "retrieval",
        "render",
        "indexing",
        "ingest",
        "embedding",
        "store",
        "config",
        "errors",
        "types",
        "evaluation",
        "integrations",
        "archive",  # Assistant.open([...]) hands a list of shards to the archive (lazily)
    },
    # several indexes as one: built on the api's Assistant
    "archive": {"api", "config", "embedding", "errors", "indexing", "ingest", "store", "types"},
    "evaluation": {"errors", "types", "text", "api"},  # api for type hints only
    "integrations": {"types"},
    "cli": {"api", "render", "config", "errors", "types", "evaluation", "watch", "mcp_tools"},
    "mcp_tools": {"api", "render", "errors", "types"},  # MCP tools: beside the CLI
    "watch": {"api", "errors", "indexing"},  # watched folders: beside the CLI, over the API
    "http": {"api", "render", "errors", "types"},  # the HTTP API: beside the CLI, over the API
    "__init__": {"api", "answering", "config", "errors", "indexing", "ingest", "types"},
    "__main__": {"cli"},
}
# A part, or one module ("answering/reranker.py"), that may import each heavy library.
HEAVY_OWNERS = {
    "faiss": {"store"},
    "sentence_transformers": {"embedding"},
    "onnxruntime": {"embedding", "answering/reranker.py"},
    "langchain_core": {"integrations", "answering"},
    "gradio": set(),
    "ray": {"embedding/ray_engine.py"},
}


def _part(path: Path) -> str:
    """Return the part of the package a module belongs to ("retrieval", "api", ...)."""
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path):
    """Yield (top-level name, part of assistant or "") for every import in a module."""
    rel = path.relative_to(PACKAGE)
    package = ["assistant", *rel.parts[:-1]]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                yield parts[0], parts[1] if parts[0] == "assistant" and len(parts) > 1 else ""
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                full = base + (node.module.split(".") if node.module else [])
            else:
                full = (node.module or "").split(".")
            if full[0] != "assistant":
                yield full[0], ""
            elif len(full) > 1:
                yield "assistant", full[1]
            else:  # "from . import x" at the top: x is the part
                for alias in node.names:
                    yield "assistant", alias.name


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_part_imports_only_the_parts_below_it(path):
    part = _part(path)
    assert part in ALLOWED, f"{part} is a new part of the package: add its rule to ALLOWED"
    for top, target in _imports(path):
        if top == "assistant" and target and target != part:
            assert target in ALLOWED[part], f"{path.relative_to(ROOT)} ({part}) imports {target}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_owning_part_imports_heavy_libraries(path):
    for top, _ in _imports(path):
        if top in HEAVY_OWNERS:
            owners = HEAVY_OWNERS[top]
            where = str(path.relative_to(PACKAGE))
            assert _part(path) in owners or where in owners, f"{where} imports {top}"


def test_app_uses_only_public_names_and_never_the_store():
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("assistant"):
            assert node.module in (
                "assistant",
                "assistant.render",
                "assistant.http",
                "assistant.watch",
            ), node.module
            if node.module == "assistant":
                assert all(a.name in assistant.__all__ for a in node.names)
        if isinstance(node, ast.Attribute):
            assert node.attr not in ("snapshot", "_snapshot"), "app.py reaches past the API"


def test_all_is_sorted_and_complete():
    assert list(assistant.__all__) == sorted(assistant.__all__)
    submodules = {m.name for m in pkgutil.iter_modules(assistant.__path__)}
    public = {n for n in dir(assistant) if not n.startswith("_")} - submodules
    assert public == set(assistant.__all__)
