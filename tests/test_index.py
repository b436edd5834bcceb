"""The index on disk: build, ask, round trips, incremental updates, mismatches, corruption."""

from __future__ import annotations

import json
import shutil

import pytest

from assistant import (
    Assistant,
    IndexCorruptError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
)
from assistant.store import index_lock

from .conftest import REPORTS

SHELL_QUESTION = "How long does it take for the shell to reach its target?"
SHELL_QUOTE = "It takes around 40 seconds for the shell to reach its target."


def _results(assistant, question="Who is defending Bakhmut?"):
    return [
        (p.article.id, p.start, p.end, round(p.score, 6)) for p in assistant.search(question, k=5)
    ]


def test_ask_about_the_seed_quotes_the_shell_sentence_with_outlet_and_date(seed_assistant):
    answer = seed_assistant.ask(SHELL_QUESTION)
    assert answer.answerable
    top = answer.quotes[0]
    assert SHELL_QUOTE in top.text
    assert top.article.outlet == "Al Jazeera"
    assert top.article.date_label == "2022-10-07"
    assert "[1]" in answer.text and "Al Jazeera" in answer.text


@pytest.mark.parametrize(
    "question",
    [
        SHELL_QUESTION,
        "Who is defending Bakhmut?",
        "What did Nikolai say about the Russians?",
        "How many people once lived in Bakhmut?",
        "When was Lyman seized?",
    ],
)
def test_every_quote_slices_back_to_its_article(seed_assistant, question):
    answer = seed_assistant.ask(question)
    for quote in answer.quotes:
        stored = seed_assistant.article(quote.article.id)
        assert stored.text[quote.start : quote.end] == quote.text


def test_search_returns_passages_with_offsets_and_article(seed_assistant):
    passages = seed_assistant.search("Who is defending Bakhmut?", k=2)
    assert passages and passages[0].rank == 1
    for p in passages:
        assert p.article.text[p.start : p.end] == p.text
        assert "dense" in dict(p.scores)


def test_open_gives_the_same_search_results_as_build(tmp_path, embedder):
    built = Assistant.build([REPORTS], index_dir=tmp_path / "i", embedder=embedder)
    reopened = Assistant.open(tmp_path / "i", embedder=embedder)
    assert _results(built) == _results(reopened)


def test_update_twice_changes_nothing(tmp_path, embedder, reports_copy):
    a = Assistant.build([reports_copy], index_dir=tmp_path / "i", embedder=embedder)
    before = _results(a)
    report = a.update([reports_copy])
    assert report.added == [] and report.removed == [] and report.chunks_embedded == 0
    assert report.unchanged == 1
    assert _results(a) == before


def test_update_embeds_only_the_new_article(tmp_path, embedder, reports_copy):
    a = Assistant.build([reports_copy], index_dir=tmp_path / "i", embedder=embedder)
    new = reports_copy / "kherson.txt"
    new.write_text(
        "date 2022-11-11 Ukrainian troops entered Kherson city on Friday.\n\nCrowds greeted the soldiers in the central square."
    )
    report = a.update([reports_copy])
    assert len(report.added) == 1 and report.unchanged == 1
    assert report.chunks_embedded == 1
    answer = a.ask("Who entered Kherson city?")
    assert answer.quotes[0].article.published.isoformat() == "2022-11-11"
    assert "Kherson" in answer.quotes[0].text


def test_changed_file_replaces_its_old_article(tmp_path, embedder, reports_copy):
    f = reports_copy / "note.txt"
    f.write_text("Old title\n\nThe bridge was closed on Monday.")
    a = Assistant.build([reports_copy], index_dir=tmp_path / "i", embedder=embedder)
    f.write_text("New title\n\nThe bridge reopened on Tuesday.")
    report = a.update([reports_copy])
    assert len(report.added) == 1 and len(report.removed) == 1
    assert sorted(x.title for x in a.articles() if "title" in x.title) == ["New title"]


def test_sync_removes_articles_of_deleted_files_and_plain_update_keeps_them(
    tmp_path, embedder, reports_copy
):
    f = reports_copy / "gone.txt"
    f.write_text("Gone title\n\nThis report will be deleted.")
    a = Assistant.build([reports_copy], index_dir=tmp_path / "i", embedder=embedder)
    f.unlink()
    assert a.update([reports_copy]).removed == []
    assert len(a.articles()) == 2
    assert len(a.update([reports_copy], sync=True).removed) == 1
    assert [x.outlet for x in a.articles()] == ["Al Jazeera"]


