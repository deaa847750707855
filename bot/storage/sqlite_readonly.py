"""A SQLite database opened for reading only: what ``festbot web`` serves a replica from.

A replica may be a copy the primary keeps up to date, or the primary's own file while the bot runs;
either way this process must never change it. The file is opened with ``mode=ro`` (SQLite itself
refuses every write) and ``query_only``, never created and never migrated: a schema other than the
one this code knows is refused with both versions named, since reading tables whose meaning
changed could show wrong answers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.connection import StoreError
from bot.storage.migrations import require_current
from bot.storage.sqlite import SQLiteReads


class ReadOnlySQLiteDatabase:
    """Implements :class:`bot.storage.connection.Database`; every write raises :class:`StoreError`."""

    def __init__(self, path: Path, reader: aiosqlite.Connection) -> None:
        self.path = path
        self.reads = SQLiteReads(reader)
        self._reader = reader

    @classmethod
    async def open(cls, path: Path) -> ReadOnlySQLiteDatabase:
        if not path.is_file():
            raise StoreError(f"There is no database at {path} (FESTBOT_DB) to serve; a replica never makes one.")
        unreadable = f"Cannot read the database at {path}"
        try:
            reader = await aiosqlite.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{unreadable}: {exc}. Is FESTBOT_DB a festbot database?") from exc
        try:
            await reader.execute("PRAGMA query_only = ON")
            await reader.execute("PRAGMA busy_timeout = 5000")
            rows = list(await reader.execute_fetchall("PRAGMA user_version"))
            require_current(str(path), int(rows[0][0]))
        except BaseException as exc:
            await reader.close()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"{unreadable}: {exc}. Is FESTBOT_DB a festbot database?") from exc
            raise
        return cls(path, reader)

    async def write(self, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        raise StoreError(f"The database at {self.path} is open read-only: this process never writes to it.")

    async def write_each(self, work: Callable[..., Any], items: Sequence[Any]) -> list[Any]:
        raise StoreError(f"The database at {self.path} is open read-only: this process never writes to it.")

    async def close(self) -> None:
        await self._reader.close()
