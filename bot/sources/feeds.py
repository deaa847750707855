"""A publication's RSS/Atom feeds -> article pages -> review text -> :meth:`Store.ingest`.

Each feed is polled by its own task on its own interval, with conditional requests (ETag /
Last-Modified), so one slow or broken feed never holds up another. Every request is bounded by a
timeout, a size limit enforced while the body streams in, and a redirect limit. A failing feed backs
off exponentially (capped) and recovers on the next success; each problem is logged once, when it
first appears or changes, and kept in the feed's state for ``festbot feeds list``.

Entries are remembered in ``feed_entries`` by entry id, link, canonical URL and text hash, so a
restart, a bumped GUID or date, or the same review under a second URL never causes a repost, and a
page that is not a review is not fetched again on every poll. On a feed's first fetch, entries older
than ``first_fetch_max_age`` are stored without an announcement, so subscribing to a feed does not
flood the channels with its back catalogue.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import io
import logging
import re
import sqlite3
import urllib.parse
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
import feedparser
from pydantic import BaseModel, ConfigDict

from bot.domain.festivals import FestivalTable
from bot.parsing.parser import ReviewParseError, parse_review_text
from bot.sources.article.front_matter import review_document
from bot.sources.article.metadata import PageMeta, page_metadata
from bot.sources.article.review_text import extract_review_text, text_digest
from bot.sources.article.tree import ExtractError
from bot.sources.ingest import store_review
from bot.storage import feeds as feedstore
from bot.storage.feeds import EntryRecord, Feed
from bot.storage.store import Store

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 300.0
USER_AGENT = "festbot/0.1 (festival review feed reader)"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Content types that cannot be a feed whatever the body says; anything else is left to feedparser.
_BINARY_PREFIXES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip")
_SNIFF_HTML = re.compile(rb"^\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html|<head|<body)", re.IGNORECASE | re.DOTALL)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
_BENIGN_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


class FeedError(ValueError):
    """A feed that cannot be added or removed as asked; the message says why."""


class FetchError(Exception):
    """A request that produced nothing usable; ``retryable`` says whether trying later can help."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class FetchLimits:
    """Bounds on every request, so no publisher can hang the poller or fill its memory."""

    timeout: float = 20.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5


@dataclass(frozen=True)
class Fetched:
    """A response read whole (within limits); ``status`` 304 has an empty body."""

    url: str
    status: int
    body: bytes
    content_type: str
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class EntryInfo:
    """What the poller needs of one feed entry; stored as JSON so a failed fetch can be retried later."""

    key: str
    link: str | None
    title: str | None = None
    author: str | None = None
    published: dt.datetime | None = None

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
        )


class PageOutcome(BaseModel):
    """What became of one page: ``added``, ``updated``, ``unchanged``, ``duplicate``, ``rejected``, ``failed``
    (to be retried) or ``error`` (an unexpected exception, logged with its traceback)."""

    model_config = ConfigDict(frozen=True)

    url: str
    status: str
    review_id: int | None = None
    title: str | None = None
    reason: str | None = None
    announce: bool | None = None

    def line(self) -> str:
        if self.status in ("rejected", "failed", "error"):
            return f"{self.status:<10} {self.url}: {self.reason}"
        return f"{self.status:<10} {self.url}: {self.title} (#{self.review_id})"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- HTTP ------------------------------------------------------------------------------------------


def _http_url(url: str) -> str | None:
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return urllib.parse.urlunsplit(parts._replace(fragment=""))


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    *,
    limits: FetchLimits,
    kind: Literal["feed", "page"],
    headers: dict[str, str] | None = None,
) -> Fetched:
    """GET ``url`` within ``limits``; raises :class:`FetchError` with a reason fit for a log line."""
    try:
        async with asyncio.timeout(limits.timeout):
            async with session.get(
                url,
                headers=headers,
                allow_redirects=True,
                max_redirects=limits.max_redirects,
                timeout=aiohttp.ClientTimeout(total=limits.timeout),
            ) as response:
                return await _read(response, limits=limits, kind=kind)
    except aiohttp.TooManyRedirects as exc:
        raise FetchError(f"too many redirects (more than {limits.max_redirects})", retryable=True) from exc
    except TimeoutError as exc:
        raise FetchError(f"timed out after {limits.timeout:g} s", retryable=True) from exc
    except aiohttp.InvalidURL as exc:
        raise FetchError(f"not a valid URL: {exc}", retryable=False) from exc
    except aiohttp.ClientResponseError as exc:
        raise FetchError(f"bad HTTP response: {exc.message or exc}", retryable=True) from exc
    except aiohttp.ClientError as exc:
        raise FetchError(f"network error: {exc or type(exc).__name__}", retryable=True) from exc


