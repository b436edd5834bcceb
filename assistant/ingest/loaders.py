"""One loader per file format. Each yields Articles, or IngestErrors for the parts it can't read.

A loader never raises for bad content: a JSONL file with one broken line yields an error for that
line and articles for the others.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import IngestError
from ..types import Article
from .normalize import make_article

TEXT_FIELDS = ("text", "body", "content")
DATE_FIELDS = ("published", "published_at", "date")
_HEADER_DATE = re.compile(r"\A\s*date\s+(\d{4}-\d{2}-\d{2})[ \t]*")
MIN_HTML_WORDS = 5
MAX_INFLATED_BYTES = 256 * 1024 * 1024  # a .gz that inflates past this is refused (a bomb?)
_MD_HEADING = re.compile(r"\A#{1,6}\s+")

Loaded = Iterator[Article | IngestError]


def decode(path: str, data: bytes) -> str:
    """Decode bytes as UTF-8 text, refusing binary files with a reason."""
    refuse_non_text(path, data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(
            path, f"not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8"
        ) from exc


def refuse_non_text(path: str, data: bytes) -> None:
    """Raise IngestError for an empty, PDF or binary file."""
    if not data.strip():
        raise IngestError(path, "the file is empty")
    if data.startswith(b"%PDF"):
        raise IngestError(path, "this is a PDF, not text; convert it to .txt or .html first")
    if b"\x00" in data[:8192]:
        raise IngestError(path, "the file is binary (NUL bytes), not text")


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0].strip()


def load_text(path: str, data: bytes, meta: dict[str, Any]) -> Loaded:
    """Load a .txt report: optional ``date YYYY-MM-DD`` header, first line is the title."""
    raw = decode(path, data)
    published: object = meta.get("published") or meta.get("date")
    source = "field"
    if m := _HEADER_DATE.match(raw):
        raw = raw[m.end() :]
        published = published or m.group(1)
        source = "header" if not meta.get("published") and not meta.get("date") else "field"
    yield _build(path, raw, meta, title=_first_line(raw), published=published, date_source=source)


_MD_LINE_MARKS = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+(?=\S))", re.MULTILINE)
_MD_CLOSING_HASHES = re.compile(r"[ \t]+#+[ \t]*$", re.MULTILINE)
_MD_IMAGE_OR_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_MD_EMPHASIS = re.compile(
    r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1|(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?!\w)"
)
_MD_CODE = re.compile(r"`([^`\n]+)`")
_MD_RULE = re.compile(r"^[ \t]*(?:[-*_][ \t]*){3,}$", re.MULTILINE)


def plain_markdown(text: str) -> str:
    """Return Markdown as the plain text a reader sees: no heading, quote or list marks, link
    and image text without their addresses, no emphasis or code marks, no rules."""
    text = _MD_RULE.sub("", text)
    text = _MD_CLOSING_HASHES.sub("", text)
    text = _MD_LINE_MARKS.sub("", text)
    text = _MD_IMAGE_OR_LINK.sub(r"\1", text)
    text = _MD_EMPHASIS.sub(lambda m: m.group(2) or m.group(3), text)
    return _MD_CODE.sub(r"\1", text)


def load_markdown(path: str, data: bytes, meta: dict[str, Any]) -> Loaded:
    """Load a .md report as plain text (markup never reaches a quote): a leading heading is
    the title and leaves the body."""
    raw = decode(path, data)
    first = _first_line(raw)
    title = plain_markdown(_MD_HEADING.sub("", first)).strip() if first else ""
    body = raw
    if _MD_HEADING.match(first):  # the headline is the title, not body text
        body = raw.strip().split("\n", 1)[1] if "\n" in raw.strip() else ""
    yield _build(
        path, plain_markdown(body).strip(), meta, title=title, published=meta.get("published")
    )


def load_html(path: str, data: bytes, meta: dict[str, Any]) -> Loaded:
    """Load an .html page: main text and metadata through trafilatura."""
    import trafilatura  # slow import, only when HTML arrives

    raw = decode(path, data)
    doc = trafilatura.bare_extraction(raw, with_metadata=True, include_comments=False)
    text = (getattr(doc, "text", "") or "") if doc is not None else ""
    if len(text.split()) < MIN_HTML_WORDS:  # menus and footers alone are not an article
        yield IngestError(path, "no article text found in the HTML page")
        return
    yield _build(
        path,
        text,
        meta,
        title=getattr(doc, "title", "") or "",
        outlet=getattr(doc, "sitename", "") or "",
        url=getattr(doc, "url", "") or "",
        published=getattr(doc, "date", None),
    )


def load_json(path: str, data: bytes, meta: dict[str, Any]) -> Loaded:
    """Load a .json file: one article object, or a list of them."""
    raw = decode(path, data)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        yield IngestError(path, f"invalid JSON at line {exc.lineno}: {exc.msg}")
        return
    except RecursionError:
        yield IngestError(path, "JSON nested too deeply to read; an article is one flat object")
        return
    items = value if isinstance(value, list) else [value]
    for i, item in enumerate(items):
        where = f"{path}[{i}]" if isinstance(value, list) else path
        yield _from_record(where, item, meta)


def load_jsonl(path: str, data: bytes, meta: dict[str, Any]) -> Loaded:
    """Load a .jsonl file (optionally gzipped): one article object per line."""
    if path.endswith(".gz"):
        try:
            data = inflate(data)
        except (OSError, EOFError, zlib.error) as exc:
            yield IngestError(path, f"broken gzip file ({exc}); re-create or re-download it")
            return
        except IngestError as exc:
            yield IngestError(path, exc.reason)
            return
    refuse_non_text(path, data)
    for lineno, blob in enumerate(data.split(b"\n"), start=1):
        if not blob.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            line = blob.decode("utf-8-sig" if lineno == 1 else "utf-8")
            item = json.loads(line)
        except UnicodeDecodeError as exc:
            yield IngestError(where, f"not valid UTF-8 (byte {exc.start} of the line)")
            continue
        except json.JSONDecodeError as exc:
            yield IngestError(where, f"invalid JSON: {exc.msg}")
            continue
        except RecursionError:
            yield IngestError(where, "JSON nested too deeply to read")
            continue
        yield _from_record(where, item, meta)


def inflate(data: bytes, limit: int = MAX_INFLATED_BYTES) -> bytes:
    """Return gzip ``data`` inflated, reading at most ``limit`` bytes: a file that inflates
    further is refused (a compression bomb would otherwise take all memory)."""
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
        out = f.read(limit + 1)
    if len(out) > limit:
        raise IngestError(
            "", f"inflates past {limit // (1024 * 1024)} MB (a compression bomb?); split it"
        )
    return out


def _from_record(where: str, item: object, meta: dict[str, Any]) -> Article | IngestError:
    if not isinstance(item, dict):
        return IngestError(where, f"expected a JSON object, got {type(item).__name__}")
    text = next(
        (item[k] for k in TEXT_FIELDS if isinstance(item.get(k), str) and item[k].strip()), ""
    )
    if not text:
        return IngestError(
            where, "no article text: expected a non-empty 'text', 'body' or 'content'"
        )
    published = next((item[k] for k in DATE_FIELDS if item.get(k)), None)
    try:
        return _build(
            where,
            text,
            meta,
            title=str(item.get("title") or ""),
            outlet=str(item.get("source") or item.get("outlet") or ""),
            url=str(item.get("url") or ""),
            published=published,
            source_id=str(item.get("id") or ""),
        )
    except IngestError as exc:
        return exc


def _build(path: str, text: str, meta: dict[str, Any], **fields: Any) -> Article:
    """Make the article, letting a sidecar ``.meta.json`` override what the file said."""
    for key in ("title", "outlet", "url"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            raise IngestError(
                path, f"metadata field {key!r} must be text, got {type(meta[key]).__name__}"
            )
    if meta.get("published") is not None and not isinstance(meta["published"], (str, int, float)):
        raise IngestError(
            path,
            f"metadata field 'published' must be a date, got {type(meta['published']).__name__}",
        )
    for key in ("title", "outlet", "url", "published"):
        if meta.get(key):
            fields[key] = meta[key]
            if key == "published":
                fields["date_source"] = "field"
    article = make_article(text, path=path, **fields)
    if not article.text:
        raise IngestError(path, "the file has no text (only whitespace)")
    return article


LOADERS = {
    ".txt": load_text,
    ".text": load_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".json": load_json,
    ".jsonl": load_jsonl,
    ".jsonl.gz": load_jsonl,
    ".ndjson": load_jsonl,
}


def format_of(path: Path) -> str:
    """Return the loader key of a path (".jsonl.gz" counts as one extension)."""
    name = path.name.lower()
    for ext in sorted(LOADERS, key=len, reverse=True):
        if name.endswith(ext):
            return ext
    return path.suffix.lower()
