"""Names and numbers a question asks about (``text.entities``): what coverage checks for."""

import pytest

from assistant.text.entities import coverage, entities


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Broadway’s biggest stars were honoured", ["Broadway"]),
        ("Did the Jones' family move?", ["Jones"]),
        ("The Donetsk People’s Republic said", ["Donetsk People’s Republic"]),
        ("Approximately how many swings were recalled?", []),
        ("Officials met. Reportedly, talks stalled.", ["Officials"]),
        ("Italy and Kelly won 2 of 3 games in 2022", ["Italy", "Kelly", "2", "3", "2022"]),
        ("What did the Bank of England say?", ["Bank of England"]),
    ],
)
def test_names_drop_possessives_and_sentence_opening_adverbs(text, expected):
    assert entities(text) == expected


def test_coverage_reads_curly_and_straight_apostrophes_alike():
    assert coverage(entities("Where did O’Brien go?"), "O'Brien went home.") == 1.0
    assert coverage(["Broadway"], "Broadway's best were recognized") == 1.0
