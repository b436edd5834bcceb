"""Beyond search: conflicting figures side by side, timelines in date order."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant import Assistant
from assistant.answering.conflicts import conflicts, figures
from assistant.answering.timeline import event_date, timeline
from assistant.ingest import make_article
from assistant.render import answer_to_dict
from assistant.types import Quote


def quote(text, outlet, published, extra=""):
    article = make_article(
        extra + text, outlet=outlet, published=published, title=f"{outlet} report"
    )
    start = article.text.index(text)
    return Quote(article, start, start + len(text), text)


def test_different_casualty_figures_are_a_conflict():
    a = quote(
        "At least 12 people were killed in the strike on the station.", "Wire A", "2022-04-08"
    )
    b = quote("The strike on the station killed 50 people, officials said.", "Wire B", "2022-04-08")
    (c,) = conflicts([a, b])
    assert c.quantity == "people" and not c.agree
    assert sorted(f.value for f in c.figures) == [12, 50]


def test_same_figure_from_two_outlets_is_an_agreement():
    a = quote("The cannon reaches targets 30km beyond the town.", "Wire A", "2022-10-07")
    b = quote("Its shells fly as far as 30km, a commander said.", "Wire B", "2022-10-08")
    (c,) = conflicts([a, b])
    assert c.agree and c.quantity == "km"


def test_one_article_never_conflicts_with_itself():
    a = quote("12 people died on Monday and 3 people died on Tuesday.", "Wire A", "2022-04-08")
    assert conflicts([a]) == []


@pytest.mark.parametrize(
    "text,published,expected",
    [
        ("On September 30, Ukrainian forces surrounded Lyman.", "2022-10-07", dt.date(2022, 9, 30)),
        ("On December 30, the talks began.", "2023-01-05", dt.date(2022, 12, 30)),
        ("The bridge was hit on Saturday by a truck bomb.", "2022-10-10", dt.date(2022, 10, 8)),
        ("The referendum was held on Sept. 27, 2022.", "2022-11-01", dt.date(2022, 9, 27)),
        ("Nothing dated here.", "2022-10-07", None),
    ],
)
def test_event_dates_are_resolved_against_the_article_date(text, published, expected):
    assert event_date(quote(text, "W", published)) == expected


def test_timeline_orders_events_and_merges_same_event_reports():
    q = [
        quote("Ukrainian troops entered Kherson city on Friday.", "Wire A", "2022-11-11"),
        quote(
            "On September 30, Ukrainian forces surrounded the town of Lyman.",
            "Wire B",
            "2022-10-07",
        ),
        quote(
            "Ukrainian troops entered Kherson city on Friday, officials said.",
            "Wire C",
            "2022-11-12",
        ),
        quote("Russia declared the annexation of four regions.", "Wire D", "2022-09-30"),
    ]
    entries = timeline(q)
    assert [e.date for e in entries] == [
        dt.date(2022, 9, 30),
        dt.date(2022, 9, 30),
        dt.date(2022, 11, 11),
    ]
    assert entries[-1].quotes == (0, 2)  # two outlets, one event
    assert entries[0].dated_by in ("event", "article")


def test_figures_skip_years_and_ordinals():
    q = quote("In 2022 the 3rd brigade moved 40 tanks.", "W", "2022-10-01")
    assert [(f.quantity, f.value) for f in figures([q])] == [("tanks", 40.0)]


def indexed(index, embedder, articles):
    """Return an assistant over a new index holding exactly ``articles``."""
    a = Assistant.build([], index_dir=index, embedder=embedder)
    a.add_articles(articles)
    return a


@pytest.fixture(scope="module")
def conflicting(tmp_path_factory, embedder):
    return indexed(
        tmp_path_factory.mktemp("conflict") / "index",
        embedder,
        [
            make_article(
                "Missile strike hits Kramatorsk station.\n\nAt least 12 people were killed when a missile hit the Kramatorsk railway station on Friday, regional officials said.",
                title="Missile strike hits Kramatorsk station",
                outlet="Wire A",
                published="2022-04-08",
            ),
            make_article(
                "Kramatorsk station attack.\n\nThe missile attack on the Kramatorsk railway station killed 50 people on Friday, Ukrainian officials said.",
                title="Kramatorsk station attack",
                outlet="Wire B",
                published="2022-04-09",
            ),
            make_article(
                "Kramatorsk mourns.\n\nOn April 8, a missile hit the Kramatorsk railway station as families waited for evacuation trains.",
                title="Kramatorsk mourns",
                outlet="Wire C",
                published="2022-04-12",
            ),
        ],
    )


def test_answer_shows_conflicting_casualty_figures_side_by_side(conflicting):
    answer = conflicting.ask(
        "How many people were killed at the Kramatorsk railway station?", as_of=dt.date(2022, 4, 12)
    )
    assert answer.conflicts, answer.text
    c = answer.conflicts[0]
    assert {f.value for f in c.figures} == {12, 50} and not c.agree
    assert "Reports differ on people" in answer.text
    assert {answer.quotes[f.quote].article.outlet for f in c.figures} == {"Wire A", "Wire B"}


def test_timeline_answer_is_in_date_order(conflicting):
    answer = conflicting.ask(
        "What happened at the Kramatorsk railway station?", as_of=dt.date(2022, 4, 12)
    )
    assert answer.mode == "timeline" and answer.timeline
    dates = [e.date for e in answer.timeline]
    assert dates == sorted(dates)
    assert answer_to_dict(answer)["timeline"][0]["date"] == "2022-04-08"


LYMAN_A = quote(
    "Russian forces captured the town of Lyman on Saturday.",
    "Wire A",
    "2022-10-01",
    extra="The town of Lyman fell after heavy shelling. ",
)
LYMAN_B = quote(
    "Ukrainian troops still hold Lyman, the regional governor said.", "Wire B", "2022-10-01"
)
LYMAN_A2 = Quote(LYMAN_A.article, 0, 44, "The town of Lyman fell after heavy shelling.")


@pytest.mark.parametrize(
    "reply,expected",
    [
        (
            "CONFLICT [1] [2]: One says Lyman was captured, the other that it is held.",
            [(False, (0, 1))],
        ),
        ("conflict: [1], [2] - captured versus held", [(False, (0, 1))]),
        (
            "1. CONFLICT [1] and [2]: captured vs held\nAGREE [1] [2]: both name Lyman",
            [(False, (0, 1)), (True, (0, 1))],
        ),
        ("NONE", []),
        ("CONFLICT [1] [7]: a quote that does not exist", []),
        ("CONFLICT [1] [3]: both from the same article", []),
        ("CONFLICT [2]: only one side", []),
        ("The reports say different things.", []),
    ],
)
def test_model_findings_keep_only_existing_quotes_of_different_articles(reply, expected):
    from assistant.answering.llm import parse_findings

    found = parse_findings(reply, [LYMAN_A, LYMAN_B, LYMAN_A2])
    assert [(c.agree, c.quotes) for c in found] == expected
    assert all(c.kind == "claim" and c.summary for c in found)


def test_claim_conflict_from_the_model_is_shown_with_both_verified_sides(
    seed_index, embedder, tmp_path
):
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from assistant import Settings

    index = tmp_path / "index"
    indexed(
        index,
        embedder,
        [
            make_article(
                "Lyman falls.\n\nRussian forces captured the town of Lyman on Saturday.",
                title="Lyman falls",
                outlet="Wire A",
                published="2022-10-01",
            ),
            make_article(
                "Lyman holds.\n\nUkrainian troops still hold Lyman, the regional governor said.",
                title="Lyman holds",
                outlet="Wire B",
                published="2022-10-01",
            ),
        ],
    )
    answer_reply = (
        'ANSWER: The reports disagree.\n[P1] "Russian forces captured the town of Lyman on Saturday."\n'
        '[P2] "Ukrainian troops still hold Lyman, the regional governor said."'
    )
    model = GenericFakeChatModel(
        messages=iter(
            [
                AIMessage(content=answer_reply),
                AIMessage(
                    content="CONFLICT [1] [2]: One report says Lyman was captured, the other that it is held."
                ),
            ]
        )
    )
    settings = Settings.load(env={}, index_dir=index, answer_mode="llm", llm_model="scripted")
    answer = Assistant(settings, embedder=embedder, llm_model=model).ask("Who controls Lyman?", k=2)
    claims = [c for c in answer.conflicts if c.kind == "claim"]
    assert len(claims) == 1 and not claims[0].agree
    sides = {answer.quotes[i].article.outlet for i in claims[0].quotes}
    assert sides == {"Wire A", "Wire B"}
    for q in answer.quotes:
        assert q.article.text[q.start : q.end] == q.text
    assert "the model's comparison: One report says Lyman was captured" in answer.text
    assert answer_to_dict(answer)["conflicts"][0]["kind"] == "claim"
    from assistant.render import answer_html

    assert "The model's comparison" in answer_html(answer)


@pytest.fixture(scope="module")
def sample(tmp_path_factory, embedder):
    """An index of the bundled sample (reports/: the seed and 28 news articles)."""
    from assistant import Assistant

    from .conftest import ROOT

    index = tmp_path_factory.mktemp("sample") / "index"
    return Assistant.build([ROOT / "reports"], index_dir=index, embedder=embedder)


def test_the_bundled_sample_shows_a_conflict_a_timeline_and_a_named_outlet(sample):
    """What reports/README.md promises a first run: the example questions each show it."""
    toll = sample.ask("How many people did the Hamas attack on Israel kill?")
    (clash,) = [c for c in toll.conflicts if not c.agree]
    outlets = {toll.quotes[f.quote].article.outlet for f in clash.figures}
    assert {"TechCrunch", "The Guardian"} <= outlets
    assert {1200.0, 1400.0} <= {f.value for f in clash.figures}
    timeline = sample.ask("What happened at OpenAI after Sam Altman was fired?")
    days = [q.article.published for q in timeline.quotes]
    assert timeline.mode == "timeline" and len(days) >= 3 and days == sorted(days)
    verge = sample.ask("What did The Verge report about the jury hearing from Sam Bankman-Fried?")
    assert verge.quotes and verge.quotes[0].article.outlet == "The Verge", [
        q.article.outlet for q in verge.quotes
    ]
    assert len({r.outlet for r in sample.library()}) >= 7
