"""Prompt templates: files in prompts/ with $variables, checked against what the code fills in.

``string.Template`` is used because news text is full of braces. Loading a prompt fails with a
PromptError naming any variable the code doesn't provide and any it provides that is unused.
"""

from __future__ import annotations

import string
from pathlib import Path

from .errors import PromptError

EXPECTED = {
    "answer": {"passages", "question", "not_covered"},
    "rewrite": {"history", "question"},
    "compare": {"quotes", "question"},
    "verdict": {"quotes", "question"},
}


def load_prompt(name: str, folder: Path) -> string.Template:
    """Return the template ``folder/name.md`` after checking its variables."""
    path = folder / f"{name}.md"
    try:
        template = string.Template(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PromptError(
            f"cannot read prompt {path}: {exc.strerror}; restore it from the repository"
        ) from exc
    if not template.is_valid():
        raise PromptError(f"prompt {path} has a malformed $placeholder; write $$ for a literal $")
    found = set(template.get_identifiers())
    expected = EXPECTED.get(name, set())
    if found != expected:
        strangers = sorted(found - expected)
        missing = sorted(expected - found)
        raise PromptError(
            f"prompt {path} does not match the code: unknown variables {strangers}, "
            f"missing variables {missing}; expected exactly {sorted(expected)}"
        )
    return template
