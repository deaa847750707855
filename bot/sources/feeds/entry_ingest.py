"""One feed entry -> its article page -> a review; what became of the entry is saved once.

Entries are remembered in ``feed_entries`` by entry id, link, canonical URL and text hash, so a
restart, a bumped GUID or date, or the same review under a second URL never causes a repost, and a
page that is not a review is not fetched again on every poll. A page that failed for a reason that
may pass (5xx, timeout, network) is saved as ``failed`` with a time to retry it: its own back-off,
doubling from ``retry_delay``, or later if the server's ``Retry-After`` says so; the poller retries
it then, up to ``max_attempts``.

A feed's reviews are announced to its owner's subscriptions (a server's, or every one for the
operator's feeds); the same review arriving through another feed is told to that feed's owner too,
once per subscription, without fetching its page again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from bot import metrics
from bot.domain.festivals import FestivalTable
from bot.sources.feeds.entries import EntryInfo
from bot.sources.feeds.http import FetchError, FetchLimits
from bot.sources.feeds.pages import ArticlePage, PageOutcome, fetch_page, page_document, read_document
from bot.sources.ingest import store_review
from bot.sources.workers import IN_PROCESS, JobFailed, Jobs
from bot.storage import feeds as feedstore
from bot.storage.feeds import EntryRecord, Feed
from bot.storage.store import Store

log = logging.getLogger(__name__)

#: Outcomes that are problems: logged once per reason and shown on the feed as its last entry problem.
_PROBLEMS = ("rejected", "failed")
#: What :func:`store_review` answers: the entry's page was stored as a review just now.
_STORED = ("added", "updated", "unchanged")


@dataclass(frozen=True)
class EntryResult:
    """What one entry came to, as a step of :meth:`EntryIngester.ingest` decided it; saved as the entry's row."""

    status: str
    attempts: int
    reason: str | None = None
    page: ArticlePage | None = None  # once the page was fetched and read
    review_id: int | None = None
    title: str | None = None
    retry_after: float | None = None  # seconds the page's server asked us to wait (failed entries)


