"""One feed entry -> its article page -> a review, and what became of the entry saved.

Entries are remembered in ``feed_entries`` by entry id, link, canonical URL and text hash, so a
restart, a bumped GUID or date, or the same review under a second URL never causes a repost, and a
page that is not a review is not fetched again on every poll. A page that failed for a reason that
may pass (5xx, timeout, network) is saved as ``failed``: the poller retries it, up to ``max_attempts``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

from bot.domain.festivals import FestivalTable
from bot.parsing.parser import ReviewParseError, parse_review_text
from bot.sources.article.front_matter import review_document
from bot.sources.feeds.entries import EntryInfo
from bot.sources.feeds.http import FetchError, FetchLimits
from bot.sources.feeds.pages import PageOutcome, fetch_page
from bot.sources.ingest import store_review
from bot.storage import feeds as feedstore
from bot.storage.feeds import Feed
from bot.storage.store import Store

log = logging.getLogger(__name__)


class EntryIngester:
    """Works each new or retried entry of a feed through to its outcome, for :class:`FeedPoller`.

    ``slots`` bounds the page requests in flight together with the poller's feed requests; ``http``
    gives the poller's current session.
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
    ) -> None:
        self.store = store
        self.table = table
        self.limits = limits
        self.max_attempts = max_attempts
        self._slots = slots
        self._http = http
        self._clock = clock

    async def ingest(
        self, feed: Feed, info: EntryInfo, *, announce: bool, attempts: int = 0, previous: str | None = None
    ) -> PageOutcome:
        """Fetch, read and store the entry's page, and save what became of the entry."""
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
        return await self._fetch_entry(feed, info, announce=announce, attempts=attempts, previous=previous)

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
                page = await fetch_page(self._http(), info.link, self.limits)
        except FetchError as exc:
            attempts += 1
            if exc.retryable and attempts < self.max_attempts:
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
