"""Text normalised once, here, and the Article built from it: every offset points into this text."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import urlparse

from ..text.dates import date_from_url, dateline_date, parse_date
from ..types import Article

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_MANY_BLANKS = re.compile(r"\n{3,}")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_TITLE_CHARS = 300  # a longer "title" (a file whose first line is the whole text) is cut


def normalize_text(text: str) -> str:
    """Return text in NFC with ``\\n`` newlines, no control characters or lone surrogates
    (each becomes U+FFFD), trimmed."""
    text = _LONE_SURROGATE.sub("\ufffd", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    text = _TRAILING_SPACE.sub("\n", text)
    text = _MANY_BLANKS.sub("\n\n", text)
    return text.strip()


def article_id(text: str, title: str = "", outlet: str = "", url: str = "") -> str:
    """Return the content hash that identifies an article: its normalised text and, when known,
    its title, outlet and URL.

    The same text under another headline, outlet or address is another article (wire copy run
    by several outlets, or pages whose body extraction failed to the same boilerplate): merging
    them would lose their titles and let only one outlet be cited. Re-ingesting the same item
    gives the same id. With no metadata the id is the hash of the text alone.
    """
    key = text if not (title or outlet or url) else "\x1f".join((text, title, outlet, url))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def outlet_from_url(url: str) -> str:
    """Return the host of a URL without ``www.``, e.g. ``cnn.com``."""
    try:
        host = urlparse(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def make_article(
    text: str,
    *,
    title: str = "",
    outlet: str = "",
    url: str = "",
    path: str = "",
    published: object = None,
    date_source: str = "field",
    source_id: str = "",
) -> Article:
    """Build an Article: normalise text, then fill the date and outlet from what is known.

    The date comes from ``published`` (tagged ``date_source``), else the URL, else a dateline
    near the start of the text; the outlet from ``outlet``, else the URL host.
    """
    text = normalize_text(text)
    title = " ".join(normalize_text(title).split())
    if len(title) > MAX_TITLE_CHARS:
        title = title[:MAX_TITLE_CHARS].rsplit(" ", 1)[0] + "…"
    date = parse_date(published)
    source = date_source if date else ""
    if date is None and url and (date := date_from_url(url)):
        source = "url"
    if date is None and (date := dateline_date(text)):
        source = "dateline"
    outlet = (outlet or "").strip() or outlet_from_url(url)
    url = (url or "").strip()
    return Article(
        id=article_id(text, title, outlet, url),
        text=text,
        title=title,
        outlet=outlet,
        url=url,
        path=path,
        published=date,
        date_source=source,
        source_id=str(source_id or ""),
    )
