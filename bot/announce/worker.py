"""The delivery worker: claims due deliveries, paces them under Discord's limits, records outcomes.

It knows nothing of Discord: a :class:`Sender` posts one delivery and says how it went. Pacing is
ours rather than discord.py's, because discord.py only learns per-route buckets from response
headers and does not pace the global 50 requests per second: a fan-out to hundreds of channels would
otherwise be paced by 429s. Each channel's deliveries go out one after another, oldest first;
different channels go out concurrently, evenly spaced rather than in bursts: a burst queues up on its
way out, and its last requests reach Discord in its next window, alongside the next burst.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from bot import metrics
from bot.domain.models import DeliveryJob
from bot.health import TaskStatus
from bot.storage.connection import is_transient
from bot.storage.ledger import Ledger

log = logging.getLogger(__name__)

# Discord allows 50 requests per second per bot. At most 49 go out in any second: 1 is left for the
# bot's other REST calls (log-in, application info, edits made by commands), which this pacer does not see.
GLOBAL_LIMIT = (49, 1.0)
# Requests go (1 s + margin) / 49 apart, 48.5 per second; one up to the margin late keeps its slot, so
# lateness does not add up over a fan-out. Discord could count 51 in one second only if a request took
# 20 ms longer to reach it than one sent a second later.
GLOBAL_MARGIN = 0.01
CHANNEL_LIMIT = (5, 5.0)  # Discord: about 5 messages per 5 seconds per channel
MAX_ATTEMPTS = 8
MAX_BACKOFF = 300.0
POLL_INTERVAL = 2.0  # other processes (festbot ingest) queue deliveries too
#: Waits between tries while the database is unavailable (locked by another process, the disk full).
STORE_RETRY_FIRST = 0.5
STORE_RETRY_MAX = 30.0


class SendOutcome(BaseModel):
    """What happened to one send. ``pause`` stops only that subscription (403, unknown channel); ``wait``: not
    sent, by the sender's choice (a limit of its own to respect), due again after ``retry_after``, uncounted."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["sent", "retry", "pause", "fail", "wait"]
    message_id: int | None = None
    thread_id: int | None = None
    retry_after: float | None = None
    reason: str = ""

    @classmethod
    def sent(cls, message_id: int, thread_id: int | None = None) -> SendOutcome:
        return cls(kind="sent", message_id=message_id, thread_id=thread_id)


class Sender(Protocol):
    async def deliver(self, job: DeliveryJob) -> SendOutcome: ...


class SlidingWindow:
    """At most ``limit`` events in any ``period`` seconds (so also in any fixed window of a server)."""

    def __init__(self, limit: int, period: float, margin: float = 0.02) -> None:
        self.limit = limit
        self.period = period + margin
        self._times: collections.deque[float] = collections.deque()

    def delay(self, now: float) -> float:
        while self._times and now - self._times[0] >= self.period:
            self._times.popleft()
        if len(self._times) < self.limit:
            return 0.0
        return self._times[0] + self.period - now

    def record(self, now: float) -> None:
        self._times.append(now)


class Pacer:
    """Waits until a request to ``channel_id`` fits both the global pace and that channel's window.

    Each global slot follows the previous slot, not the wake-up, by ``(period + margin) / limit``; what a
    request is late beyond ``margin`` is lost rather than caught up, so ``limit + 1`` requests always span
    at least ``period``, whatever the offset, and never go out in a burst.
    """

    def __init__(
        self,
        global_limit: tuple[int, float] = GLOBAL_LIMIT,
        channel_limit: tuple[int, float] = CHANNEL_LIMIT,
        clock: Callable[[], float] = time.monotonic,
        margin: float = GLOBAL_MARGIN,
    ) -> None:
        limit, period = global_limit
        self._interval = (period + margin) / limit
        self._tolerance = margin
        self._next = -math.inf  # the next request's slot
        self._channel_limit = channel_limit
        self._channels: dict[int, SlidingWindow] = {}
        self._clock = clock
        self._lock = asyncio.Lock()

    async def acquire(self, channel_id: int) -> None:
        channel = self._channels.setdefault(channel_id, SlidingWindow(*self._channel_limit))
        while True:
            wait = channel.delay(self._clock())
            if wait > 0:  # waited for without the lock, so other channels go on meanwhile
                await asyncio.sleep(wait)
                continue
            async with self._lock:  # first come, first served
                now = self._clock()
                if channel.delay(now) > 0:
                    continue
                # A request up to the margin late keeps its slot; later (or after a pause) it starts afresh.
                slot = self._next if now <= self._next + self._tolerance else now
                while (wait := slot - self._clock()) > 0:
                    await asyncio.sleep(wait)
                now = self._clock()
                self._next = max(slot, now - self._tolerance) + self._interval
                channel.record(now)
                return


