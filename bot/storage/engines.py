"""Which engine a database's location names, and what is done to a database as a whole.

A location is the SQLite file's path (``FESTBOT_DB``: the default, embedded engine) or a
``postgresql://`` URL (``FESTBOT_DATABASE_URL``: PostgreSQL, for several processes on several
machines). This is the one place that asks which: everything else runs on the
:class:`~bot.storage.connection.Database` it opens. psycopg is imported only for a PostgreSQL URL, so
the default install does without it.

A read-only open (``festbot web``, a replica) belongs here too: SQLite's is the file opened ``mode=ro``;
PostgreSQL's is a session with ``default_transaction_read_only`` (a hot standby's URL works too). Neither
migrates: the schema version must be the code's own.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from bot.storage import sqlite_files
from bot.storage.connection import Database, StoreError
from bot.storage.sqlite import SQLiteDatabase
from bot.storage.sqlite_readonly import ReadOnlySQLiteDatabase

#: A SQLite file's path, or a PostgreSQL URL.
Location = Path | str

_SCHEMES = ("postgresql://", "postgres://")


def postgres_url(location: Location) -> str | None:
    """The PostgreSQL URL ``location`` is, or None for a SQLite file."""
    return location if isinstance(location, str) and location.startswith(_SCHEMES) else None


async def open_database(location: Location, *, read_only: bool = False) -> Database:
    """Open (creating and migrating as needed) the database at ``location``; ``StoreError`` if it cannot.

    ``read_only`` opens an existing database of this version for reading alone (a replica): never
    created, migrated or written; every write raises ``StoreError``.
    """
    url = postgres_url(location)
    if url is None:
        path = Path(location)
        return await (ReadOnlySQLiteDatabase.open(path) if read_only else SQLiteDatabase.open(path))
    try:
        from bot.storage.postgres import PostgresDatabase
        from bot.storage.postgres_readonly import ReadOnlyPostgresDatabase
    except ImportError as exc:
        raise StoreError(
            f"FESTBOT_DATABASE_URL names a PostgreSQL database, and its driver is not installed ({exc});"
            " install festbot with the postgres extra: pip install 'festbot[postgres]'"
        ) from exc
    return await (ReadOnlyPostgresDatabase.open(url) if read_only else PostgresDatabase.open(url))


def database_errors() -> tuple[type[Exception], ...]:
    """What an engine raises for a statement that fails: SQLite's errors, and psycopg's once it is loaded
    (none of its errors can arise before, so the default install never imports it for this)."""
    psycopg = sys.modules.get("psycopg")
    return (sqlite3.Error, psycopg.Error) if psycopg is not None else (sqlite3.Error,)


def _no_files(what: str) -> StoreError:
    return StoreError(
        f"festbot {what} works on the SQLite file; this festbot uses PostgreSQL (FESTBOT_DATABASE_URL):"
        " use pg_dump to back it up and pg_restore to restore it"
    )


def backup(location: Location, target: Path) -> int:
    """``festbot backup``: a consistent copy of the SQLite file in ``target``; returns its schema version."""
    if postgres_url(location) is not None:
        raise _no_files("backup")
    return sqlite_files.backup(Path(location), target)


def restore(backup_file: Path, location: Location) -> Path | None:
    """``festbot restore``: the backup in place of the SQLite file; returns where the replaced one was kept."""
    if postgres_url(location) is not None:
        raise _no_files("restore")
    return sqlite_files.restore(backup_file, Path(location))