def test_a_broken_file_keeps_what_it_indexed_before(tmp_path, embedder, reports_copy):
    f = reports_copy / "feed.jsonl"
    f.write_text('{"text": "Feed report about grain exports from Odesa."}\n')
    a = Assistant.build([reports_copy], index_dir=tmp_path / "i", embedder=embedder)
    f.write_bytes(b"\xff\xfe broken")
    report = a.update([reports_copy])
    assert report.failures and "feed.jsonl" in str(report.failures[0])
    assert report.removed == []
    assert any("Odesa" in x.text for x in a.articles())


def test_same_id_with_different_text_keeps_the_first(tmp_path, embedder):
    f = tmp_path / "dup.jsonl"
    f.write_text(
        '{"id": "a1", "text": "First version."}\n{"id": "a1", "text": "Second version."}\n'
    )
    a = Assistant.build([f], index_dir=tmp_path / "i", embedder=embedder)
    assert [x.text for x in a.articles()] == ["First version."]
    assert "already used" in a.last_report.failures[0].reason


def test_remove_deletes_article_chunks_and_vectors(tmp_path, embedder, reports_copy):
    (reports_copy / "extra.txt").write_text("Extra title\n\nAn extra report on Mariupol.")
    a = Assistant.build([reports_copy], index_dir=tmp_path / "i", embedder=embedder)
    extra = next(x for x in a.articles() if x.title == "Extra title")
    a.remove([extra.id])
    assert all(p.article.id != extra.id for p in a.search("Mariupol", k=10))
    assert a.info()["counts"]["articles"] == 1


def test_each_title_has_one_vector_that_follows_updates_and_removal(
    tmp_path, embedder, reports_copy
):
    a = Assistant.build([reports_copy], index_dir=tmp_path / "i", embedder=embedder)
    assert a.snapshot.vector_count("titles") == 1
    (reports_copy / "extra.txt").write_text(
        "Ferry service resumes to the island\n\nBoats sailed again on Sunday after the storms."
    )
    a.update([reports_copy])
    assert a.snapshot.vector_count("titles") == 2
    top = a.search("When did the island ferries start again?", k=1, methods=("title",))[0]
    assert top.article.title == "Ferry service resumes to the island" and top.start == 0
    a.remove([top.article.id])
    assert a.snapshot.vector_count("titles") == 1


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.texts = inner, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed(self, texts, progress=None):
        self.texts += len(texts)
        return self.inner.embed(texts, progress=progress)


def test_a_rebuild_embeds_no_chunk_and_no_title_again(tmp_path, embedder, reports_copy):
    counting = CountingEmbedder(embedder)
    Assistant.build([reports_copy], index_dir=tmp_path / "i", embedder=counting)
    first = counting.texts
    rebuilt = Assistant.build(
        [reports_copy], index_dir=tmp_path / "i", embedder=counting, overwrite=True
    )
    assert first > 0 and counting.texts == first
    assert rebuilt.snapshot.vector_count("titles") == 1


@pytest.mark.parametrize(
    ("changed", "reused"),
    [("terms", True), ("export", False), ("weights", False), ("onnxruntime", False)],
)
def test_a_rebuild_reuses_vectors_only_from_the_same_export_and_weights(
    tmp_path, embedder, reports_copy, changed, reused
):
    first = CountingEmbedder(embedder)
    Assistant.build([reports_copy], index_dir=tmp_path / "i", embedder=first)
    manifest_path = tmp_path / "i" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["versions"][changed] = "an older one"
    manifest_path.write_text(json.dumps(manifest))  # as if built by another installation
    again = CountingEmbedder(embedder)
    Assistant.build([reports_copy], index_dir=tmp_path / "i", embedder=again, overwrite=True)
    assert again.texts == (0 if reused else first.texts)


def test_open_missing_index_says_how_to_build(tmp_path):
    with pytest.raises(IndexNotFoundError, match="assistant index build"):
        Assistant.open(tmp_path / "nothing")


def test_model_mismatch_names_the_fix(seed_index, tmp_path, embedder):
    copy = tmp_path / "copy"
    shutil.copytree(seed_index, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["embedding_model"] = "some/other-model"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="ASSISTANT_EMBEDDING_MODEL|assistant index build"):
        Assistant.open(copy, embedder=embedder)


