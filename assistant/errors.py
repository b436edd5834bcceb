"""The assistant's exceptions. Every message says what was wrong and what to do.

AssistantError
├── ConfigError            a setting or ASSISTANT_* variable is unknown or invalid
├── PromptError            a prompt file is missing or has unexpected $variables
├── IngestError            a file could not be read as articles (names file and reason)
├── ModelError             the embedding model could not be loaded
├── LLMError               an LLM backend failed or timed out
└── IndexStoreError            base for problems with an index folder
    ├── IndexNotFoundError     no index at the path
    ├── IndexMismatchError     built with another model, chunking or format version
    ├── IndexCorruptError      files missing, truncated or altered
    ├── IndexLockedError       another process is updating the index
    ├── IndexExistsError       a build would replace an existing index without being told to
    └── ArticleNotFoundError   an article id the index doesn't hold

Beside the tree, ``IndexVersionWarning`` (a UserWarning): the index was built with other
versions of what defines its terms or vectors; it still opens.

Third-party errors are wrapped where they occur (``raise ... from exc``). The CLI prints the
message on one line and exits 1; the UI shows it in the chat.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class of every error the assistant raises on purpose."""


class ConfigError(AssistantError):
    """A setting is unknown or has an invalid value."""


class PromptError(AssistantError):
    """A prompt template is missing or its variables don't match."""


class IngestError(AssistantError):
    """A file could not be read as articles."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class ModelError(AssistantError):
    """The embedding model could not be loaded or run."""


class LLMError(AssistantError):
    """An LLM backend failed, timed out or answered in an unusable way."""


class IndexStoreError(AssistantError):
    """Base class for problems with an index folder."""


class IndexNotFoundError(IndexStoreError):
    """No index exists at the given folder."""


class IndexMismatchError(IndexStoreError):
    """The index was built with other settings or by another format version."""


class IndexCorruptError(IndexStoreError):
    """Index files are missing, truncated or altered."""


class IndexLockedError(IndexStoreError):
    """Another process holds the index's write lock."""


class IndexExistsError(IndexStoreError):
    """A build would replace an existing index and was not told to (``overwrite``/``--force``)."""


class ArticleNotFoundError(IndexStoreError, KeyError):
    """An article id the index doesn't hold."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class IndexVersionWarning(UserWarning):
    """The index was built with other versions of what defines its terms or vectors."""
