"""Time-sharded archives: several indexes searched as one, filters and dates per shard, updates
routed to the shard owning each article's date."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from assistant import Assistant
from assistant.archive import Archive
from assistant.cli import main
from assistant.ingest import load_paths, make_article

from .conftest import ROOT

SAMPLE = ROOT / "reports"  # the seed report and the bundled sample of 28 news articles

# The sample reports by date: up to September 2023 (and the 2022 seed), October, November on.
BOUNDS = (dt.date(2023, 10, 1), dt.date(2023, 11, 1))
QUESTIONS = [
    "How long does it take for the shell to reach its target?",
    "What did the Hamas-run health ministry say about the death toll in Gaza?",
    "Who was Time's person of the year?",
    "What happened at the Sam Bankman-Fried trial?",
]


def _shard(article) -> int:
    day = article.published
    return sum(day >= b for b in BOUNDS) if day else 2


def _write(articles, path):
    rows = [
        {
            "title": a.title,
            "text": a.text,
            "outlet": a.outlet,
            "url": a.url,
            "published": a.published.isoformat() if a.published else None,
        }
        for a in articles
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    """The bundled sample reports as one JSONL file, and as three split by date."""
    articles = load_paths([SAMPLE]).articles
    root = tmp_path_factory.mktemp("sample")
    parts = [
        _write([a for a in articles if _shard(a) == n], root / f"part-{n}.jsonl") for n in range(3)
    ]
    return _write(articles, root / "all.jsonl"), parts


@pytest.fixture(scope="module")
def whole(split, tmp_path_factory, embedder):
    """One real index of the bundled sample reports, to compare the archive with."""
    folder = tmp_path_factory.mktemp("whole") / "index"
    Assistant.build([split[0]], index_dir=folder, embedder=embedder)
    return folder


@pytest.fixture(scope="module")
def shard_dirs(split, tmp_path_factory, embedder):
    """Three real indexes of the same reports, split by date (oldest first)."""
    root = tmp_path_factory.mktemp("archive")
    dirs = [root / name for name in ("to-sep-2023", "oct-2023", "from-nov-2023")]
    for part, folder in zip(split[1], dirs, strict=True):
        Assistant.build([part], index_dir=folder, embedder=embedder)
    return dirs


@pytest.fixture()
def archive(shard_dirs, embedder, tmp_path):
    """The three shards opened as one archive (private copies: tests write to them)."""
    import shutil

    copies = [shutil.copytree(d, tmp_path / d.name) for d in shard_dirs]
    return Assistant.open(copies, embedder=embedder)


def test_a_list_of_indexes_opens_as_an_archive_holding_every_article(archive, whole):
    single = Assistant.open(whole)
    assert isinstance(archive, Archive) and len(archive.shards) == 3
    assert sorted(r.id for r in archive.library()) == sorted(r.id for r in single.library())
    assert archive.outlets() == single.outlets()


@pytest.mark.parametrize("methods", [("dense",), ("bm25",), ("title",), ("dense", "bm25", "title")])
@pytest.mark.parametrize("question", QUESTIONS)
def test_shards_rank_exactly_as_one_index_of_the_same_reports(
    archive, whole, embedder, question, methods
):
    single = Assistant.open(whole, embedder=embedder)
    got = archive.search(question, k=8, methods=methods)
    want = single.search(question, k=8, methods=methods)
    assert [(p.article.id, p.start) for p in got] == [(p.article.id, p.start) for p in want]
    assert [p.score for p in got] == pytest.approx([p.score for p in want])


def test_an_answer_over_the_archive_quotes_verbatim_from_the_right_shard(archive):
    answer = archive.ask(QUESTIONS[0])
    assert answer.answerable and answer.quotes
    quote = answer.quotes[0]
    assert "It takes around 40 seconds for the shell to reach its target." in quote.text
    assert quote.article.text[quote.start : quote.end] == quote.text
    assert archive.article(quote.article.id).published == dt.date(2022, 10, 7)


@pytest.mark.parametrize(
    "since,until",
    [
        (dt.date(2023, 10, 1), dt.date(2023, 10, 31)),
        (dt.date(2023, 11, 15), None),
        (None, dt.date(2023, 9, 30)),
    ],
)
def test_date_filters_apply_per_shard(archive, since, until):
    from assistant.types import Filters

    passages = archive.search(QUESTIONS[1], k=8, filters=Filters(since=since, until=until))
    assert passages
    for p in passages:
        assert p.article.published is not None
        assert (since is None or p.article.published >= since) and (
            until is None or p.article.published <= until
        )


def test_an_outlet_filter_applies_in_every_shard(archive):
    from assistant.types import Filters

    outlet = archive.outlets()[0]
    passages = archive.search(QUESTIONS[1], k=8, filters=Filters(outlets=(outlet,)))
    assert passages and {p.article.outlet for p in passages} == {outlet}


def test_a_shard_outside_the_date_window_is_not_read(archive, monkeypatch):
    from assistant.types import Filters

    oldest = archive.shards[0].snapshot

    def refuse(**kwargs):
        raise AssertionError("the shard outside the window was read")

    monkeypatch.setattr(oldest, "chunk_ids_where", refuse)
    passages = archive.search(QUESTIONS[1], k=5, filters=Filters(since=dt.date(2023, 11, 1)))
    assert passages and all(p.article.published >= dt.date(2023, 11, 1) for p in passages)


def test_as_of_pushes_reports_after_it_down_across_shards(archive):
    as_of = dt.date(2023, 10, 15)
    passages = archive.search(QUESTIONS[1], k=8, as_of=as_of)
    dated = [p.article.published for p in passages if p.article.published]
    assert dated[0] <= as_of + dt.timedelta(days=1)


@pytest.mark.parametrize(
    "published,shard",
    [
        ("2023-10-15", 1),  # inside October's dates
        ("2023-12-25", 2),  # after every date: the newest shard
        ("2021-01-01", 0),  # before every date: the oldest shard
        ("2023-10-31", 1),  # between October's last date and November's first: October's
        (None, 2),  # undated: the newest shard
    ],
)
def test_an_added_article_goes_to_the_shard_owning_its_date(archive, published, shard):
    article = make_article(
        "Zorblatt Corp said on Tuesday it would open a factory in Reykjavik next spring.",
        title="Zorblatt opens a factory",
        outlet="Wire Test",
        published=published,
    )
    report = archive.add_articles([article])
    assert report.added == [article.id]
    holders = [n for n, s in enumerate(archive.shards) if s.snapshot.holds(article.id)]
    assert holders == [shard]
    found = archive.search("Where will Zorblatt open a factory?", k=3)
    assert found[0].article.id == article.id


def test_an_empty_newest_shard_takes_the_dates_after_the_others(archive, tmp_path, embedder):
    empty = tmp_path / "from-2024"
    Assistant.build([], index_dir=empty, embedder=embedder)
    grown = Assistant.open([*archive.index_dirs, empty], embedder=embedder)
    new = make_article("Budget talks resumed in January.", title="Talks", published="2024-01-05")
    old = make_article("Budget talks stalled in October.", title="Stalled", published="2023-10-20")
    grown.add_articles([new, old])
    assert grown.shards[3].snapshot.holds(new.id)
    assert grown.shards[1].snapshot.holds(old.id)


def test_an_update_from_files_routes_each_article_and_names_a_bad_file(archive, tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "a.jsonl").write_text(
        json.dumps(
            {
                "title": "Late wire",
                "text": "Quixotic Ltd hired 40 engineers in Oslo.",
                "published": "2023-12-20",
                "outlet": "Wire Test",
            }
        )
        + "\n"
        + json.dumps(
            {
                "title": "Early wire",
                "text": "Quixotic Ltd opened in Oslo in 2019.",
                "published": "2023-09-01",
                "outlet": "Wire Test",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    (folder / "bad.json").write_bytes(b'{"text": "unterminated')
    report = archive.update([folder])
    assert len(report.added) == 2
    assert [f.path for f in report.failures] and "bad.json" in str(report.failures[0])
    titles = {n: {r.title for r in s.library()} for n, s in enumerate(archive.shards)}
    assert "Late wire" in titles[2] and "Early wire" in titles[0]


def test_remove_finds_the_shard_holding_each_article(archive):
    october = next(r for r in archive.library() if r.published.startswith("2023-10"))
    archive.remove([october.id])
    assert october.id not in {r.id for r in archive.library()}
    with pytest.raises(Exception, match="nothing was removed"):
        archive.remove(["no-such-id"])


def test_the_cli_searches_repeated_indexes_as_one_and_builds_one_at_a_time(shard_dirs, capsys):
    flags = [x for d in shard_dirs for x in ("--index", str(d))]
    assert main(["ask", QUESTIONS[0], *flags, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["quotes"][0]["article"]["published"] == "2022-10-07"
    assert main(["index", "build", str(SAMPLE), *flags]) == 1
    assert "one index at a time" in capsys.readouterr().err


def test_info_sums_the_shards_and_lists_each_with_its_dates(archive, whole, capsys):
    info = archive.info()
    single = Assistant.open(whole).info()
    assert info["counts"]["articles"] == single["counts"]["articles"]
    assert info["counts"]["chunks"] == single["counts"]["chunks"]
    assert [s["first_date"] for s in info["shards"]] == ["2022-10-07", "2023-10-01", "2023-11-11"]
    flags = [x for d in archive.index_dirs for x in ("--index", str(d))]
    assert main(["index", "info", *flags]) == 0
    out = capsys.readouterr().out
    assert all(str(d) in out for d in archive.index_dirs)
