"""Answer paths: LLM quotes verified or dropped, fallbacks with notices, follow-ups, prompts."""

from __future__ import annotations

import datetime as dt
import json
import string

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant import NOT_COVERED, Assistant, PromptError, Settings, TextDelta
from assistant.answering.followup import rewrite
from assistant.answering.llm import passages_block
from assistant.prompts import load_prompt
from assistant.render import answer_to_dict

SHELL = "It takes around 40 seconds for the shell to reach its target."


def scripted(*replies):
    return GenericFakeChatModel(messages=iter([AIMessage(content=r) for r in replies]))


class Broken:
    def stream(self, messages):
        raise TimeoutError("read timed out")
        yield  # pragma: no cover

    def invoke(self, messages):
        raise TimeoutError("read timed out")


def llm_assistant(seed_index, embedder, model):
    settings = Settings.load(env={}, index_dir=seed_index, answer_mode="llm", llm_model="scripted")
    return (
        Assistant.open(settings=settings, embedder=embedder)
        if model is None
        else Assistant(settings, embedder=embedder, llm_model=model)
    )


def test_llm_quotes_that_verify_are_shown_and_invented_ones_rejected(seed_index, embedder):
    question = "How long does it take for the shell to reach its target?"
    plain = Assistant.open(seed_index, embedder=embedder)
    key = next(f"P{i}" for i, p in enumerate(plain.search(question), start=1) if SHELL in p.text)
    raw = f'ANSWER: About 40 seconds.\n[{key}] "{SHELL}"\n[{key}] "The shell takes 40 seconds to land."\n'
    a = llm_assistant(seed_index, embedder, scripted(raw))
    events = list(a.stream(question))
    answer = events[-1]
    assert any(isinstance(e, TextDelta) for e in events[:-1])
    assert [q.text for q in answer.quotes] == [SHELL]
    assert [r.text for r in answer.rejected] == ["The shell takes 40 seconds to land."]
    assert "could not be verified" in answer.text
    assert answer.raw_output == raw and answer.mode == "llm"
    q = answer.quotes[0]
    assert q.article.text[q.start : q.end] == q.text


def test_llm_with_nothing_verifiable_falls_back_to_extractive_with_notice(seed_index, embedder):
    raw = '[P1] "Bakhmut has fallen."\n[P9] "Everything is fine."'
    a = llm_assistant(seed_index, embedder, scripted(raw))
    answer = a.ask("How long does it take for the shell to reach its target?")
    assert answer.mode == "extractive" and "could be verified" in answer.notice
    assert SHELL in answer.quotes[0].text  # grown by the sentence naming its speaker
    assert len(answer.rejected) == 2 and answer.raw_output == raw
    assert all(r.text not in [q.text for q in answer.quotes] for r in answer.rejected)


def test_llm_failure_falls_back_with_a_visible_notice(seed_index, embedder):
    a = llm_assistant(seed_index, embedder, Broken())
    answer = a.ask("How long does it take for the shell to reach its target?")
    assert answer.mode == "extractive" and "LLM backend failed" in answer.notice
    assert SHELL in answer.quotes[0].text


def test_llm_refusal_is_respected(seed_index, embedder):
    a = llm_assistant(seed_index, embedder, scripted(NOT_COVERED))
    answer = a.ask("Who won the 2022 World Cup?")
    assert not answer.answerable and answer.quotes == () and answer.text == NOT_COVERED


def test_answer_json_round_trips(seed_assistant):
    answer = seed_assistant.ask("How long does it take for the shell to reach its target?")
    data = json.loads(json.dumps(answer_to_dict(answer)))
    assert SHELL in data["quotes"][0]["text"] and data["answerable"] is True
    assert {"search", "answer"} <= set(data["timings"])


