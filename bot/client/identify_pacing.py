"""Taking turns to IDENTIFY with every other process of the bot, through the database they share.

Discord starts one gateway session per rate-limit bucket (``shard_id % max_concurrency``) per
5 seconds and answers a faster IDENTIFY with an invalid session. discord.py paces the shards of one
process by sleeping between them; processes started together know nothing of each other, so each
claims its bucket's next free moment in the database (:mod:`bot.storage.identify_slots`, through
:meth:`bot.services.Services.claim_identify_turn`) and sleeps until then.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

#: Added to the window between two claims of a bucket. Discord times an IDENTIFY when it arrives, and
#: the process that claimed the earlier moment may send a little late (its event loop busy with another
#: shard's guilds, the network): that lateness is absolute, so the margin is too, not a share of the window.
IDENTIFY_MARGIN = 0.25

#: ``claim(bucket, now_ms, spacing_ms, horizon_ms)``: reserve the bucket's next free moment (unix ms), one no
#: further ahead than the horizon, and return it (:func:`bot.storage.identify_slots.claim`).
ClaimTurn = Callable[[int, int, int, int], Awaitable[int]]


class IdentifyPacer:
    """Claims each shard's turn to IDENTIFY; one per process, shared by its shards."""

    def __init__(self, claim: ClaimTurn, window: float, shard_count: int, *, max_concurrency: int = 1) -> None:
        self.claim = claim
        self.window = window
        self.shard_count = shard_count
        #: From ``GET /gateway/bot`` (set once the bot has logged in); 1 until then, the strictest.
        self.max_concurrency = max_concurrency
        self._held: dict[int, int] = {}

    def bucket(self, shard_id: int) -> int:
        return shard_id % max(1, self.max_concurrency)

    async def wait_turn(self, shard_id: int) -> float:
        """Claim the shard's turn, sleep until it comes, and return it (unix seconds).

        discord.py gives up on a connection attempt after a while (3 minutes for a first one, 1 for a
        reconnect) and tries again; a wait it cut short keeps the turn it had claimed instead of
        queuing behind every turn claimed since.
        """
        bucket = self.bucket(shard_id)
        now_ms = time.time_ns() // 1_000_000
        held = self._held.get(shard_id)
        if held is not None and held > now_ms:
            turn_ms = held
        else:
            spacing_ms = round((self.window + IDENTIFY_MARGIN) * 1000)
            # Every shard of the bucket, in any process, queued ahead of this one (and one more to spare) is
            # the longest wait there can be; a turn further off was claimed before the clock was set back.
            in_bucket = -(-self.shard_count // max(1, self.max_concurrency))
            turn_ms = await self.claim(bucket, now_ms, spacing_ms, (in_bucket + 1) * spacing_ms)
            self._held[shard_id] = turn_ms
        delay = (turn_ms - time.time_ns() // 1_000_000) / 1000
        if delay > 0:
            log.info("shard %d waits %.1fs for its turn to identify (bucket %d)", shard_id, delay, bucket)
            await asyncio.sleep(delay)
        return turn_ms / 1000
