"""Who said what: quotes of the seed report are attributed to the right speaker."""

from __future__ import annotations

import gzip
import json

import pytest

from assistant.answering.attribution import attribute
from assistant.answering.extractive import asks_for_statements
from assistant.ingest import load_paths, make_article

from .conftest import RTQA, SEED


@pytest.fixture(scope="module")
def seed_text():
    return load_paths([SEED]).articles[0].text


@pytest.mark.parametrize(
    "span,speaker,kind",
    [
        ("Ukrainian soldiers were in Bakhmut because", "Serhiy", "reported"),
        ("Our task is the destruction of places", "Serhiy", "direct"),
        ("Another Ukrainian soldier called Nikolai said", "Nikolai", "reported"),
        ("There are no regular Russians soldiers left.", "Nikolai", "direct"),
        (
            "It takes around 40 seconds for the shell to reach its target.",
            "Charles Stratford",
            "direct",
        ),
        ("described the situation as a", "Charles Stratford", "reported"),
        ("I stay here to look after my mother.", "a local woman in the town", "direct"),
        ("How can we leave? To where?", "Igor Maksymenko", "direct"),
        ("a new commander was put in place", "The state-run Tass news agency", "reported"),
        ("Russian shelling has continued over Bakhmut for weeks", "", "reporting"),
        ("Ukraine has made lightning-quick territorial gains", "", "reporting"),
    ],
)
def test_seed_quotes_are_attributed_to_their_speaker(seed_text, span, speaker, kind):
    start = seed_text.index(span)
    got = attribute(seed_text, start, start + len(span))
    assert (got.speaker, got.kind) == (speaker, kind)


def test_answer_names_the_speaker(seed_assistant):
    answer = seed_assistant.ask("How long does it take for the shell to reach its target?")
    assert answer.quotes[0].speaker == "Charles Stratford"
    assert answer.text.startswith("Charles Stratford, quoted by Al Jazeera (2022-10-07):")


def test_what_did_someone_say_returns_only_attributed_statements(seed_assistant):
    answer = seed_assistant.ask("What did soldiers say about the Russian forces?")
    assert answer.quotes and all(q.speaker for q in answer.quotes)


@pytest.mark.parametrize(
    "question,expected",
    [
        ("What did officials say about the bridge?", True),
        ("Who said the war would end?", True),
        ("How long does the shell take?", False),
        ("What happened in Bakhmut?", False),
    ],
)
def test_statement_questions_are_recognised(question, expected):
    assert asks_for_statements(question) is expected


def test_wire_style_attribution_on_real_rtqa_articles():
    """Real CNN/USA Today text: a 'X said' sentence gets X; plain narration gets no speaker."""
    if not (RTQA / "corpus.jsonl.gz").exists():
        pytest.skip("../shared/bench/rtqa is not beside the repository")
    checked = 0
    with gzip.open(RTQA / "corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            article = make_article(row["text"])
            text = article.text
            for marker in (", said ", " said in a statement"):
                i = text.find(marker)
                if i == -1 or text.rfind("\n", 0, i) == -1:
                    continue
                para = text.rfind("\n", 0, i) + 1
                got = attribute(text, para, i)
                assert got.speaker, text[para : i + 60]
                checked += 1
            if checked >= 20:
                break
    assert checked >= 20


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("Nikolai", True),
        ("a police spokesperson", True),
        ("The state-run Tass news agency", True),
        ("The call to stations", False),
        ("Of the 32 people", False),
        ("Many of the Ian-related deaths have been", False),
        ("a local woman in the town", True),
    ],
)
def test_speakers_are_people_or_bodies_never_sentence_fragments(phrase, expected):
    from assistant.answering.attribution import is_speaker

    assert is_speaker(phrase) is expected


def test_he_said_after_a_named_person_answers_what_that_person_said(seed_assistant):
    answer = seed_assistant.ask("What did Igor Maksymenko say?")
    assert answer.answerable, answer.text
    assert answer.quotes[0].speaker == "Igor Maksymenko"
    assert "lugging it" in " ".join(q.text for q in answer.quotes)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("He said “we stay” today.", "He said “       ” today."),
        ('A "straight" quote.', 'A "        " quote.'),
        # a quotation running on to the next paragraph is reopened there
        ("“First part\nsecond” line", "“          \nsecond” line"),
        # an opening curly quote inside a quotation is kept; what follows stays inside
        ("“a “b” c", "“  “ ” c"),
        # a stray closing mark outside any quotation is kept as it is
        ("x ” y", "x ” y"),
    ],
)
def test_what_is_inside_quotation_marks_is_masked_to_spaces_of_the_same_length(text, masked):
    from assistant.answering.attribution import _mask_quotations, _quote_depths

    assert _mask_quotations(text) == masked
    depths = _quote_depths(text)  # the per-character reading agrees
    assert masked == "".join(" " if d else ch for ch, d in zip(text, depths, strict=True))
