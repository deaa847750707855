"""The SQLite engine: a WAL database file, one write thread, one read connection, numbered migrations.

Writes run on a plain ``sqlite3`` connection owned by one thread, a whole transaction per hand-over
(see :mod:`bot.storage.connection`); that single thread is also what serialises them. Reads go
through an aiosqlite connection, each statement run to completion in one hand-over, so a read never
keeps an old snapshot open for the reads after it. Schema changes are the SQLite texts of
``bot/storage/migrations/`` (see :mod:`bot.storage.migrations`), tracked with ``PRAGMA user_version``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Concatenate

import aiosqlite

from bot.domain.text import fold
from bot.storage.connection import Connection, I, P, Row, StoreError, T, on_thread
from bot.storage.migrations import latest_version, migrations
from bot.storage.sqlite_files import backup_name, copy_database

log = logging.getLogger(__name__)

_PRAGMAS = ("journal_mode = WAL", "foreign_keys = ON", "busy_timeout = 5000", "synchronous = NORMAL")
#: The writer's own settings: each review's savepoint keeps the pages it changes in a sub-journal,
#: which in memory costs a copy instead of a temporary file's writes.
_WRITER_PRAGMAS = ("temp_store = MEMORY",)
#: A bulk ingest changes pages all over the people and credits indexes, which SQLite's default 2 MiB
#: cache kept reading again (writing 5,000 reviews in batches of 64: 1.81 ms a review with the default
#: cache and a temporary-file sub-journal, 1.41 with 64 MiB and the sub-journal in memory). Only a
#: batch gets the large cache: a bot that stays up for weeks should not keep 64 MiB of pages.
_BULK_CACHE = "cache_size = -65536"
_DEFAULT_CACHE = "cache_size = -2000"


def _refuse_newer(conn: sqlite3.Connection, path: Path) -> None:
    """A database newer than this code is refused before anything touches it (even its journal mode): its
    tables may mean things this version does not know, and writing to them could lose data."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > latest_version():
        raise StoreError(
            f"The database at {path} has schema version {current}, newer than this festbot knows (version"
            f" {latest_version()}). Upgrade festbot, or restore a backup made by this version (festbot restore)."
        )


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the schema up to date, after a backup of a database that already holds data."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    pending = [(version, name, sql) for version, name, sql in migrations() if version > current]
    if not pending:
        return
    if current > 0:
        target = backup_name(path, f"v{current}")
        log.warning("backing up %s to %s before migrating it to schema version %d", path, target, latest_version())
        copy_database(conn, target)
    # Changing a table's constraints means rebuilding it, which foreign keys would forbid (a DROP of a
    # table others reference, or a RENAME that rewrites their references); they are off while migrating
    # and checked before each commit instead. The pragma is a no-op inside a transaction: set it outside.
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.create_function("fold", 1, _fold, deterministic=True)
    try:
        for version, name, sql in pending:
            log.info("applying migration %s", name)
            _apply(conn, name, f"BEGIN;\n{sql}\nPRAGMA user_version = {version};")
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def _apply(conn: sqlite3.Connection, name: str, script: str) -> None:
    """One migration in one transaction: committed whole, or nothing of it left behind."""
    before = set(conn.execute("PRAGMA foreign_key_check").fetchall())
    try:
        conn.executescript(script)
        broken = set(conn.execute("PRAGMA foreign_key_check").fetchall()) - before
        if broken:
            raise sqlite3.IntegrityError(f"{name} would leave {len(broken)} broken references, e.g. {min(broken)}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _fold(text: str | None) -> str | None:
    return None if text is None else fold(text)


def _connect_writer(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        _refuse_newer(conn, path)
        for pragma in (*_PRAGMAS, *_WRITER_PRAGMAS):
            conn.execute(f"PRAGMA {pragma}")
        _migrate(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


async def _connect_reader(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        for pragma in _PRAGMAS:
            await conn.execute(f"PRAGMA {pragma}")
    except BaseException:
        await conn.close()
        raise
    return conn


class SQLiteReads:
    """Reads on the aiosqlite connection: execute and fetch in one hand-over, so no statement stays open."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetchall(self, sql: str, parameters: Sequence[object] = ()) -> list[Row]:
        return list(await self._conn.execute_fetchall(sql, parameters))

    async def fetchone(self, sql: str, parameters: Sequence[object] = ()) -> Row | None:
        rows = await self.fetchall(sql, parameters)
        return rows[0] if rows else None


class SQLiteDatabase:
    """A database file opened with :meth:`open`; implements :class:`bot.storage.connection.Database`."""

    def __init__(
        self, path: Path, writer: sqlite3.Connection, reader: aiosqlite.Connection, thread: ThreadPoolExecutor
    ) -> None:
        self.path = path
        self.reads = SQLiteReads(reader)
        self._writer = writer
        self._reader = reader
        self._thread = thread

    @classmethod
    async def open(cls, path: Path) -> SQLiteDatabase:
        """Open (creating and migrating as needed) the database at ``path``."""
        thread = ThreadPoolExecutor(1, thread_name_prefix="festbot-sqlite-write")
        loop = asyncio.get_running_loop()
        writer: sqlite3.Connection | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = await loop.run_in_executor(thread, _connect_writer, path)
            reader = await _connect_reader(path)
        except (OSError, sqlite3.Error, StoreError) as exc:
            if writer is not None:
                await loop.run_in_executor(thread, writer.close)
            thread.shutdown(wait=False)
            if isinstance(exc, StoreError):
                raise
            raise StoreError(
                f"Cannot use the database at {path}: {exc}. Is FESTBOT_DB a writable festbot database?"
            ) from exc
        return cls(path, writer, reader, thread)

    async def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            await self._reader.close()
        await asyncio.get_running_loop().run_in_executor(self._thread, self._writer.close)
        self._thread.shutdown(wait=True)

    async def write(self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._on_write_thread(self._transaction, work, *args, **kwargs)

    async def write_each(self, work: Callable[[Connection, I], T], items: Sequence[I]) -> list[T | Exception]:
        return await self._on_write_thread(self._batch, work, list(items))

    async def _on_write_thread(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await on_thread(self._thread, lambda: call(*args, **kwargs))

    def _transaction(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        conn = self._writer
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = work(conn, *args, **kwargs)
            # A COMMIT that fails (SQLITE_BUSY, SQLITE_FULL) leaves the transaction open: rolled back below,
            # or every later BEGIN on this connection would fail.
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result

    def _batch(self, work: Callable[[Connection, I], T], items: list[I]) -> list[T | Exception]:
        conn = self._writer
        conn.execute(f"PRAGMA {_BULK_CACHE}")
        try:
            return self._transaction(lambda _conn: [self._saved(conn, work, item) for item in items])
        finally:
            conn.execute(f"PRAGMA {_DEFAULT_CACHE}")  # and give the pages back

    @staticmethod
    def _saved(conn: sqlite3.Connection, work: Callable[[Connection, I], T], item: I) -> T | Exception:
        """One item inside the batch's transaction; if it fails, only its own changes are undone."""
        conn.execute("SAVEPOINT item")
        try:
            result = work(conn, item)
        except Exception as exc:
            if not conn.in_transaction:
                raise  # SQLite abandoned the whole transaction (disk full, I/O error): the batch is lost
            conn.execute("ROLLBACK TO item")
            conn.execute("RELEASE item")
            return exc
        conn.execute("RELEASE item")
        return result
