"""The inbox folder: review files an editor drops in are ingested and moved out of the way.

A file is read only once it is complete: its size and mtime must stay unchanged for ``settle``
seconds (the quiet period, ``FESTBOT_INBOX_QUIET_SECONDS``), or a writer renamed it into place from
a temporary name (``.name.txt`` or ``name.txt.part`` -> ``name.txt``), which makes it complete at
once. Names that editors and tools use while writing -- hidden files, ``*.part``, ``*.tmp``, ``~*``
-- are never read. An accepted file moves to ``done/``; a rejected one to ``rejected/`` with
``NAME.error.txt`` naming the reason. Moves never overwrite (a clash gets a `` (2)`` suffix), so
nothing is lost, and a file the store already holds comes back ``unchanged`` (and is not announced
again) if a crash between ingest and move makes the bot see it twice.

A file that cannot be stored for a reason that passes (the database locked by another process, a
full disk) stays in the inbox and is tried again, after 1, 2, 4 ... seconds (at most a minute),
until it is stored. A name that is not UTF-8 cannot be watched (watchfiles ends its watch on it):
such a file moves to ``rejected/`` under a readable name, and the watch starts again.

Changes are reported by watchfiles (inotify and friends), not by a polling loop of our own. Which
names are read, and how files are moved, is :mod:`bot.sources.inbox_files`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import watchfiles

from bot.domain.festivals import FestivalTable
from bot.health import TaskStatus
from bot.sources.inbox_files import (
    ERROR_SUFFIX,
    is_candidate_name,
    is_temporary_name_of,
    is_undecodable,
    move_without_overwrite,
    safe_name,
)
from bot.sources.ingest import FileOutcome, ingest_file
from bot.sources.workers import IN_PROCESS, Jobs
from bot.storage.connection import is_transient
from bot.storage.store import Store

log = logging.getLogger(__name__)

DONE = "done"
REJECTED = "rejected"
#: The quiet period's default (as ``Settings.inbox_quiet_seconds``): a copy that pauses for a moment is not read.
QUIET_SECONDS = 2.0
RETRY_FIRST = 1.0
RETRY_MAX = 60.0
#: After the watch starts again, the folder is looked at once more this much later, for what came meanwhile.
RESCAN_AFTER = 1.0


@dataclass
class _Pending:
    """A file waiting to be read: still for ``settle`` seconds, or ``complete``; not before ``not_before``."""

    signature: tuple[int, int]
    since: float  # loop time since which the signature has held
    complete: bool = False  # renamed into place, or already tried: no quiet period
    not_before: float = 0.0  # loop time of the next try after a failure to store it
    attempts: int = 0  # failed tries
    problem: str | None = None  # why the last try failed


def _signature(path: Path) -> tuple[int, int] | None:
    """Size and mtime (ns) of a regular file, or None when it is gone or not a file."""
    try:
        stat = path.stat()
    except OSError:
        return None
    if not path.is_file():
        return None
    return stat.st_size, stat.st_mtime_ns


class InboxWatcher:
    """Watches ``inbox`` and ingests every finished review file dropped into it.

    ``jobs`` is where files are read and parsed (the running bot's worker processes); ``status`` is where
    the watcher reports trouble and recovery. ``on_outcome`` is called with each :class:`FileOutcome` of a
    file read (its ``path`` is where the file went: ``done/`` or ``rejected/``; status ``retrying`` when it
    stays in the inbox to be tried again), so callers and tests can react without sleeping; ``ready`` is
    set once the watch is running and the files already present are queued.
    """

    def __init__(
        self,
        store: Store,
        inbox: Path,
        *,
        table: FestivalTable,
        festival: str | None = None,
        settle: float = QUIET_SECONDS,
        jobs: Jobs = IN_PROCESS,
        status: TaskStatus | None = None,
        on_outcome: Callable[[FileOutcome], object] | None = None,
    ) -> None:
        self.store = store
        self.inbox = inbox
        self.table = table
        self.festival = festival
        self.settle = settle
        self.jobs = jobs
        self.status = status or TaskStatus("inbox watcher")
        self.on_outcome = on_outcome
        self.ready = asyncio.Event()
        self._pending: dict[Path, _Pending] = {}
        self._changed = asyncio.Event()
        self._lock = asyncio.Lock()

    @property
    def done_dir(self) -> Path:
        return self.inbox / DONE

    @property
    def rejected_dir(self) -> Path:
        return self.inbox / REJECTED

    def _prepare(self) -> None:
        for folder in (self.inbox, self.done_dir, self.rejected_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def _candidates(self) -> list[Path]:
        return sorted(
            child
            for child in self.inbox.iterdir()
            if is_candidate_name(child.name) and not is_undecodable(child.name) and _signature(child) is not None
        )

    def _watch_filter(self, change: watchfiles.Change, path: str) -> bool:
        """Finished names that appear or change; temporary names that go (a rename into place, see ``_changes``)."""
        candidate = Path(path)
        if candidate.parent != self.inbox:
            return False
        return (change != watchfiles.Change.deleted) == is_candidate_name(candidate.name)

    # -- running --------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Watch the inbox until cancelled; files already there are processed first."""
        self._prepare()
        self.inbox = self.inbox.resolve()
        self._reject_undecodable()  # before the watch starts: it would fail on their names
        watcher = asyncio.create_task(self._watch(), name="inbox-watch")
        # If the watch itself dies (folder removed, OS limits), wake the loop so run() fails loudly.
        watcher.add_done_callback(lambda _task: self._changed.set())
        try:
            # Let the watcher task start its OS watch before the scan, so no file slips in between.
            await asyncio.sleep(0)
            self._scan()
            self.ready.set()
            self.status.ok()
            await self._settle_loop(watcher)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def _watch(self) -> None:
        """Hand watchfiles' batches of changes on; start the watch again after a name it cannot decode ended it."""
        while True:
            try:
                async for changes in watchfiles.awatch(
                    self.inbox, watch_filter=self._watch_filter, recursive=False, debounce=400, step=50
                ):
                    self._changes(changes)
            except Exception as exc:  # watchfiles raises its task group's ExceptionGroup
                # The name may be gone already: moved by a scan, whose move the watch saw and failed on.
                if not (self._reject_undecodable() or _on_undecodable_name(exc)):
                    raise
            else:
                raise RuntimeError(f"the watch on {self.inbox} ended")
            # The batch that failed is lost: look at the folder now, and again once the new watch runs.
            self._scan()
            asyncio.get_running_loop().call_later(RESCAN_AFTER, self._rescan)

    def _scan(self) -> None:
        """Queue every finished file in the folder (on start, and after the watch started again)."""
        self._reject_undecodable()
        for path in self._candidates():
            self._note(path)

    def _rescan(self) -> None:
        try:
            self._scan()
        except OSError:  # the folder went: the watch fails on that too, and says so
            log.warning("inbox: cannot look at %s again", self.inbox, exc_info=True)

    def _changes(self, changes: set[tuple[watchfiles.Change, str]]) -> None:
        """One batch of changes. A temporary name that goes in the batch in which the finished name comes is a
        writer renaming its finished file into place: that file is complete now."""
        gone = [Path(path).name for change, path in changes if change == watchfiles.Change.deleted]
        for change, name in changes:
            path = Path(name)
            if change == watchfiles.Change.deleted:
                continue
            renamed = change == watchfiles.Change.added and any(is_temporary_name_of(t, path.name) for t in gone)
            self._note(path, complete=renamed)

    def _note(self, path: Path, *, complete: bool = False) -> None:
        """A file appeared or changed: it becomes due once it has been still for ``settle`` seconds, or at once
        if it is ``complete``."""
        signature = _signature(path)
        if signature is None:
            return
        now = asyncio.get_running_loop().time()
        pending = self._pending.get(path)
        if pending is None:
            self._pending[path] = _Pending(signature, now, complete)
        elif complete:
            pending.signature, pending.since, pending.complete = signature, now, True
        self._changed.set()

    async def _settle_loop(self, watcher: asyncio.Task[None]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if watcher.done():
                watcher.result()  # raises the watcher's exception
                raise RuntimeError(f"the watch on {self.inbox} stopped")
            now = loop.time()
            for path, pending in list(self._pending.items()):
                signature = _signature(path)
                if signature is None:
                    del self._pending[path]  # deleted or moved away before it was read
                elif signature != pending.signature:
                    pending.signature, pending.since, pending.complete = signature, now, False  # still being written
                elif now >= pending.not_before and (pending.complete or now - pending.since >= self.settle):
                    del self._pending[path]
                    await self._attempt(path, pending)
            self._report()
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._next_look(loop.time())):
                    await self._changed.wait()

    def _next_look(self, now: float) -> float | None:
        """Seconds until the next pending file falls due (None: nothing pending, wait for the watch).

        A write meanwhile wakes the loop through the watch; one the watch missed shows as a new signature
        when the file is looked at, and its quiet period starts over then.
        """
        due = [
            max(pending.not_before, pending.since + (0.0 if pending.complete else self.settle))
            for pending in self._pending.values()
        ]
        return max(min(due) - now, 0.0) if due else None

    async def _attempt(self, path: Path, pending: _Pending) -> None:
        """Process one due file; if that fails, it stays in the inbox and is tried again later."""
        try:
            await self.process(path)
        except Exception as exc:  # one file's failure (database, disk) must never stop the watcher
            self._retry_later(path, pending, exc)
        else:
            if pending.attempts:
                log.info(
                    "inbox: %s went through after %d failed tries (%s)", path.name, pending.attempts, pending.problem
                )

    def _retry_later(self, path: Path, pending: _Pending, error: Exception) -> None:
        signature = _signature(path)
        if signature is None:
            return
        problem = f"{error}" if is_transient(error) else f"{type(error).__name__}: {error}"
        attempts = pending.attempts + 1
        delay = min(RETRY_MAX, RETRY_FIRST * 2 ** (attempts - 1))
        if problem != pending.problem:
            # Said once per file and problem; the watcher's status says it for as long as it lasts.
            message = "inbox: %s could not be stored (%s); it stays in the inbox, next try in %g s"
            if is_transient(error):
                log.warning(message, path.name, problem, delay)
            else:
                log.error(message, path.name, problem, delay, exc_info=error)
        now = asyncio.get_running_loop().time()
        self._pending[path] = _Pending(signature, now, True, now + delay, attempts, problem)
        if self.on_outcome is not None:
            self.on_outcome(FileOutcome(path=path, status="retrying", reason=problem))

    def _report(self) -> None:
        waiting = [pending.problem for pending in self._pending.values() if pending.problem]
        if waiting:
            files = f"{len(waiting)} file{'s' if len(waiting) > 1 else ''}"
            self.status.trouble(f"{files} waiting to be stored ({waiting[-1]})")
        else:
            self.status.ok()

    # -- one file -------------------------------------------------------------------------------------

    async def process_existing(self) -> list[FileOutcome]:
        """Process the files already in the inbox (left over from before a restart), once each is complete."""
        self._prepare()
        self._reject_undecodable()
        outcomes = []
        for path in self._candidates():
            if await self._wait_until_still(path):
                outcomes.append(await self.process(path))
        return outcomes

    async def _wait_until_still(self, path: Path) -> bool:
        signature = _signature(path)
        while signature is not None:
            await asyncio.sleep(self.settle)
            again = _signature(path)
            if again == signature:
                return True
            signature = again
        return False

    async def process(self, path: Path) -> FileOutcome:
        """Ingest one file now, then move it to ``done/`` or to ``rejected/`` with its ``.error.txt``.

        A file that is gone by then (processed by another route, or deleted) gives status ``missing``. A
        failure to store it (a locked database) or to move it is raised, and the file stays where it is.
        """
        async with self._lock:  # the watcher and process_existing may both reach one file
            if _signature(path) is None:
                # Already processed by another route, or deleted by the editor: nothing to do.
                return FileOutcome(path=path, status="missing", reason="the file was gone before it was read")
            # Not by path: editors reuse names (another film's ``review.txt``), so a drop is a review of
            # its own unless its URL or content says it is one already stored.
            outcome = await ingest_file(
                self.store, path, festival=self.festival, table=self.table, by_path=False, jobs=self.jobs
            )
            if outcome.status == "rejected":
                target = self._reject(path, outcome.reason or "")
            else:
                target = move_without_overwrite(path, self.done_dir)
                log.info("inbox: %s %s: %s (#%s)", outcome.status, path.name, outcome.title, outcome.review_id)
            moved = outcome.model_copy(update={"path": target})
        if self.on_outcome is not None:
            self.on_outcome(moved)
        return moved

    def _reject(self, path: Path, reason: str, *, name: str | None = None) -> Path:
        """Move a file to ``rejected/`` (as ``name``, if given) with ``NAME.error.txt`` saying why."""
        target = move_without_overwrite(path, self.rejected_dir, name)
        shown = path.name if name is None else f"{name} (its name as bytes: {os.fsencode(path.name)!r})"
        target.with_name(target.name + ERROR_SUFFIX).write_text(
            f"{shown} was not ingested.\n"
            f"Reason: {reason}\n"
            f"Rejected at: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}\n"
            "Fix the file and drop it into the inbox again.\n",
            encoding="utf-8",
        )
        log.warning("inbox: rejected %s (%s); moved to %s", safe_name(path.name), reason, target)
        return target

    def _reject_undecodable(self) -> bool:
        """Move every entry whose name is not UTF-8 to ``rejected/`` under a safe name; whether there was one."""
        found = [child for child in self.inbox.iterdir() if is_undecodable(child.name)]
        for child in found:
            reason = "its name is not UTF-8 text; rename it and drop it in again"
            target = self._reject(child, reason, name=safe_name(child.name))
            if self.on_outcome is not None:
                self.on_outcome(FileOutcome(path=target, status="rejected", reason=reason))
        return bool(found)


def _on_undecodable_name(error: BaseException) -> bool:
    """Whether watchfiles ended its watch on a name that is not UTF-8 (an error within its task group's)."""
    if isinstance(error, BaseExceptionGroup):
        return any(_on_undecodable_name(inner) for inner in error.exceptions)
    return "Unable to decode path" in str(error)
