"""Ingest: each format gives articles with title, outlet, date; bad input names file and reason."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os

import pytest

from assistant.ingest import load_paths, make_article
from assistant.text.dates import date_from_url, dateline_date, parse_date

from .conftest import REPORTS, SEED


def test_seed_report_reads_date_header_title_and_sidecar_outlet():
    report = load_paths([SEED])
    assert not report.failures
    (article,) = report.articles
    assert article.published == dt.date(2022, 10, 7) and article.date_source == "header"
    assert article.outlet == "Al Jazeera"
    assert article.text.startswith("Separatist forces in the war-battered Donetsk region")
    assert "date 2022" not in article.text
    assert SEED.read_text(encoding="utf-8").strip().endswith(article.text[-80:])


def test_folders_are_read_recursively_and_sidecars_are_not_articles(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.txt").write_text("Deep title\n\nDeep body text here.")
    (tmp_path / "top.md").write_text("# Markdown title\n\nBody of the markdown report.")
    (tmp_path / "top.meta.json").write_text('{"outlet": "Reuters"}')
    report = load_paths([tmp_path])
    titles = {a.title: a for a in report.articles}
    assert set(titles) == {"Deep title", "Markdown title"}
    assert titles["Markdown title"].outlet == "Reuters"


def test_same_text_twice_is_stored_once(tmp_path):
    (tmp_path / "a.txt").write_text("Same report.\n\nSame body.")
    (tmp_path / "b.txt").write_text("Same report.\r\n\r\nSame body.\r\n")
    report = load_paths([tmp_path])
    assert len(report.articles) == 1
    assert len(report.sources) == 2


@pytest.mark.parametrize(
    "second,separate",
    [
        ({"title": "Ford recall"}, False),  # the same line twice: one article
        ({"title": "Walmart cuts prices"}, True),  # same body, another headline: another article
        ({"title": "Ford recall", "url": "https://example.com/b"}, True),  # another address
    ],
)
def test_same_body_under_another_title_or_url_is_another_article(tmp_path, second, separate):
    body = "1. How relevant is this ad to you? Video player was slow to load content."
    first = {"title": "Ford recall", "url": "https://example.com/a", "text": body}
    lines = [first, {**first, **second}]
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    articles = load_paths([tmp_path]).articles
    assert len(articles) == (2 if separate else 1)
    assert {a.title for a in articles} == {first["title"], second["title"]}


def test_jsonl_fields_and_dates(tmp_path):
    rows = [
        {
            "id": "x1",
            "title": "One",
            "body": "Body one.",
            "url": "https://www.cnn.com/2022/10/02/world/x.html",
        },
        {
            "id": "x2",
            "title": "Two",
            "content": "Body two.",
            "source": "Reuters",
            "published_at": "2022-09-30T10:00:00Z",
        },
        {"id": "x3", "title": "Three", "text": "NEW YORK, Oct 2, 2022 (Reuters) - Body three."},
    ]
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in rows).encode()))
    report = load_paths([path])
    assert not report.failures
    one, two, three = report.articles
    assert (one.outlet, one.published, one.date_source) == ("cnn.com", dt.date(2022, 10, 2), "url")
    assert (two.outlet, two.published, two.date_source) == (
        "Reuters",
        dt.date(2022, 9, 30),
        "field",
    )
    assert (three.published, three.date_source) == (dt.date(2022, 10, 2), "dateline")
    assert [a.source_id for a in report.articles] == ["x1", "x2", "x3"]


def test_html_main_text_and_metadata(tmp_path):
    body = "<p>" + "Ukrainian forces held the town of Bakhmut on Monday. " * 6 + "</p>"
    page = f"""<html><head><title>Bakhmut holds</title>
    <meta property="og:site_name" content="Example News"><meta name="date" content="2022-10-03">
    </head><body><nav>Home | World</nav><article><h1>Bakhmut holds</h1>{body}</article>
    <footer>Copyright</footer></body></html>"""
    (tmp_path / "page.html").write_text(page)
    (article,) = load_paths([tmp_path]).articles
    assert article.title == "Bakhmut holds"
    assert article.outlet == "Example News"
    assert article.published == dt.date(2022, 10, 3)
    assert "Ukrainian forces held the town of Bakhmut" in article.text
    assert "Copyright" not in article.text


def _write(path, data):
    path.write_bytes(data)
    return path


BAD_INPUTS = {
    "empty file": ("empty.txt", b"", "empty"),
    "whitespace only": ("blank.txt", b"  \n\t\n ", "empty"),
    "pdf named txt": ("paper.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
    "binary": ("blob.txt", b"\x00\x01\x02binary\x00", "binary"),
    "invalid utf-8": ("latin.txt", "Caf\xe9 in Kyiv".encode("latin-1"), "UTF-8"),
    "json without text": ("notext.json", b'{"title": "No body"}', "no article text"),
    "unknown extension": ("data.xlsx", b"PK\x03\x04", "unsupported file type"),
    "truncated gzip": (
        "cut.jsonl.gz",
        gzip.compress(b'{"text": "hello there"}\n' * 50)[:30],
        "gzip",
    ),
    "broken json": ("bad.json", b'{"text": "unterminated', "invalid JSON"),
    "html without article": (
        "empty.html",
        b"<html><body><nav>menu</nav></body></html>",
        "no article text",
    ),
}


@pytest.mark.parametrize("name,data,reason", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_file_is_named_with_reason_and_rest_of_batch_loads(tmp_path, name, data, reason):
    bad = _write(tmp_path / name, data)
    (tmp_path / "good.txt").write_text("Good title\n\nA good report about Kherson.")
    report = load_paths([bad, tmp_path / "good.txt"])
    assert [a.title for a in report.articles] == ["Good title"]
    (failure,) = report.failures
    assert str(bad) in str(failure)
    assert reason.lower() in failure.reason.lower()


def test_jsonl_with_one_broken_line_names_the_line_and_loads_the_others(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"text": "First report."}\n{"text": broken\n{"text": "Third report."}\n')
    report = load_paths([path])
    assert [a.text for a in report.articles] == ["First report.", "Third report."]
    (failure,) = report.failures
    assert failure.path == f"{path}:2"


def test_symlink_loop_terminates(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "r.txt").write_text("Loop title\n\nBody.")
    os.symlink(tmp_path, tmp_path / "a" / "loop")
    report = load_paths([tmp_path])
    assert [a.title for a in report.articles] == ["Loop title"]


def test_missing_path_is_a_failure_not_a_crash(tmp_path):
    report = load_paths([tmp_path / "nope", REPORTS])
    assert len(report.articles) == 1
    assert "no such file" in report.failures[0].reason


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2022-10-02", dt.date(2022, 10, 2)),
        ("2022-10-02T23:10:00+02:00", dt.date(2022, 10, 2)),
        ("Sun, 02 Oct 2022 10:00:00 GMT", dt.date(2022, 10, 2)),
        ("October 2, 2022", dt.date(2022, 10, 2)),
        ("2 Oct 2022", dt.date(2022, 10, 2)),
        (1664700000, dt.date(2022, 10, 2)),
        ("not a date", None),
        ("", None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "url,expected",
    [
        ("https://www.cnn.com/2022/10/02/europe/x/index.html", dt.date(2022, 10, 2)),
        ("https://www.usatoday.com/story/news/2020/03/16/x/5057882002/", dt.date(2020, 3, 16)),
        ("https://example.com/news/20221002-kherson", dt.date(2022, 10, 2)),
        ("https://example.com/news/kherson", None),
    ],
)
def test_date_from_url(url, expected):
    assert date_from_url(url) == expected


def test_dateline_with_cnn_style_header():
    text = "Kyiv, Ukraine CNN —\n\nUpdated 10:13 AM EDT, Sun October 2, 2022\n\nUkrainian forces..."
    assert dateline_date(text) == dt.date(2022, 10, 2)


def test_text_is_normalised_once_nfc_and_newlines():
    article = make_article("Cafe\u0301 in Kyiv\r\nline two\r\n\r\n\r\n\r\nthird")
    assert article.text == "Café in Kyiv\nline two\n\nthird"


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("The **storm** hit *Fort Myers*.", "The storm hit Fort Myers."),
        (
            "See [the NHC advisory](https://nhc.example/ian) for more.",
            "See the NHC advisory for more.",
        ),
        ("## Landfall\nWinds reached `150 mph`.", "Landfall\nWinds reached 150 mph."),
        (
            "- Power out for 2.5 million\n> “We lost everything,” she said.",
            "Power out for 2.5 million\n“We lost everything,” she said.",
        ),
        ("![A flooded street in Naples](street.jpg)", "A flooded street in Naples"),
        ("2 * 3 = 6 and snake_case stays", "2 * 3 = 6 and snake_case stays"),
    ],
)
def test_markdown_markup_never_reaches_the_stored_text(markdown, expected):
    from assistant.ingest.loaders import plain_markdown

    assert plain_markdown(markdown) == expected


def test_a_markdown_headline_is_the_title_and_leaves_the_body(tmp_path):
    (tmp_path / "ian.md").write_text(
        "# Ian makes landfall\n\nThe **storm** hit [Fort Myers](http://x.example) on Wednesday.",
        encoding="utf-8",
    )
    (article,) = load_paths([tmp_path]).articles
    assert article.title == "Ian makes landfall"
    assert article.text == "The storm hit Fort Myers on Wednesday."


def _gzip_bomb(path):
    import zlib

    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    with open(path, "wb") as f:
        block = b"\0" * (1 << 20)
        for _ in range(300):  # 300 MB of zeros, a few hundred KB on disk
            f.write(compressor.compress(block))
        f.write(compressor.flush())


HOSTILE = {
    # name: (how to make it, words its one failure must say)
    "bomb.jsonl.gz": (_gzip_bomb, "compression bomb"),
    "fifo.txt": (lambda p: os.mkfifo(p), "FIFO, not a regular file"),
    "nested.json": (lambda p: p.write_text("[" * 100_000 + "]" * 100_000), "nested too deeply"),
    "overflow.json": (
        lambda p: p.write_text('{"text": "Some body text.", "published": 1' + "0" * 400 + "}"),
        None,  # no failure: an impossible date is no date
    ),
    "badtitle.txt": (lambda p: p.write_text("Body of a report."), "'title' must be text"),
    "surrogate.json": (
        lambda p: p.write_text('{"title": "Bad \\ud800 title", "text": "Body with \\udfff."}'),
        None,  # cleaned: U+FFFD in place of the lone surrogate
    ),
    "oneline.txt": (lambda p: p.write_text("word " * 200_000), None),  # title capped
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_fails_alone_with_a_reason_and_the_batch_goes_on(tmp_path, name):
    make, says = HOSTILE[name]
    (tmp_path / "good.txt").write_text("Good report\n\nThe ferry sailed on time.", encoding="utf-8")
    make(tmp_path / name)
    if name == "badtitle.txt":
        (tmp_path / "badtitle.meta.json").write_text('{"title": 5}')
    report = load_paths([tmp_path])
    assert "Good report" in {a.title for a in report.articles}
    failures = [f for f in report.failures if name in f.path]
    if says is None:
        assert failures == [], failures
        bad = [a for a in report.articles if a.title != "Good report"]
        assert len(bad) == 1 and len(bad[0].title) <= 301
        assert "\ud800" not in bad[0].title + bad[0].text
    else:
        assert len(failures) == 1 and says in failures[0].reason, failures


def test_a_symlink_out_of_the_folder_is_not_followed(tmp_path):
    inside = tmp_path / "in"
    inside.mkdir()
    (inside / "good.txt").write_text("Good report\n\nBody.", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("root:x:0:0:root", encoding="utf-8")
    (inside / "leak.txt").symlink_to(tmp_path / "secret.txt")
    report = load_paths([inside])
    assert [a.title for a in report.articles] == ["Good report"]
    assert any("outside the folder; not followed" in f.reason for f in report.failures)


def test_one_bad_utf8_byte_fails_only_its_jsonl_line(tmp_path):
    lines = [json.dumps({"title": f"Report {i}", "text": f"Body {i}."}).encode() for i in range(40)]
    lines[7] = lines[7].replace(b"Body", b"B\xffody")
    (tmp_path / "feed.jsonl").write_bytes(b"\n".join(lines))
    report = load_paths([tmp_path])
    assert len(report.articles) == 39
    assert [f.path for f in report.failures] == [f"{tmp_path / 'feed.jsonl'}:8"]
    assert "not valid UTF-8" in report.failures[0].reason


def test_a_reader_that_runs_out_of_memory_is_named_and_the_rest_kept(tmp_path):
    """Uploads are read in a bounded child: a file whose parsing blows the memory limit kills
    the child, never the caller, and is named; the other files of the batch are indexed."""
    import gzip

    from assistant.ingest.worker import load_isolated

    good = tmp_path / "good.txt"
    good.write_text("Ferry resumes\n\nThe ferry to Hiddensee resumed on Sunday.", encoding="utf-8")
    heavy = tmp_path / "heavy.jsonl.gz"
    line = json.dumps({"title": "Heavy", "text": "word " * 44_000_000})  # 220 MB inflated
    with gzip.open(heavy, "wt", encoding="utf-8", compresslevel=1) as f:
        f.write(line)
    report = load_isolated([good, heavy], memory_mb=900)
    assert [a.title for a in report.articles] == ["Ferry resumes"]
    assert report.sources and report.files
    failure = next(f for f in report.failures if f.path == str(heavy))
    assert "more than 900 MB of memory" in failure.reason, failure.reason


def test_a_folders_readme_is_not_a_report_but_a_named_one_is_read(tmp_path):
    (tmp_path / "README.md").write_text("# Sample reports\n\nWhat this folder holds.")
    (tmp_path / "LICENSE.txt").write_text("Licence text of the sample, several words long.")
    (tmp_path / "report.txt").write_text("Ferry resumes\n\nThe ferry sailed on Sunday.")
    assert [a.title for a in load_paths([tmp_path]).articles] == ["Ferry resumes"]
    assert [a.title for a in load_paths([tmp_path / "README.md"]).articles] == ["Sample reports"]
