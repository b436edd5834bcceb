"""LangChain interop: the index as a langchain-core BaseRetriever, with article metadata."""

from __future__ import annotations

import datetime as dt
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from ..types import Filters, Passage


def passage_document(p: Passage) -> Document:
    """Return a Document whose metadata lets a chain cite the passage exactly."""
    a = p.article
    return Document(
        page_content=p.text,
        metadata={
            "article_id": a.id,
            "title": a.title,
            "outlet": a.outlet,
            "url": a.url,
            "published": a.published.isoformat() if a.published else None,
            "start": p.start,
            "end": p.end,
            "score": p.score,
            "rank": p.rank,
        },
    )


class ReportRetriever(BaseRetriever):
    """Retrieve passages from an Assistant's index (hybrid search, dates, filters)."""

    assistant: Any  # an api.Assistant; pydantic needs a run-time type, and this module stays off the core path
    k: int = 5
    filters: Filters | None = None
    as_of: dt.date | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        passages = self.assistant.search(query, k=self.k, filters=self.filters, as_of=self.as_of)
        return [passage_document(p) for p in passages]
