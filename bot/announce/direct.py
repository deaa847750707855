"""The direct-message worker: sends each member the reviews their watches matched, once, paced with announcements.

It shares the announcement worker's :class:`~bot.announce.worker.Pacer`, so direct messages and channel
posts together stay under Discord's global limit. Each request is paced: opening the member's DM channel
(``POST /users/@me/channels``, once per member, remembered) and the message. A member who does not take
the bot's direct messages (Discord's 50007) has their watches paused and is told once, in the server
(:meth:`~bot.storage.watchlist.Watchlist.dms_closed`); their queued messages are dropped, not retried.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Awaitable
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from bot.announce.worker import MAX_ATTEMPTS, POLL_INTERVAL, Pacer, backoff, nap, serve
from bot.domain.models import WatchJob
from bot.health import TaskStatus
from bot.storage.watchlist import Watchlist

log = logging.getLogger(__name__)


class DmOutcome(BaseModel):
    """What happened to one request: ``closed`` means the member does not take the bot's direct messages."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["sent", "retry", "closed", "fail"]
    #: The message's id (a send) or the DM channel's id (an open).
    id: int | None = None
    retry_after: float | None = None
    reason: str = ""


class DmSender(Protocol):
    async def open_dm(self, user_id: int) -> DmOutcome: ...

    async def send_dm(self, job: WatchJob, channel_id: int) -> DmOutcome: ...


class DirectMessenger:
    """Runs in the bot beside the :class:`~bot.announce.worker.Announcer`, on the same pacer."""

    def __init__(
        self,
        watchlist: Watchlist,
        sender: DmSender,
        *,
        pacer: Pacer | None = None,
        batch: int = 100,
        status: TaskStatus | None = None,
    ) -> None:
        self.watchlist = watchlist
        self.sender = sender
        self.pacer = pacer or Pacer()
        self.status = status or TaskStatus("direct messages")
        self._batch = batch
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Until cancelled: claim what is due and send it, member by member; sleep when nothing is due."""
        await serve(self.run_once, self._rest, self._wake, self.status)

    async def run_once(self) -> int:
        """Claim up to a batch and send it; members concurrently, each member's messages in order."""
        jobs = await self.watchlist.claim_due(self._batch)
        by_user: dict[int, list[WatchJob]] = collections.defaultdict(list)
        for job in jobs:
            by_user[job.user_id].append(job)
        await asyncio.gather(*(self._send_member(member_jobs) for member_jobs in by_user.values()))
        return len(jobs)

    async def _rest(self, claimed: int) -> None:
        if claimed:
            return
        due = await self.watchlist.next_due_at()
        await nap(self._wake, POLL_INTERVAL if due is None else min(POLL_INTERVAL, max(due - time.time(), 0.05)))

    async def _send_member(self, jobs: list[WatchJob]) -> None:
        user_id = jobs[0].user_id
        channel_id = jobs[0].dm_channel_id
        for job in jobs:
            try:
                if channel_id is None:
                    await self.pacer.acquire(user_id)
                    opened = await self._guarded(self.sender.open_dm(user_id))
                    if opened.kind == "sent" and opened.id is not None:
                        channel_id = opened.id
                        await self.watchlist.set_dm_channel(user_id, channel_id)
                    elif await self._record(job, opened):
                        return
                    else:
                        continue
                await self.pacer.acquire(channel_id)
                outcome = await self._guarded(self.sender.send_dm(job, channel_id))
                if await self._record(job, outcome):
                    return
            except Exception:
                # Not recorded: the message stays claimed and goes again later (its nonce keeps it single).
                log.exception("direct message %s: its outcome could not be recorded", job.id)

    async def _guarded(self, request: Awaitable[DmOutcome]) -> DmOutcome:
        """The sender's outcome; an unexpected error is one to retry, never the end of the worker."""
        try:
            return await request
        except Exception as exc:
            log.exception("a direct message failed unexpectedly")
            return DmOutcome(kind="retry", reason=f"{type(exc).__name__}: {exc}")

    async def _record(self, job: WatchJob, outcome: DmOutcome) -> bool:
        """Store the outcome; returns whether the member's other messages are to be dropped (DMs closed)."""
        if outcome.kind == "sent":
            await self.watchlist.record_sent(job.id, outcome.id or 0)
            return False
        if outcome.kind == "closed":
            log.info("member %s does not take direct messages: pausing their watches", job.user_id)
            await self.watchlist.dms_closed(job.user_id, outcome.reason or "direct messages are closed")
            return True
        if outcome.kind == "retry" and job.attempts < MAX_ATTEMPTS:
            delay = outcome.retry_after if outcome.retry_after is not None else backoff(job.attempts)
            await self.watchlist.record_retry(job.id, delay, outcome.reason)
            return False
        log.error("direct message %s to member %s failed: %s", job.id, job.user_id, outcome.reason)
        await self.watchlist.record_failed(job.id, outcome.reason or "gave up")
        return False
