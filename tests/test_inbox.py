"""The inbox: files dropped in are ingested once complete, never half-written, never twice, never lost."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.domain.festivals import FestivalTable
from bot.domain.models import IngestStatus, Review
from bot.health import TaskState
from bot.sources.inbox import QUIET_SECONDS, InboxWatcher
from bot.sources.inbox_files import is_candidate_name, move_without_overwrite
from bot.sources.ingest import FileOutcome
from bot.sources.workers import WorkerPool
from bot.storage import deliveries
from bot.storage.connection import Connection
from bot.storage.ledger import Ledger
from bot.storage.store import Store, open_store
from tests.conftest import second_critic, sqlite_only
from tests.workerjobs import alive, install_slow_parse

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = Path(__file__).resolve().parent.parent / "bot" / "shipped" / "reviews" / "return-to-dust.txt"
WAIT = 5.0  # upper bound on any wait
#: The quiet period for tests that are not about it (the bot's default is 2 s).
FAST = 0.3


def review_text() -> str:
    return SEED.read_text(encoding="utf-8")


class Outcomes:
    """Collects the watcher's outcomes so tests wait for them instead of sleeping."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[FileOutcome] = asyncio.Queue()
        self.seen: list[FileOutcome] = []

    def __call__(self, outcome: FileOutcome) -> None:
        self.seen.append(outcome)
        self.queue.put_nowait(outcome)

    async def next(self, timeout: float = WAIT) -> FileOutcome:
        async with asyncio.timeout(timeout):
            return await self.queue.get()


class CountingStore:
    """Counts Store.ingest calls on the real store, to prove nothing is ingested twice."""

    def __init__(self, store: Store) -> None:
        self.calls = 0
        original = store.ingest

        async def ingest(review: Review, **kwargs: Any) -> IngestStatus:
            self.calls += 1
            return await original(review, **kwargs)

        store.ingest = ingest  # type: ignore[method-assign]


@contextlib.asynccontextmanager
async def running(
    store: Store, inbox: Path, festivals: FestivalTable, **options: object
) -> AsyncIterator[tuple[InboxWatcher, Outcomes]]:
    outcomes = Outcomes()
    options.setdefault("settle", FAST)
    watcher = InboxWatcher(store, inbox, table=festivals, on_outcome=outcomes, **options)  # type: ignore[arg-type]
    task = asyncio.create_task(watcher.run())
    try:
        async with asyncio.timeout(WAIT):
            await watcher.ready.wait()
        yield watcher, outcomes
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


async def test_dropped_file_is_ingested_and_moved_to_done(store: Store, inbox: Path, festivals: FestivalTable) -> None:
    async with running(store, inbox, festivals) as (_watcher, outcomes):
        (inbox / "return-to-dust.txt").write_text(review_text(), encoding="utf-8")
        outcome = await outcomes.next()
    assert outcome.status == "added"
    assert outcome.title == "Return To Dust"
    assert outcome.path == (inbox / "done" / "return-to-dust.txt").resolve()
    assert outcome.path.is_file()
    assert not (inbox / "return-to-dust.txt").exists()
    assert await store.count() == 1


async def test_half_written_file_is_not_read_before_it_is_complete(
    store: Store, inbox: Path, festivals: FestivalTable
) -> None:
    text = review_text()
    # Cut before the header line: read at this point, the file would be rejected ("no header line").
    cut = text.index("Dir/Scr:")
    async with running(store, inbox, festivals, settle=0.3) as (_watcher, outcomes):
        path = inbox / "slow-copy.txt"
        with path.open("w", encoding="utf-8") as handle:
            handle.write(text[:cut])
            handle.flush()
            os.fsync(handle.fileno())
            await asyncio.sleep(0.2)  # an editor pausing mid-write, shorter than the settle interval
            handle.write(text[cut:])
        outcome = await outcomes.next()
        await asyncio.sleep(0.5)  # room for a second (wrong) outcome to show up
    assert outcome.status == "added", outcome.reason
    stored = await store.get(outcome.review_id or 0)
    assert stored is not None
    assert stored.review.cast[-1] == "Wang Cailan"  # the very end of the file made it in
    assert len(outcomes.seen) == 1
    assert not list((inbox / "rejected").iterdir())