@pytest.mark.parametrize(
    "history,question,expected",
    [
        ([], "Who is defending Bakhmut?", "Who is defending Bakhmut?"),
        (["Who is defending Bakhmut?"], "And what about Lyman?", "Who is defending Lyman?"),
        (["Who is defending Bakhmut?"], "What about Lyman?", "Who is defending Lyman?"),
        (["Who seized Lyman?"], "When did that happen?", "When did that happen? (Lyman)"),
        (
            ["Who is defending Bakhmut?", "And what about Lyman?"],
            "When did it start?",
            "When did it start? (Lyman)",
        ),
        (["Who is defending Bakhmut?"], "What did Nikolai say?", "What did Nikolai say?"),
        (  # "its" belongs to the shell, named in the question itself: no rewrite
            ["Who is defending Bakhmut?"],
            "How long does it take for the shell to reach its target?",
            "How long does it take for the shell to reach its target?",
        ),
        (["Who seized Lyman?"], "Who holds its station?", "Who holds its station? (Lyman)"),
    ],
)
def test_follow_up_is_rewritten_with_entities_of_previous_turns(history, question, expected):
    turns = [
        m
        for q in history
        for m in ({"role": "user", "content": q}, {"role": "assistant", "content": "…"})
    ]
    assert rewrite(question, turns) == expected


def test_a_follow_up_is_answered_with_the_history_and_reports_the_rewrite(seed_assistant):
    first = seed_assistant.ask("Who is defending Bakhmut?")
    history = [
        {"role": "user", "content": first.question},
        {"role": "assistant", "content": first.text},
    ]
    answer = seed_assistant.ask("How many people once lived there?", history=history)
    assert answer.rewritten_question == "How many people once lived there? (Bakhmut)"
    assert any("70,000" in q.text for q in answer.quotes)


def test_prompts_in_the_repository_load():
    folder = Settings().prompts_dir
    assert set(load_prompt("answer", folder).get_identifiers()) == {
        "passages",
        "question",
        "not_covered",
    }
    assert set(load_prompt("rewrite", folder).get_identifiers()) == {"history", "question"}


def test_prompt_with_an_unknown_variable_is_refused(tmp_path):
    (tmp_path / "answer.md").write_text("$passages $question $not_covered $surprise")
    with pytest.raises(PromptError, match="surprise"):
        load_prompt("answer", tmp_path)


def test_passages_with_braces_and_dollars_fill_the_prompt(seed_assistant):
    passages = seed_assistant.search("Bakhmut", k=2)
    template = string.Template("$passages")
    assert "[P1]" in template.substitute(passages=passages_block(passages) + " {x} $5")


SHELL_Q = "How long does it take for the shell to reach its target?"


@pytest.mark.parametrize(
    "as_of,stale_days,fresh",
    [
        (None, 90, 1.0),  # no as_of: an archive older than today is not stale
        (dt.date(2022, 10, 8), 90, 1.0),  # asked the day after the report
        (dt.date(2022, 12, 30), 90, 1.0),  # 84 days later
        (dt.date(2023, 6, 1), 90, 0.0),  # asked months later about "that day's" news
        (dt.date(2023, 6, 1), 0, 1.0),  # the prior switched off
    ],
)
def test_evidence_far_older_than_as_of_loses_confidence(
    seed_index, embedder, as_of, stale_days, fresh
):
    settings = Settings.load(env={}, index_dir=seed_index, stale_days=stale_days)
    signals = dict(
        Assistant.open(settings=settings, embedder=embedder).ask(SHELL_Q, as_of=as_of).signals
    )
    assert signals["fresh"] == fresh
    baseline = dict(Assistant.open(seed_index, embedder=embedder).ask(SHELL_Q).signals)
    assert signals["confidence"] == pytest.approx(
        baseline["confidence"] - 0.2 * (1 - fresh), abs=0.01
    )


def test_a_stale_refusal_says_how_old_the_closest_reports_are(seed_index, embedder):
    settings = Settings.load(env={}, index_dir=seed_index, abstain_threshold=0.8)
    a = Assistant.open(settings=settings, embedder=embedder)
    assert a.ask(SHELL_Q, as_of=dt.date(2022, 10, 8)).answerable
    answer = a.ask(SHELL_Q, as_of=dt.date(2023, 6, 1))
    assert not answer.answerable and answer.text.startswith(NOT_COVERED)
    assert "The closest reports are from 2022-10-07, 237 days before 2023-06-01." in answer.text


