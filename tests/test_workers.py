"""Worker processes: a job over its time limit is stopped and the next gets a fresh worker; workers die with the bot."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.domain.festivals import FestivalTable
from bot.sources.feeds.feed_list import add_feed
from bot.sources.feeds.guard import FetchPolicy
from bot.sources.feeds.pages import ingest_url
from bot.sources.feeds.poller import FeedPoller
from bot.sources.workers import JobFailed, WorkerPool
from bot.storage.feeds import get_feed
from bot.storage.store import Store
from tests.conftest import ROOT, SEED
from tests.feedsite import FeedSite, FeedSpec, Item
from tests.workerjobs import alive, descendants, install_endless_extraction, install_endless_feed_parsing, pid, spin

#: Upper bound on any wait for processes to appear or go.
WAIT = 20.0


async def test_a_job_over_the_time_limit_is_stopped_and_the_next_gets_a_fresh_worker() -> None:
    async with WorkerPool(workers=1, time_limit=1.0) as pool:
        first = await pool.run(pid)
        assert first != os.getpid()
        with pytest.raises(JobFailed) as failed:
            await pool.run(spin, 600.0)
        assert failed.value.reason == "reading it took longer than 1 s, so it was stopped"
        assert not alive(first)
        second = await pool.run(pid)
        assert second != first
        assert await pool.run(spin, 0.0) == second  # the new worker stays for the jobs after it


async def test_cancelling_a_job_kills_its_worker() -> None:
    async with WorkerPool(workers=1, time_limit=600.0) as pool:
        worker = await pool.run(pid)
        job = asyncio.create_task(pool.run(spin, 600.0))
        await asyncio.sleep(0.5)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        assert await pool.run(pid) != worker
        await until_gone([worker])


async def test_a_worker_that_dies_fails_its_job_with_the_reason() -> None:
    async with WorkerPool(workers=1) as pool:
        worker = await pool.run(pid)
        job = asyncio.create_task(pool.run(spin, 600.0))
        await asyncio.sleep(0.5)
        os.kill(worker, signal.SIGKILL)  # as the kernel's out-of-memory killer would
        with pytest.raises(JobFailed) as failed:
            async with asyncio.timeout(WAIT):
                await job
        assert failed.value.reason == "the worker process reading it died (killed by SIGKILL)"
        assert await pool.run(pid) != worker


async def until_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + WAIT
    while any(alive(p) for p in pids):
        assert time.monotonic() < deadline, f"still running: {[p for p in pids if alive(p)]}"
        await asyncio.sleep(0.1)


async def test_a_page_that_takes_too_long_to_read_is_rejected_with_the_reason(
    store: Store, festivals: FestivalTable, fetch_policy: FetchPolicy
) -> None:
    async with (
        FeedSite() as site,
        WorkerPool(workers=1, time_limit=1.0, setup=install_endless_extraction) as pool,
    ):
        site.feeds["reviews"] = FeedSpec(items=[Item("Salt Lanterns", "/articles/salt-lanterns", guid="tw-1")])
        page = await ingest_url(
            store, site.url("/articles/copper-hymnal"), table=festivals, jobs=pool, policy=fetch_policy
        )
        await add_feed(store, site.url("/feeds/reviews.xml"), policy=fetch_policy)
        async with FeedPoller(store, table=festivals, jobs=pool, policy=fetch_policy) as poller:
            (entries,) = (await poller.poll_all()).values()
    reason = "reading it took longer than 1 s, so it was stopped"
    assert (page.status, page.reason) == ("rejected", reason)
    assert [(entry.status, entry.reason) for entry in entries] == [("rejected", reason)]
    assert await store.count() == 0


async def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def until_running(parent: int, count: int, what: str) -> dict[int, str]:
    """Wait until ``parent`` has started ``count`` processes whose command line contains ``what``."""
    deadline = time.monotonic() + WAIT
    while True:
        found = {p: cmd for p, cmd in descendants(parent).items() if what in cmd}
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, f"{parent} started {found}, not {count} of {what!r}"
        await asyncio.sleep(0.1)


def _kill_all(pids: list[int]) -> None:
    """Clean up after a failing test: these are the test's own processes."""
    for p in pids:
        if alive(p):
            os.kill(p, signal.SIGKILL)


