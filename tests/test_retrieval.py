"""Retrieval: filters inside the search, time expressions, LangChain interop, the eval command."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda

from assistant import Assistant, Filters
from assistant.cli import main
from assistant.evaluation import chunk_text, normalise_answer
from assistant.ingest import make_article
from assistant.retrieval.timeframe import resolve

AS_OF = dt.date(2022, 10, 7)


@pytest.mark.parametrize(
    "question,since,until,explicit",
    [
        ("What happened this week?", dt.date(2022, 9, 29), dt.date(2022, 10, 8), True),
        ("What happened in October 2022?", dt.date(2022, 10, 1), dt.date(2022, 10, 31), True),
        ("What happened last month?", dt.date(2022, 9, 1), AS_OF, True),
        ("What has changed since March 2022?", dt.date(2022, 3, 1), AS_OF, True),
        ("Who won in 2021?", dt.date(2021, 1, 1), dt.date(2021, 12, 31), True),
        ("What happened in September?", dt.date(2022, 9, 1), dt.date(2022, 9, 30), True),
        ("Who is defending Bakhmut?", dt.date(2022, 9, 23), dt.date(2022, 10, 8), False),
    ],
)
def test_time_expressions_resolve_against_as_of(question, since, until, explicit):
    frame = resolve(question, AS_OF)
    assert (frame.since, frame.until, frame.explicit) == (since, until, explicit)


def test_no_as_of_and_no_time_words_means_no_window():
    assert resolve("Who is defending Bakhmut?", None) is None


@pytest.fixture(scope="module")
def dated(tmp_path_factory, embedder):
    """Twelve same-topic reports over two years from two outlets."""
    articles = []
    for i in range(12):
        day = dt.date(2021 + i % 2, 1 + i % 12, 10)
        outlet = "Wire A" if i % 3 else "Wire B"
        articles.append(
            make_article(
                f"Grain exports update {i}. Ships carrying grain left the port of Odesa, report {i} said. "
                f"Officials counted {1000 + i} tonnes this time.",
                title=f"Grain report {i}",
                outlet=outlet,
                published=day,
            )
        )
    articles.append(
        make_article(
            "Grain exports update, undated. Ships left Odesa with grain.",
            title="Undated grain",
            outlet="Wire B",
        )
    )
    index = tmp_path_factory.mktemp("dated") / "index"
    a = Assistant.build([], index_dir=index, embedder=embedder)
    a.add_articles(articles)
    return a


def test_narrow_filter_still_returns_k_passages(dated):
    passages = dated.search("grain ships Odesa", k=2, filters=Filters(outlets=("wire b",)))
    assert len(passages) == 2 and all(p.article.outlet == "Wire B" for p in passages)


@pytest.mark.parametrize(
    "since,until,outlets",
    [
        (None, None, ()),
        (dt.date(2022, 1, 1), None, ()),
        (None, dt.date(2021, 6, 30), ()),
        (dt.date(2021, 3, 10), dt.date(2021, 3, 10), ()),
        (None, None, ("WIRE B",)),
        (dt.date(2022, 1, 1), dt.date(2022, 12, 31), ("wire a", "nobody")),
        (None, None, ("nobody",)),
    ],
)
def test_filter_arrays_select_the_same_chunks_as_sql(dated, since, until, outlets):
    snap = dated.snapshot
    fast = snap.chunk_ids_where(since=since, until=until, outlets=outlets)
    slow = snap._chunk_ids_of(since=since, until=until, outlets=outlets, article_ids=())
    assert sorted(fast.tolist()) == sorted(slow.tolist())


def test_date_filter_is_applied_inside_the_search(dated):
    f = Filters(since=dt.date(2022, 1, 1), until=dt.date(2022, 12, 31))
    passages = dated.search("grain ships Odesa", k=5, filters=f)
    assert len(passages) == 5
    assert all(
        dt.date(2022, 1, 1) <= p.article.published <= dt.date(2022, 12, 31) for p in passages
    )


def test_this_week_prefers_reports_from_that_week(dated):
    as_of = dt.date(2022, 8, 12)  # report 7 is dated 2022-08-10
    top = dated.search("Which grain report came out this week?", k=1, as_of=as_of)[0]
    assert top.article.published == dt.date(2022, 8, 10)


def test_reports_after_as_of_are_pushed_down(dated):
    as_of = dt.date(2021, 2, 1)
    top = dated.search("grain ships Odesa", k=3, as_of=as_of)
    published = top[0].article.published  # undated reports are not pushed down
    assert published is None or published <= as_of + dt.timedelta(days=1)


def test_as_retriever_plugs_into_a_real_langchain_chain(seed_assistant):
    retriever = seed_assistant.as_retriever(k=2)
    prompt = ChatPromptTemplate.from_template("Context: {context}\nQ: {question}")
    chain = {
        "context": retriever | RunnableLambda(lambda docs: "\n".join(d.page_content for d in docs)),
        "question": RunnableLambda(lambda q: q),
    } | prompt
    value = chain.invoke("How long does it take for the shell to reach its target?")
    assert "40 seconds" in value.to_string()
    doc = retriever.invoke("Who is defending Bakhmut?")[0]
    assert doc.metadata["outlet"] == "Al Jazeera" and doc.metadata["published"] == "2022-10-07"
    article = seed_assistant.article(doc.metadata["article_id"])
    assert article.text[doc.metadata["start"] : doc.metadata["end"]] == doc.page_content


def test_normalise_answer_follows_the_benchmark_rule():
    assert normalise_answer("“Squid  Game”") == "squid game"
    assert normalise_answer("Ｅｕｒｏｐｅ") == "europe"


def test_answer_at_5_reads_the_title_on_the_first_chunk_only_as_the_baseline_chunks(seed_assistant):
    passages = seed_assistant.search("Bakhmut artillery shells Wagner", k=20)
    assert {p.start == 0 for p in passages} == {True, False}
    for p in passages:
        title = p.article.title
        assert chunk_text(p) == (f"{title}\n\n{p.text}" if p.start == 0 and title else p.text)


def test_eval_command_prints_all_systems_and_answer_metrics(seed_index, tmp_path, capsys):
    queries = tmp_path / "q.jsonl"
    rows = [
        {
            "id": "q1",
            "question": "How long does it take for the shell to reach its target?",
            "question_date": "2022-10-08",
            "answer": "40 seconds",
            "gold_article_ids": [],
            "choices": [],
        },
        {
            "id": "q2",
            "question": "Who won the 2030 World Cup final?",
            "question_date": "2030-07-20",
            "answer": "nobody",
            "gold_article_ids": [],
            "choices": [],
        },
    ]
    queries.write_text("\n".join(json.dumps(r) for r in rows))
    assert main(["eval", "--index", str(seed_index), "--queries", str(queries), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["unanswerable"] == 2
    assert result["answers"]["quote_fidelity"] == 1.0