async def test_temporary_and_hidden_names_are_ignored_until_renamed(
    store: Store, inbox: Path, festivals: FestivalTable
) -> None:
    ignored = [".hidden.txt", "review.txt.part", "review.tmp", "~review.txt", "review.txt~"]
    for name in ignored:
        assert not is_candidate_name(name)
    async with running(store, inbox, festivals) as (_watcher, outcomes):
        for name in ignored:
            (inbox / name).write_text(review_text(), encoding="utf-8")
        with pytest.raises(TimeoutError):
            await outcomes.next(timeout=1.0)
        os.rename(inbox / "review.txt.part", inbox / "review.txt")  # the download finished
        outcome = await outcomes.next()
    assert outcome.status == "added"
    assert outcome.path.name == "review.txt"
    remaining = sorted(p.name for p in inbox.iterdir() if p.is_file())
    assert remaining == sorted(set(ignored) - {"review.txt.part"})


async def test_rejected_file_moves_to_rejected_with_an_error_file_naming_the_reason(
    store: Store, inbox: Path, festivals: FestivalTable
) -> None:
    async with running(store, inbox, festivals) as (_watcher, outcomes):
        (inbox / "notes.txt").write_text("Just a note to self, no review here.\n", encoding="utf-8")
        outcome = await outcomes.next()
    assert outcome.status == "rejected"
    assert outcome.path == (inbox / "rejected" / "notes.txt").resolve()
    error = (inbox / "rejected" / "notes.txt.error.txt").read_text(encoding="utf-8")
    assert "no header line" in error
    assert "notes.txt" in error
    assert await store.count() == 0


async def test_name_collisions_get_a_suffix_and_never_overwrite(
    store: Store, inbox: Path, festivals: FestivalTable
) -> None:
    done = inbox / "done"
    done.mkdir()
    (done / "review.txt").write_text("an earlier file, kept as it is", encoding="utf-8")
    (inbox / "rejected").mkdir()
    (inbox / "rejected" / "bad.txt").write_text("an earlier rejected file", encoding="utf-8")
    async with running(store, inbox, festivals) as (_watcher, outcomes):
        (inbox / "review.txt").write_text(review_text(), encoding="utf-8")
        first = await outcomes.next()
        (inbox / "bad.txt").write_bytes(b"\x00\x01\x02 binary")
        second = await outcomes.next()
    assert first.path.name == "review (2).txt"
    assert (done / "review.txt").read_text(encoding="utf-8") == "an earlier file, kept as it is"
    assert second.status == "rejected"
    assert second.path.name == "bad (2).txt"
    assert (inbox / "rejected" / "bad.txt").read_text(encoding="utf-8") == "an earlier rejected file"
    assert (inbox / "rejected" / "bad (2).txt.error.txt").is_file()


def test_move_without_overwrite_skips_names_taken_by_an_error_file(tmp_path: Path) -> None:
    folder = tmp_path / "rejected"
    folder.mkdir()
    (folder / "x.txt.error.txt").write_text("left over", encoding="utf-8")
    source = tmp_path / "x.txt"
    source.write_text("new", encoding="utf-8")
    target = move_without_overwrite(source, folder)
    assert target.name == "x (2).txt"
    assert not source.exists()


async def test_files_left_in_the_inbox_are_processed_on_start_and_never_twice(
    database: Path | str, inbox: Path, festivals: FestivalTable
) -> None:
    db = database
    (inbox / "left-over.txt").write_text(review_text(), encoding="utf-8")
    (inbox / "broken.txt").write_text("", encoding="utf-8")
    async with open_store(db) as store:
        counter = CountingStore(store)
        async with running(store, inbox, festivals) as (_watcher, outcomes):
            got = {(await outcomes.next()).status, (await outcomes.next()).status}
        assert got == {"added", "rejected"}
        assert counter.calls == 1

    # A restart over the same folders and database: done/ and rejected/ are not read again.
    async with open_store(db) as store:
        counter = CountingStore(store)
        async with running(store, inbox, festivals) as (_watcher, outcomes):
            with pytest.raises(TimeoutError):
                await outcomes.next(timeout=1.0)
        assert counter.calls == 0
        assert await store.count() == 1
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["left-over.txt"]
    assert sorted(p.name for p in (inbox / "rejected").iterdir()) == ["broken.txt", "broken.txt.error.txt"]


