"""The PostgreSQL engine: the same write functions and reads as SQLite's, for several processes at once.

Writes run on a synchronous psycopg connection owned by one thread, a whole transaction per hand-over,
as :mod:`bot.storage.sqlite` does. SQLite serialises writers with one lock on the file; here several
processes write at once, so each hand-over is a ``SERIALIZABLE`` transaction and one that loses a race
(a serialization failure or deadlock) is rolled back and run again, whole: the outcome is always one
that the writers taken one at a time would give, as on SQLite. A write function may therefore run more
than once; they are plain functions of the database, and must stay so.

Reads go through a few psycopg async connections in autocommit (:mod:`bot.storage.postgres_reads`): each
statement is its own snapshot, so every read sees every commit made before it started. A connection the
server dropped (a restart, a firewall's idle timeout) is replaced on its next use, where that can lose or
repeat nothing: before a transaction begins, and for a read.

Statements arrive in the storage modules' dialect (see :mod:`bot.storage.dialect`): the adapter takes a
statement's PostgreSQL variant when it has one, turns ``?`` into ``%s`` and doubles a literal ``%``.
Parameters are bound on the client (psycopg's ``ClientCursor``): the statements' ``? IS NULL OR col = ?``
filters pass untyped NULLs, which server-side binding cannot type, and SQLite binds nothing else either.
Schema changes are the PostgreSQL texts of ``bot/storage/migrations/``, tracked in ``schema_version``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Concatenate

import psycopg
import psycopg.sql
from psycopg import errors

from bot.storage.connection import Connection, Cursor, I, P, Row, StoreError, T, on_thread
from bot.storage.migrations import latest_version, migrations
from bot.storage.postgres_reads import PostgresReads, shown, translate

__all__ = ["PostgresDatabase", "PostgresReads", "shown", "translate"]

log = logging.getLogger(__name__)

#: A transaction that lost a race is run again this many times before its error is let through.
_ATTEMPTS = 20
_RACES = (errors.SerializationFailure, errors.DeadlockDetected)
#: One key for the migrations of one schema: two processes starting at once migrate one after the other.
_MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(hashtext('festbot migrations ' || current_schema()))"

#: An ``INSERT`` of one row of parameters that may as well insert many: no ``RETURNING``, and on a conflict
#: nothing or an error (``DO UPDATE`` may not touch one row twice in a statement, so it is left alone).
_ONE_ROW_INSERT = re.compile(
    r"\s*INSERT\s+INTO\s+(?P<target>[\w.\"]+\s*\([^()]*\))\s*VALUES\s*(?P<row>\((?:\s*%s\s*,)*\s*%s\s*\))"
    r"\s*(?P<conflict>ON\s+CONFLICT\s*(?:\([^()]*\))?\s*DO\s+NOTHING)?\s*",
    re.IGNORECASE,
)
#: Rows per multi-row ``INSERT``: large enough that a review's names take one statement.
_ROWS_PER_INSERT = 500


@functools.lru_cache(maxsize=64)
def _one_row_insert(sql: str) -> tuple[str, str, str | None] | None:
    """The insert's target table and columns, its row of placeholders, and its ``ON CONFLICT`` clause."""
    found = _ONE_ROW_INSERT.fullmatch(sql)
    return (found["target"], found["row"], found["conflict"]) if found else None


class _Changed:
    """What several multi-row ``INSERT``s leave behind: the rows they changed, and nothing to fetch."""

    def __init__(self, rowcount: int) -> None:
        self.rowcount = rowcount

    def fetchone(self) -> Row | None:
        return None

    def fetchall(self) -> list[Row]:
        return []


