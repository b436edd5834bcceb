"""Question answering over news reports, answered only with verbatim, cited quotes.

from assistant import Assistant
a = Assistant.build(["reports/"], index_dir="index")
ans = a.ask("How long does it take a shell to reach its target?")
ans.quotes[0].text, ans.quotes[0].article.outlet, ans.quotes[0].start
"""

import logging as _logging

from .api import Assistant, index_exists
from .config import Settings
from .errors import (
    ArticleNotFoundError,
    AssistantError,
    ConfigError,
    IndexCorruptError,
    IndexExistsError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexStoreError,
    IndexVersionWarning,
    IngestError,
    LLMError,
    ModelError,
    PromptError,
)
from .indexing import UpdateReport
from .ingest import load_paths, make_article
from .types import (
    NOT_COVERED,
    Answer,
    Article,
    ArticleInfo,
    Chunk,
    Filters,
    Passage,
    Quote,
    RejectedQuote,
    TextDelta,
    Verdict,
)

# A library logs, the application decides where to: silent unless configured (the CLI and the
# web app call Settings.configure_logging; scripts use logging.basicConfig as usual).
_logging.getLogger("assistant").addHandler(_logging.NullHandler())

__all__ = [
    "Answer",
    "Article",
    "ArticleInfo",
    "ArticleNotFoundError",
    "Assistant",
    "AssistantError",
    "Chunk",
    "ConfigError",
    "Filters",
    "IndexCorruptError",
    "IndexExistsError",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexStoreError",
    "IndexVersionWarning",
    "IngestError",
    "LLMError",
    "ModelError",
    "NOT_COVERED",
    "Passage",
    "PromptError",
    "Quote",
    "RejectedQuote",
    "Settings",
    "TextDelta",
    "UpdateReport",
    "Verdict",
    "index_exists",
    "load_paths",
    "make_article",
]