async def _read(response: aiohttp.ClientResponse, *, limits: FetchLimits, kind: Literal["feed", "page"]) -> Fetched:
    if response.status == 304:
        return Fetched(
            url=str(response.url),
            status=304,
            body=b"",
            content_type="",
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )
    if not 200 <= response.status < 300:
        retryable = response.status >= 500 or response.status in (408, 425, 429)
        raise FetchError(f"HTTP {response.status} {response.reason or ''}".strip(), retryable=retryable)
    content_type = response.content_type.lower()
    # Decide on the type before reading: a 50 MB PDF is refused without downloading it.
    if kind == "page" and content_type not in HTML_TYPES and content_type not in ("application/octet-stream", ""):
        raise FetchError(f"not an HTML page (content type {content_type})", retryable=False)
    if kind == "feed" and content_type.startswith(_BINARY_PREFIXES):
        raise FetchError(f"not a feed (content type {content_type})", retryable=False)
    too_large = f"response is larger than {limits.max_bytes:,} bytes"
    if response.content_length is not None and response.content_length > limits.max_bytes:
        raise FetchError(too_large, retryable=False)
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > limits.max_bytes:
            raise FetchError(too_large, retryable=False)
    if kind == "page" and content_type not in HTML_TYPES and not _SNIFF_HTML.match(bytes(body[:2048])):
        raise FetchError("not an HTML page (no content type, and the body is not HTML)", retryable=False)
    return Fetched(
        url=str(response.url),
        status=response.status,
        body=bytes(body),
        content_type=content_type,
        charset=response.charset,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )


def decode_html(body: bytes, charset: str | None) -> str:
    """Bytes of a page as text: the HTTP charset, else the ``<meta charset>``, else UTF-8, else Windows-1252."""
    declared = _META_CHARSET.search(body[:4096])
    candidates = [charset, declared.group(1).decode("ascii", "ignore") if declared else None, "utf-8"]
    for encoding in candidates:
        if not encoding:
            continue
        try:
            return body.decode(encoding).lstrip("\ufeff")
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp1252", errors="replace")


# --- feeds -----------------------------------------------------------------------------------------


