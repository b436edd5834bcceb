"""Crash safety: an update, a build or a merge of segments SIGKILLed at random moments leaves the
old index or the new one, never a mix, and the next write completes normally (no stale lock or
temp folder)."""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from assistant import Assistant

from .conftest import REPORTS, ROOT, RTQA

pytestmark = pytest.mark.kills

QUERIES = [
    "Who is defending Bakhmut?",
    "grain exports",
    "World Cup",
    "inflation rates",
    "election results",
]
KILLS_UPDATE = 20
KILLS_BUILD = 20
KILLS_OPTIMIZE = 12


def results(index, embedder):
    a = Assistant.open(index, embedder=embedder)
    info = a.info()
    found = [[(p.article.id, p.start) for p in a.search(q, k=5)] for q in QUERIES]
    return found, info["counts"], len(info["segments"])


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Three real RTQA articles as a JSONL file: enough work that kills land mid-write, little
    enough that each of the 40 kills is cheap."""
    if not (RTQA / "corpus.jsonl.gz").exists():
        pytest.skip("../shared/bench/rtqa is not beside the repository")
    folder = tmp_path_factory.mktemp("batch")
    with gzip.open(RTQA / "corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = [json.loads(next(f)) for _ in range(3)]
    (folder / "batch.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return folder


def start(*args):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "index", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("kind", ["update", "build", "optimize"])
def test_sigkill_at_random_moments_leaves_before_or_after(tmp_path, embedder, batch, kind):
    base = tmp_path / "base"
    built = Assistant.build([REPORTS], index_dir=base, embedder=embedder)
    if kind == "optimize":  # two segments to merge
        built.update([batch])
    before = results(base, embedder)

    finished = tmp_path / "finished"
    shutil.copytree(base, finished)
    args = {
        "update": [kind, str(batch)],
        "build": [kind, "--force", str(REPORTS), str(batch)],
        "optimize": [kind],
    }[kind]
    began = time.monotonic()
    assert start(*args, "--index", str(finished)).wait(timeout=600) == 0
    duration = time.monotonic() - began
    after = results(finished, embedder)
    assert after != before

    rng = random.Random(7)
    outcomes = {"before": 0, "after": 0}
    kills = {"update": KILLS_UPDATE, "build": KILLS_BUILD, "optimize": KILLS_OPTIMIZE}[kind]
    for i in range(kills):
        index = tmp_path / f"run{i}"
        shutil.copytree(base, index)
        proc = start(*args, "--index", str(index))
        time.sleep(rng.uniform(duration * 0.4, duration * 1.1))  # most work is the late write phase
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = results(index, embedder)
        assert state in (before, after), f"kill {i} left a mixed index"
        outcomes["before" if state == before else "after"] += 1
        if i % 3 == 0:  # the next update completes normally: no stale lock or temp folder blocks it
            a = Assistant.open(index, embedder=embedder)
            if kind == "update":
                a.update([batch])
            elif kind == "build":
                Assistant.build(
                    [REPORTS, batch], index_dir=index, embedder=embedder, overwrite=True
                )
            else:
                a.optimize()
            assert results(index, embedder) == after
            assert not [p for p in index.iterdir() if p.name.startswith(".tmp-")]
        shutil.rmtree(index)
    print(f"{kind}: {outcomes}")
