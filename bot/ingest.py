"""Files and folders -> parser -> store, one transaction per file, with a verdict per file."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import multiprocessing
import os
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from bot.festivals import FestivalTable
from bot.models import IngestStatus, Review, Summary
from bot.parser import ReviewParseError, decode_review_bytes, parse_review_text
from bot.store import Store
from bot.summary import summarize

log = logging.getLogger(__name__)

REVIEW_SUFFIXES = (".txt", ".text")
SEEDED_KEY = "seeded"
#: From this many files on, reading, parsing and summarising run in worker processes (one per CPU,
#: at most four) while this process writes; below it, starting the workers costs more than it saves.
PARALLEL_FROM = 100
_CHUNK = 16  # files per task sent to a worker


class FileOutcome(BaseModel):
    """What happened to one file: ``added``, ``updated``, ``unchanged`` or ``rejected`` (with the reason)."""

    model_config = ConfigDict(frozen=True)

    path: Path
    status: str
    review_id: int | None = None
    title: str | None = None
    reason: str | None = None

    def line(self) -> str:
        if self.status == "rejected":
            return f"rejected   {self.path}: {self.reason}"
        return f"{self.status:<10} {self.path}: {self.title} (#{self.review_id})"


async def store_review(store: Store, review: Review, *, source: str, announce: bool = True) -> IngestStatus:
    """The one way a parsed review enters the store, from any source: summarised, then stored."""
    return await store.ingest(review, source=source, summary=summarize(review), announce=announce)


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given; folders walked for review files in a stable order, hidden files skipped."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and child.suffix.lower() in REVIEW_SUFFIXES and not hidden:
                    yield child
        else:
            yield path


def read_review(path: Path, festival: str | None, table: FestivalTable | None) -> Review | FileOutcome:
    """One file read and parsed, or its rejection (nothing is stored either way)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return FileOutcome(path=path, status="rejected", reason=f"cannot read the file ({exc.strerror or exc})")
    try:
        return parse_review_text(decode_review_bytes(data, str(path)), source=str(path), festival=festival, table=table)
    except ReviewParseError as exc:
        return FileOutcome(path=path, status="rejected", reason=exc.reason)


async def ingest_file(
    store: Store, path: Path, *, festival: str | None = None, table: FestivalTable | None = None, announce: bool = True
) -> FileOutcome:
    """Parse and store one file; a file that cannot be read or parsed is rejected whole."""
    review = read_review(path, festival, table)
    if isinstance(review, FileOutcome):
        return review
    return await _store_file(store, path, review, summarize(review), announce)


async def _store_file(store: Store, path: Path, review: Review, summary: Summary, announce: bool) -> FileOutcome:
    result = await store.ingest(review, source=f"file:{path.resolve()}", summary=summary, announce=announce)
    return FileOutcome(path=path, status=result.status, review_id=result.review_id, title=result.title)


async def ingest_paths(
    store: Store,
    paths: Iterable[Path],
    *,
    festival: str | None = None,
    table: FestivalTable | None = None,
    announce: bool = True,
    workers: int | None = None,
) -> list[FileOutcome]:
    """Every file, in order, each in its own transaction (see :func:`ingest_file`).

    With many files, worker processes read, parse and summarise ahead (``workers``: how many; None
    picks one per CPU, at most four; 0 keeps everything in this process); the files are still stored
    one at a time, in order, so the outcome is the same either way. The workers are started with
    ``spawn``, so a script that calls this with many files needs the ``if __name__ == "__main__":`` guard.
    """
    table = table or FestivalTable.load()
    files = list(expand_paths(paths))
    outcomes = []
    # aclosing: if a write fails, the worker processes are stopped now, not when the generator is collected.
    async with contextlib.aclosing(_prepared(files, festival, table, workers)) as prepared_files:
        async for path, prepared in prepared_files:
            if isinstance(prepared, FileOutcome):
                outcome = prepared
            else:
                outcome = await _store_file(store, path, prepared[0], prepared[1], announce)
            log.info("%s", outcome.line())
            outcomes.append(outcome)
    return outcomes


Prepared = FileOutcome | tuple[Review, Summary]


def _prepare(path: Path, festival: str | None, table: FestivalTable | None) -> Prepared:
    review = read_review(path, festival, table)
    return review if isinstance(review, FileOutcome) else (review, summarize(review))


_worker_table: FestivalTable | None = None


def _start_worker(table: FestivalTable) -> None:
    global _worker_table  # one table per worker process, sent once
    _worker_table = table


def _prepare_chunk(paths: Sequence[Path], festival: str | None) -> list[Prepared]:
    return [_prepare(path, festival, _worker_table) for path in paths]


async def _prepared(
    files: list[Path], festival: str | None, table: FestivalTable, workers: int | None
) -> AsyncIterator[tuple[Path, Prepared]]:
    """Each file with its parsed review and summary (or its rejection), in the order given."""
    if workers is None:
        workers = min(os.cpu_count() or 1, 4)
    if workers < 1 or len(files) < PARALLEL_FROM:
        for path in files:
            yield path, _prepare(path, festival, table)
        return
    # spawn, not fork: this process runs threads (the database connections), which fork would copy mid-flight.
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker, initargs=(table,)
    )
    try:
        chunks = [files[i : i + _CHUNK] for i in range(0, len(files), _CHUNK)]
        pending: collections.deque[tuple[list[Path], Future[list[Prepared]]]] = collections.deque()
        ahead = workers * 4  # chunks in flight: enough to keep the workers busy while this process writes
        for chunk in chunks:
            pending.append((chunk, pool.submit(_prepare_chunk, chunk, festival)))
            if len(pending) >= ahead:
                paths, future = pending.popleft()
                for path, prepared in zip(paths, await asyncio.wrap_future(future), strict=True):
                    yield path, prepared
        while pending:
            paths, future = pending.popleft()
            for path, prepared in zip(paths, await asyncio.wrap_future(future), strict=True):
                yield path, prepared
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


async def ensure_seeded(store: Store, reviews_dir: Path, table: FestivalTable | None = None) -> None:
    """Load the shipped reviews once, so a fresh clone answers for *Return to Dust* with no other step.

    They are a back catalogue: stored, never announced.
    """
    if await store.get_meta(SEEDED_KEY) or not reviews_dir.is_dir():
        return
    outcomes = await ingest_paths(store, [reviews_dir], table=table, announce=False)
    for outcome in outcomes:
        if outcome.status == "rejected":
            log.warning("shipped review not loaded: %s", outcome.line())
    await store.set_meta(SEEDED_KEY, str(len(outcomes)))