async def test_a_file_seen_again_after_a_crash_is_not_ingested_as_new(
    store: Store, inbox: Path, festivals: FestivalTable
) -> None:
    # Simulate a crash between ingest and move: the same file is still in the inbox at the next start.
    path = inbox / "review.txt"
    path.write_text(review_text(), encoding="utf-8")
    watcher = InboxWatcher(store, inbox, table=festivals)
    first = await watcher.process(path)
    (inbox / "review.txt").write_text(review_text(), encoding="utf-8")
    again = await watcher.process_existing()
    assert first.status == "added"
    assert [o.status for o in again] == ["unchanged"]
    assert await store.count() == 1


async def test_many_writes_to_one_file_give_one_ingest(store: Store, inbox: Path, festivals: FestivalTable) -> None:
    counter = CountingStore(store)
    text = review_text()
    async with running(store, inbox, festivals) as (_watcher, outcomes):
        with (inbox / "chunks.txt").open("w", encoding="utf-8") as handle:
            for start in range(0, len(text), 500):
                handle.write(text[start : start + 500])
                handle.flush()
                await asyncio.sleep(0.01)
        outcome = await outcomes.next()
        await asyncio.sleep(0.6)
    assert outcome.status == "added"
    assert counter.calls == 1
    assert len(outcomes.seen) == 1


async def test_a_corrected_file_dropped_again_updates_the_review(
    store: Store, inbox: Path, festivals: FestivalTable
) -> None:
    """The same critic's review of the same film, corrected: its content says it is the review stored."""
    text = second_critic("Jane Critic", url=None)
    async with running(store, inbox, festivals) as (_watcher, outcomes):
        (inbox / "dust.txt").write_text(text, encoding="utf-8")
        first = await outcomes.next()
        (inbox / "dust.txt").write_text(text.replace("131 mins", "132 mins"), encoding="utf-8")
        second = await outcomes.next()
    assert (first.status, second.status) == ("added", "updated")
    assert first.review_id == second.review_id
    assert second.path.name == "dust (2).txt"
    stored = await store.get(second.review_id or 0)
    assert stored is not None and stored.review.runtime_minutes == 132
    assert await store.count() == 1


async def test_an_unsigned_review_changed_and_dropped_again_is_kept_beside_the_first(
    store: Store, inbox: Path, festivals: FestivalTable
) -> None:
    """With no outlet, critic or URL to say it is the same review, a changed text never replaces the first."""
    text = review_text()
    async with running(store, inbox, festivals) as (_watcher, outcomes):
        (inbox / "dust.txt").write_text(text, encoding="utf-8")
        first = await outcomes.next()
        (inbox / "dust.txt").write_text(text.replace("131 mins", "132 mins"), encoding="utf-8")
        second = await outcomes.next()
    assert (first.status, second.status) == ("added", "added")
    runtimes = [(await store.get(o.review_id or 0)).review.runtime_minutes for o in (first, second)]  # type: ignore[union-attr]
    assert runtimes == [131, 132]


async def test_process_is_safe_when_the_file_is_already_gone(
    store: Store, inbox: Path, festivals: FestivalTable
) -> None:
    calls: list[FileOutcome] = []
    hook: Callable[[FileOutcome], None] = calls.append
    watcher = InboxWatcher(store, inbox, table=festivals, on_outcome=hook)
    outcome = await watcher.process(inbox / "never-there.txt")
    assert outcome.status == "missing"
    assert calls == []


def other_film_text() -> str:
    """A review of another film, for dropping under a name the inbox has seen before."""
    return (
        "A fisherman's widow keeps the harbour light\n\nThe Lamplighter\n\n"
        "Dir: Ana Lima. Portugal. 2023. 98 mins\n\n"
        "A widow keeps the harbour light burning through a long winter, and the village comes to her.\n"
    )


async def _deliveries(store: Store) -> list[tuple[int, str, str]]:
    rows = await store.reads.fetchall("SELECT review_id, action, state FROM deliveries ORDER BY id")
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


