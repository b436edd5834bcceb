"""The renderers: prose made only in render/, Markdown for copying, zones of article lines."""

from __future__ import annotations

import pytest

from assistant import NOT_COVERED, Answer, Quote, make_article
from assistant.render import answer_markdown, answer_to_dict, prose
from assistant.text.zones import zone

ARTICLE = make_article(
    "Officials said the bridge will reopen in May. Repairs cost $4 million.",
    title="Bridge to reopen",
    outlet="Wire A",
    published="2023-03-01",
)
OTHER = make_article(
    "The bridge will reopen in May, the city said.",
    title="Reopening",
    outlet="Wire B",
    published="2023-03-02",
)


def quote(article, text):
    start = article.text.index(text)
    return Quote(article, start, start + len(text), text)


def test_prose_groups_agreeing_reports_and_numbers_every_quote():
    answer = Answer(
        question="When will the bridge reopen?",
        quotes=(
            quote(ARTICLE, "Officials said the bridge will reopen in May."),
            quote(OTHER, "The bridge will reopen in May, the city said."),
        ),
        groups=((0, 1),),
    )
    assert prose(answer) == (
        "2 reports (Wire A, Wire B) agree: “Officials said the bridge will reopen in May.” [1] [2]"
    )


@pytest.mark.parametrize(
    ("refusal", "expected"),
    [
        ("", NOT_COVERED),
        (
            "No report from Bloomberg is in the index.",
            f"{NOT_COVERED} No report from Bloomberg is in the index.",
        ),
    ],
)
def test_a_refusal_says_why_when_it_knows(refusal, expected):
    assert prose(Answer(question="q", answerable=False, refusal=refusal)) == expected


def test_markdown_export_escapes_article_markup_and_keeps_offsets():
    article = make_article("Click [here](http://x.test) **now** for #news.", title="T", outlet="O")
    answer = Answer(
        question="What?", quotes=(quote(article, "Click [here](http://x.test) **now** for #news."),)
    )
    md = answer_markdown(answer)
    assert "\\[here\\](http://x.test) \\*\\*now\\*\\*" in md
    assert "characters 0-46" in md and md.startswith("**Q: What?**")


def test_a_mismatched_group_is_refused_where_it_is_made():
    with pytest.raises(ValueError, match="names a quote"):
        Answer(question="q", quotes=(), groups=((0,),))


def test_answer_dict_carries_the_short_answer_span():
    q = quote(ARTICLE, "Officials said the bridge will reopen in May.")
    short = Quote(ARTICLE, q.start + 41, q.start + 44, "May")
    data = answer_to_dict(Answer(question="When?", quotes=(q,), short=short))
    assert data["short"]["text"] == "May" and data["short"]["start"] == short.start


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("# Hurricane Ian makes landfall", "heading"),
        ("What we know", "heading"),
        ("A man walks through flood water in Fort Myers. (AP Photo/Wilfredo Lee)", "caption"),
        ("Photo: Getty Images", "caption"),
        ("He may take a second job to pay for heating this winter. Courtesy Jason Bell", "caption"),
        ("Victoria McIntosh, 63, said she was abused at the school. Lindsay Isaac/CNN", "caption"),
        ("The rocket stack at sunrise on March 23. Ben Smegelsky/NASA", "caption"),
        ("Support local reporting. Sign up at DesMoinesRegister.com/Deal.", "body"),
        ("The episode begins at 9 p.m. ET/PT.", "body"),
        ("The photos were courtesy of Jessica Martin, a teacher at the school.", "body"),
        (
            "Ian made landfall near Cayo Costa with 150 mph winds, the hurricane center said.",
            "body",
        ),
    ],
)
def test_lines_are_told_apart_as_headings_captions_or_body(line, expected):
    assert zone(line) == expected


def test_the_trained_reranker_puts_the_answering_sentence_first_and_a_caption_last():
    from assistant.answering.reranker import available, shared

    assert available(), "assistant/answering/models/reranker.int8.onnx must ship with the package"
    sentences = [
        "Hurricane Ian made landfall near Cayo Costa on Wednesday with 150 mph winds.",
        "Residents were told to evacuate coastal areas earlier in the week.",
        "A man walks through flood water in Fort Myers. (AP Photo/Wilfredo Lee)",
    ]
    scores = shared().scores("Where did Hurricane Ian make landfall?", sentences)
    assert scores.shape == (3,) and int(scores.argmax()) == 0


def test_evidence_says_how_each_passage_was_found_in_words(seed_assistant):
    from assistant.render import evidence_html

    passages = seed_assistant.search("How long does it take for the shell to reach its target?")
    html = evidence_html(passages)
    assert "keyword" in html and "match</span>" in html
    assert 'title="score ' in html  # the numbers stay one hover away


@pytest.mark.parametrize(
    "quoted",
    ["Two words", "b>.\n\nTwo words", "One <b>.\n\nTwo words here.\n\nThree."],
)
def test_a_quote_across_paragraph_breaks_is_marked_in_each_paragraph(quoted):
    import re

    from assistant.ingest import make_article
    from assistant.render.html import article_html, esc

    article = make_article("One <b>.\n\nTwo words here.\n\nThree.", title="t")
    start = article.text.index(quoted)
    page = article_html(article, start, start + len(quoted))
    marks = re.findall(r"<mark( id=\"quote-mark\")?>(.*?)</mark>", page)
    assert [m[1] for m in marks] == [esc(p) for p in quoted.split("\n\n")]
    assert [bool(m[0]) for m in marks] == [True] + [False] * (len(marks) - 1)
    assert page.count("<p>") == page.count("</p>")  # every paragraph closed where it opened


def test_a_quote_across_paragraphs_keeps_the_chat_html_in_one_block():
    from assistant.render.html import quote_html

    text = "Saboteurs struck on Saturday.\n\nSee [the report](http://evil.example/) **URGENT**."
    article = make_article(text, title="t")
    page = quote_html(1, Quote(article, 0, len(text), text))
    assert "\n" not in page  # a blank line would end the HTML block: Markdown takes the rest
    assert "Saturday.<br>See" in page and "http://evil.example/" not in page.split("&#40;")[0]