def test_format_mismatch_names_the_rebuild_command(seed_index, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(seed_index, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["format"] = 99
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="assistant index build"):
        Assistant.open(copy)


@pytest.mark.parametrize(
    "victim", ["vectors.faiss", "store.sqlite", "titles.faiss", "terms-chunk.npy", "catalog"]
)
@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_altered_index_file_is_detected(seed_index, tmp_path, victim, damage):
    copy = tmp_path / "copy"
    shutil.copytree(seed_index, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    if victim == "catalog":
        path = copy / manifest["catalog"]
    else:
        path = copy / manifest["segments"][0]["name"] / victim
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match="assistant index build"):
        Assistant.open(copy)


def test_second_writer_gets_a_clear_lock_error(tmp_path, embedder, reports_copy):
    a = Assistant.build([reports_copy], index_dir=tmp_path / "i", embedder=embedder)
    with index_lock(tmp_path / "i"), pytest.raises(IndexLockedError, match="another process"):
        a.update([reports_copy])


def test_failed_update_leaves_the_index_as_it_was(tmp_path, embedder, reports_copy, monkeypatch):
    a = Assistant.build([reports_copy], index_dir=tmp_path / "i", embedder=embedder)
    before = _results(a)
    (reports_copy / "new.txt").write_text("New\n\nSomething new about Kyiv.")

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(type(embedder), "embed", explode)
    with pytest.raises(RuntimeError):
        a.update([reports_copy])
    monkeypatch.undo()
    reopened = Assistant.open(tmp_path / "i", embedder=embedder)
    assert _results(reopened) == before
    assert not [p for p in (tmp_path / "i").iterdir() if p.name.startswith(".tmp-")]
    assert len(reopened.update([reports_copy]).added) == 1


def test_reader_sees_updates_from_another_writer_without_restart(tmp_path, embedder, reports_copy):
    writer = Assistant.build([reports_copy], index_dir=tmp_path / "i", embedder=embedder)
    reader = Assistant.open(tmp_path / "i", embedder=embedder)
    assert len(reader.articles()) == 1
    (reports_copy / "odesa.txt").write_text("Odesa port\n\nGrain ships left Odesa port on Monday.")
    writer.update([reports_copy])
    assert len(reader.articles()) == 2


def test_a_large_index_switches_to_ivf_and_keeps_updates_filters_and_removal(
    tmp_path, embedder, monkeypatch
):
    import datetime as dt

    from assistant import Filters
    from assistant.ingest import make_article
    from assistant.store import segment

    monkeypatch.setattr(segment, "IVF_THRESHOLD", 40)
    monkeypatch.setattr(segment, "TITLES_IVF_THRESHOLD", 40)
    topics = [
        "grain exports from Odesa",
        "shelling near Bakhmut",
        "the Kerch bridge blast",
        "power cuts in Kyiv",
        "the Zaporizhzhia nuclear plant",
        "mobilisation in Russia",
        "the Lyman counteroffensive",
        "Kherson's retreat",
    ]
    articles = [
        make_article(
            f"Report {i} on {topics[i % 8]}. "
            + " ".join(
                f"Sentence {j} of report {i} covers {topics[i % 8]} in detail." for j in range(3)
            ),
            title=f"Report {i}: {topics[i % 8]}",
            outlet=f"Wire {'AB'[i % 2]}",
            published=dt.date(2022, 10, 1 + i % 20),
        )
        for i in range(48)
    ]
    a = Assistant.build([], index_dir=tmp_path / "i", embedder=embedder)
    a.add_articles(articles)
    assert a.snapshot.vector_kinds() == ["IndexIVFScalarQuantizer"]
    assert a.snapshot.vector_kinds("titles") == ["IndexIVFScalarQuantizer"]
    assert a.snapshot.vector_count() == 48
    by_title = a.search(
        "Kerch bridge blast", k=2, methods=("title",), filters=Filters(outlets=("wire a",))
    )
    assert by_title and all(
        "Kerch" in p.article.title and p.article.outlet == "Wire A" for p in by_title
    )
    top = a.search("Kerch bridge blast", k=3)
    assert "Kerch" in top[0].article.title
    narrow = a.search("Kerch bridge blast", k=2, filters=Filters(outlets=("wire b",)))
    assert len(narrow) == 2 and all(p.article.outlet == "Wire B" for p in narrow)
    a.add_text(
        "Divers inspected the Kerch bridge after the blast, officials said.",
        title="Kerch divers",
        outlet="Wire C",
    )
    assert a.snapshot.vector_count() == 49
    assert a.search("divers inspected the Kerch bridge", k=1)[0].article.title == "Kerch divers"
    a.remove([articles[0].id])
    assert a.snapshot.vector_count() == 48 and a.snapshot.vector_count("titles") == 48


def test_the_manifest_records_what_defines_terms_and_vectors(seed_index):
    versions = json.loads((seed_index / "manifest.json").read_text())["versions"]
    assert versions["terms"].startswith("tokens-") and "pystemmer" in versions["terms"]
    assert {"onnxruntime", "export", "weights"} <= set(versions)


def _with_versions(seed_index, tmp_path, **changed):
    copy = tmp_path / "copy"
    shutil.copytree(seed_index, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["versions"] = {**manifest["versions"], **changed}
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


def test_an_index_from_another_runtime_opens_and_says_so_with_the_fix(
    seed_index, tmp_path, embedder
):
    from assistant import IndexVersionWarning

    copy = _with_versions(seed_index, tmp_path, onnxruntime="0.0.1")
    with pytest.warns(IndexVersionWarning, match="onnxruntime 0.0.1"):
        a = Assistant.open(copy, embedder=embedder)
        assert a.search("Bakhmut")
    notes = a.info()["version_notes"]
    assert len(notes) == 1 and "assistant index build" in notes[0]


def test_an_update_with_other_term_spelling_is_refused_with_the_fix(
    seed_index, tmp_path, embedder, reports_copy
):
    from assistant import IndexVersionWarning

    copy = _with_versions(seed_index, tmp_path, terms="tokens-1/porter-pystemmer-0.1")
    with (
        pytest.warns(IndexVersionWarning, match="terms tokens-1"),
        pytest.raises(IndexMismatchError, match="keyword terms.*assistant index build"),
    ):
        Assistant.open(copy, embedder=embedder).update([reports_copy])


def test_new_weights_at_the_same_path_get_a_new_export_digest(tmp_path):
    from assistant.embedding.onnx import weights_digest

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"old weights")
    cache = tmp_path / "cache"
    first = weights_digest(model, cache)
    assert weights_digest(model, cache) == first  # remembered
    (model / "model.safetensors").write_bytes(b"new weights!")
    assert weights_digest(model, cache) != first


def test_the_same_text_pasted_after_its_file_is_stored_once_and_said(tmp_path, embedder):
    text = "Grain ships left Odesa on Monday.\n\nThe Razoni carried corn to Lebanon."
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "odesa.txt").write_text(text, encoding="utf-8")
    a = Assistant.build([tmp_path / "src"], index_dir=tmp_path / "i", embedder=embedder)
    stored = a.library()[0].id
    again = a.add_text(text, title="Pasted grain report")
    assert again.added == [] and again.duplicates == [("Pasted grain report", stored)]
    assert "1 already indexed with the same text" in again.summary()
    assert len(a.library()) == 1
    wire = a.add_text(text, title="Grain ships", outlet="Another Wire")
    assert len(wire.added) == 1 and len(a.library()) == 2  # wire copy from another outlet stays


