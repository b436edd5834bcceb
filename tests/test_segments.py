"""The segmented store: updates write new segments and never touch old ones, deletions are
tombstones, merges and ``optimize`` fold segments, and through all of it search answers exactly
as a single freshly built index does."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant, Filters
from assistant.ingest import load_paths
from assistant.store import segment as segment_module
from assistant.store import writer as writer_module

from .conftest import ROOT

SAMPLE = ROOT / "reports" / "mhrag-sample.jsonl"
QUESTIONS = [
    "Which betting platform offers a welcome bonus?",
    "What did the company announce about its new phone?",
    "Who won the match on Sunday?",
    "interest rates inflation",
]


class Remembering:
    """The real embedder, remembering each text's vector: these tests build the same articles
    many times, and what they pin down is the store, not the model."""

    def __init__(self, inner):
        self.inner, self.seen = inner, {}

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed(self, texts, progress=None):
        todo = [t for t in dict.fromkeys(texts) if t not in self.seen]
        if todo:
            self.seen.update(zip(todo, self.inner.embed(todo), strict=True))
        return np.stack([self.seen[t] for t in texts]) if texts else self.inner.embed(texts)


@pytest.fixture(scope="module")
def embedder(embedder):
    return Remembering(embedder)


@pytest.fixture(scope="module")
def articles():
    """The sample's articles as code would add them (no source file to keep them by)."""
    return [dataclasses.replace(a, path="") for a in load_paths([SAMPLE]).articles]


@pytest.fixture(scope="module")
def reference(tmp_path_factory, embedder, articles):
    """A single-segment index of the sample, built in one go."""
    a = Assistant.build([], index_dir=tmp_path_factory.mktemp("ref") / "i", embedder=embedder)
    a.add_articles(articles)
    return a


def results(assistant, filters=None):
    out = []
    for q in QUESTIONS:
        for method in (("dense", "bm25", "title"), ("bm25",), ("title",)):
            hits = assistant.search(q, k=6, methods=method, filters=filters)
            out.append([(p.article.id, p.start, p.end, round(p.score, 5)) for p in hits])
    return out


def fingerprint(index: Path, name: str) -> dict[str, str]:
    return {
        f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted((index / name).iterdir())
    }


def manifest(index: Path) -> dict:
    return json.loads((index / "manifest.json").read_text())


def test_an_update_writes_a_new_segment_and_leaves_the_old_ones_untouched(
    tmp_path, embedder, articles, reference
):
    index = tmp_path / "i"
    a = Assistant.build([], index_dir=index, embedder=embedder)
    a.add_articles(articles[:20])
    first = manifest(index)["segments"][0]["name"]
    before = fingerprint(index, first)
    a.add_articles(articles[20:])
    assert [e["name"] for e in manifest(index)["segments"]][0] == first
    assert len(manifest(index)["segments"]) == 2
    assert fingerprint(index, first) == before
    assert results(a) == results(reference)
    assert results(a, Filters(since=dt.date(2023, 10, 1))) == results(
        reference, Filters(since=dt.date(2023, 10, 1))
    )


def test_a_removal_is_a_tombstone_and_search_matches_an_index_without_the_article(
    tmp_path, embedder, articles
):
    index = tmp_path / "i"
    a = Assistant.build([], index_dir=index, embedder=embedder)
    a.add_articles(articles)
    first = manifest(index)["segments"][0]["name"]
    before = fingerprint(index, first)
    gone = [articles[0].id, articles[7].id]
    a.remove(gone)
    assert fingerprint(index, first) == before
    assert a.info()["counts"]["articles"] == len(articles) - 2
    without = Assistant.build([], index_dir=tmp_path / "w", embedder=embedder)
    without.add_articles([x for x in articles if x.id not in gone])
    assert results(a) == results(without)
    assert all(p.article.id not in gone for q in QUESTIONS for p in a.search(q, k=20))
    assert a.snapshot.vector_count() == without.snapshot.vector_count()
    assert a.snapshot.vector_count("titles") == without.snapshot.vector_count("titles")


