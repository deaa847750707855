"""Reading reviews (decoding, extraction, parsing, summarising) in worker processes, each job under a time limit.

That work is CPU-bound, and CPython's ``re`` holds the GIL for a whole match, so in the bot's own process,
even on a thread, one hostile file would stall the event loop for as long as it takes (a 16 KB file once
held it ~50 s: missed heartbeats, failed interactions). A :class:`WorkerPool` runs each job in a worker
process at a lower priority; a job that outlasts ``time_limit`` has its worker killed and fails with
:class:`JobFailed`, and the next job gets a fresh worker. pebble's ``ProcessPool`` does the scheduling,
the time limits and the replacing of workers; the standard ``ProcessPoolExecutor`` can do none of it (a
killed worker breaks the whole executor).

Every worker process, here and in the bulk ingest's pool, first calls :func:`die_with_parent`, so it
ends with the process that started it, even one killed with SIGKILL; the ``multiprocessing`` resource
tracker then sees its pipe close and ends too.
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, Protocol, TypeVar

import pebble

P = ParamSpec("P")
T = TypeVar("T")

#: Workers in the running bot's pool: two, so one job at its time limit does not hold up every other.
WORKERS = 2
#: Seconds one job may take. A review file parses in milliseconds and a large article page extracts in
#: well under a second; the limit is for input that would otherwise take minutes.
TIME_LIMIT = 20.0
#: How much lower the workers' scheduling priority is: on a busy machine the event loop goes first.
NICENESS = 10
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_WATCHDOG_PERIOD = 1.0


class JobFailed(Exception):
    """A job that did not finish: over the time limit, or its worker died. ``reason`` is for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Jobs(Protocol):
    """Where a source's CPU-bound work runs: a :class:`WorkerPool`, or :data:`IN_PROCESS`."""

    async def run(self, job: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T: ...


class InProcess:
    """Runs each job here and now, on the event loop and with no time limit: for one-shot commands and tests."""

    async def run(self, job: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return job(*args, **kwargs)


IN_PROCESS = InProcess()


class WorkerPool:
    """Jobs in worker processes, started on first use (``spawn``: the bot runs threads that ``fork`` would copy).

    A job is a module-level function whose arguments and result pickle. ``setup`` (a module-level function
    too) runs in each worker as it starts, after the worker's own preparation: a hook for tests.
    """

    def __init__(
        self, *, workers: int = WORKERS, time_limit: float = TIME_LIMIT, setup: Callable[[], object] | None = None
    ) -> None:
        self.workers = workers
        self.time_limit = time_limit
        self._setup = setup
        self._pool: pebble.ProcessPool | None = None

    async def __aenter__(self) -> WorkerPool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def run(self, job: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``job(*args, **kwargs)`` in a worker; raises :class:`JobFailed` if it ran out of time or its worker died.

        An exception the job raises is raised here as it was. Cancelling the caller kills the job's worker.
        """
        future = self._schedule(job, args, kwargs)
        try:
            return await asyncio.wrap_future(future)
        except TimeoutError:
            raise JobFailed(f"reading it took longer than {self.time_limit:g} s, so it was stopped") from None
        except pebble.ProcessExpired as exc:
            raise JobFailed(f"the worker process reading it died ({_ending(exc.exitcode)})") from None

    def _schedule(
        self, job: Callable[..., T], args: tuple[object, ...], kwargs: dict[str, object]
    ) -> pebble.ProcessFuture[T]:
        """Hand the job to the pool, starting it (or a new one, if the last one broke) as needed."""
        for _ in range(2):
            if self._pool is None:
                self._pool = pebble.ProcessPool(
                    self.workers,
                    initializer=start_worker,
                    initargs=(os.getpid(), self._setup),
                    context=multiprocessing.get_context("spawn"),
                )
            try:
                return self._pool.schedule(job, args=args, kwargs=kwargs, timeout=self.time_limit)
            except RuntimeError:  # the pool broke (a worker could not start); its replacement may do better
                self._drop()
        raise BrokenProcessPool("the worker processes cannot be started")

    def _drop(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()  # type: ignore[no-untyped-call]  # pebble leaves stop() unannotated

    async def aclose(self) -> None:
        """Stop the workers (a job still running is killed); the pool starts again if used after this."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()  # type: ignore[no-untyped-call]  # pebble leaves stop() unannotated
            await asyncio.to_thread(pool.join)


def _ending(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


def start_worker(parent: int, setup: Callable[[], object] | None = None) -> None:
    """A :class:`WorkerPool` worker's first steps: end with the bot, yield the CPU to it, run the test hook."""
    die_with_parent(parent)
    lower_priority()
    if setup is not None:
        setup()


def lower_priority() -> None:
    if hasattr(os, "nice"):
        os.nice(NICENESS)


def die_with_parent(parent: int) -> None:
    """In a worker process: end when ``parent`` ends, however it ends (SIGKILL included).

    On Linux the kernel sends this process SIGKILL when the thread that started it ends (``prctl
    PR_SET_PDEATHSIG``); both pools start their workers from threads that live as long as the pool. A
    watchdog thread that notices the parent pid change covers other systems; it cannot run while a
    regular expression holds the GIL, which is why the kernel's signal comes first. A parent already
    gone by the time this runs is noticed at once.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="festbot-parent-watchdog", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCHDOG_PERIOD)
    os._exit(1)
