"""Watched folders: a dropped file is answerable within seconds, a removed one is gone, a bad
one is named and the watcher goes on; a watcher SIGKILLed mid-update loses nothing."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from assistant import Assistant
from assistant.watch import watch

from .conftest import ROOT, RTQA


def wait_for(check, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def titles(a):
    return {r.title for r in a.library()}


@pytest.fixture()
def watching(tmp_path, embedder, reports_copy):
    a = Assistant.build([reports_copy], index_dir=tmp_path / "i", embedder=embedder)
    stop, ready, reports = threading.Event(), threading.Event(), []
    thread = threading.Thread(
        target=watch,
        args=(a, [reports_copy]),
        kwargs={"debounce": 0.3, "stop": stop, "ready": ready, "on_report": reports.append},
        daemon=True,
    )
    thread.start()
    assert ready.wait(30)
    yield a, reports_copy, reports
    stop.set()
    thread.join(10)
    assert not thread.is_alive()


def test_a_dropped_file_is_answerable_within_seconds_and_a_removed_one_is_gone(watching):
    a, folder, _ = watching
    (folder / "ferry.txt").write_text(
        "Ferry to Hiddensee resumes\n\nThe ferry to Hiddensee resumed on Sunday after storms.",
        encoding="utf-8",
    )
    began = time.monotonic()
    assert wait_for(lambda: "Ferry to Hiddensee resumes" in titles(a))
    print(f"answerable after {time.monotonic() - began:.2f} s")
    answer = a.ask("When did the ferry to Hiddensee resume?")
    assert any("Hiddensee" in q.text for q in answer.quotes)
    (folder / "ferry.txt").unlink()
    assert wait_for(lambda: "Ferry to Hiddensee resumes" not in titles(a))


def test_a_bad_file_is_named_and_the_watcher_goes_on(watching):
    a, folder, reports = watching
    (folder / "empty.txt").write_bytes(b"")
    assert wait_for(lambda: any(r.failures for r in reports))
    assert "empty.txt" in str(next(r for r in reports if r.failures).failures[0])
    (folder / "grain.txt").write_text("Grain ships\n\nGrain ships left Odesa on Monday.")
    assert wait_for(lambda: "Grain ships" in titles(a))


@pytest.mark.kills
def test_a_watcher_killed_mid_update_loses_nothing_and_catches_up(tmp_path, embedder, reports_copy):
    if not (RTQA / "corpus.jsonl.gz").exists():
        pytest.skip("../shared/bench/rtqa is not beside the repository")
    index = tmp_path / "i"
    Assistant.build([reports_copy], index_dir=index, embedder=embedder)
    with gzip.open(RTQA / "corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        corpus = [json.loads(next(f)) for _ in range(9)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "assistant", "index", "watch", str(reports_copy)]
    cmd += ["--index", str(index), "--interval", "0.2"]
    for n, delay in enumerate((0.3, 1.0, 2.0)):
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        assert "watching" in proc.stdout.readline()
        rows = corpus[3 * n : 3 * n + 3]
        (reports_copy / f"batch-{n}.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        count = Assistant.open(index, embedder=embedder).info()["counts"]["articles"]
        assert count in (1 + 3 * n for n in range(4))  # whole batches only, never a part
    restarted = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert "watching" in restarted.stdout.readline()
        a = Assistant.open(index, embedder=embedder)
        assert wait_for(lambda: a.info()["counts"]["articles"] == 10, 60)
    finally:
        restarted.send_signal(signal.SIGINT)
        restarted.wait(30)
