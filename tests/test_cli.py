"""The CLI: commands work end to end; errors print one line saying what to do and exit 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant.cli import main

from .conftest import REPORTS, ROOT


def test_ask_json_has_the_quote_with_offsets(seed_index, capsys):
    assert (
        main(
            [
                "ask",
                "How long does it take for the shell to reach its target?",
                "--index",
                str(seed_index),
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    quote = out["quotes"][0]
    assert quote["text"] == "It takes around 40 seconds for the shell to reach its target."
    assert (
        quote["article"]["outlet"] == "Al Jazeera" and quote["article"]["published"] == "2022-10-07"
    )
    assert quote["end"] - quote["start"] == len(quote["text"])


def test_search_filters_by_outlet_and_date(seed_index, capsys):
    assert (
        main(["search", "Bakhmut", "--index", str(seed_index), "--json", "--outlet", "al jazeera"])
        == 0
    )
    assert json.loads(capsys.readouterr().out)
    assert (
        main(["search", "Bakhmut", "--index", str(seed_index), "--json", "--since", "2023-01-01"])
        == 0
    )
    assert json.loads(capsys.readouterr().out) == []


def test_info_prints_model_and_counts(seed_index, capsys):
    assert main(["index", "info", "--index", str(seed_index)]) == 0
    out = capsys.readouterr().out
    assert "articles:  1" in out and "all-MiniLM-L6-v2" in out


@pytest.mark.parametrize(
    "argv,message",
    [
        (["ask", "anything", "--index", "{tmp}/missing"], "assistant index build"),
        (["index", "update", str(REPORTS), "--index", "{tmp}/missing"], "assistant index build"),
    ],
)
def test_errors_print_one_line_and_exit_1(tmp_path, capsys, argv, message):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err


def test_unknown_setting_in_environment_is_an_error(tmp_path):
    env = {**os.environ, "ASSISTANT_TOPK": "3", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "index", "info", "--index", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "unknown setting ASSISTANT_TOPK" in proc.stderr and "ASSISTANT_TOP_K" in proc.stderr


def test_build_then_update_from_the_command_line(tmp_path, reports_copy):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    index = tmp_path / "index"
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "assistant", *a],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    built = run("index", "build", str(reports_copy), "--index", str(index), "--json")
    assert built.returncode == 0, built.stderr
    assert len(json.loads(built.stdout)["added"]) == 1
    (reports_copy / "bad.txt").write_bytes(b"")
    updated = run("index", "update", str(reports_copy), "--index", str(index))
    assert updated.returncode == 0
    assert "0 added, 1 unchanged, 0 removed, 1 failed" in updated.stdout
    assert "bad.txt: the file is empty" in updated.stderr


def test_ask_in_timeline_mode_prints_dated_events(seed_index, capsys):
    assert (
        main(
            [
                "ask",
                "What happened in Lyman and Bakhmut?",
                "--index",
                str(seed_index),
                "--mode",
                "timeline",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["mode"] == "timeline"
    dates = [e["date"] for e in out["timeline"]]
    assert dates == sorted(dates) and "2022-09-30" in dates
