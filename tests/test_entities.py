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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a name ends with its sentence
        (
            "The fund lent it to Alameda. Sam Bankman-Fried denied it.",
            ["Alameda", "Sam Bankman-Fried"],
        ),
        # ... but not at an abbreviation's or an initial's full stop
        ("He met J. K. Rowling at the U.S. Open.", ["J. K. Rowling", "U.S. Open"]),
        ("Apple Inc. said so.", ["Apple Inc"]),
        # a sentence's first word the text writes in lower case elsewhere is not a name
        ("The singer sang. Singer Taylor Swift bowed.", ["Taylor Swift"]),
        ("Considering Swift is here, considering it all.", ["Swift"]),
        # ... unless the text also capitalises it mid-sentence
        ("Mark Carney will mark it. He met Mark Carney.", ["Mark Carney"]),
    ],
)
def test_names_stop_at_sentence_ends_and_skip_capitalised_common_words(text, expected):
    assert entities(text) == expected
