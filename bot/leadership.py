"""One process at a time: runs a background task only while this process holds its lease.

Every ``festbot run`` process starts the delivery worker, the feed poller and the inbox watcher under
:func:`lead`; in each, the task waits on standby until the process claims the task's lease
(:mod:`bot.storage.leases`), runs while it renews it, and stops the moment it finds the lease taken or
cannot renew it for a whole lease period (another process may hold it by then). When the holder dies its
lease runs out and a standby claims it: takeover takes at most one lease period plus one retry interval.
A clean stop gives the lease up at once, so a restart hands over without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from bot.health import TaskStatus
from bot.storage.connection import is_transient
from bot.storage.leases import Lease

log = logging.getLogger(__name__)


async def lead(
    lease: Lease,
    status: TaskStatus,
    work: Callable[[], Awaitable[object]],
    *,
    retry_every: float | None = None,
) -> None:
    """Until cancelled: hold ``lease`` and run ``work()`` meanwhile; stand by while another process holds it.

    ``work`` is a supervised task (it never ends by itself); it is cancelled when the lease is lost. It is
    renewed every third of the lease period; a standby tries every ``retry_every`` seconds (a sixth of it).
    """
    retry = retry_every if retry_every is not None else lease.ttl / 6
    try:
        while True:
            held = await _claim(lease, status)
            if held:
                await _hold(lease, status, work)
            else:
                await asyncio.sleep(retry)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.shield(_release(lease))


async def _claim(lease: Lease, status: TaskStatus) -> bool:
    try:
        state = await lease.claim()
    except Exception as exc:
        if not is_transient(exc):
            raise
        status.trouble(f"cannot claim its turn, the database is unavailable ({exc})")
        return False
    if state.holder == lease.holder:
        log.info("%s: this process runs it now (lease %r)", status.name, lease.name)
        status.starting()
        return True
    status.standby(f"another process runs it ({state.holder})")
    return False


async def _hold(lease: Lease, status: TaskStatus, work: Callable[[], Awaitable[object]]) -> None:
    """Run ``work`` while renewing the lease; return when it is lost (the work cancelled and finished)."""
    task = asyncio.ensure_future(work())
    renewed = time.monotonic()
    try:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(lease.ttl / 3):
                    await asyncio.shield(task)
            if task.done():
                task.result()  # work never ends by itself: let its error, or its ending, show
                raise RuntimeError(f"{status.name} ended while holding its lease")
            try:
                state = await lease.claim()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                if time.monotonic() - renewed >= lease.ttl:
                    log.warning("%s: stopping, no renewal of its lease for %g s (%s)", status.name, lease.ttl, exc)
                    return
                continue
            if state.holder != lease.holder:
                log.warning("%s: stopping, another process holds its lease now (%s)", status.name, state.holder)
                return
            renewed = time.monotonic()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def _release(lease: Lease) -> None:
    async with asyncio.timeout(2.0):
        await lease.release()