def test_past_the_segment_limit_a_write_merges_the_smallest_and_optimize_folds_all(
    tmp_path, embedder, articles, reference, monkeypatch
):
    monkeypatch.setattr(writer_module, "MAX_SEGMENTS", 4)
    index = tmp_path / "i"
    a = Assistant.build([], index_dir=index, embedder=embedder)
    a.add_articles(articles[:10])
    for article in articles[10:]:
        a.add_articles([article])
        assert len(manifest(index)["segments"]) <= 4
    assert results(a) == results(reference)
    a.remove([articles[3].id])
    a.add_articles([articles[3]])  # back again, in a new segment
    assert results(a) == results(reference)
    a.optimize()
    m = manifest(index)
    assert len(m["segments"]) == 1 and m["segments"][0]["chunks"] == m["counts"]["chunks"]
    assert results(a) == results(reference)
    assert sorted(p.name for p in index.iterdir() if p.name.startswith("seg-")) == sorted(
        {m["segments"][0]["name"], *m["previous"]["segments"]}
    )  # what older commits used is gone, bar the previous one that readers may hold
    assert results(Assistant.open(index, embedder=embedder)) == results(reference)


def test_a_build_seals_segments_as_they_fill_and_searches_them_as_one(
    tmp_path, embedder, reference, monkeypatch
):
    monkeypatch.setattr(writer_module, "SEGMENT_CHUNKS", 40)
    index = tmp_path / "i"
    a = Assistant.build([SAMPLE], index_dir=index, embedder=embedder)
    assert len(manifest(index)["segments"]) >= 3
    assert all(e["chunks"] <= 40 + 30 for e in manifest(index)["segments"])
    assert results(a) == results(reference)


def test_ivf_segments_merge_with_exact_ones_and_keep_every_vector(
    tmp_path, embedder, articles, monkeypatch
):
    monkeypatch.setattr(segment_module, "IVF_THRESHOLD", 60)
    monkeypatch.setattr(segment_module, "TITLES_IVF_THRESHOLD", 15)
    index = tmp_path / "i"
    a = Assistant.build([], index_dir=index, embedder=embedder)
    a.add_articles(articles[:20])
    a.add_articles(articles[20:22])
    a.remove([articles[1].id])
    kinds = a.snapshot.vector_kinds()
    assert kinds[0] == "IndexIVFScalarQuantizer" and kinds[1] == "IndexIDMap2"
    live = a.snapshot.vector_count()
    a.optimize()
    assert a.snapshot.vector_kinds() == ["IndexIVFScalarQuantizer"]
    assert a.snapshot.vector_count() == live == a.info()["counts"]["chunks"]
    top = a.search(articles[21].title, k=3, methods=("dense",))
    assert articles[21].id in [p.article.id for p in top]


