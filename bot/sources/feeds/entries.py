"""An RSS 2.0 or Atom document -> the entries the poller works on, oldest first.

What a publisher writes in a feed is stored (as the entry's JSON, its key and link), so it is
bounded here: at most :data:`MAX_ENTRIES` entries from one document, the newest, and each text field
cut to a sensible length. A link that is not an http(s) URL is dropped with the reason, so the entry
is skipped with that reason rather than fetched as a mangled URL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import feedparser  # type: ignore[import-untyped]  # ships no types: its result is narrowed in _parse below

from bot.sources.feeds.http import FetchError, http_url, url_problem

# Problems feedparser flags that do not make the document unreadable.
_BENIGN_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
#: Entries taken from one feed document (its newest): real feeds carry tens; more is a runaway or an attack.
MAX_ENTRIES = 500
#: Titles and author names longer than this are cut; ids longer than :data:`MAX_KEY` stand as their hash.
MAX_TEXT = 300
MAX_KEY = 512


@dataclass(frozen=True)
class EntryInfo:
    """What the poller needs of one feed entry; stored as JSON so a failed fetch can be retried later."""

    key: str
    link: str | None
    title: str | None = None
    author: str | None = None
    published: dt.datetime | None = None
    link_problem: str | None = None  # why the entry's link was dropped, when it had one that is no URL

    def as_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["published"] = self.published.isoformat() if self.published else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EntryInfo:
        published = data.get("published")
        return cls(
            key=str(data["key"]),
            link=data.get("link"),
            title=data.get("title"),
            author=data.get("author"),
            published=dt.datetime.fromisoformat(published) if published else None,
            link_problem=data.get("link_problem"),
        )


@dataclass(frozen=True)
class _Parsed:
    """The part of ``feedparser.parse``'s result read here."""

    bozo: bool
    problem: BaseException | None
    version: str | None
    entries: list[Mapping[str, object]]


def _parse(data: bytes, *, url: str, content_type: str | None) -> _Parsed:
    # The bytes go in as a stream, so feedparser never fetches anything itself.
    parsed = feedparser.parse(
        io.BytesIO(data),
        response_headers={"content-location": url, "content-type": content_type or "application/xml"},
    )
    # A FeedParserDict: a dict with attribute access; each entry is one too.
    return _Parsed(
        bozo=bool(parsed.get("bozo")),
        problem=cast("BaseException | None", parsed.get("bozo_exception")),
        version=cast("str | None", parsed.get("version")),
        entries=cast("list[Mapping[str, object]]", parsed.entries),
    )


def _describe_bozo(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    message = getattr(exc, "getMessage", None)
    line = getattr(exc, "getLineNumber", None)
    if callable(message) and callable(line):
        return f"{message()} at line {line()}"
    return str(exc) or type(exc).__name__


def _utc(value: object) -> dt.datetime | None:
    """A feedparser ``*_parsed`` date (a 9-tuple in UTC) as a datetime; None when missing or impossible."""
    if not value or not isinstance(value, tuple):
        return None
    try:
        year, month, day, hour, minute, second = value[:6]  # feedparser only returns 9-tuples
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)
    except (TypeError, ValueError):
        return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _short(value: object) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    return (text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…") or None


def _sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _link(raw: str | None, feed_url: str) -> tuple[str | None, str | None]:
    """The entry's link as an absolute http(s) URL, or None and why not (None, None: it had none)."""
    if not raw or not raw.strip():
        return None, None
    # feedparser resolves relative links itself, so "No link" arrives as "http://host/No link".
    joined = urllib.parse.urljoin(feed_url, raw.strip())
    problem = url_problem(joined)
    if problem is not None:
        shown = raw.strip() if len(raw.strip()) <= 80 else raw.strip()[:77] + "..."
        return None, f"the entry's link is {problem}: {shown!r}"
    return http_url(joined), None


def _entry_info(entry: Mapping[str, object], feed_url: str) -> EntryInfo:
    link, link_problem = _link(_text(entry.get("link")), feed_url)
    author_detail = entry.get("author_detail") or {}
    author = (author_detail.get("name") if isinstance(author_detail, Mapping) else None) or entry.get("author")
    title = _short(entry.get("title"))
    key = str(entry.get("id") or link or "")
    if not key:
        # Neither id nor link: the entry's own words are its only identity.
        key = _sha256(f"{entry.get('title')}\n{entry.get('summary', '')}")
    elif len(key) > MAX_KEY:
        key = _sha256(key)  # still the same key on every poll
    return EntryInfo(
        key=key,
        link=link,
        title=title,
        author=_short(author),
        published=_utc(entry.get("published_parsed")) or _utc(entry.get("updated_parsed")),
        link_problem=link_problem,
    )


def parse_feed(data: bytes, *, url: str, content_type: str | None = None) -> list[EntryInfo]:
    """Entries of an RSS 2.0 or Atom document, oldest first; raises :class:`FetchError` for anything else.

    XML that is not well-formed is refused whole rather than guessed at: a truncated feed could yield
    truncated links.
    """
    parsed = _parse(data, url=url, content_type=content_type)
    if parsed.bozo and not isinstance(parsed.problem, _BENIGN_BOZO):
        raise FetchError(f"not well-formed XML ({_describe_bozo(parsed.problem)})", retryable=True)
    if not parsed.version:
        raise FetchError("not an RSS or Atom feed", retryable=True)
    infos = [_entry_info(entry, url) for entry in reversed(parsed.entries)]  # feeds list newest first
    earliest = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(infos, key=lambda info: info.published or earliest)[-MAX_ENTRIES:]