class PostgresConnection:
    """The :class:`~bot.storage.connection.Connection` a write function sees, over psycopg.

    ``executemany`` of a plain ``INSERT`` runs as one ``COPY`` (or, to skip conflicts, multi-row
    ``INSERT``s): a statement per row is a round trip and a parse on the server, and client-side quoting
    of every value is Python work; a review's sixty-odd credits inserted one at a time made PostgreSQL
    ingest several times slower than SQLite's (bench/RESULTS.md). Any other statement runs once per row.
    """

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Cursor:
        cursor = psycopg.ClientCursor(self._conn)
        cursor.execute(translate(sql), parameters)
        return cursor

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor:
        text, rows = translate(sql), list(parameters)
        insert = _one_row_insert(text)
        if insert is None or not rows:
            client = psycopg.ClientCursor(self._conn)
            client.executemany(text, rows)
            return client
        target, row, conflict = insert
        if conflict is None:  # nothing to skip: COPY, the bulk load, which quotes nothing in Python
            with psycopg.Cursor(self._conn) as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
                for values in rows:
                    copy.write_row(values)
            return _Changed(len(rows))
        changed = 0
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start : start + _ROWS_PER_INSERT]
            # Bound on the server: the values of an INSERT take their columns' types, NULLs included.
            with psycopg.Cursor(self._conn) as cursor:
                cursor.execute(
                    f"INSERT INTO {target} VALUES {', '.join([row] * len(chunk))} {conflict}",  # noqa: S608 - the code's own statement
                    [value for values in chunk for value in values],
                )
                changed += max(cursor.rowcount, 0)
        return _Changed(changed)


