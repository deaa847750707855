"""One poll of one feed: a conditional fetch, its new and retried entries, the feed's state and back-off.

Requests are conditional (ETag / Last-Modified), so an unchanged feed costs a 304. A failing feed
backs off exponentially (capped), or for as long as its server's ``Retry-After`` asks (within
:attr:`FetchLimits.max_retry_after`), and recovers on the next success; each problem is logged once,
when it first appears or changes, and kept in the feed's state for ``festbot feeds list``. Failed
entries are retried once their own back-off has run out, at most ``max_retries_per_poll`` a poll.
On a feed's first fetch, entries older than ``first_fetch_max_age`` are stored without an
announcement, so subscribing to a feed does not flood the channels with its back catalogue.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp

from bot import metrics
from bot.sources.feeds.entries import EntryInfo, parse_feed
from bot.sources.feeds.entry_ingest import EntryIngester
from bot.sources.feeds.http import FetchError, FetchLimits, fetch
from bot.sources.feeds.pages import PageOutcome
from bot.sources.workers import IN_PROCESS, JobFailed, Jobs
from bot.storage import feeds as feedstore
from bot.storage.feeds import MAX_INTERVAL, EntryRecord, Feed
from bot.storage.store import Store

log = logging.getLogger(__name__)

_FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"


class FeedPoll:
    """Polls one feed when called; :class:`FeedPoller` decides when, and never runs two on one feed at once.

    ``slots`` bounds the requests in flight across all feeds; ``http`` gives the poller's current session;
    ``jobs`` is where the feed document is parsed.
    """

    def __init__(
        self,
        store: Store,
        *,
        entries: EntryIngester,
        limits: FetchLimits,
        slots: asyncio.Semaphore,
        http: Callable[[], aiohttp.ClientSession],
        clock: Callable[[], dt.datetime],
        max_backoff: float,
        first_fetch_max_age: dt.timedelta,
        max_entries_per_poll: int,
        max_retries_per_poll: int = 10,
        jobs: Jobs = IN_PROCESS,
    ) -> None:
        self.store = store
        self._jobs = jobs
        self.limits = limits
        self.max_backoff = max_backoff
        self.first_fetch_max_age = first_fetch_max_age
        self.max_entries_per_poll = max_entries_per_poll
        self.max_retries_per_poll = max_retries_per_poll
        self._entries = entries
        self._slots = slots
        self._http = http
        self._clock = clock

    async def __call__(self, feed: Feed) -> list[PageOutcome]:
        """Fetch ``feed`` and ingest its new entries (and retry its failed ones); what became of each."""
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
                # feedparser is CPU-bound on a document a stranger wrote: in a worker, like every page.
                else await self._jobs.run(parse_feed, fetched.body, url=fetched.url, content_type=fetched.content_type)
            )
        except FetchError as exc:
            metrics.feed_polled(failed=True)
            await self._feed_failed(feed, exc, started)
            return []
        except JobFailed as exc:  # a document that took too long to parse: tried again at the next poll
            metrics.feed_polled(failed=True)
            await self._feed_failed(feed, FetchError(exc.reason, retryable=True), started)
            return []
        metrics.feed_polled(failed=False)
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
        retries = await feedstore.failed_entries(self.store, feed.id, due=started, limit=self.max_retries_per_poll)
        for record in retries:
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
            next_poll_at=started + dt.timedelta(seconds=_bounded(feed.interval_seconds)),
        )
        return outcomes

    def _backoff(self, interval: float, errors: int) -> float:
        interval = _bounded(interval)
        return min(interval * 2.0 ** min(errors - 1, 20), max(self.max_backoff, interval))

    def _announce(self, published: dt.datetime | None, first_fetch: bool, first_fetch_at: dt.datetime) -> bool:
        # Old entries on the first fetch are the feed's back catalogue, not news; undated ones are unknowable.
        if published is None:
            return not first_fetch
        return published >= first_fetch_at - self.first_fetch_max_age

    async def _feed_failed(self, feed: Feed, exc: FetchError, now: dt.datetime) -> None:
        reason = exc.reason
        errors = feed.error_count + 1
        # The server's Retry-After (already capped) wins over a shorter back-off: coming back sooner is refused anyway.
        delay = max(self._backoff(feed.interval_seconds, errors), exc.retry_after or 0.0)
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
        seen = await feedstore.find_entry(self.store, feed.id, info.key, info.link)
        announce = self._announce(info.published, first_fetch, first_fetch_at)
        if seen is None or (seen.feed_id != feed.id and seen.status == "failed"):
            # New, or failing for another feed so far: worked through here, with this feed's own retries.
            return await self._entries.ingest(feed, info, announce=announce)
        if seen.feed_id != feed.id and seen.review_id is not None:
            # Stored through another feed (maybe another server's) or `festbot ingest`: this feed's owner
            # is told too, without fetching the page again.
            return await self._entries.same_as(feed, info, seen, announce=announce)
        return None  # seen here (a bumped GUID or date), or elsewhere and no review came of it

    async def _retry_entry(self, feed: Feed, info: EntryInfo, record: EntryRecord) -> PageOutcome:
        announce = record.announce if record.announce is not None else True
        return await self._entries.ingest(
            feed, info, announce=announce, attempts=record.attempts, previous=record.reason
        )


def _bounded(seconds: float) -> float:
    """An interval from the database within (0, 1 day]: the table holds it there, and a poll must never
    overflow computing its next time whatever a row says."""
    return min(seconds, MAX_INTERVAL) if seconds > 0 else MAX_INTERVAL
