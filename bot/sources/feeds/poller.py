"""Every subscribed feed polled on its own interval, each by its own task, until cancelled.

One task per feed means one slow or broken feed never holds up another; what a single poll does is
:class:`FeedPoll`'s job, and each new entry's page is :class:`EntryIngester`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable

import aiohttp

from bot.domain.festivals import FestivalTable
from bot.sources.feeds.entry_ingest import EntryIngester
from bot.sources.feeds.guard import FetchPolicy
from bot.sources.feeds.http import FetchLimits, client_session
from bot.sources.feeds.pages import PageOutcome
from bot.sources.feeds.poll import FeedPoll
from bot.sources.workers import IN_PROCESS, Jobs
from bot.storage import feeds as feedstore
from bot.storage.engines import database_errors
from bot.storage.store import Store

log = logging.getLogger(__name__)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class FeedPoller:
    """Polls every subscribed feed, each in its own task; ``run()`` until cancelled.

    Feeds added or removed in the database (``festbot feeds add`` from another process) are picked up
    within ``reload_interval`` seconds, or at once after :meth:`wake`. ``max_concurrency`` bounds the
    requests in flight across all feeds; each is bounded by ``limits``, and ``policy`` says which
    addresses may be fetched at all (by default only public ones). ``http_session_factory`` lets a
    caller supply the aiohttp session; it must come from :func:`~bot.sources.feeds.http.client_session`
    to keep the address checks. The poller closes what it opened. A failed entry is retried after
    ``entry_retry_delay`` seconds, doubling per attempt up to ``max_backoff``, at most
    ``max_retries_per_poll`` entries a poll. ``jobs`` is where pages are read and parsed: the running
    bot's worker processes.
    """

    def __init__(
        self,
        store: Store,
        *,
        table: FestivalTable,
        http_session_factory: Callable[[], aiohttp.ClientSession] | None = None,
        limits: FetchLimits | None = None,
        policy: FetchPolicy | None = None,
        max_backoff: float = 3600.0,
        first_fetch_max_age: dt.timedelta = dt.timedelta(days=3),
        reload_interval: float = 30.0,
        max_entry_attempts: int = 5,
        entry_retry_delay: float = 60.0,
        max_entries_per_poll: int = 50,
        max_retries_per_poll: int = 10,
        max_concurrency: int = 16,
        clock: Callable[[], dt.datetime] = _now,
        jobs: Jobs = IN_PROCESS,
    ) -> None:
        self.store = store
        self.limits = limits or FetchLimits()
        self.policy = policy or FetchPolicy()
        self.reload_interval = reload_interval
        self._session_factory = http_session_factory
        self._session: aiohttp.ClientSession | None = None
        self._clock = clock
        self._slots = asyncio.Semaphore(max_concurrency)
        self._locks: dict[int, asyncio.Lock] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        entries = EntryIngester(
            store,
            table=table,
            limits=self.limits,
            slots=self._slots,
            http=self._http,
            clock=clock,
            max_attempts=max_entry_attempts,
            retry_delay=entry_retry_delay,
            max_backoff=max_backoff,
            jobs=jobs,
        )
        self._poll_one = FeedPoll(
            store,
            entries=entries,
            limits=self.limits,
            slots=self._slots,
            http=self._http,
            clock=clock,
            max_backoff=max_backoff,
            first_fetch_max_age=first_fetch_max_age,
            max_entries_per_poll=max_entries_per_poll,
            max_retries_per_poll=max_retries_per_poll,
            jobs=jobs,
        )

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
            self._session = factory() if factory else client_session(self.policy)
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
        except database_errors():
            log.exception("cannot read the list of feeds; keeping the current ones")
            return
        for feed_id, task in list(self._tasks.items()):
            if feed_id not in wanted:
                task.cancel()
                del self._tasks[feed_id]
        for feed_id in sorted(wanted):
            running = self._tasks.get(feed_id)
            if running is None or running.done():
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

    # -- polling now ----------------------------------------------------------------------------------

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
            return await self._poll_one(feed)


def _log_task_end(task: asyncio.Task[None]) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        log.error("task %s ended with an error", task.get_name(), exc_info=exc)
