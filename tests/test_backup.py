"""Backups and upgrades: an online copy while the store writes, a backup before every migration, a database
newer than the code refused, and a restore that brings a backup back (and keeps what it replaced).

SQLite only: these are the SQLite file's operations (PostgreSQL's are pg_dump and pg_restore; its refusal,
and its own schema-version checks, are in ``tests/test_postgres.py``)."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.domain.festivals import FestivalTable
from bot.domain.text import fold
from bot.parsing.parser import parse_review_text
from bot.storage.connection import StoreError
from bot.storage.migrations import latest_version, migrations
from bot.storage.sqlite_files import backup, restore
from bot.storage.store import open_store

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "bot" / "shipped" / "reviews" / "return-to-dust.txt"


def _count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM reviews").fetchone()[0])


def _version(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _titled(festivals: FestivalTable, title: str) -> object:
    return parse_review_text(SEED.read_text(encoding="utf-8").replace("Return To Dust", title), table=festivals)


async def test_an_online_backup_is_a_consistent_snapshot_while_reviews_are_written(
    tmp_path: Path, festivals: FestivalTable
) -> None:
    db = tmp_path / "live.db"
    async with open_store(db) as store:
        stop = asyncio.Event()

        async def keep_writing() -> int:
            written = 0
            while not stop.is_set():
                await store.ingest(_titled(festivals, f"Film {written}"), source=f"s{written}")  # type: ignore[arg-type]
                written += 1
            return written

        writer = asyncio.create_task(keep_writing())
        while await store.count() < 5:
            await asyncio.sleep(0.01)
        copies = []
        for n in range(3):
            target = tmp_path / f"copy{n}.db"
            await asyncio.to_thread(backup, db, target)
            copies.append(target)
        stop.set()
        written = await writer
    counts = [_count(copy) for copy in copies]
    assert counts == sorted(counts) and counts[0] >= 5 and counts[-1] <= written
    for copy in copies:
        with sqlite3.connect(copy) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            # Every review in the copy is whole: its film and credits came with it.
            orphans = conn.execute(
                "SELECT count(*) FROM reviews r LEFT JOIN films f ON f.id = r.film_id WHERE f.id IS NULL"
            )
            assert orphans.fetchone()[0] == 0
        assert _version(copy) == latest_version()
        assert not copy.with_name(copy.name + "-wal").exists()


def test_a_backup_never_overwrites_and_never_creates_a_database(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no database"):
        backup(tmp_path / "missing.db", tmp_path / "b.db")
    assert not (tmp_path / "missing.db").exists()
    existing = tmp_path / "existing.db"
    existing.write_text("keep me")
    with sqlite3.connect(tmp_path / "real.db") as conn:
        conn.execute("CREATE TABLE t(x)")
    with pytest.raises(StoreError, match="already exists"):
        backup(tmp_path / "real.db", existing)
    assert existing.read_text() == "keep me"


def _old_database(path: Path, up_to: int) -> None:
    """A database as an older festbot left it: the migrations up to ``up_to`` applied, one review row."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.create_function("fold", 1, fold)  # as the store registers it for its migrations
    for version, _name, sql in migrations():
        if version <= up_to:
            conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
    conn.execute("INSERT INTO meta(key, value) VALUES ('marker', 'from the old version')")
    conn.close()


async def test_migrating_takes_a_backup_first(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _old_database(db, up_to=2)
    async with open_store(db) as store:
        assert await store.get_meta("marker") == "from the old version"
    backups = list(tmp_path.glob("old.db.v2-*.bak"))
    assert len(backups) == 1
    assert _version(backups[0]) == 2
    with sqlite3.connect(backups[0]) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'marker'").fetchone()[0] == "from the old version"
    assert _version(db) == latest_version()
    async with open_store(db):  # up to date: no second backup
        pass
    assert len(list(tmp_path.glob("old.db.*.bak"))) == 1


async def test_a_fresh_database_needs_no_backup(tmp_path: Path) -> None:
    async with open_store(tmp_path / "new.db"):
        pass
    assert list(tmp_path.glob("*.bak")) == []


async def test_a_database_newer_than_the_code_is_refused_and_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "future.db"
    _old_database(db, up_to=latest_version())
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {latest_version() + 3}")
    before = db.read_bytes()
    with pytest.raises(StoreError) as refused:
        async with open_store(db):
            pass
    message = str(refused.value)
    assert f"schema version {latest_version() + 3}" in message and f"version {latest_version()})" in message
    assert db.read_bytes() == before


async def test_restore_brings_a_backup_back_and_keeps_what_it_replaced(
    tmp_path: Path, festivals: FestivalTable
) -> None:
    db = tmp_path / "bot.db"
    async with open_store(db) as store:
        await store.ingest(_titled(festivals, "Kept"), source="a")  # type: ignore[arg-type]
    backup(db, tmp_path / "saved.db")
    async with open_store(db) as store:
        await store.ingest(_titled(festivals, "Later"), source="b")  # type: ignore[arg-type]
    assert _count(db) == 2
    kept = restore(tmp_path / "saved.db", db)
    assert _count(db) == 1
    assert kept is not None and _count(kept) == 2
    async with open_store(db) as store:
        assert await store.count() == 1


def test_restore_refuses_what_is_not_a_festbot_backup(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="not a festbot backup"):
        restore(junk, tmp_path / "bot.db")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t(x)")
    with pytest.raises(StoreError, match="not a festbot backup"):
        restore(other, tmp_path / "bot.db")


def test_backup_and_restore_from_the_command_line(tmp_path: Path) -> None:
    env = {"FESTBOT_DB": str(tmp_path / "cli.db"), "PATH": "/usr/bin:/bin"}

    def festbot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
        )

    assert festbot("ask", "/review Return to Dust").returncode == 0  # creates and seeds the database
    made = festbot("backup", str(tmp_path / "b1.db"))
    assert made.returncode == 0, made.stderr
    assert "backed up" in made.stdout and _count(tmp_path / "b1.db") == 1
    again = festbot("backup", str(tmp_path / "b1.db"))
    assert again.returncode == 1 and "already exists" in again.stderr and "Traceback" not in again.stderr
    back = festbot("restore", str(tmp_path / "b1.db"))
    assert back.returncode == 0, back.stderr
    assert "restored" in back.stdout
