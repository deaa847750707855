"""Stopping on SIGTERM and SIGINT: one log line saying so and why, then the work's own cleanup.

A service manager stops a process with SIGTERM (Ctrl-C is SIGINT). Python's default for SIGTERM is
to die on the spot: no ``finally``, no database closed (the SQLite ``-wal`` file left behind), worker
processes orphaned. :func:`until_stopped` turns either signal into a cancellation of the running
work, so every ``async with`` around it (the store, the worker pools, the web server) closes in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable
from typing import TypeVar

log = logging.getLogger("festbot")

T = TypeVar("T")
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stopped(Exception):
    """The work was cancelled by ``signal``; its cleanup has run."""

    def __init__(self, received: signal.Signals) -> None:
        super().__init__(received.name)
        self.signal = received

    @property
    def exit_status(self) -> int:
        """The shell's convention for a command ended by a signal: 128 + its number (130, 143)."""
        return 128 + int(self.signal)


async def until_stopped(work: Awaitable[T], *, what: str) -> T:
    """Run ``work`` to its end, or until SIGTERM/SIGINT: then cancel it, let it clean up, raise :class:`Stopped`."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    received: list[signal.Signals] = []

    def stop(sig: signal.Signals) -> None:
        if not received:
            log.warning("stopping %s: %s received", what, sig.name)
        received.append(sig)
        task.cancel()

    for sig in SIGNALS:
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop, sig)
    try:
        return await task
    except asyncio.CancelledError:
        if not received:
            raise
        raise Stopped(received[0]) from None
    finally:
        for sig in SIGNALS:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(sig)