def _describe_bozo(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    message = getattr(exc, "getMessage", None)
    line = getattr(exc, "getLineNumber", None)
    if callable(message) and callable(line):
        return f"{message()} at line {line()}"
    return str(exc) or type(exc).__name__


def _struct_time(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime(*value[:6], tzinfo=dt.UTC)
    except (TypeError, ValueError):
        return None


def _entry_info(entry: Any, feed_url: str) -> EntryInfo:
    raw_link = entry.get("link")
    link = _http_url(urllib.parse.urljoin(feed_url, raw_link)) if raw_link else None
    author_detail = entry.get("author_detail") or {}
    author = (author_detail.get("name") if hasattr(author_detail, "get") else None) or entry.get("author")
    title = entry.get("title")
    key = entry.get("id") or link
    if not key:
        # Neither id nor link: the entry's own words are its only identity.
        digest = hashlib.sha256(f"{title}\n{entry.get('summary', '')}".encode()).hexdigest()
        key = f"sha256:{digest}"
    return EntryInfo(
        key=str(key),
        link=link,
        title=title,
        author=author.strip() if isinstance(author, str) and author.strip() else None,
        published=_struct_time(entry.get("published_parsed")) or _struct_time(entry.get("updated_parsed")),
    )


def parse_feed(data: bytes, *, url: str, content_type: str | None = None) -> list[EntryInfo]:
    """Entries of an RSS 2.0 or Atom document, oldest first; raises :class:`FetchError` for anything else.

    The bytes are handed to feedparser as a stream, so it never fetches anything itself. XML that is not
    well-formed is refused whole rather than guessed at: a truncated feed could yield truncated links.
    """
    parsed = feedparser.parse(
        io.BytesIO(data),
        response_headers={"content-location": url, "content-type": content_type or "application/xml"},
    )
    problem = parsed.get("bozo_exception")
    if parsed.get("bozo") and not isinstance(problem, _BENIGN_BOZO):
        raise FetchError(f"not well-formed XML ({_describe_bozo(problem)})", retryable=True)
    if not parsed.get("version"):
        raise FetchError("not an RSS or Atom feed", retryable=True)
    infos = [_entry_info(entry, url) for entry in reversed(parsed.entries)]  # feeds list newest first
    earliest = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(infos, key=lambda info: info.published or earliest)


# --- managing feeds ---------------------------------------------------------------------------------


async def add_feed(store: Store, url: str, *, festival: str | None = None, interval: float = DEFAULT_INTERVAL) -> Feed:
    """Subscribe to a feed; ``festival`` (``"Berlinale 2024"``) is applied to entries that name none."""
    clean = _http_url(url)
    if clean is None:
        raise FeedError(f"not an http(s) URL: {url!r}")
    if not interval > 0:
        raise FeedError(f"the poll interval must be positive, not {interval!r}")
    try:
        return await feedstore.insert_feed(
            store, clean, festival=(festival or "").strip() or None, interval_seconds=float(interval), now=_now()
        )
    except sqlite3.IntegrityError as exc:
        raise FeedError(f"already subscribed to {clean}") from exc


async def list_feeds(store: Store) -> list[Feed]:
    """Every feed with its state: last fetch, last error, next poll, entries seen."""
    return await feedstore.all_feeds(store)


async def remove_feed(store: Store, feed: int | str) -> bool:
    """Unsubscribe by id (``3`` or ``"3"``) or by URL; False when no such feed exists."""
    if isinstance(feed, int) or feed.strip().isdigit():
        return await feedstore.delete_feed(store, feed_id=int(feed))
    return await feedstore.delete_feed(store, url=_http_url(feed) or feed.strip())


# --- one page ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Page:
    url: str
    canonical_url: str
    meta: PageMeta
    text: str
    digest: str


def _extract(html: str, url: str) -> tuple[PageMeta, str]:
    return page_metadata(html, url=url), extract_review_text(html, url=url)


async def _fetch_page(session: aiohttp.ClientSession, url: str, limits: FetchLimits) -> _Page:
    fetched = await fetch(session, url, limits=limits, kind="page")
    html = decode_html(fetched.body, fetched.charset)
    try:
        # trafilatura and lxml are CPU work: off the event loop, so other feeds keep moving.
        meta, text = await asyncio.to_thread(_extract, html, fetched.url)
    except ExtractError as exc:
        raise FetchError(f"no article on the page: {exc}", retryable=False) from exc
    return _Page(url=url, canonical_url=meta.canonical_url or url, meta=meta, text=text, digest=text_digest(text))


async def ingest_url(
    store: Store,
    url: str,
    *,
    table: FestivalTable,
    festival: str | None = None,
    session: aiohttp.ClientSession | None = None,
    limits: FetchLimits | None = None,
    announce: bool = True,
) -> PageOutcome:
    """Fetch one article page and store it as a review (``festbot ingest URL``).

    A page a feed already brought is updated silently (announce=False) rather than announced twice.
    """
    limits = limits or FetchLimits()
    clean = _http_url(url)
    if clean is None:
        return PageOutcome(url=url, status="rejected", reason="not an http(s) URL")
    async with contextlib.AsyncExitStack() as stack:
        if session is None:
            session = await stack.enter_async_context(aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}))
        try:
            page = await _fetch_page(session, clean, limits)
        except FetchError as exc:
            return PageOutcome(url=clean, status="failed" if exc.retryable else "rejected", reason=exc.reason)
    known = await feedstore.find_page(store, canonical_url=page.canonical_url, digest=page.digest)
    document = review_document(
        page.text,
        url=page.canonical_url,
        published_at=page.meta.published_at,
        reviewer=page.meta.author,
        festival=festival,
    )
    try:
        review = parse_review_text(document, source=page.canonical_url, table=table)
    except ReviewParseError as exc:
        return PageOutcome(url=page.canonical_url, status="rejected", reason=f"not a review: {exc.reason}")
    announce = announce and known is None
    result = await store_review(store, review, source=page.canonical_url, announce=announce)
    if known is None:
        await feedstore.save_entry(
            store,
            feed_id=None,
            entry_key=page.canonical_url,
            now=_now(),
            status=result.status,
            url=clean,
            canonical_url=page.canonical_url,
            content_hash=page.digest,
            review_id=result.review_id,
            announce=announce,
        )
    return PageOutcome(
        url=page.canonical_url, status=result.status, review_id=result.review_id, title=result.title, announce=announce
    )


# --- the poller ---------------------------------------------------------------------------------------


