"""Files and folders -> parser -> store, with a verdict per file."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import multiprocessing
import os
import stat
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from bot import metrics
from bot.domain.festivals import FestivalTable
from bot.domain.models import IngestStatus, Review, Summary
from bot.parsing.parser import parse_review_text
from bot.parsing.text_file import ReviewParseError, decode_review_bytes
from bot.sources.workers import IN_PROCESS, JobFailed, Jobs, die_with_parent
from bot.storage.connection import is_transient
from bot.storage.store import Incoming, Store
from bot.summary.summarizer import summarize

log = logging.getLogger(__name__)

REVIEW_SUFFIXES = (".txt", ".text")
#: A review file is tens of kilobytes; a larger one is a mistake (or /dev/zero), refused before reading.
MAX_FILE_BYTES = 5_000_000
SEEDED_KEY = "seeded"
#: From this many files on, reading, parsing and summarising run in worker processes (one per CPU,
#: at most four) while this process writes; below it, starting the workers costs more than it saves.
PARALLEL_FROM = 100
_CHUNK = 16  # files per task sent to a worker
_WORKER_NICENESS = 5  # how much lower the workers' scheduling priority is than this process's
#: Reviews stored per transaction by :func:`ingest_paths`. A commit writes every page it changed, and
#: consecutive reviews change many of the same ones, so fewer, larger commits write far less (writing
#: alone at 100,000 reviews: 3.0 ms a review one by one, 1.6 in 512s). 512 hold the write lock about a
#: second here, well inside the 5 s another connection (the running bot) waits for it.
BATCH = 512


class FileOutcome(BaseModel):
    """What happened to one file: ``added``, ``updated``, ``unchanged`` or ``rejected`` (with the reason);
    in the inbox also ``retrying`` (it could not be stored yet) or ``missing`` (gone before it was read)."""

    model_config = ConfigDict(frozen=True)

    path: Path
    status: str
    review_id: int | None = None
    title: str | None = None
    reason: str | None = None

    def line(self) -> str:
        if self.status in ("rejected", "retrying"):
            return f"{self.status:<10} {self.path}: {self.reason}"
        return f"{self.status:<10} {self.path}: {self.title} (#{self.review_id})"


async def store_review(
    store: Store,
    review: Review,
    *,
    source: str,
    announce: bool = True,
    audience: int | None = None,
    summary: Summary | None = None,
) -> IngestStatus:
    """The one way a parsed review enters the store, from any source: summarised, then stored.

    ``audience`` is the server told of a new review (the one whose feed brought it); None tells every
    subscription. ``summary``: already made where the review was parsed (a worker process), else made here.
    """
    return await store.ingest(
        review, source=source, summary=summary or summarize(review), announce=announce, audience=audience
    )


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


class FileTooLarge(ValueError):
    """A file refused before it was read whole; the message says why."""


def read_capped(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; raises :class:`FileTooLarge` otherwise.

    The size is checked before reading (a device such as ``/dev/zero`` or a FIFO is never opened for
    reading) and again while reading, at most ``limit + 1`` bytes, in case the file grew meanwhile.
    """
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise FileTooLarge("not a regular file")
    if info.st_size > limit:
        raise FileTooLarge(f"larger than {limit:,} bytes ({info.st_size:,})")
    with path.open("rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(f"larger than {limit:,} bytes")
    return data


def read_review(path: Path, festival: str | None, table: FestivalTable | None) -> Review | FileOutcome:
    """One file read and parsed, or its rejection (nothing is stored either way)."""
    try:
        data = read_capped(path)
    except FileTooLarge as exc:
        return FileOutcome(path=path, status="rejected", reason=f"cannot read the file: {exc}")
    except OSError as exc:
        return FileOutcome(path=path, status="rejected", reason=f"cannot read the file ({exc.strerror or exc})")
    try:
        return parse_review_text(decode_review_bytes(data, str(path)), source=str(path), festival=festival, table=table)
    except ReviewParseError as exc:
        return FileOutcome(path=path, status="rejected", reason=exc.reason)


async def ingest_file(
    store: Store,
    path: Path,
    *,
    festival: str | None = None,
    table: FestivalTable | None = None,
    announce: bool = True,
    by_path: bool = True,
    jobs: Jobs = IN_PROCESS,
) -> FileOutcome:
    """Read, parse, summarise and store one file; a file that cannot be read or parsed is rejected whole.

    ``by_path``: the file's path identifies its review, so an edited file updates the review it gave
    before. False for a file whose name says nothing (an inbox drop: names like ``review.txt`` are
    reused for other films); then only its URL or content can say it is a review already stored.

    ``jobs`` is where the reading runs: the running bot passes its :class:`~bot.sources.workers.WorkerPool`,
    and a file whose reading outlasts the pool's time limit is rejected with that reason. A review the
    store refuses is rejected as :func:`ingest_paths` rejects it, except for a failure that passes (a
    locked database, a full disk: see :func:`~bot.storage.connection.is_transient`), which is raised
    for the caller to try again. Nothing of a rejected file is stored.
    """
    try:
        prepared = await jobs.run(_prepare, path, festival, table, announce)
    except JobFailed as exc:
        return FileOutcome(path=path, status="rejected", reason=exc.reason)
    if isinstance(prepared, FileOutcome):
        return prepared
    try:
        result: IngestStatus | Exception = await store.ingest(
            prepared.review,
            source=prepared.source if by_path else None,
            summary=prepared.summary,
            announce=prepared.announce,
        )
    except Exception as exc:
        if is_transient(exc):
            raise
        result = exc
    return _outcome(path, result)


async def ingest_paths(
    store: Store,
    paths: Iterable[Path],
    *,
    festival: str | None = None,
    table: FestivalTable | None = None,
    announce: bool = True,
    workers: int | None = None,
    report: Callable[[FileOutcome], None] | None = None,
) -> list[FileOutcome]:
    """Every file, in order, as :func:`ingest_file` would store it, with one outcome per file.

    The files are stored in order, :data:`BATCH` to a transaction (see :meth:`Store.ingest_many`):
    a file whose review cannot be stored is rolled back alone and reported as rejected with the
    reason, and the others are stored. With many files, worker processes read, parse and
    summarise ahead (``workers``: how many; None picks one per CPU, at most four; 0 keeps
    everything in this process); the outcome is the same either way. The workers are started with
    ``spawn``, so a script that calls this with many files needs the ``if __name__ == "__main__":`` guard.
    ``report`` sees each outcome as soon as its batch is stored (``festbot ingest`` prints it then).
    """
    table = table or FestivalTable.load()
    files = list(expand_paths(paths))
    outcomes: list[FileOutcome] = []
    batch: list[tuple[Path, Prepared]] = []
    reviews = 0  # in the batch, rejected files aside
    # PostgreSQL's planner statistics as the tables grow, each time they have doubled: planned for empty
    # tables, a film's refresh reads every credit, and a load of 100,000 stalled near 4 reviews a second at
    # 33,000 on a server with autovacuum off (85 a second again after one ANALYZE). A no-op on SQLite.
    analyse_at = 2 * BATCH
    # While one batch is written (on the store's thread), the next is collected from the workers.
    writing: asyncio.Task[list[FileOutcome]] | None = None
    try:
        # aclosing: if a write fails, the worker processes are stopped now, not when the generator is collected.
        async with contextlib.aclosing(_prepared(files, festival, table, announce, workers)) as prepared_files:
            async for path, prepared in prepared_files:
                batch.append((path, prepared))
                reviews += isinstance(prepared, Incoming)
                if reviews >= BATCH:
                    if writing is not None:
                        outcomes += await writing
                        if len(outcomes) >= analyse_at:
                            await store.refresh_statistics()
                            analyse_at *= 2
                    writing = asyncio.create_task(_store_batch(store, batch, report))
                    batch, reviews = [], 0
        if writing is not None:
            outcomes += await writing
        outcomes += await _store_batch(store, batch, report)
    finally:
        if writing is not None:  # if reading failed, the batch being written still finishes first
            await asyncio.gather(writing, return_exceptions=True)
    if len(files) >= BATCH:
        await store.refresh_statistics()
    return outcomes


async def _store_batch(
    store: Store, batch: list[tuple[Path, Prepared]], report: Callable[[FileOutcome], None] | None
) -> list[FileOutcome]:
    """Store the batch's reviews in one transaction; every file's outcome, in order, logged."""
    incoming = [prepared for _, prepared in batch if isinstance(prepared, Incoming)]
    results = iter(await store.ingest_many(incoming))
    outcomes = []
    for path, prepared in batch:
        outcome = prepared if isinstance(prepared, FileOutcome) else _outcome(path, next(results))
        log.info("%s", outcome.line())
        outcomes.append(outcome)
        if report is not None:
            report(outcome)
    return outcomes


def _outcome(path: Path, result: IngestStatus | Exception) -> FileOutcome:
    if isinstance(result, Exception):
        log.error("%s could not be stored", path, exc_info=result)
        return FileOutcome(
            path=path, status="rejected", reason=f"could not be stored ({type(result).__name__}: {result})"
        )
    metrics.ingested("file", result.status)
    return FileOutcome(path=path, status=result.status, review_id=result.review_id, title=result.title)


#: A file read, parsed and summarised, ready to store; or its rejection.
Prepared = FileOutcome | Incoming


def _prepare(path: Path, festival: str | None, table: FestivalTable | None, announce: bool) -> Prepared:
    review = read_review(path, festival, table)
    if isinstance(review, FileOutcome):
        return review
    return Incoming(review, _source(path), summarize(review), announce)


def _source(path: Path) -> str:
    """How a file is known in the store: an edited file updates the review it gave before."""
    return f"file:{path.resolve()}"


_worker_table: FestivalTable | None = None


def _start_worker(table: FestivalTable, parent: int) -> None:
    global _worker_table  # one table per worker process, sent once
    _worker_table = table
    die_with_parent(parent)  # killed with festbot, even by SIGKILL, rather than left running for ever
    # The one writer is the pipeline's narrowest point: when the CPUs are all busy, it goes first and
    # the workers, which run ahead, take what is left (10k files on 2 CPUs: 510 -> 545 reviews/s).
    if hasattr(os, "nice"):
        os.nice(_WORKER_NICENESS)


def _prepare_chunk(paths: Sequence[Path], festival: str | None, announce: bool) -> list[Prepared]:
    return [_prepare(path, festival, _worker_table, announce) for path in paths]


async def _prepared(
    files: list[Path], festival: str | None, table: FestivalTable, announce: bool, workers: int | None
) -> AsyncGenerator[tuple[Path, Prepared], None]:
    """Each file with its parsed review and summary (or its rejection), in the order given."""
    if workers is None:
        workers = min(os.cpu_count() or 1, 4)
    if workers < 1 or len(files) < PARALLEL_FROM:
        for path in files:
            yield path, _prepare(path, festival, table, announce)
        return
    # spawn, not fork: this process runs threads (the database connections), which fork would copy mid-flight.
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(table, os.getpid()),
    )
    try:
        chunks = [files[i : i + _CHUNK] for i in range(0, len(files), _CHUNK)]
        pending: collections.deque[tuple[list[Path], Future[list[Prepared]]]] = collections.deque()
        ahead = workers * 4  # chunks in flight: enough to keep the workers busy between two looks
        for chunk in chunks:
            pending.append((chunk, pool.submit(_prepare_chunk, chunk, festival, announce)))
            if len(pending) >= ahead:
                paths, future = pending.popleft()
                done: list[Prepared] = await asyncio.wrap_future(future)
                for path, prepared in zip(paths, done, strict=True):
                    yield path, prepared
        while pending:
            paths, future = pending.popleft()
            done = await asyncio.wrap_future(future)
            for path, prepared in zip(paths, done, strict=True):
                yield path, prepared
    except BaseException:
        # Stopped (SIGTERM, a failed write): the chunks the workers are reading will never be stored, so
        # they end now rather than finish them, and the command exits at once instead of seconds later.
        _terminate_workers(pool)
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _terminate_workers(pool: ProcessPoolExecutor) -> None:
    # The executor has no public way to stop a running job; its worker processes are in ``_processes``.
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(Exception):
            process.terminate()


async def ensure_seeded(store: Store, reviews_dir: Path, table: FestivalTable | None = None) -> None:
    """Load the shipped reviews into an empty database, so a fresh clone answers for *Return to Dust*.

    They are a back catalogue: stored, never announced. A database that already holds reviews (its
    first command may have been ``festbot ingest``) never gets them: they are examples, not coverage,
    and loaded later they would sit among the newsroom's own reviews of the same films.
    """
    if await store.get_meta(SEEDED_KEY) or not reviews_dir.is_dir():
        return
    if await store.count():
        await store.set_meta(SEEDED_KEY, "0")  # once: deleting every review later does not bring them back
        return
    outcomes = await ingest_paths(store, [reviews_dir], table=table, announce=False)
    for outcome in outcomes:
        if outcome.status == "rejected":
            log.warning("shipped review not loaded: %s", outcome.line())
    await store.set_meta(SEEDED_KEY, str(len(outcomes)))