def backoff(attempts: int) -> float:
    """Exponential with jitter: 2, 4, 8 ... seconds, capped."""
    return min(MAX_BACKOFF, 2.0**attempts) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security


def store_retry_delay(tries: int) -> float:
    return min(STORE_RETRY_MAX, STORE_RETRY_FIRST * 2.0 ** (tries - 1))


async def serve(
    run_once: Callable[[], Awaitable[int]],
    rest: Callable[[int], Awaitable[None]],
    wake: asyncio.Event,
    status: TaskStatus,
) -> None:
    """Until cancelled: one round of ``run_once``, then ``rest(how many it handled)``; the loop every outbox
    worker (deliveries, direct messages, notices) shares, riding out a database that is unavailable for a
    while with a growing pause and saying so through ``status``. Any other error ends it, for its supervisor.
    """
    tries = 0  # in a row, with the database unavailable
    while True:
        wake.clear()  # before claiming, so a wake-up during the claim is not lost
        try:
            handled = await run_once()
            tries = 0
            status.ok()
            await rest(handled)  # it may read the store too (when is the next one due?)
        except Exception as exc:
            if not is_transient(exc):
                raise
            tries += 1
            status.trouble(f"the database is unavailable ({exc})")
            await asyncio.sleep(store_retry_delay(tries))


