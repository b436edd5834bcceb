"""Question -> ranked passages. ``search`` composes the parts:

- ``rankers``: dense vectors, keywords (BM25), headlines; one function each, one shape;
- ``timeframe``: the dates a question names ("this week", "in October 2022");
- ``fusion``: reciprocal-rank fusion, the penalty for reports after ``as_of``, the per-article cap.
"""

from .search import METHODS, SearchResult, search

__all__ = ["METHODS", "SearchResult", "search"]
