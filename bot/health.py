"""The health of the bot's background tasks, and the supervisor that keeps each of them running.

A background task (the delivery worker, the inbox watcher, the feed poller) must outlive what goes
wrong around it. Trouble it can ride out (a locked database, a full disk) it reports through its
:class:`TaskStatus` and retries by itself; anything else ends its run, and :func:`supervise` logs it
and starts it again after a back-off. Each change is logged once: a warning when trouble starts or
changes, an error with the traceback for each distinct failure, and a line when the task recovers.
:class:`Health` holds every task's latest :class:`TaskHealth`: what ``/announce list`` shows, and
what a health endpoint can serve.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
from collections.abc import Awaitable, Callable

from pydantic import BaseModel, ConfigDict

log = logging.getLogger(__name__)

#: The first wait before a failed task starts again; it doubles with each failure in a row, up to the most.
FIRST_RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 300.0


class TaskState(enum.StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    RETRYING = "retrying"  # riding out trouble (a locked database); it retries by itself
    RESTARTING = "restarting"  # it failed and starts again after a back-off
    STOPPED = "stopped"
    STANDBY = "standby"  # another process runs it (one process at a time, see bot.leadership)


class TaskHealth(BaseModel):
    """One background task as it is now."""

    model_config = ConfigDict(frozen=True)

    name: str
    state: TaskState
    since: dt.datetime  # when it entered this state
    problem: str | None = None  # the trouble it is riding out, or why it failed last
    failures: int = 0  # failures in a row, since it last ran well
    restarts: int = 0  # since the bot started

    @property
    def healthy(self) -> bool:
        return self.state in (TaskState.STARTING, TaskState.RUNNING, TaskState.STANDBY)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Health:
    """Every background task's :class:`TaskHealth`, by name, in the order they were registered."""

    def __init__(self, clock: Callable[[], dt.datetime] = _now) -> None:
        self.clock = clock
        self._tasks: dict[str, TaskHealth] = {}

    def task(self, name: str) -> TaskStatus:
        """Register a task (as starting) and return the line it reports through."""
        status = TaskStatus(name, self)
        self._tasks[name] = status.current
        return status

    def snapshot(self) -> list[TaskHealth]:
        return list(self._tasks.values())

    def get(self, name: str) -> TaskHealth | None:
        return self._tasks.get(name)

    def _update(self, health: TaskHealth) -> None:
        self._tasks[health.name] = health


class TaskStatus:
    """What one task says about itself; kept in its :class:`Health` (if any) and logged once per change."""

    def __init__(self, name: str, health: Health | None = None) -> None:
        self.name = name
        self._health = health
        self._clock = health.clock if health is not None else _now
        self.current = TaskHealth(name=name, state=TaskState.STARTING, since=self._clock())
        self._last_failure: tuple[str, str] | None = None

    def _set(self, state: TaskState, **changes: object) -> None:
        since = self.current.since if state == self.current.state else self._clock()
        self.current = self.current.model_copy(update={"state": state, "since": since, **changes})
        if self._health is not None:
            self._health._update(self.current)

    def ok(self) -> None:
        """All is well (again): the task did its work just now."""
        before = self.current
        if before.state == TaskState.RUNNING:
            return
        if before.state in (TaskState.RETRYING, TaskState.RESTARTING) or before.failures:
            log.info("%s recovered (it was %s: %s)", self.name, before.state.value, before.problem)
        self._last_failure = None
        self._set(TaskState.RUNNING, problem=None, failures=0)

    def trouble(self, problem: str) -> None:
        """The task cannot do its work for now and keeps retrying; logged when the problem starts or changes."""
        if self.current.state != TaskState.RETRYING or self.current.problem != problem:
            log.warning("%s: %s; retrying", self.name, problem)
        self._set(TaskState.RETRYING, problem=problem)

    def failed(self, error: BaseException | None, delay: float) -> None:
        """The task's run ended (``error`` None: it returned, which it never should); it restarts in ``delay`` s."""
        problem = "it stopped unexpectedly" if error is None else f"{type(error).__name__}: {error}"
        key = ("", problem) if error is None else (type(error).__name__, str(error))
        failures = self.current.failures + 1
        if key != self._last_failure:
            log.error("%s failed (%s); restarting in %g s", self.name, problem, delay, exc_info=error)
        else:
            log.warning("%s failed again (%s, %d in a row); restarting in %g s", self.name, problem, failures, delay)
        self._last_failure = key
        self._set(TaskState.RESTARTING, problem=problem, failures=failures, restarts=self.current.restarts + 1)

    def stopped(self) -> None:
        self._set(TaskState.STOPPED)

    def standby(self, problem: str) -> None:
        """Another process runs this task for now; logged when that starts or the other process changes."""
        if self.current.state != TaskState.STANDBY or self.current.problem != problem:
            log.info("%s: standing by, %s", self.name, problem)
        self._set(TaskState.STANDBY, problem=problem)

    def starting(self) -> None:
        """This process takes the task over (its turn came); it reports itself well once it has worked."""
        self._last_failure = None
        self._set(TaskState.STARTING, problem=None, failures=0)


async def supervise(
    status: TaskStatus,
    work: Callable[[], Awaitable[object]],
    *,
    first_delay: float = FIRST_RESTART_DELAY,
    max_delay: float = MAX_RESTART_DELAY,
    healthy_after: float | None = None,
) -> None:
    """Run ``work()`` until cancelled, starting it again whenever it fails or ends.

    The wait before a restart doubles with each failure in a row, from ``first_delay`` to ``max_delay``;
    it starts over once the task reports itself well (:meth:`TaskStatus.ok`), or, for a task that does
    not, once it has run ``healthy_after`` seconds without failing.
    """
    try:
        while True:
            timer = asyncio.create_task(_ok_after(status, healthy_after)) if healthy_after is not None else None
            error: Exception | None = None
            try:
                await work()
            except Exception as exc:
                error = exc
            finally:
                if timer is not None:
                    timer.cancel()
            delay = min(max_delay, first_delay * 2.0**status.current.failures)
            status.failed(error, delay)
            await asyncio.sleep(delay)
    finally:
        status.stopped()


async def _ok_after(status: TaskStatus, seconds: float) -> None:
    await asyncio.sleep(seconds)
    status.ok()
