"""The inbox folder: review files an editor drops in are ingested and moved out of the way.

A file is read only once it is complete: its size and mtime must stay unchanged for ``settle``
seconds (a file renamed into place is complete at once and passes the same check). Names that
editors and tools use while writing -- hidden files, ``*.part``, ``*.tmp``, ``~*`` -- are never
read. An accepted file moves to ``done/``; a rejected one to ``rejected/`` with ``NAME.error.txt``
naming the reason. Moves never overwrite (a clash gets a `` (2)`` suffix), so nothing is lost, and a
file the store already holds comes back ``unchanged`` (and is not announced again) if a crash
between ingest and move makes the bot see it twice.

Changes are reported by watchfiles (inotify and friends), not by a polling loop of our own.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import watchfiles

from bot.domain.festivals import FestivalTable
from bot.sources.ingest import FileOutcome, ingest_file
from bot.storage.store import Store

log = logging.getLogger(__name__)

DONE = "done"
REJECTED = "rejected"
ERROR_SUFFIX = ".error.txt"
#: Suffixes of files that are still being written (downloads, editors' temp files).
PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".swp", ".swx", "~")


def is_candidate_name(name: str) -> bool:
    """Whether a file name in the inbox is a finished file to ingest (not hidden, temporary or partial)."""
    lowered = name.lower()
    return bool(name) and not name.startswith((".", "~")) and not lowered.endswith(PARTIAL_SUFFIXES)


@dataclass(frozen=True)
class _Pending:
    signature: tuple[int, int]
    since: float


def _signature(path: Path) -> tuple[int, int] | None:
    """Size and mtime (ns) of a regular file, or None when it is gone or not a file."""
    try:
        stat = path.stat()
    except OSError:
        return None
    if not path.is_file():
        return None
    return stat.st_size, stat.st_mtime_ns


def _unique_target(folder: Path, name: str) -> Iterable[Path]:
    """``name``, then ``stem (2).ext``, ``stem (3).ext``, ... in ``folder``."""
    stem, suffix = os.path.splitext(name)
    yield folder / name
    for number in range(2, 10_000):
        yield folder / f"{stem} ({number}){suffix}"


def move_without_overwrite(path: Path, folder: Path) -> Path:
    """Move ``path`` into ``folder`` under its name or the first free variant; never replaces a file.

    A hard link fails if the target exists, which makes the check and the move one atomic step; on a
    file system without hard links a rename after an existence check is the fallback.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for target in _unique_target(folder, path.name):
        if target.exists() or target.with_name(target.name + ERROR_SUFFIX).exists():
            continue
        try:
            os.link(path, target)
        except FileExistsError:
            continue
        except OSError:
            os.rename(path, target)
            return target
        path.unlink()
        return target
    raise OSError(f"no free name for {path.name} in {folder}")


class InboxWatcher:
    """Watches ``inbox`` and ingests every finished review file dropped into it.

    ``on_outcome`` is called with each :class:`FileOutcome` of a file read (its ``path`` is where the
    file went: ``done/`` or ``rejected/``), so callers and tests can react without sleeping; ``ready``
    is set once the watch is running and the files already present are queued.
    """

    def __init__(
        self,
        store: Store,
        inbox: Path,
        *,
        table: FestivalTable,
        festival: str | None = None,
        settle: float = 0.3,
        on_outcome: Callable[[FileOutcome], object] | None = None,
    ) -> None:
        self.store = store
        self.inbox = inbox
        self.table = table
        self.festival = festival
        self.settle = settle
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
            child for child in self.inbox.iterdir() if is_candidate_name(child.name) and _signature(child) is not None
        )

    def _watch_filter(self, change: watchfiles.Change, path: str) -> bool:
        candidate = Path(path)
        return (
            change != watchfiles.Change.deleted and candidate.parent == self.inbox and is_candidate_name(candidate.name)
        )

    # -- running --------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Watch the inbox until cancelled; files already there are processed first."""
        self._prepare()
        self.inbox = self.inbox.resolve()
        watcher = asyncio.create_task(self._watch(), name="inbox-watch")
        # If the watch itself dies (folder removed, OS limits), wake the loop so run() fails loudly.
        watcher.add_done_callback(lambda _task: self._changed.set())
        try:
            # Let the watcher task start its OS watch before the scan, so no file slips in between.
            await asyncio.sleep(0)
            for path in self._candidates():
                self._note(path)
            self.ready.set()
            await self._settle_loop(watcher)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def _watch(self) -> None:
        async for changes in watchfiles.awatch(
            self.inbox, watch_filter=self._watch_filter, recursive=False, debounce=400, step=50
        ):
            for _change, path in changes:
                self._note(Path(path))

    def _note(self, path: Path) -> None:
        """A file appeared or changed: it becomes due once it has been still for ``settle`` seconds."""
        signature = _signature(path)
        if signature is None:
            return
        if path not in self._pending:
            self._pending[path] = _Pending(signature, asyncio.get_running_loop().time())
        self._changed.set()

    async def _settle_loop(self, watcher: asyncio.Task[None]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if watcher.done():
                watcher.result()  # raises the watcher's exception
                raise RuntimeError(f"the watch on {self.inbox} stopped")
            if not self._pending:
                self._changed.clear()
                await self._changed.wait()
                continue
            now = loop.time()
            for path, seen in list(self._pending.items()):
                signature = _signature(path)
                if signature is None:
                    del self._pending[path]  # deleted or moved away before it settled
                elif signature != seen.signature:
                    self._pending[path] = _Pending(signature, now)  # still being written
                elif now - seen.since >= self.settle:
                    del self._pending[path]
                    await self._process_safely(path)
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settle / 3):
                    await self._changed.wait()

    async def _process_safely(self, path: Path) -> None:
        try:
            await self.process(path)
        except Exception:  # one file's unexpected failure (disk, database) must not stop the watcher
            log.exception("inbox: could not process %s; it stays in the inbox", path)

    # -- one file -------------------------------------------------------------------------------------

    async def process_existing(self) -> list[FileOutcome]:
        """Process the files already in the inbox (left over from before a restart), once each is complete."""
        self._prepare()
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

        A file that is gone by then (processed by another route, or deleted) gives status ``missing``.
        """
        async with self._lock:  # the watcher and process_existing may both reach one file
            if _signature(path) is None:
                # Already processed by another route, or deleted by the editor: nothing to do.
                return FileOutcome(path=path, status="missing", reason="the file was gone before it was read")
            # Not by path: editors reuse names (another film's ``review.txt``), so a drop is a review of
            # its own unless its URL or content says it is one already stored.
            outcome = await ingest_file(self.store, path, festival=self.festival, table=self.table, by_path=False)
            if outcome.status == "rejected":
                target = move_without_overwrite(path, self.rejected_dir)
                error_file = target.with_name(target.name + ERROR_SUFFIX)
                error_file.write_text(
                    f"{path.name} was not ingested.\n"
                    f"Reason: {outcome.reason}\n"
                    f"Rejected at: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}\n"
                    "Fix the file and drop it into the inbox again.\n",
                    encoding="utf-8",
                )
                log.warning("inbox: rejected %s (%s); moved to %s", path.name, outcome.reason, target)
            else:
                target = move_without_overwrite(path, self.done_dir)
                log.info("inbox: %s %s: %s (#%s)", outcome.status, path.name, outcome.title, outcome.review_id)
            moved = outcome.model_copy(update={"path": target})
        if self.on_outcome is not None:
            self.on_outcome(moved)
        return moved