class PostgresDatabase:
    """A PostgreSQL database opened with :meth:`open`; implements :class:`bot.storage.connection.Database`."""

    def __init__(
        self,
        url: str,
        writer: psycopg.Connection[Any],
        reader: psycopg.AsyncConnection[Any],
        thread: ThreadPoolExecutor,
    ) -> None:
        self.url = url
        self.reads = PostgresReads(url, reader)
        self._writer = writer
        self._conn = PostgresConnection(writer)
        self._thread = thread

    @classmethod
    async def open(cls, url: str) -> PostgresDatabase:
        """Connect to the database at ``url`` and bring its schema up to date."""
        thread = ThreadPoolExecutor(1, thread_name_prefix="festbot-postgres-write")
        loop = asyncio.get_running_loop()
        writer: psycopg.Connection[Any] | None = None
        try:
            writer = await loop.run_in_executor(thread, _connect_writer, url)
            try:
                reader = await psycopg.AsyncConnection.connect(url, autocommit=True)
            except psycopg.Error as exc:
                raise _unreachable(url, exc) from exc
        except (psycopg.Error, StoreError) as exc:
            if writer is not None:
                await loop.run_in_executor(thread, writer.close)
            thread.shutdown(wait=False)
            if isinstance(exc, StoreError):
                raise
            reason = " ".join(str(exc).split()).rstrip(".")
            raise StoreError(f"Cannot use the PostgreSQL database at {shown(url)}: {reason}.") from exc
        return cls(url, writer, reader, thread)

    async def close(self) -> None:
        await self.reads.close()
        await asyncio.get_running_loop().run_in_executor(self._thread, self._writer.close)
        self._thread.shutdown(wait=True)

    async def write(self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await on_thread(self._thread, lambda: self._transaction(lambda conn: work(conn, *args, **kwargs)))

    async def write_each(self, work: Callable[[Connection, I], T], items: Sequence[I]) -> list[T | Exception]:
        batch = list(items)
        return await on_thread(
            self._thread, lambda: self._transaction(lambda conn: [self._saved(conn, work, item) for item in batch])
        )

    async def listen(self, on_change: Callable[[], None], on_lost: Callable[[], None]) -> None:
        """Until cancelled: ``on_change()`` after every commit that changed reviews, in any process.

        The V008 trigger notifies the channel named after the table's schema; this listens on the one named
        after the session's schema, on a connection of its own (a listening connection cannot also run
        statements for others). Losing it calls ``on_lost()`` (the searcher goes back to checking) and
        connects again; once listening again, ``on_change()`` catches up on what was written meanwhile.
        """
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
                    row = await (await conn.execute("SELECT 'festbot_' || md5(current_schema())")).fetchone()
                    assert row is not None
                    await conn.execute(psycopg.sql.SQL("LISTEN {}").format(psycopg.sql.Identifier(row[0])))
                    on_change()
                    async for _ in conn.notifies():
                        on_change()
            except psycopg.OperationalError as exc:
                on_lost()
                log.warning("lost the notifications from %s (%s); listening again in 1 s", shown(self.url), exc)
                await asyncio.sleep(1.0)

    def _transaction(self, body: Callable[[Connection], T]) -> T:
        """``body`` in one SERIALIZABLE transaction, run again whole when it loses a race with another writer."""
        for attempt in range(1, _ATTEMPTS + 1):
            self._begin()
            try:
                result = body(self._conn)
                self._writer.execute("COMMIT")
                return result
            except _RACES:
                self._rollback()
                if attempt == _ATTEMPTS:
                    raise
                time.sleep(0.002 * attempt)  # on the write thread: let the winner finish
            except BaseException:
                self._rollback()
                raise
        raise AssertionError("unreachable")

    def _begin(self) -> None:
        """Start a transaction, on a new connection if the server dropped the last one (nothing was sent on it
        since its last transaction ended, so nothing is lost or done twice)."""
        try:
            self._writer.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
            return
        except psycopg.OperationalError:
            if not (self._writer.broken or self._writer.closed):
                raise
        log.warning("the write connection to %s was lost; connecting again", shown(self.url))
        self._writer.close()
        self._writer = psycopg.connect(self.url, autocommit=True)
        self._conn = PostgresConnection(self._writer)
        self._writer.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")

    def _rollback(self) -> None:
        if self._writer.closed or self._writer.broken:
            return  # the server ended the transaction with the connection
        if self._writer.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            self._writer.execute("ROLLBACK")

    def _saved(self, conn: Connection, work: Callable[[Connection, I], T], item: I) -> T | Exception:
        """One item inside the batch's transaction; if it fails, only its own changes are undone."""
        self._writer.execute("SAVEPOINT item")
        try:
            result = work(conn, item)
        except _RACES:
            raise  # the whole batch lost a race: it runs again, whole
        except Exception as exc:
            if self._writer.closed or self._writer.broken:
                raise  # the connection is gone, and the batch with it
            self._writer.execute("ROLLBACK TO SAVEPOINT item")
            self._writer.execute("RELEASE SAVEPOINT item")
            return exc
        self._writer.execute("RELEASE SAVEPOINT item")
        return result


def _unreachable(url: str, exc: psycopg.Error) -> StoreError:
    """Connecting failed (no server, refused, a wrong password or database name): what to check."""
    reason = " ".join(str(exc).split()).rstrip(".")
    return StoreError(
        f"Cannot connect to the PostgreSQL database at {shown(url)}: {reason}. Is FESTBOT_DATABASE_URL right,"
        " and the server running?"
    )


def _connect_writer(url: str) -> psycopg.Connection[Any]:
    try:
        conn = psycopg.connect(url, autocommit=True)
    except psycopg.Error as exc:
        raise _unreachable(url, exc) from exc
    try:
        _migrate(conn, url)
    except BaseException:
        conn.close()
        raise
    return conn


def _migrate(conn: psycopg.Connection[Any], url: str) -> None:
    """Bring the schema up to date, one migration per transaction, under a lock other processes wait on.

    A database newer than this code is refused before anything is changed: its tables may mean things
    this version does not know, and writing to them could lose data. There is no copy before migrating,
    as SQLite's file gets: a PostgreSQL server's data is the operator's to back up (``pg_dump``).
    """
    with conn.transaction():
        conn.execute(_MIGRATION_LOCK)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        current = _version(conn)
    if current > latest_version():
        raise StoreError(
            f"The PostgreSQL database at {shown(url)} has schema version {current}, newer than this festbot knows"
            f" (version {latest_version()}). Upgrade festbot, or restore a dump made by this version."
        )
    pending = [migration for migration in migrations("postgres") if migration[0] > current]
    if pending and current > 0:
        log.warning(
            "migrating %s from schema version %d to %d without a copy first: for PostgreSQL the operator's own"
            " backups (pg_dump) apply",
            shown(url),
            current,
            latest_version(),
        )
    for version, name, sql in pending:
        with conn.transaction():
            conn.execute(_MIGRATION_LOCK)
            if _version(conn) >= version:
                continue  # another process applied it while this one waited
            log.info("applying migration %s", name)
            conn.execute(sql.encode())  # as bytes and without parameters: run exactly as written
            conn.execute("INSERT INTO schema_version(version, name) VALUES (%s, %s)", (version, name))


def _version(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0