@pytest.mark.parametrize(
    ("code", "says"),
    [(28, "is full"), (30, "is read-only")],  # ENOSPC, EROFS
)
def test_a_full_or_read_only_disk_is_one_line_and_keeps_the_index(
    tmp_path, embedder, reports_copy, monkeypatch, code, says
):
    import errno
    import os

    from assistant import IndexStoreError
    from assistant.store.writer import Writer

    a = Assistant.build([reports_copy], index_dir=tmp_path / "i", embedder=embedder)
    before = [r.id for r in a.library()]
    (reports_copy / "new.txt").write_text("A new report\n\nThe ferry sailed.", encoding="utf-8")

    def fail(self):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(Writer, "finish", fail)
    with pytest.raises(IndexStoreError, match=says) as caught:
        a.update([reports_copy])
    assert "\n" not in str(caught.value) and errno.errorcode[code]
    assert [r.id for r in Assistant.open(tmp_path / "i", embedder=embedder).library()] == before
    assert not [p for p in (tmp_path / "i").iterdir() if p.name.startswith(".tmp-")]


@pytest.mark.parametrize("damage", ["manifest", "vectors"])
def test_build_force_replaces_a_broken_index_without_reusing_damage(
    tmp_path, embedder, reports_copy, damage
):
    from assistant import IndexStoreError

    index = tmp_path / "i"
    Assistant.build([reports_copy], index_dir=index, embedder=embedder)
    manifest = json.loads((index / "manifest.json").read_text())
    if damage == "manifest":
        (index / "manifest.json").write_text("{ not json")
    else:
        vectors = index / manifest["segments"][0]["name"] / "vectors.faiss"
        data = bytearray(vectors.read_bytes())
        data[-10] ^= 0xFF
        vectors.write_bytes(bytes(data))
    with pytest.raises(IndexStoreError, match="--force"):
        Assistant.open(index, embedder=embedder)
    counting = CountingEmbedder(embedder)
    rebuilt = Assistant.build([reports_copy], index_dir=index, embedder=counting, overwrite=True)
    assert counting.texts > 0  # nothing reused from the damaged generation
    assert rebuilt.search("Who is defending Bakhmut?")
    assert Assistant.open(index, embedder=embedder).library()


def test_a_manifest_without_checksums_is_refused(seed_index, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(seed_index, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    del manifest["files"]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexCorruptError, match="no checksums.*--force"):
        Assistant.open(copy)
