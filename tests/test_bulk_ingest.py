"""Bulk ingest: several reviews per transaction, with each file's outcome as if stored alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.domain.festivals import FestivalTable
from bot.parsing.parser import parse_review_text
from bot.sources.ingest import ingest_file, ingest_paths
from bot.storage import review_writes
from bot.storage.ledger import Ledger
from bot.storage.store import Incoming, Store, open_store
from tests.conftest import FIXTURES, SEED, TABLES, Databases, second_critic

#: Left out: the times, and PostgreSQL's rowid column (SQLite's rowid, which SQLite does not list as a column).
_LEFT_OUT = {"created_at", "updated_at", "rowid"}
#: The order rows were written in: SQLite's rowid, and on PostgreSQL the id (or the column named rowid).
_ORDER = {"meta": "key", "credits": "rowid", "sales_contacts": "rowid"}


async def _contents(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows in the order written, as both engines list them (times left out)."""
    contents = {}
    for table in TABLES:
        if isinstance(store.location, Path):
            listed = await store.reads.fetchall(f"SELECT name FROM pragma_table_info('{table}')")
        else:
            listed = await store.reads.fetchall(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = ? ORDER BY ordinal_position",
                (table,),
            )
        columns = [str(row[0]) for row in listed if row[0] not in _LEFT_OUT]
        rows = await store.reads.fetchall(
            f"SELECT {', '.join(columns)} FROM {table} ORDER BY {_ORDER.get(table, 'id')}"
        )
        contents[table] = [tuple(row) for row in rows]
    return contents


def _mixed_folder(folder: Path) -> list[Path]:
    """New reviews, a copy (unchanged), another critic's review of a film (added), a corrected copy of that
    one under another name (updated: the same critic on the same film), a file that is no review."""
    folder.mkdir()
    for path in sorted((FIXTURES / "reviews").glob("*.txt")):
        (folder / path.name).write_bytes(path.read_bytes())
    seed = SEED.read_text(encoding="utf-8")
    jane = second_critic("Jane Critic", url=None)
    (folder / "z1-copy.txt").write_text(seed, encoding="utf-8")
    (folder / "z2-jane.txt").write_text(jane, encoding="utf-8")
    (folder / "z3-jane-edit.txt").write_text(jane.replace("131 mins", "132 mins"), encoding="utf-8")
    (folder / "z4-noise.txt").write_bytes(bytes(range(256)) * 4)
    return sorted(folder.glob("*.txt"))


async def _subscribed(store: Store) -> None:
    await Ledger(store).subscribe(guild_id=1, channel_id=2, festival=None)


async def test_batch_equals_one_file_at_a_time(databases: Databases, tmp_path: Path, festivals: FestivalTable) -> None:
    files = _mixed_folder(tmp_path / "in")
    async with open_store(databases.new("alone")) as alone, open_store(databases.new("batch")) as batched:
        await _subscribed(alone)
        one_by_one = [await ingest_file(alone, path, table=festivals) for path in files]
        await _subscribed(batched)
        together = await ingest_paths(batched, [tmp_path / "in"], table=festivals)
        assert [(o.path, o.status, o.review_id, o.reason) for o in together] == [
            (o.path, o.status, o.review_id, o.reason) for o in one_by_one
        ]
        assert {o.status for o in together} == {"added", "unchanged", "updated", "rejected"}
        assert await _contents(batched) == await _contents(alone)


async def test_batch_equals_one_file_at_a_time_with_workers(
    databases: Databases, tmp_path: Path, festivals: FestivalTable
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    seed = SEED.read_text(encoding="utf-8")
    for n in range(130):  # more than one batch, and enough for the worker processes
        (folder / f"r{n:03}.txt").write_text(seed.replace("Return To Dust", f"Return To Dust {n % 100}"), "utf-8")
    async with open_store(databases.new("alone")) as alone, open_store(databases.new("batch")) as batched:
        one_by_one = await ingest_paths(alone, [folder], table=festivals, workers=0)
        together = await ingest_paths(batched, [folder], table=festivals, workers=2)
        assert [(o.status, o.review_id) for o in together] == [(o.status, o.review_id) for o in one_by_one]
        assert [o.status for o in together].count("added") == 100
        assert await _contents(batched) == await _contents(alone)


async def test_a_review_that_fails_is_rolled_back_alone(
    store: Store, festivals: FestivalTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _subscribed(store)
    seed = SEED.read_text(encoding="utf-8")
    reviews = [parse_review_text(seed.replace("Return To Dust", title), table=festivals) for title in "ABC"]
    write_credits = review_writes.write_credits

    def explode_on_b(db: object, review_id: int, review: object) -> None:
        write_credits(db, review_id, review)  # type: ignore[arg-type]
        if review.title == "B":  # type: ignore[attr-defined]
            raise RuntimeError("disk on fire")  # after the review, its film and its credits were written

    monkeypatch.setattr(review_writes, "write_credits", explode_on_b)
    generation = store.reviews_generation
    results = await store.ingest_many([Incoming(r, source=r.title) for r in reviews])
    assert [getattr(r, "status", None) for r in results] == ["added", None, "added"]
    assert isinstance(results[1], RuntimeError)
    assert store.reviews_generation > generation
    contents = await _contents(store)
    assert sorted(row[1] for row in contents["films"]) == ["A", "C"]
    assert len(contents["reviews"]) == 2
    assert {row[0] for row in contents["credits"]} == {row[0] for row in contents["reviews"]}
    assert len(contents["deliveries"]) == 2  # queued with their reviews, none for the one rolled back


async def test_a_file_that_cannot_be_stored_is_reported_and_the_others_kept(
    store: Store, festivals: FestivalTable, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    files = _mixed_folder(tmp_path / "in")
    write = review_writes.write_review

    def refuse_cedar(db: object, review: object, *args: object) -> int:
        if review.title == "The Cedar Line":  # type: ignore[attr-defined]
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return write(db, review, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(review_writes, "write_review", refuse_cedar)
    outcomes = await ingest_paths(store, [tmp_path / "in"], table=festivals)
    assert [o.path for o in outcomes] == files
    refused = [o for o in outcomes if o.path.name == "the-cedar-line.txt"]
    assert refused[0].status == "rejected"
    assert refused[0].reason == "could not be stored (OverflowError: Python int too large to convert to SQLite INTEGER)"
    stored = [o for o in outcomes if o.status == "added"]
    assert len(stored) == len(list((FIXTURES / "reviews").glob("*.txt")))  # the fixtures but one, and Jane's
    assert await store.count() == len(stored)