class FeedPoller:
    """Polls every subscribed feed, each in its own task; ``run()`` until cancelled.

    Feeds added or removed in the database (``festbot feeds add`` from another process) are picked up
    within ``reload_interval`` seconds, or at once after :meth:`wake`. ``max_concurrency`` bounds the
    requests in flight across all feeds; each is bounded by ``limits``. ``http_session_factory`` lets a
    caller supply the aiohttp session (proxy, connector); the poller closes what it opened.
    """

    def __init__(
        self,
        store: Store,
        *,
        table: FestivalTable,
        http_session_factory: Callable[[], aiohttp.ClientSession] | None = None,
        limits: FetchLimits | None = None,
        max_backoff: float = 3600.0,
        first_fetch_max_age: dt.timedelta = dt.timedelta(days=3),
        reload_interval: float = 30.0,
        max_entry_attempts: int = 5,
        max_entries_per_poll: int = 50,
        max_concurrency: int = 16,
        clock: Callable[[], dt.datetime] = _now,
    ) -> None:
        self.store = store
        self.table = table
        self.limits = limits or FetchLimits()
        self.max_backoff = max_backoff
        self.first_fetch_max_age = first_fetch_max_age
        self.reload_interval = reload_interval
        self.max_entry_attempts = max_entry_attempts
        self.max_entries_per_poll = max_entries_per_poll
        self._session_factory = http_session_factory
        self._session: aiohttp.ClientSession | None = None
        self._clock = clock
        self._slots = asyncio.Semaphore(max_concurrency)
        self._locks: dict[int, asyncio.Lock] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()

    async def __aenter__(self) -> FeedPoller:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP session the poller opened."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            factory = self._session_factory
            self._session = factory() if factory else aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
        return self._session

    def wake(self) -> None:
        """Re-read the list of feeds now (after adding or removing one in this process)."""
        self._wake.set()

    # -- scheduling -----------------------------------------------------------------------------------

    async def run(self) -> None:
        """Keep one polling task per feed until cancelled."""
        try:
            while True:
                self._wake.clear()  # before the sync: a wake() during it must lead to another sync
                await self._sync_tasks()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.reload_interval):
                        await self._wake.wait()
        finally:
            tasks = list(self._tasks.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._tasks.clear()
            await self.aclose()

    async def _sync_tasks(self) -> None:
        try:
            wanted = set(await feedstore.feed_ids(self.store))
        except sqlite3.Error:
            log.exception("cannot read the list of feeds; keeping the current ones")
            return
        for feed_id, task in list(self._tasks.items()):
            if feed_id not in wanted:
                task.cancel()
                del self._tasks[feed_id]
        for feed_id in sorted(wanted):
            task = self._tasks.get(feed_id)
            if task is None or task.done():
                task = asyncio.create_task(self._feed_loop(feed_id), name=f"feed-{feed_id}")
                task.add_done_callback(_log_task_end)
                self._tasks[feed_id] = task

    async def _feed_loop(self, feed_id: int) -> None:
        while True:
            try:
                feed = await feedstore.get_feed(self.store, feed_id)
                if feed is None:
                    return
                wait = (feed.next_poll_at - self._clock()).total_seconds() if feed.next_poll_at else 0.0
                if wait > 0:
                    # Wake at least every reload_interval to notice a changed interval or a removed feed.
                    await asyncio.sleep(min(wait, self.reload_interval))
                    continue
                await self.poll_feed(feed_id)
            except Exception:  # one feed's unexpected failure must not end its task for good
                log.exception("feed #%s: polling failed unexpectedly", feed_id)
                await asyncio.sleep(min(self.reload_interval, 60.0))

    def _backoff(self, interval: float, errors: int) -> float:
        return min(interval * 2 ** min(errors - 1, 20), max(self.max_backoff, interval))

    def _announce(self, published: dt.datetime | None, first_fetch: bool, first_fetch_at: dt.datetime) -> bool:
        # Old entries on the first fetch are the feed's back catalogue, not news; undated ones are unknowable.
        if published is None:
            return not first_fetch
        return published >= first_fetch_at - self.first_fetch_max_age

    # -- one poll -------------------------------------------------------------------------------------

    async def poll_all(self) -> dict[int, list[PageOutcome]]:
        """Poll every feed once, concurrently (for ``festbot feeds poll`` and tests)."""
        ids = await feedstore.feed_ids(self.store)
        results = await asyncio.gather(*(self.poll_feed(feed_id) for feed_id in ids))
        return dict(zip(ids, results, strict=True))

    async def poll_feed(self, feed_id: int) -> list[PageOutcome]:
        """Fetch one feed now and ingest its new entries; returns what became of each entry handled."""
        lock = self._locks.setdefault(feed_id, asyncio.Lock())
        async with lock:
            feed = await feedstore.get_feed(self.store, feed_id)
            if feed is None:
                return []
            return await self._poll(feed)

    async def _poll(self, feed: Feed) -> list[PageOutcome]:
        started = self._clock()
        headers = {"Accept": _FEED_ACCEPT}
        if feed.etag:
            headers["If-None-Match"] = feed.etag
        if feed.last_modified:
            headers["If-Modified-Since"] = feed.last_modified
        try:
            async with self._slots:
                fetched = await fetch(self._http(), feed.url, limits=self.limits, kind="feed", headers=headers)
            infos = (
                None
                if fetched.status == 304
                else await asyncio.to_thread(
                    parse_feed, fetched.body, url=fetched.url, content_type=fetched.content_type
                )
            )
        except FetchError as exc:
            await self._feed_failed(feed, exc.reason, started)
            return []
        if feed.last_error:
            log.info("feed %s: fetched again after %d failure(s) (%s)", feed.url, feed.error_count, feed.last_error)

        first_fetch = feed.first_fetch_at is None
        first_fetch_at = feed.first_fetch_at or started
        outcomes: list[PageOutcome] = []
        handled: set[str] = set()
        complete = True
        for info in infos or []:
            if len(handled) >= self.max_entries_per_poll:
                complete = False  # the rest next time; do not let a 304 hide them
                break
            outcome = await self._guarded(feed, info, self._new_entry(feed, info, first_fetch, first_fetch_at))
            if outcome is not None:
                handled.add(info.key)
                outcomes.append(outcome)
                # An entry that crashed is not recorded: refetch the whole feed next time rather than get a 304.
                complete = complete and outcome.status != "error"
        for record in await feedstore.failed_entries(self.store, feed.id):
            if record.entry_key not in handled and record.entry:
                info = EntryInfo.from_json(record.entry)
                outcome = await self._guarded(feed, info, self._retry_entry(feed, info, record))
                if outcome is not None:
                    outcomes.append(outcome)

        if fetched.status == 304:
            etag, last_modified = fetched.etag or feed.etag, fetched.last_modified or feed.last_modified
        elif complete:
            etag, last_modified = fetched.etag, fetched.last_modified
        else:
            etag = last_modified = None
        await feedstore.record_success(
            self.store,
            feed.id,
            now=started,
            status=str(fetched.status),
            etag=etag,
            last_modified=last_modified,
            next_poll_at=started + dt.timedelta(seconds=feed.interval_seconds),
        )
        return outcomes

    async def _feed_failed(self, feed: Feed, reason: str, now: dt.datetime) -> None:
        errors = feed.error_count + 1
        delay = self._backoff(feed.interval_seconds, errors)
        if reason != feed.last_error:
            log.warning("feed %s: %s (failure %d, next attempt in %g s)", feed.url, reason, errors, delay)
        else:
            log.debug("feed %s: still failing: %s (failure %d)", feed.url, reason, errors)
        await feedstore.record_failure(
            self.store,
            feed.id,
            now=now,
            reason=reason,
            error_count=errors,
            next_poll_at=now + dt.timedelta(seconds=delay),
        )

    async def _guarded(
        self, feed: Feed, info: EntryInfo, work: Coroutine[Any, Any, PageOutcome | None]
    ) -> PageOutcome | None:
        """Run one entry's work; an unexpected error is logged and isolated to that entry (status ``error``)."""
        try:
            return await work
        except Exception as exc:  # a bug or a database error on one entry must not stop the rest of the feed
            log.exception("feed %s: entry %s failed unexpectedly", feed.url, info.link or info.key)
            return PageOutcome(url=info.link or info.key, status="error", reason=f"internal error: {exc!r}")

    async def _new_entry(
        self, feed: Feed, info: EntryInfo, first_fetch: bool, first_fetch_at: dt.datetime
    ) -> PageOutcome | None:
        if await feedstore.find_entry(self.store, feed.id, info.key, info.link) is not None:
            return None  # seen before: same id here, or the same link anywhere (a bumped GUID or date)
        announce = self._announce(info.published, first_fetch, first_fetch_at)
        if info.link is None:
            reason = "entry has no link"
            await feedstore.save_entry(
                self.store,
                feed_id=feed.id,
                entry_key=info.key,
                now=self._clock(),
                status="rejected",
                reason=reason,
                announce=announce,
                entry=info.as_json(),
            )
            await self._entry_problem(feed, info, reason)
            return PageOutcome(url=info.title or info.key, status="rejected", reason=reason)
        return await self._fetch_entry(feed, info, announce=announce, attempts=0, previous=None)

    async def _retry_entry(self, feed: Feed, info: EntryInfo, record: EntryRecord) -> PageOutcome:
        announce = record.announce if record.announce is not None else True
        return await self._fetch_entry(feed, info, announce=announce, attempts=record.attempts, previous=record.reason)

    async def _fetch_entry(
        self, feed: Feed, info: EntryInfo, *, announce: bool, attempts: int, previous: str | None
    ) -> PageOutcome:
        assert info.link is not None  # entries without a link are rejected before
        save: dict[str, Any] = {
            "feed_id": feed.id,
            "entry_key": info.key,
            "url": info.link,
            "announce": announce,
            "entry": info.as_json(),
        }
        try:
            async with self._slots:
                page = await _fetch_page(self._http(), info.link, self.limits)
        except FetchError as exc:
            attempts += 1
            if exc.retryable and attempts < self.max_entry_attempts:
                status, reason = "failed", exc.reason
            elif exc.retryable:
                status, reason = "rejected", f"gave up after {attempts} attempts: {exc.reason}"
            else:
                status, reason = "rejected", exc.reason
            await feedstore.save_entry(
                self.store, now=self._clock(), status=status, reason=reason, attempts=attempts, **save
            )
            if reason != previous:
                await self._entry_problem(feed, info, reason, retry=status == "failed")
            return PageOutcome(url=info.link, status=status, reason=reason)

        known = await feedstore.find_page(self.store, canonical_url=page.canonical_url, digest=page.digest)
        if known is not None:
            # The same page under a new GUID or URL: remember the alias, never repost.
            await feedstore.save_entry(
                self.store,
                now=self._clock(),
                status="duplicate",
                canonical_url=page.canonical_url,
                content_hash=page.digest,
                review_id=known.review_id,
                attempts=attempts + 1,
                reason=f"same page as {known.canonical_url or known.url}",
                **save,
            )
            log.info("feed %s: %s is the same page as %s; not stored again", feed.url, info.link, known.canonical_url)
            return PageOutcome(url=page.canonical_url, status="duplicate", review_id=known.review_id)

        document = review_document(
            page.text,
            url=page.canonical_url,
            published_at=info.published,
            reviewer=info.author,
            festival=feed.festival,
        )
        try:
            review = parse_review_text(document, source=page.canonical_url, table=self.table)
        except ReviewParseError as exc:
            reason = f"not a review: {exc.reason}"
            await feedstore.save_entry(
                self.store,
                now=self._clock(),
                status="rejected",
                reason=reason,
                canonical_url=page.canonical_url,
                content_hash=page.digest,
                attempts=attempts + 1,
                **save,
            )
            await self._entry_problem(feed, info, reason)
            return PageOutcome(url=page.canonical_url, status="rejected", reason=reason)

        result = await store_review(self.store, review, source=page.canonical_url, announce=announce)
        await feedstore.save_entry(
            self.store,
            now=self._clock(),
            status=result.status,
            canonical_url=page.canonical_url,
            content_hash=page.digest,
            review_id=result.review_id,
            attempts=attempts + 1,
            **save,
        )
        log.info(
            "feed %s: %s %r (#%d) from %s%s",
            feed.url,
            result.status,
            result.title,
            result.review_id,
            page.canonical_url,
            "" if announce else " (not announced: older than the feed's first fetch)",
        )
        return PageOutcome(
            url=page.canonical_url,
            status=result.status,
            review_id=result.review_id,
            title=result.title,
            announce=announce,
        )

    async def _entry_problem(self, feed: Feed, info: EntryInfo, reason: str, *, retry: bool = False) -> None:
        label = info.link or info.title or info.key
        log.warning("feed %s: entry %s: %s%s", feed.url, label, reason, " (will retry)" if retry else "")
        await feedstore.set_entry_error(self.store, feed.id, f"{label}: {reason}")


def _log_task_end(task: asyncio.Task[None]) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        log.error("task %s ended with an error", task.get_name(), exc_info=exc)