@pytest.mark.parametrize(
    "text,question,extended",
    [
        # restates the question; the next sentence names the mission: extended
        (
            "A NASA spacecraft has slammed into an asteroid in a test of planetary defense. "
            "The DART mission launched 10 months ago.",
            "Which NASA mission slammed a spacecraft into an asteroid?",
            True,
        ),
        # already names something new: kept as is
        (
            "The DART spacecraft slammed into an asteroid. It launched 10 months ago.",
            "Which NASA mission slammed a spacecraft into an asteroid?",
            False,
        ),
        # the next sentence is in another paragraph: kept
        (
            "A NASA spacecraft has slammed into an asteroid.\n\nThe DART mission launched 10 months ago.",
            "Which NASA mission slammed a spacecraft into an asteroid?",
            False,
        ),
        # the next sentence brings nothing new either: kept
        (
            "A NASA spacecraft has slammed into an asteroid. It was a test of planetary defense.",
            "Which NASA mission slammed a spacecraft into an asteroid?",
            False,
        ),
    ],
)
def test_a_quote_that_restates_the_question_takes_the_next_sentence(text, question, extended):
    from assistant.answering.extractive import Candidate, with_continuation
    from assistant.ingest import make_article
    from assistant.types import Chunk, Passage

    article = make_article(text, title="t")
    first_end = article.text.index(".") + 1
    passage = Passage(Chunk(article.id, 0, 0, len(article.text), article.text), article, 1.0, 1)
    got = with_continuation(question, Candidate(passage, 0, first_end))
    assert (got.end > first_end) is extended
    quote_text = article.text[got.start : got.end]
    assert quote_text.startswith("A NASA") or quote_text.startswith("The DART")
    if extended:
        assert quote_text.endswith("10 months ago.")


def _candidate(text, published, score, title="Yellowstone floods"):
    from assistant.answering.extractive import Candidate
    from assistant.ingest import make_article
    from assistant.types import Chunk, Passage

    article = make_article(text, title=title, published=published)
    passage = Passage(Chunk(article.id, 0, 0, len(article.text), article.text), article, 1.0, 1)
    return Candidate(passage, 0, len(article.text), score, evidence=score)


@pytest.mark.parametrize(
    "old_published,expected_first,fresh",
    [
        ("2019-06-14", "new", 1.0),  # the old report reads closer but is stale: the new one leads
        (None, "old", 0.5),  # undated: half the staleness penalty, 0.8 - 0.1 still beats 0.65
        ("2022-06-10", "old", 1.0),  # both fresh: the closer sentence leads
    ],
)
def test_evidence_is_weighed_per_candidate(old_published, expected_first, fresh):
    from assistant.answering.extractive import weigh_evidence

    old = _candidate(
        "Yellowstone flooding washed out roads and bridges in the park.", old_published, 0.8
    )
    new = _candidate(
        "Record floods closed Yellowstone on Monday, the park service said.", "2022-06-14", 0.65
    )
    ranked, signals = weigh_evidence(
        "Which park was hit by flooding?", [old, new], dt.date(2022, 6, 16), 90
    )
    first = "old" if ranked[0].passage.article.id == old.passage.article.id else "new"
    assert first == expected_first
    assert signals["fresh"] == fresh
    assert signals["confidence"] == pytest.approx(ranked[0].score)


def test_a_fresh_report_answers_over_an_old_one_that_reads_closer(tmp_path, embedder):
    from assistant.ingest import make_article

    a = Assistant.build([], index_dir=tmp_path / "index", embedder=embedder)
    a.add_articles(
        [
            # the same story in 2016 and 2022; the old sentence reads a little closer to the question
            make_article(
                "Flooding washed out roads and bridges in Yellowstone National Park.",
                title="Yellowstone flooding",
                outlet="Old Wire",
                published="2016-06-14",
            ),
            make_article(
                "On Monday, flooding washed out several roads and bridges in Yellowstone National Park.",
                title="Yellowstone flooding",
                outlet="New Wire",
                published="2022-06-14",
            ),
        ]
    )
    answer = a.ask(
        "Which national park was hit by flooding that washed out roads and bridges?",
        as_of=dt.date(2022, 6, 16),
    )
    assert answer.answerable, answer.text
    assert answer.quotes[0].article.outlet == "New Wire"
    for q in answer.quotes:
        assert q.article.text[q.start : q.end] == q.text


