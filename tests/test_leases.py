"""Leases and the one-process-at-a-time runner, on both engines, with several stores as several processes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.health import Health, TaskState
from bot.leadership import lead
from bot.storage.leases import Lease
from bot.storage.store import Store, open_store


@pytest.fixture
async def stores(database: Path | str) -> AsyncIterator[list[Store]]:
    """Three stores on one database: each its own connections, as three processes have."""
    async with open_store(database) as a, open_store(database) as b, open_store(database) as c:
        yield [a, b, c]


async def test_a_lease_is_held_by_one_until_it_runs_out_or_is_given_up(stores: list[Store]) -> None:
    a, b = Lease(stores[0], "delivery", "a", ttl=0.4), Lease(stores[1], "delivery", "b", ttl=0.4)
    assert (await a.claim()).holder == "a"
    assert (await b.claim()).holder == "a"  # taken: b stands by
    renewed = await a.claim()
    assert renewed.holder == "a" and 0 < renewed.remaining_ms <= 400
    await asyncio.sleep(0.5)  # a stops renewing: its lease runs out
    assert (await b.claim()).holder == "b"
    assert (await a.claim()).holder == "b"
    await b.release()
    assert await a.state() is None
    assert (await a.claim()).holder == "a"  # given up: taken at once, no waiting for it to run out
    await b.release()  # not b's: changes nothing
    assert (await b.claim()).holder == "a"


async def test_leases_of_different_work_are_independent(stores: list[Store]) -> None:
    assert (await Lease(stores[0], "delivery", "a").claim()).holder == "a"
    assert (await Lease(stores[1], "feeds", "b").claim()).holder == "b"


async def test_racing_claims_give_the_lease_to_exactly_one(stores: list[Store]) -> None:
    for round_ in range(5):
        leases = [Lease(store, f"race{round_}", f"p{i}") for i, store in enumerate(stores)]
        states = await asyncio.gather(*(lease.claim() for lease in leases))
        holders = {state.holder for state in states}
        assert len(holders) == 1, states
        assert holders <= {lease.holder for lease in leases}


class _Killed(Lease):
    """A lease whose process dies: nothing is given up (SIGKILL runs no clean-up)."""

    async def release(self) -> None:
        return None


async def _run_leaders(
    stores: list[Store], ttl: float, kinds: list[type[Lease]]
) -> tuple[list[asyncio.Task[None]], list[str], Health]:
    running: list[str] = []
    health = Health()
    tasks = []
    for i, (store, kind) in enumerate(zip(stores, kinds, strict=True)):
        name = f"p{i}"
        status = health.task(name)

        async def work(name: str = name) -> None:
            running.append(name)
            try:
                await asyncio.Event().wait()
            finally:
                running.remove(name)

        tasks.append(asyncio.create_task(lead(kind(store, "delivery", name, ttl=ttl), status, work)))
    return tasks, running, health


async def _until(condition: object, timeout: float) -> float:
    start = time.monotonic()
    while not callable(condition) or not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


async def test_one_process_runs_the_work_and_another_takes_over_when_it_dies(stores: list[Store]) -> None:
    ttl = 1.2
    tasks, running, health = await _run_leaders(stores, ttl, [_Killed, _Killed, _Killed])
    try:
        await _until(lambda: len(running) == 1, 5)
        await asyncio.sleep(ttl)  # renewals keep it with the first; the others stand by
        assert len(running) == 1
        first = running[0]
        others = [t for t in health.snapshot() if t.name != first]
        assert {t.state for t in others} == {TaskState.STANDBY}
        assert all(first in (t.problem or "") for t in others)
        leader = tasks[int(first[1:])]
        leader.cancel()  # dies without giving the lease up
        await asyncio.gather(leader, return_exceptions=True)
        assert running == []
        took = await _until(lambda: len(running) == 1, 3 * ttl)
        assert running[0] != first
        assert took <= ttl + ttl / 6 + 0.5  # the lease running out, one standby's retry, a little load
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_clean_stop_hands_over_at_once(stores: list[Store]) -> None:
    ttl = 3.0
    tasks, running, _ = await _run_leaders(stores[:2], ttl, [Lease, Lease])
    try:
        await _until(lambda: len(running) == 1, 5)
        first = running[0]
        tasks[int(first[1:])].cancel()
        await asyncio.gather(tasks[int(first[1:])], return_exceptions=True)
        took = await _until(lambda: len(running) == 1, 2 * ttl)
        assert took < ttl / 2  # given up on the way out: no waiting for the lease to run out
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_holder_that_finds_its_lease_taken_stops_its_work(stores: list[Store]) -> None:
    ttl = 0.9
    tasks, running, health = await _run_leaders(stores[:1], ttl, [Lease])
    try:
        await _until(lambda: running == ["p0"], 5)
        # Another process took it (this one stalled past its lease, say): the next renewal finds that out.
        await stores[1].write(
            lambda conn: conn.execute("UPDATE leases SET holder = 'elsewhere', expires_at = expires_at + 60000")
        )
        await _until(lambda: running == [], 2 * ttl)
        await _until(lambda: health.snapshot()[0].state == TaskState.STANDBY, 2 * ttl)
        assert "elsewhere" in (health.snapshot()[0].problem or "")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