async def nap(wake: asyncio.Event, timeout: float) -> None:
    """Sleep until ``wake`` is set or ``timeout`` passes.

    asyncio.timeout, not wait_for: on 3.11, wait_for drops a cancel that arrives in the same loop iteration as
    the wake-up, and the worker then outlives its cancellation by a whole sleep.
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            await wake.wait()


class Announcer:
    """Runs in the bot: sends every due delivery exactly once, whatever Discord does meanwhile.

    It rides out a database that is unavailable for a while (see :func:`is_transient`), saying so through
    ``status``; any other error ends :meth:`run`, for its supervisor to start it again.
    """

    def __init__(
        self,
        ledger: Ledger,
        sender: Sender,
        *,
        pacer: Pacer | None = None,
        concurrency: int = 16,
        batch: int = 200,
        status: TaskStatus | None = None,
        on_pause: Callable[[], None] | None = None,
    ) -> None:
        self.ledger = ledger
        self.on_pause = on_pause  # the notice worker's wake-up: a pause queues an alert
        self.sender = sender
        self.status = status or TaskStatus("delivery worker")
        self.pacer = pacer or Pacer()
        self._slots = asyncio.Semaphore(concurrency)
        self._batch = batch
        self._wake = asyncio.Event()
        self._in_flight: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """Look for new deliveries now (called after an in-process ingest)."""
        self._wake.set()

    async def run(self) -> None:
        """Until cancelled: claim what is due, send it, sleep until the next is due or a wake-up."""
        try:
            await serve(self.run_once, self._rest, self._wake, self.status)
        finally:
            # The sends end before run() does, so nothing writes to the store after its owner moves on to close it.
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def run_once(self) -> int:
        """Claim and start sending up to a batch; returns how many were claimed.

        Claims nothing while more than half a batch is in flight: each claim reads up to a batch of rows
        in a write transaction, too dear to repeat after every delivery of a fan-out.
        """
        free = self._batch - len(self._in_flight)
        if free <= 0 or (self._in_flight and free < self._batch // 2):
            return 0
        jobs = await self.ledger.claim_due(free, exclude=self._in_flight)
        by_channel: dict[int, list[DeliveryJob]] = collections.defaultdict(list)
        for job in jobs:
            self._in_flight.add(job.id)
            by_channel[job.subscription.channel_id].append(job)
        for channel_jobs in by_channel.values():
            task = asyncio.create_task(self._send_channel(channel_jobs))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(jobs)

    async def _rest(self, claimed: int) -> None:
        if claimed:
            return
        if self._in_flight:  # each finished channel wakes the worker (and in-flight rows count as due)
            timeout = POLL_INTERVAL
        else:
            due = await self.ledger.next_due_at()
            timeout = POLL_INTERVAL if due is None else min(POLL_INTERVAL, max(due - time.time(), 0.05))
        await nap(self._wake, timeout)

    async def drain(self) -> None:
        """Wait for the sends already started (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _send_channel(self, jobs: list[DeliveryJob]) -> None:
        async with self._slots:
            for job in jobs:
                try:
                    await self.pacer.acquire(job.subscription.channel_id)
                    try:
                        outcome = await self.sender.deliver(job)
                    except Exception as exc:
                        # One broken delivery must not stop the others; it is retried with backoff.
                        where = job.subscription.channel_id
                        log.exception("delivery %s to channel %s failed unexpectedly", job.id, where)
                        outcome = SendOutcome(kind="retry", reason=f"{type(exc).__name__}: {exc}")
                    paused = await self._recorded(job, outcome)
                except Exception:
                    # Not recorded: the delivery stays claimed and is sent again later, and the nonce
                    # makes Discord return the message already posted rather than post it twice.
                    log.exception("delivery %s: its outcome could not be recorded", job.id)
                    paused = False
                finally:
                    self._in_flight.discard(job.id)
                if paused:
                    for rest in jobs[jobs.index(job) + 1 :]:
                        self._in_flight.discard(rest.id)
                    break
        self.wake()

    async def _recorded(self, job: DeliveryJob, outcome: SendOutcome) -> bool:
        """:meth:`_record`, tried again while the database is unavailable: what was sent must be written down."""
        tries = 0
        while True:
            try:
                return await self._record(job, outcome)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                tries += 1
                self.status.trouble(f"the database is unavailable ({exc})")
                await asyncio.sleep(store_retry_delay(tries))

    async def _record(self, job: DeliveryJob, outcome: SendOutcome) -> bool:
        """Store the outcome; returns whether the subscription was paused."""
        if outcome.kind == "sent":
            await self.ledger.record_sent(job.id, outcome.message_id or 0, outcome.thread_id)
            metrics.delivery("sent")
            return False
        if outcome.kind == "pause":
            log.warning(
                "pausing subscription %s (channel %s): %s",
                job.subscription.id,
                job.subscription.channel_id,
                outcome.reason,
            )
            await self.ledger.pause(job.subscription.id, outcome.reason)
            metrics.delivery("paused")
            if self.on_pause is not None:
                self.on_pause()
            return True
        if outcome.kind == "wait":
            await self.ledger.record_wait(job.id, outcome.retry_after or POLL_INTERVAL, outcome.reason)
            return False
        if outcome.kind == "retry" and job.attempts < MAX_ATTEMPTS:
            delay = outcome.retry_after if outcome.retry_after is not None else backoff(job.attempts)
            log.info("delivery %s retry in %.1fs: %s", job.id, delay, outcome.reason)
            await self.ledger.record_retry(job.id, delay, outcome.reason)
            metrics.delivery("retried")
            return False
        log.error("delivery %s to channel %s failed: %s", job.id, job.subscription.channel_id, outcome.reason)
        await self.ledger.record_failed(job.id, outcome.reason or "gave up")
        metrics.delivery("failed")
        return False