@pytest.mark.parametrize(
    ("raw", "value", "quotes"),
    [
        ("VERDICT: YES [1] [2]: the pickup report came first.", "yes", (0, 1)),
        ("verdict: no [2]: the recall came later", "no", (1,)),
        ("Sure!\nVERDICT: UNCLEAR [1]: the dates are missing", "unclear", (0,)),
        ("VERDICT: YES [3]: quote three says so", None, None),  # no quote 3: dropped
        ("VERDICT: YES: no quote cited", None, None),
        ("Yes, it was published before.", None, None),  # not in the format
    ],
)
def test_a_verdict_is_kept_only_when_it_rests_on_existing_quotes(
    seed_assistant, raw, value, quotes
):
    from assistant.answering.llm import parse_verdict

    found = seed_assistant.ask("How long does it take for the shell to reach its target?").quotes
    two = (found * 2)[:2]
    verdict = parse_verdict(raw, two)
    if value is None:
        assert verdict is None
    else:
        assert (verdict.value, verdict.quotes) == (value, quotes)


def test_a_yes_no_question_in_llm_mode_gets_the_models_verdict_on_verified_quotes(
    seed_index, embedder
):
    question = "Does it take around 40 seconds for the shell to reach its target?"
    plain = Assistant.open(seed_index, embedder=embedder)
    key = next(f"P{i}" for i, p in enumerate(plain.search(question), start=1) if SHELL in p.text)
    a = llm_assistant(
        seed_index,
        embedder,
        scripted(f'[{key}] "{SHELL}"', "VERDICT: YES [1]: the report gives 40 seconds."),
    )
    answer = a.ask(question)
    assert answer.mode == "llm" and [q.text for q in answer.quotes] == [SHELL]
    assert answer.verdict is not None and answer.verdict.value == "yes"
    assert answer.text.splitlines()[0] == (
        "The model's verdict: Yes [1]. the report gives 40 seconds."
    )
    data = answer_to_dict(answer)
    assert data["verdict"] == {
        "value": "yes",
        "quotes": [0],
        "reason": "the report gives 40 seconds.",
    }


def test_a_verdict_the_backend_cannot_give_leaves_the_quotes_and_says_so(seed_index, embedder):
    class AnswersThenFails:
        def __init__(self):
            self.inner = scripted(f'[P1] "{SHELL}"')

        def stream(self, messages):
            return self.inner.stream(messages)

        def invoke(self, messages):
            raise TimeoutError("read timed out")

    a = llm_assistant(seed_index, embedder, AnswersThenFails())
    answer = a.ask("Does it take around 40 seconds for the shell to reach its target?")
    assert answer.quotes and answer.verdict is None
    assert "no yes/no verdict was given" in answer.notice


def test_llm_mode_without_the_llm_extra_says_how_to_install_it(seed_index, embedder, monkeypatch):
    from assistant import ConfigError

    monkeypatch.setitem(__import__("sys").modules, "langchain_openai", None)  # not installed
    a = llm_assistant(seed_index, embedder, None)
    with pytest.raises(ConfigError, match=r"pip install -e '\.\[llm\]'"):
        a.ask("How long does it take for the shell to reach its target?")


def sentence_candidate(text: str, quoted: str):
    """Return an article of ``text`` and the candidate quote of its sentence starting ``quoted``."""
    from assistant.answering.extractive import Candidate
    from assistant.ingest import make_article
    from assistant.text.sentences import sentence_spans
    from assistant.types import Chunk, Passage

    article = make_article(text, title="t")
    start = article.text.index(quoted)
    end = next(e for s, e in sentence_spans(article.text) if s == start)
    passage = Passage(Chunk(article.id, 0, 0, len(article.text), article.text), article, 1.0, 1)
    return article, Candidate(passage, start, end)


