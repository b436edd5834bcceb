"""Seeded hostile files through a real index update: the batch always finishes, every file that
fails is named once with a reason, and the good files are searchable. A failure reproduces from
the seed in its test id."""

from __future__ import annotations

import gzip
import json
import random

import pytest

from assistant import Assistant

GOOD = {
    "good-1.txt": "Ferry to Kherson resumes\n\nThe ferry to Kherson resumed service on Monday.",
    "good-2.txt": "Bridge repaired in Mykolaiv\n\nCrews reopened the Mykolaiv bridge on Friday.",
}


def _hostile(rng: random.Random, n: int) -> tuple[str, bytes]:
    kind = rng.randrange(12)
    if kind == 0:
        return f"f{n}.txt", rng.randbytes(rng.randrange(1, 4000))
    if kind == 1:
        return f"f{n}.txt", b""
    if kind == 2:
        return f"f{n}.jsonl.gz", gzip.compress(b'{"text": "x"}\n')[: rng.randrange(1, 20)]
    if kind == 3:
        depth = rng.randrange(500, 50_000)
        return f"f{n}.json", b"[" * depth + b"]" * depth
    if kind == 4:
        value = rng.choice([None, 5, 10**400, -1, [], {}, "x" * 10, True, 1e308])
        record = {"title": value, "text": value, "published": value, "source": value}
        return f"f{n}.json", json.dumps(record, default=str).encode()
    if kind == 5:
        return f"f{n}.txt", ("word " * rng.randrange(10_000, 60_000)).encode()
    if kind == 6:
        return f"f{n}.jsonl", b"\n".join(rng.randbytes(rng.randrange(1, 200)) for _ in range(5))
    if kind == 7:
        return f"f{n}.json", b'{"text": "Body \\ud800 text", "title": "\\udfff"}'
    if kind == 8:
        return f"f{n}.html", b"<html><body>" + rng.randbytes(500) + b"</body></html>"
    if kind == 9:
        return f"f{n}.md", ("#" * rng.randrange(1, 9) + " " + "*_[]()`" * 200).encode()
    if kind == 10:
        return f"f{n}.txt", b"\xff\xfe" + rng.randbytes(300)
    return f"f{n}.json", json.dumps(rng.choice([[], {}, "text", 3, [{"x": 1}]])).encode()


@pytest.mark.parametrize("seed", [1, 2])
def test_a_few_hundred_hostile_files_never_take_the_batch_down(tmp_path, embedder, seed):
    rng = random.Random(seed)
    folder = tmp_path / "in"
    folder.mkdir()
    for name, text in GOOD.items():
        (folder / name).write_text(text, encoding="utf-8")
    for n in range(150):
        name, data = _hostile(rng, n)
        (folder / name).write_bytes(data)
    a = Assistant.build([], index_dir=tmp_path / "index", embedder=embedder)
    report = a.update([folder])
    files_named = [f.path.split(":")[0].split("[")[0] for f in report.failures]
    # each failing file named once per bad part, with a reason
    assert all(f.reason for f in report.failures)
    assert all(p.startswith(str(folder)) for p in files_named)
    titles = {i.title for i in a.library()}
    assert {"Ferry to Kherson resumes", "Bridge repaired in Mykolaiv"} <= titles
    found = a.search("When did the ferry to Kherson resume?", k=3)
    assert found and found[0].article.title == "Ferry to Kherson resumes"
    for info in a.library():  # whatever was indexed is stored text with sane titles
        assert len(info.title) <= 301
