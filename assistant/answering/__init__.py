"""Answerers: extractive (default, no LLM) and LLM-backed, both returning verified quotes."""

from __future__ import annotations

# Shown when the evidence is too weak; the LLM prompt asks the model for this exact phrase.
NOT_COVERED = "The reports don't say."