@pytest.mark.parametrize(
    "text,quoted,question,grown",
    [
        # restates the question; the sentence before holds the number: grown backwards
        (
            "Brittney Griner was sentenced to 9 years in a penal colony.\n\nThe basketball "
            "star was moved to the colony this week.",
            "The basketball",
            "How many years is Brittney Griner due to serve?",
            "Brittney Griner was sentenced to 9 years",
        ),
        # the next sentence holds the answer: grown forwards
        (
            "A few major reforms were left out of the proposed deal. Also absent is a ban on "
            "military-style assault weapons, Senator Murphy said.",
            "A few major",
            "Which measure did lawmakers leave out of the gun deal?",
            "Also absent is a ban on military-style assault weapons",
        ),
        # the sentence after names the company: grown forwards
        (
            "A looming clash between one of America’s oldest unions and the world’s biggest "
            "package courier is brewing. Contract talks between UPS and the Teamsters begin in "
            "the spring.",
            "A looming clash",
            "One of the biggest strikes in US history is brewing at which company?",
            "Contract talks between UPS and the Teamsters begin in the spring.",
        ),
        # the neighbour is a heading: never added
        (
            "Hurricane Ian\nThe storm made landfall on Wednesday afternoon near the coast.",
            "The storm made",
            "Where did Hurricane Ian make landfall?",
            None,
        ),
        # the neighbour is a question: never added
        (
            "Which city was hit hardest by the storm? The storm made landfall near the coast.",
            "The storm made",
            "Where did the storm make landfall?",
            None,
        ),
        # the neighbour names nothing new: never added
        (
            "Officials said the storm was strong. The storm made landfall near the coast.",
            "The storm made",
            "Where did the storm make landfall?",
            None,
        ),
    ],
)
def test_a_quote_grows_by_the_neighbouring_sentence_the_reranker_reads_as_the_answer(
    text, quoted, question, grown
):
    from assistant.answering.extractive import extend_quotes, neighbours

    article, quote = sentence_candidate(text, quoted)
    start, end = quote.start, quote.end
    [got] = extend_quotes([(question, quote)], margin=0.25)
    span = article.text[got.start : got.end]
    assert article.text[start:end] in span and len(span) <= 500
    if grown is None:
        assert (got.start, got.end) == (start, end)
    else:
        assert grown in span
    assert all(e - s <= 500 for s, e in neighbours(article.text, start, end))


DENVER = (
    "Relief is coming for renters in Denver{before}.\n\n"
    "The city council voted Monday to cap rent increases at 3% a year.\n\n"
    "Mayor Mike Johnston signed the measure within the hour{after}."
)
LONG_BEFORE = (
    ", where rents have climbed faster than in any other large American city over the past "
    "three years, according to a report by the local housing authority published by the city "
    "last spring"
)
LONG_AFTER = (
    ", telling reporters at City Hall that the cap would protect more than 100,000 households "
    "from sudden increases while the city builds more homes for its workers"
)


@pytest.mark.parametrize(
    "text,quoted,question,expected",
    [
        # each neighbour helps: grown on both sides
        (
            DENVER.format(before="", after=""),
            "The city council",
            "Which city capped rent increases this week?",
            DENVER.format(before="", after=""),
        ),
        # both would make it longer than CONTINUE_MAX_CHARS: the better side alone
        (
            DENVER.format(before=LONG_BEFORE, after=LONG_AFTER),
            "The city council",
            "Which city capped rent increases this week?",
            "Relief is coming for renters in Denver" + LONG_BEFORE + ".\n\n"
            "The city council voted Monday to cap rent increases at 3% a year.",
        ),
        # a photo caption's closing credit ("Courtesy Jason Bell") is never added
        (
            "Many families will pay more to heat their homes this winter. Courtesy Jason Bell\n\n"
            "Like Bell, many Americans are bracing for higher heating bills this winter.\n\n"
            "Prices rose after heat waves drained gas stockpiles, the agency said.",
            "Like Bell",
            "Why will Americans pay more to heat their homes?",
            "Like Bell, many Americans are bracing for higher heating bills this winter.\n\n"
            "Prices rose after heat waves drained gas stockpiles, the agency said.",
        ),
    ],
)
def test_a_quote_grows_by_every_neighbour_that_helps_within_the_length_limit(
    text, quoted, question, expected
):
    from assistant import Settings
    from assistant.answering.extractive import CONTINUE_MAX_CHARS, extend_quotes

    article, quote = sentence_candidate(text, quoted)
    margin = Settings.load(env={}).extend_margin  # the shipped margin
    [got] = extend_quotes([(question, quote)], margin=margin)
    assert article.text[got.start : got.end] == expected
    assert got.end - got.start <= CONTINUE_MAX_CHARS
