"""Answerers: passages -> an Answer of verified quotes (structure only; ``render`` writes prose).

- ``answerers``: the protocol and the answerers the API picks from (extractive, timeline, LLM,
  and the LLM-to-extractive fallback as a wrapper);
- ``extractive``: the default, no LLM: the best sentences, weighed as evidence;
- ``llm``, ``verify``: a chat model picks quotes; each is located verbatim or rejected;
- ``timeline``, ``conflicts``: quotes as dated events; figures that differ across reports;
- ``attribution``: who speaks in a quote; ``followup``: follow-ups made standalone.
"""

from ..types import NOT_COVERED

__all__ = ["NOT_COVERED"]
