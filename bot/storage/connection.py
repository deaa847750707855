"""The seam between storage code and a database engine: two small protocols and one error.

Storage modules never see the engine. A write is a plain function over a :class:`Connection`
(the DB-API subset both SQLite's ``sqlite3`` and PostgreSQL's psycopg offer), run by the
:class:`Database` as one whole transaction on a thread of its own: a review takes some twenty
statements, and shipping the whole transaction across in one hand-over instead of twenty is what
keeps ingest fast (0.15 ms a round trip through an async driver here, measured in bench/RESULTS.md).
A read is one statement, awaited through :class:`Reads`. Two engines implement these protocols:
SQLite (:mod:`bot.storage.sqlite`, the default) and PostgreSQL (:mod:`bot.storage.postgres`); which
one a database is, :mod:`bot.storage.engines` decides from its location, and nothing else asks.

Statements are written once, in SQLite's dialect restricted to what PostgreSQL also reads; where the
dialects really differ, a statement carries both texts (:mod:`bot.storage.dialect`, which lists where).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, runtime_checkable

P = ParamSpec("P")
T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - an item of a batch

#: A result row; columns are read by position.
Row = Any


class StoreError(RuntimeError):
    """The database cannot be opened or migrated; the message says what to do."""


#: SQLite's primary result codes for failures that pass by themselves: another connection holds the lock
#: (past the busy timeout), the disk is full, an I/O error. Extended codes (SQLITE_IOERR_WRITE) start alike.
_TRANSIENT_SQLITE = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_FULL", "SQLITE_IOERR", "SQLITE_PROTOCOL")
#: PostgreSQL's: a lost connection (08), a transaction to run again (40: serialization, deadlock), out of
#: resources (53: disk full, memory, connections), a server shutting down or restarting (57P), a lock not had.
_TRANSIENT_SQLSTATES = ("08", "40", "53", "57P", "55P03")
_TRANSIENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EAGAIN, errno.EBUSY, errno.ENOMEM})


def is_transient(error: BaseException) -> bool:
    """Whether a failed write may succeed if tried again later, unchanged (so the caller retries, not rejects).

    Read from the error's SQLite result code, PostgreSQL's SQLSTATE, or its ``errno`` for the file system.
    """
    name = getattr(error, "sqlite_errorname", None)
    if isinstance(name, str):
        return name.startswith(_TRANSIENT_SQLITE)
    state = getattr(error, "sqlstate", None)
    if isinstance(state, str):
        return state.startswith(_TRANSIENT_SQLSTATES)
    return isinstance(error, OSError) and error.errno in _TRANSIENT_ERRNOS


async def on_thread(executor: Executor, call: Callable[[], T]) -> T:
    """Run ``call`` on a database's write thread; if the caller is cancelled, the transaction still ends first."""
    done = asyncio.get_running_loop().run_in_executor(executor, call)
    try:
        return await asyncio.shield(done)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await done
        raise


class Cursor(Protocol):
    """What a statement leaves behind: its rows, and how many rows it changed."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Row | None: ...

    def fetchall(self) -> list[Row]: ...


class Connection(Protocol):
    """The connection a write transaction's body runs on (synchronously, on the database's write thread)."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor: ...


class Reads(Protocol):
    """Reads, one statement each: every read sees every commit made before it started."""

    async def fetchall(self, sql: str, parameters: Sequence[object] = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, parameters: Sequence[object] = ()) -> Row | None: ...


class Database(Protocol):
    """One database: its reads, and writes run as whole transactions on its write thread."""

    @property
    def reads(self) -> Reads: ...

    async def write(self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``work(connection, *args)`` in one transaction: committed, or rolled back whole if it raises."""
        ...

    async def write_each(self, work: Callable[[Connection, I], T], items: Sequence[I]) -> list[T | Exception]:
        """``work`` on every item in one transaction, each in a savepoint: one that raises is undone alone."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class ChangeFeed(Protocol):
    """A database that tells its clients when reviews change, in any process (PostgreSQL's LISTEN/NOTIFY)."""

    async def listen(self, on_change: Callable[[], None], on_lost: Callable[[], None]) -> None:
        """Until cancelled: ``on_change()`` once listening and after each commit that changed reviews;
        ``on_lost()`` when the notifications may have stopped (a lost connection, connecting again)."""
        ...
