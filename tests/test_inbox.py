"""The inbox: files dropped in are ingested within 2 s, never half-written, never twice, never lost."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.domain.festivals import FestivalTable
from bot.domain.models import IngestStatus, Review
from bot.sources.inbox import InboxWatcher, is_candidate_name, move_without_overwrite
from bot.sources.ingest import FileOutcome
from bot.storage import deliveries
from bot.storage.ledger import Ledger
from bot.storage.store import Store, open_store
from tests.conftest import second_critic

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = Path(__file__).resolve().parent.parent / "data" / "reviews" / "return-to-dust.txt"
WAIT = 5.0  # upper bound on any wait; the 2 s promise is asserted separately


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


async def test_dropped_file_is_ingested_within_two_seconds_and_moved_to_done(
    store: Store, inbox: Path, festivals: FestivalTable
) -> None:
    async with running(store, inbox, festivals) as (_watcher, outcomes):
        started = time.monotonic()
        (inbox / "return-to-dust.txt").write_text(review_text(), encoding="utf-8")
        outcome = await outcomes.next()
        elapsed = time.monotonic() - started
    assert elapsed < 2.0, f"took {elapsed:.2f} s"
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