def test_verify_rereads_every_file_and_names_a_damaged_one(tmp_path, embedder, articles):
    from assistant import IndexCorruptError

    index = tmp_path / "i"
    a = Assistant.build([], index_dir=index, embedder=embedder)
    a.add_articles(articles[:5])
    a.verify()
    victim = index / manifest(index)["segments"][0]["name"] / "terms-tf.npy"
    stat = victim.stat()
    data = bytearray(victim.read_bytes())
    data[-1] ^= 0xFF
    victim.write_bytes(bytes(data))
    os.utime(victim, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and time: only a
    with pytest.raises(IndexCorruptError, match="terms-tf.npy"):  # full re-read can tell
        a.verify()


def test_a_snapshot_keeps_serving_after_its_segments_are_merged_away_and_deleted(
    tmp_path, embedder, articles
):
    index = tmp_path / "i"
    writer = Assistant.build([], index_dir=index, embedder=embedder)
    writer.add_articles(articles[:8])
    writer.add_articles(articles[8:12])
    reader = Assistant.open(index, embedder=embedder)
    held = reader.snapshot
    before = [p.article.id for p in reader.search(QUESTIONS[0], k=5)]
    writer.optimize()
    writer.add_articles(articles[12:14])
    writer.add_articles(articles[14:16])
    gone = [s.name for s in held.segments]
    assert not any((index / name).exists() for name in gone)  # deleted from disk
    from assistant.retrieval.search import search

    still = search(held, embedder, QUESTIONS[0], k=5, as_of=dt.date.today()).passages
    assert [p.article.id for p in still] == before
    assert all(p.article.text[p.start : p.end] == p.text for p in still)
    assert len(reader.library()) == 16  # the assistant itself moved on to the new commit


def test_a_merge_refuses_a_damaged_segment_and_leaves_the_index_as_it_was(
    tmp_path, embedder, articles
):
    from assistant import IndexCorruptError

    index = tmp_path / "i"
    a = Assistant.build([], index_dir=index, embedder=embedder)
    a.add_articles(articles[:3])
    a.add_articles(articles[3:6])
    before = manifest(index)
    victim = index / before["segments"][1]["name"] / "terms-chunk.npy"
    stat = victim.stat()
    data = bytearray(victim.read_bytes())
    data[-1] ^= 0xFF
    victim.write_bytes(bytes(data))
    os.utime(victim, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with pytest.raises(IndexCorruptError, match="can't be merged.*--force"):
        a.optimize()
    assert manifest(index) == before  # nothing re-certified
    assert not [p for p in index.iterdir() if p.name.startswith(".tmp-")]


def _as_format_3(index: Path, legacy: Path) -> None:
    """Write ``index`` (one segment) in the previous format, the way format 3 kept it."""
    import shutil
    import sqlite3

    from assistant.store.format import _sha256

    m = manifest(index)
    gen = legacy / "gen-000001"
    gen.mkdir(parents=True)
    segment = index / m["segments"][0]["name"]
    for name in ("store.sqlite", "vectors.faiss", "titles.faiss"):
        shutil.copy(segment / name, gen / name)
    db = sqlite3.connect(gen / "store.sqlite")
    db.execute("ATTACH DATABASE ? AS catalog", (str(index / m["catalog"]),))
    db.execute("CREATE TABLE sources AS SELECT file, article_id FROM catalog.sources")
    db.execute("CREATE TABLE source_ids AS SELECT source_id, article_id FROM catalog.source_ids")
    db.commit()
    db.execute("DETACH DATABASE catalog")
    db.close()
    files = {
        n: {"bytes": (gen / n).stat().st_size, "sha256": _sha256(gen / n)}
        for n in ("store.sqlite", "vectors.faiss", "titles.faiss")
    }
    old = {k: m[k] for k in ("embedding_model", "dim", "chunking", "versions", "counts")}
    old |= {"format": 3, "generation": "gen-000001", "files": files}
    (legacy / "manifest.json").write_text(json.dumps(old))


def test_an_index_of_the_previous_format_upgrades_from_its_own_articles(
    tmp_path, embedder, articles, reference
):
    from assistant import IndexMismatchError

    from .test_index import CountingEmbedder

    built = Assistant.build([], index_dir=tmp_path / "new", embedder=embedder)
    built.add_articles(articles)
    legacy = tmp_path / "legacy"
    _as_format_3(tmp_path / "new", legacy)
    with pytest.raises(IndexMismatchError, match="assistant index upgrade"):
        Assistant.open(legacy, embedder=embedder)
    counting = CountingEmbedder(embedder.inner)
    upgraded = Assistant.upgrade(legacy, embedder=counting)
    assert counting.texts == 0  # every chunk and headline vector reused
    assert manifest(legacy)["format"] == 4
    assert not list(legacy.glob("gen-*"))
    assert [r.id for r in upgraded.library()] == [r.id for r in reference.library()]
    assert results(upgraded) == results(reference)
    assert Assistant.upgrade(legacy, embedder=embedder).last_report is None  # nothing to do
