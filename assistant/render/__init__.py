"""The only producer of prose: answers as plain text (CLI, streaming), Markdown (copy, export),
HTML (the web UI) and JSON-ready dicts (CLI ``--json``, tests)."""

from .data import answer_to_dict, article_to_dict, passage_to_dict, report_to_dict
from .html import answer_html, article_html, evidence_html
from .markdown import answer_markdown
from .text import answer_to_text, passage_to_text, prose

__all__ = [
    "answer_html",
    "answer_markdown",
    "answer_to_dict",
    "answer_to_text",
    "article_html",
    "article_to_dict",
    "evidence_html",
    "passage_to_dict",
    "passage_to_text",
    "prose",
    "report_to_dict",
]