#: The bot's side, in a process of its own: a pool whose second job never ends.
BOT = """
import asyncio, sys
from bot.sources.workers import WorkerPool
from tests.workerjobs import pid, read_fifo

async def main():
    async with WorkerPool(workers=2) as pool:
        await pool.run(pid)
        await pool.run(read_fifo, sys.argv[1])

if __name__ == "__main__":
    asyncio.run(main())
"""


async def test_the_bots_workers_die_with_it_on_sigkill(tmp_path: Path) -> None:
    fifo = tmp_path / "never-written"
    os.mkfifo(fifo)
    script = tmp_path / "bot_process.py"
    script.write_text(BOT, encoding="utf-8")
    # No pipes to the test: orphaned workers would hold them open, and waiting for the bot would hang.
    bot = await asyncio.create_subprocess_exec(
        sys.executable, str(script), str(fifo), cwd=ROOT, env=_env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    left: list[int] = []
    try:
        workers = await until_running(bot.pid, 2, "multiprocessing.spawn")
        trackers = await until_running(bot.pid, 1, "resource_tracker")
        left = [*workers, *trackers]
        await until(lambda: Path(f"{fifo}.reading").exists(), "the job that never ends")
        bot.send_signal(signal.SIGKILL)
        await bot.wait()
        await until_gone(left)
    finally:
        _kill_all(left)


async def test_a_feed_document_that_takes_too_long_to_parse_fails_the_poll_not_the_bot(
    store: Store, festivals: FestivalTable, fetch_policy: FetchPolicy
) -> None:
    """feedparser reads a document a stranger wrote: it runs in a worker, under the time limit, like a page."""
    async with (
        FeedSite() as site,
        WorkerPool(workers=1, time_limit=1.0, setup=install_endless_feed_parsing) as pool,
    ):
        site.feeds["reviews"] = FeedSpec(items=[Item("Salt Lanterns", "/articles/salt-lanterns", guid="tw-1")])
        feed = await add_feed(store, site.url("/feeds/reviews.xml"), policy=fetch_policy)
        async with FeedPoller(store, table=festivals, jobs=pool, policy=fetch_policy) as poller:
            results = await poller.poll_all()
        polled = await get_feed(store, feed.id)
    assert results == {feed.id: []}
    assert polled is not None and polled.last_error == "reading it took longer than 1 s, so it was stopped"
    assert await store.count() == 0


async def test_bulk_ingest_workers_die_with_festbot_on_sigkill(tmp_path: Path, cli_env: dict[str, str]) -> None:
    folder = tmp_path / "reviews"
    folder.mkdir()
    seed = SEED.read_text(encoding="utf-8")
    # Enough files for several seconds of work: festbot is surely mid-ingest when its workers are seen.
    # (A named pipe no longer holds a worker: files that are not regular are refused before they are read.)
    for n in range(3000):
        (folder / f"r{n:04}.txt").write_text(seed.replace("Return To Dust", f"Return To Dust {n}"), encoding="utf-8")
    festbot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "ingest", str(folder), cwd=ROOT, env=cli_env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    left: list[int] = []
    try:
        workers = await until_running(festbot.pid, 2, "multiprocessing.spawn")
        trackers = await until_running(festbot.pid, 1, "resource_tracker")
        left = [*workers, *trackers]
        assert festbot.returncode is None, "festbot finished before it could be killed mid-ingest"
        festbot.send_signal(signal.SIGKILL)
        await festbot.wait()
        await until_gone(left)
    finally:
        _kill_all(left)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}
