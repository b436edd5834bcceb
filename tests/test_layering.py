"""Architecture rules: the package never imports the UI; the public API is what __all__ says."""

from __future__ import annotations

import ast
import pkgutil

import assistant

from .conftest import ROOT

HEAVY_OWNERS = {"faiss": {"reader.py", "writer.py"}, "sentence_transformers": {"embedding.py"}, "gradio": set()}


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0]


def test_only_the_owning_module_imports_gradio_faiss_or_sentence_transformers():
    for path in (ROOT / "assistant").rglob("*.py"):
        for name in _imports(path):
            if name in HEAVY_OWNERS:
                assert path.name in HEAVY_OWNERS[name], f"{path.relative_to(ROOT)} imports {name}"


def test_app_uses_only_public_names():
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("assistant"):
            if node.module == "assistant":
                assert all(a.name in assistant.__all__ for a in node.names)


def test_all_is_sorted_and_complete():
    assert list(assistant.__all__) == sorted(assistant.__all__)
    submodules = {m.name for m in pkgutil.iter_modules(assistant.__path__)}
    public = {n for n in dir(assistant) if not n.startswith("_")} - submodules
    assert public == set(assistant.__all__)