async def test_a_reused_file_name_is_a_new_review_announced_as_new(
    store: Store, inbox: Path, festivals: FestivalTable
) -> None:
    """The reported defect: a second ``review.txt`` replaced the first and edited its announcement."""
    await Ledger(store).subscribe(guild_id=1, channel_id=2, festival=None)
    async with running(store, inbox, festivals) as (_watcher, outcomes):
        (inbox / "review.txt").write_text(review_text(), encoding="utf-8")
        first = await outcomes.next()
        # The first review's announcement went out.
        (delivery,) = await store.reads.fetchall("SELECT id FROM deliveries")
        await store.write(deliveries.record_sent, int(delivery[0]), 555, None)
        (inbox / "review.txt").write_text(other_film_text(), encoding="utf-8")
        second = await outcomes.next()
    assert (first.status, second.status) == ("added", "added")
    assert first.review_id != second.review_id
    titles = {(await store.get(o.review_id or 0)).review.title for o in (first, second)}  # type: ignore[union-attr]
    assert titles == {"Return To Dust", "The Lamplighter"}
    assert await _deliveries(store) == [
        (first.review_id, "post", "sent"),  # the first announcement is left alone
        (second.review_id, "post", "queued"),  # and the second review is announced as new
    ]


# ------------------------------------------------------------------------------------- slow copies


@pytest.mark.parametrize("cut_before", ["a fifth of the file", "the header line"])
async def test_a_copy_that_pauses_is_read_only_once_complete(
    store: Store, inbox: Path, festivals: FestivalTable, cut_before: str
) -> None:
    text = review_text()
    cut = len(text) // 5 if cut_before == "a fifth of the file" else text.index("Dir/Scr:")
    # The bot's own quiet period (the default), not the tests' short one.
    async with running(store, inbox, festivals, settle=QUIET_SECONDS) as (_watcher, outcomes):
        with (inbox / "slow-copy.txt").open("w", encoding="utf-8") as handle:
            handle.write(text[:cut])
            handle.flush()
            await asyncio.sleep(0.5)  # a network copy stalling
            handle.write(text[cut:])
        outcome = await outcomes.next()
        await asyncio.sleep(0.5)  # room for a second (wrong) outcome to show up
    assert outcome.status == "added", outcome.reason
    stored = await store.get(outcome.review_id or 0)
    assert stored is not None
    assert len(stored.review.body) == 7 and stored.review.cast[-1] == "Wang Cailan"
    assert len(outcomes.seen) == 1
    assert not list((inbox / "rejected").iterdir())


def test_the_inbox_waits_as_long_as_the_settings_say_by_default() -> None:
    assert Settings(_env_file=None).inbox_quiet_seconds == QUIET_SECONDS


@pytest.mark.parametrize("temporary", [".dust.txt", "dust.txt.part", ".dust.txt.Xa81zq"])
async def test_a_file_renamed_into_place_is_read_without_the_quiet_period(
    store: Store, inbox: Path, festivals: FestivalTable, temporary: str
) -> None:
    async with running(store, inbox, festivals, settle=120.0) as (_watcher, outcomes):
        with (inbox / temporary).open("w", encoding="utf-8") as handle:
            text = review_text()
            for start in range(0, len(text), 1000):  # written slowly, under its temporary name
                handle.write(text[start : start + 1000])
                handle.flush()
                await asyncio.sleep(0.05)
        os.rename(inbox / temporary, inbox / "dust.txt")
        outcome = await outcomes.next()  # well before the quiet period of two minutes
    assert outcome.status == "added"
    assert outcome.path.name == "dust.txt"


# -------------------------------------------------------------------------------------- bad names


async def test_a_name_that_is_not_utf8_is_rejected_and_the_watch_lives_on(
    store: Store, inbox: Path, festivals: FestivalTable
) -> None:
    bad = os.path.join(os.fsencode(inbox), b"bad\xff.txt")
    async with running(store, inbox, festivals) as (_watcher, outcomes):
        with open(bad, "wb") as handle:
            handle.write(review_text().encode("utf-8"))
        rejected = await outcomes.next()
        (inbox / "good.txt").write_text(review_text(), encoding="utf-8")
        good = await outcomes.next()
    assert rejected.status == "rejected"
    assert rejected.path == inbox.resolve() / "rejected" / "bad%FF.txt"
    assert rejected.path.read_text(encoding="utf-8") == review_text()
    note = (inbox / "rejected" / "bad%FF.txt.error.txt").read_text(encoding="utf-8")
    assert "not UTF-8" in note and "b'bad\\xff.txt'" in note  # the original name, byte for byte
    assert (good.status, good.path.name) == ("added", "good.txt")  # the watch is still running
    assert not os.path.exists(bad)


