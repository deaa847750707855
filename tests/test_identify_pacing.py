"""Identify turns shared through the database: processes starting together never IDENTIFY one bucket twice per window.

Each "process" here is a task with a store of its own on one SQLite file (its own connections and
write thread, as a separate ``festbot run`` has), identifying its shards one after another as
discord.py does.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

from bot.client.identify_pacing import IDENTIFY_MARGIN, IdentifyPacer
from bot.storage import identify_slots
from bot.storage.store import Store, open_store

WINDOW = 0.3


def pacer(store: Store, shard_count: int, max_concurrency: int = 1) -> IdentifyPacer:
    """The pacer ``festbot run`` makes, claiming turns in ``store`` as the bot's services do."""

    async def claim(bucket: int, now_ms: int, spacing_ms: int, horizon_ms: int) -> int:
        return await store.write(identify_slots.claim, bucket, now_ms, spacing_ms, horizon_ms)

    return IdentifyPacer(claim, WINDOW, shard_count, max_concurrency=max_concurrency)


async def next_free(store: Store, bucket: int) -> int:
    row = await store.reads.fetchone("SELECT next_at FROM identify_slots WHERE bucket = ?", (bucket,))
    assert row is not None
    return int(row[0])


async def test_claims_queue_up_per_bucket(tmp_path: Path) -> None:
    async with open_store(tmp_path / "festival.db") as store:

        async def claim(bucket: int, now: int) -> int:
            return await store.write(identify_slots.claim, bucket, now, 500, 10_000)

        now = 1_000_000
        assert await claim(0, now) == now  # a bucket never used: at once
        assert await claim(0, now + 10) == now + 500  # behind the first
        assert await claim(0, now + 20) == now + 1000
        assert await claim(1, now + 30) == now + 30  # another bucket: free
        assert await claim(1, now + 9_000) == now + 9_000  # long after: at once
        # The clock set back an hour: bucket 1's next moment is beyond any real queue, not waited for.
        assert await claim(1, now + 9_000 - 3_600_000) == now + 9_000 - 3_600_000


async def test_processes_starting_together_take_turns(tmp_path: Path) -> None:
    """Three processes, eight shards, max_concurrency 2: each bucket's IDENTIFYs are at least the window apart."""
    path = tmp_path / "festival.db"
    async with open_store(path):
        pass  # migrated once, as the first process to start would
    identified: list[tuple[int, float]] = []  # (shard, when it would have sent IDENTIFY)
    start = asyncio.Event()

    async def process(shards: list[int]) -> None:
        async with open_store(path) as store:
            paced = pacer(store, 8, max_concurrency=2)
            await start.wait()
            for shard in shards:
                await paced.wait_turn(shard)
                identified.append((shard, time.time()))

    processes = [asyncio.create_task(process(shards)) for shards in ([0, 1, 2], [3, 4, 5], [6, 7])]
    await asyncio.sleep(0.2)  # every store open, so all three claim at the same moment
    start.set()
    await asyncio.wait_for(asyncio.gather(*processes), 30)

    assert sorted(shard for shard, _ in identified) == list(range(8))
    for bucket in (0, 1):
        times = sorted(at for shard, at in identified if shard % 2 == bucket)
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert len(gaps) == 3 and min(gaps) >= WINDOW, gaps


async def test_a_wait_cut_short_keeps_its_turn(tmp_path: Path) -> None:
    """discord.py abandons a slow connection attempt and tries again: the retry must not queue up behind others."""
    async with open_store(tmp_path / "festival.db") as store:
        paced = pacer(store, 2)
        first = await paced.wait_turn(0)
        waiting = asyncio.create_task(paced.wait_turn(1))  # bucket 0 too: its turn is a spacing after shard 0's
        await asyncio.sleep(0.05)
        waiting.cancel()
        claimed = await next_free(store, 0)
        again = await paced.wait_turn(1)
        assert round((again - first) * 1000) == round((WINDOW + IDENTIFY_MARGIN) * 1000)  # the turn it had
        assert await next_free(store, 0) == claimed  # nothing more was claimed
