"""The notice worker: plans each digest's day when it falls due, and posts digests and health alerts.

It knows nothing of Discord: a :class:`NoticeSender` posts one notice and says how it went, in the
delivery worker's terms. Time comes from ``clock`` (unix seconds) so a test can be at tomorrow's digest
hour without waiting for it. Notices share the delivery worker's :class:`Pacer`, so both together stay
under Discord's limits.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Protocol

from bot.announce.worker import MAX_ATTEMPTS, Pacer, SendOutcome, backoff, nap, serve
from bot.domain.models import NoticeJob
from bot.health import TaskStatus
from bot.storage.ledger import Ledger

log = logging.getLogger(__name__)

#: How often digests are checked for being due, and notices queued by other processes looked for.
TICK = 5.0


class NoticeSender(Protocol):
    async def post_notice(self, job: NoticeJob) -> SendOutcome: ...


class NoticeWorker:
    """Runs in the bot beside the delivery worker; ``run()`` until cancelled."""

    def __init__(
        self,
        ledger: Ledger,
        sender: NoticeSender,
        *,
        pacer: Pacer | None = None,
        clock: Callable[[], float] = time.time,
        tick: float = TICK,
        batch: int = 50,
        status: TaskStatus | None = None,
    ) -> None:
        self.ledger = ledger
        self.sender = sender
        self.pacer = pacer or Pacer()
        self.clock = clock
        self.status = status or TaskStatus("notices")
        self._tick = tick
        self._batch = batch
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    def wake(self) -> None:
        """Look for notices now (a subscription was just paused or resumed)."""
        self._wake.set()

    async def run(self) -> None:
        await serve(self.run_once, self._rest, self._wake, self.status)

    async def _rest(self, sent: int) -> None:
        await nap(self._wake, self._tick)  # a digest falls due with the clock, so every round waits its tick

    async def run_once(self, now: float | None = None) -> int:
        """Plan the digests due at ``now`` (default: the clock) and send every notice due; returns how many were sent.

        One pass at a time, so a test's pass and the running loop's never send the same notice.
        """
        async with self._lock:
            at = self.clock() if now is None else now
            await self.ledger.plan_digests(at)
            due = await self.ledger.next_notice_due()
            if due is None or due > at:
                return 0
            sent = 0
            for job in await self.ledger.claim_notices(self._batch, at):
                sent += await self._send(job)
            return sent

    async def _send(self, job: NoticeJob) -> int:
        if job.channel_id is None:
            await self.ledger.record_notice_failed(job.id, "no channel to post it in")
            return 0
        await self.pacer.acquire(job.channel_id)
        try:
            outcome = await self.sender.post_notice(job)
        except Exception as exc:
            log.exception("notice %s to channel %s failed unexpectedly", job.id, job.channel_id)
            outcome = SendOutcome(kind="retry", reason=f"{type(exc).__name__}: {exc}")
        if outcome.kind == "sent":
            await self.ledger.record_notice_sent(job.id, outcome.message_id or 0)
            return 1
        if outcome.kind == "retry" and job.attempts < MAX_ATTEMPTS:
            delay = outcome.retry_after if outcome.retry_after is not None else backoff(job.attempts)
            await self.ledger.record_notice_retry(job.id, delay, outcome.reason)
            return 0
        # A channel the bot cannot post in pauses nothing: the notice alone is given up, and logged.
        log.warning("%s %s to channel %s not posted: %s", job.kind, job.id, job.channel_id, outcome.reason)
        await self.ledger.record_notice_failed(job.id, outcome.reason or "gave up")
        return 0