async def test_a_name_that_is_not_utf8_left_from_before_a_restart_is_rejected_on_start(
    store: Store, inbox: Path, festivals: FestivalTable
) -> None:
    with open(os.path.join(os.fsencode(inbox), b"caf\xe9.txt"), "wb") as handle:
        handle.write(b"anything")
    async with running(store, inbox, festivals) as (_watcher, outcomes):
        rejected = await outcomes.next()
        (inbox / "good.txt").write_text(review_text(), encoding="utf-8")
        good = await outcomes.next()
    assert rejected.path.name == "caf%E9.txt"
    assert good.status == "added"


# --------------------------------------------------------------------------- failures that pass


def health(watcher: InboxWatcher) -> tuple[TaskState, str | None]:
    return watcher.status.current.state, watcher.status.current.problem


async def test_a_file_that_meets_a_locked_database_stays_and_is_stored_once_it_is_free(
    impatient_store: Store, inbox: Path, festivals: FestivalTable
) -> None:
    store = impatient_store
    holder = sqlite3.connect(store.location, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    try:
        async with running(store, inbox, festivals) as (watcher, outcomes):
            (inbox / "dust.txt").write_text(review_text(), encoding="utf-8")
            waiting = await outcomes.next()
            assert (waiting.status, waiting.reason) == ("retrying", "database is locked")
            assert (inbox / "dust.txt").exists()
            assert health(watcher) == (TaskState.RETRYING, "1 file waiting to be stored (database is locked)")
            holder.execute("COMMIT")
            stored = await outcomes.next(timeout=2 * WAIT)
            while stored.status == "retrying":  # it may meet the lock once more before the commit
                stored = await outcomes.next(timeout=2 * WAIT)
            assert health(watcher) == (TaskState.RUNNING, None)
    finally:
        holder.close()
    assert stored.status == "added"
    assert stored.path == (inbox / "done" / "dust.txt").resolve()
    assert await store.count() == 1


@sqlite_only  # the full disk is SQLite's max_page_count
async def test_a_file_that_meets_a_full_disk_stays_and_is_stored_once_there_is_room(
    store: Store, inbox: Path, festivals: FestivalTable
) -> None:
    def fill(conn: Connection, pages: int) -> None:
        conn.execute(f"PRAGMA max_page_count = {pages}")  # the database cannot grow: as a full disk

    with contextlib.closing(sqlite3.connect(store.location)) as other:
        other.execute("VACUUM")  # no free pages left in the file to write into
        (pages,) = other.execute("PRAGMA page_count").fetchone()
    await store.write(fill, pages)
    async with running(store, inbox, festivals) as (_watcher, outcomes):
        (inbox / "dust.txt").write_text(review_text(), encoding="utf-8")
        waiting = await outcomes.next()
        assert (waiting.status, waiting.reason) == ("retrying", "database or disk is full")
        assert await store.count() == 0  # nothing half-written
        await store.write(fill, 1_000_000)
        stored = await outcomes.next(timeout=2 * WAIT)
    assert stored.status == "added"
    assert await store.count() == 1


# ------------------------------------------------------------------------------------ slow reading


async def test_a_file_that_takes_too_long_to_read_is_rejected_and_the_next_is_read(
    store: Store, inbox: Path, festivals: FestivalTable, tmp_path: Path
) -> None:
    marker = tmp_path / "endless"
    endless = review_text().replace("Return To Dust", f"Return To Dust ENDLESS-PARSE {marker}")
    async with (
        WorkerPool(workers=1, time_limit=1.0, setup=install_slow_parse) as pool,
        running(store, inbox, festivals, jobs=pool) as (_watcher, outcomes),
    ):
        (inbox / "hostile.txt").write_text(endless, encoding="utf-8")
        rejected = await outcomes.next(timeout=3 * WAIT)
        (inbox / "dust.txt").write_text(review_text(), encoding="utf-8")
        added = await outcomes.next(timeout=3 * WAIT)
    assert rejected.status == "rejected"
    assert rejected.reason == "reading it took longer than 1 s, so it was stopped"
    assert rejected.path == (inbox / "rejected" / "hostile.txt").resolve()
    note = (inbox / "rejected" / "hostile.txt.error.txt").read_text(encoding="utf-8")
    assert "longer than 1 s" in note
    assert not alive(int(marker.with_suffix(".started").read_text()))  # its worker was stopped
    assert added.status == "added"  # by a fresh worker
    assert await store.count() == 1
