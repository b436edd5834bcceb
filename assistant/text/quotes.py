"""Quotation marks as news text uses them: curly, straight, guillemets. One set for all layers."""

from __future__ import annotations

OPEN_QUOTES = "\"'“‘«"
CLOSE_QUOTES = "\"'”’»"
DOUBLE_OPEN = "“"
DOUBLE_CLOSE = "”"
ALL_QUOTES = "\"'“”‘’«»„‟`"
CLOSERS = CLOSE_QUOTES + ")] "  # what may trail a sentence after its full stop
# Typographic marks folded to their plain form when matching a model's quote to the text.
FOLD = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "«": '"',
        "»": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "`": "'",
        "–": "-",
        "—": "-",
        "‒": "-",
        "−": "-",
        "‐": "-",
        "‑": "-",
    }
)
EDGE = " \t\n\"'“”‘’«»"  # stripped from the ends of a model's quote before matching