class EntryIngester:
    """Works each new or retried entry of a feed through to its outcome, for :class:`FeedPoller`.

    ``slots`` bounds the page requests in flight together with the poller's feed requests; ``http``
    gives the poller's current session. A failed entry is retried after ``retry_delay`` seconds,
    doubling with each attempt up to ``max_backoff``.
    """

    def __init__(
        self,
        store: Store,
        *,
        table: FestivalTable,
        limits: FetchLimits,
        slots: asyncio.Semaphore,
        http: Callable[[], aiohttp.ClientSession],
        clock: Callable[[], dt.datetime],
        max_attempts: int,
        retry_delay: float = 60.0,
        max_backoff: float = 3600.0,
        jobs: Jobs = IN_PROCESS,
    ) -> None:
        self.store = store
        self.table = table
        self.limits = limits
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.max_backoff = max_backoff
        self.jobs = jobs
        self._slots = slots
        self._http = http
        self._clock = clock

    async def ingest(
        self, feed: Feed, info: EntryInfo, *, announce: bool, attempts: int = 0, previous: str | None = None
    ) -> PageOutcome:
        """Fetch, read and store the entry's page, then save the entry's outcome.

        ``attempts`` and ``previous`` (the reason it failed last time) carry over from an earlier try,
        so a problem that persists is not logged again.
        """
        result = await self._result(feed, info, announce=announce, attempts=attempts)
        return await self._save(feed, info, result, announce=announce, previous=previous)

    async def same_as(self, feed: Feed, info: EntryInfo, known: EntryRecord, *, announce: bool) -> PageOutcome:
        """An entry whose link another feed (or ``festbot ingest``) already stored: recorded as a duplicate,
        and told to this feed's owner, without fetching the page again."""
        reason = f"same page as {known.canonical_url or known.url}"
        result = EntryResult("duplicate", 0, reason, review_id=known.review_id)
        return await self._save(feed, info, result, announce=announce)

    async def _save(
        self, feed: Feed, info: EntryInfo, result: EntryResult, *, announce: bool, previous: str | None = None
    ) -> PageOutcome:
        page = result.page
        now = self._clock()
        await feedstore.save_entry(
            self.store,
            feed_id=feed.id,
            entry_key=info.key,
            now=now,
            status=result.status,
            url=info.link,
            canonical_url=page.canonical_url if page else None,
            content_hash=page.digest if page else None,
            reason=result.reason,
            review_id=result.review_id,
            announce=announce,
            attempts=result.attempts,
            entry=info.as_json(),
            retry_at=now + dt.timedelta(seconds=self._retry_delay(result)) if result.status == "failed" else None,
            audience=feed.guild_id,
            enqueue=True,
        )
        problem = result.status in _PROBLEMS
        if problem and result.reason is not None and result.reason != previous:
            await self._entry_problem(feed, info, result.reason, retry=result.status == "failed")
        # The outcome names the page once it was read; it carries a reason only for a problem (a duplicate's
        # "same page as" stays in its row) and ``announce`` only for a review this entry stored.
        return PageOutcome(
            url=page.canonical_url if page else info.link or info.title or info.key,
            status=result.status,
            review_id=result.review_id,
            title=result.title,
            reason=result.reason if problem else None,
            announce=announce if result.status in _STORED else None,
        )

    def _retry_delay(self, result: EntryResult) -> float:
        backoff = min(self.retry_delay * 2.0 ** min(result.attempts - 1, 20), max(self.max_backoff, self.retry_delay))
        return max(backoff, result.retry_after or 0.0)

    async def _result(self, feed: Feed, info: EntryInfo, *, announce: bool, attempts: int) -> EntryResult:
        """The entry's outcome, one return per path; nothing is saved here."""
        if info.link is None:
            return EntryResult(status="rejected", attempts=attempts, reason=info.link_problem or "entry has no link")
        attempts += 1
        try:
            async with self._slots:
                page = await fetch_page(self._http(), info.link, self.limits, self.jobs)
        except FetchError as exc:
            return self._not_fetched(exc, attempts)
        known = await feedstore.find_page(self.store, canonical_url=page.canonical_url, digest=page.digest)
        if known is not None:
            # The same page under a new GUID or URL: remember the alias, never repost.
            reason = f"same page as {known.canonical_url or known.url}"
            log.info("feed %s: %s is the %s; not stored again", feed.url, info.link, reason)
            return EntryResult("duplicate", attempts, reason, page=page, review_id=known.review_id)
        return await self._store(feed, info, page, announce=announce, attempts=attempts)

    def _not_fetched(self, exc: FetchError, attempts: int) -> EntryResult:
        if not exc.retryable:
            return EntryResult("rejected", attempts, exc.reason)
        if attempts < self.max_attempts:
            return EntryResult("failed", attempts, exc.reason, retry_after=exc.retry_after)
        return EntryResult("rejected", attempts, f"gave up after {attempts} attempts: {exc.reason}")

    async def _store(
        self, feed: Feed, info: EntryInfo, page: ArticlePage, *, announce: bool, attempts: int
    ) -> EntryResult:
        """The page as a review, with what the entry and the feed know added as front matter."""
        document = page_document(page, festival=feed.festival, published_at=info.published, reviewer=info.author)
        try:
            read = await self.jobs.run(read_document, document, page.canonical_url, self.table)
        except JobFailed as exc:
            read = exc.reason
        if isinstance(read, str):
            return EntryResult("rejected", attempts, read, page=page)
        review, summary = read
        stored = await store_review(
            self.store, review, source=page.canonical_url, announce=announce, audience=feed.guild_id, summary=summary
        )
        metrics.ingested("feed", stored.status)
        log.info(
            "feed %s: %s %r (#%d) from %s%s",
            feed.url,
            stored.status,
            stored.title,
            stored.review_id,
            page.canonical_url,
            "" if announce else " (not announced: older than the feed's first fetch)",
        )
        return EntryResult(stored.status, attempts, page=page, review_id=stored.review_id, title=stored.title)

    async def _entry_problem(self, feed: Feed, info: EntryInfo, reason: str, *, retry: bool) -> None:
        label = info.link or info.title or info.key
        log.warning("feed %s: entry %s: %s%s", feed.url, label, reason, " (will retry)" if retry else "")
        await feedstore.set_entry_error(self.store, feed.id, f"{label}: {reason}")
