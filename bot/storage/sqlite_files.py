"""Database files as a whole: consistent copies (backups) and restoring one into place.

Everything goes through SQLite's online backup API, never a file copy: a copy of the file (and its
``-wal``) taken while the bot writes can be torn, a backup is a transaction-consistent snapshot.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from pathlib import Path

from bot.storage.connection import StoreError
from bot.storage.migrations import latest_version

log = logging.getLogger(__name__)


def backup_name(path: Path, why: str) -> Path:
    """``festival.db`` -> ``festival.db.v4-20261203T171500Z.bak``, beside it."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return path.with_name(f"{path.name}.{why}-{stamp}.bak")


def copy_database(source: sqlite3.Connection, target: Path) -> None:
    """A consistent copy of ``source`` at ``target``, through SQLite's online backup API.

    The copy is one read transaction (``pages=-1``), so it is a snapshot even while others write
    (WAL readers never block writers); it is written beside ``target`` and renamed into place, so a
    crash never leaves a half-copied file under the final name.
    """
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy, pages=-1)
        ok = copy.execute("PRAGMA quick_check").fetchone()[0]
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
    if ok != "ok":
        partial.unlink(missing_ok=True)
        raise StoreError(f"The copy at {target} failed SQLite's check ({ok}); nothing was written.")
    partial.replace(target)


def backup(path: Path, target: Path) -> int:
    """``festbot backup``: copy the database at ``path`` to ``target`` (a new file); returns its schema version.

    Safe while the bot runs. Opens the database read-only, so it never migrates or creates it.
    """
    if not path.is_file():
        raise StoreError(f"There is no database at {path} to back up.")
    if target.exists():
        raise StoreError(f"{target} already exists; choose a new file name for the backup.")
    try:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            source.execute("PRAGMA busy_timeout = 5000")
            version = int(source.execute("PRAGMA user_version").fetchone()[0])
            copy_database(source, target)
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise StoreError(f"Cannot back up {path}: {exc}.") from exc
    return version


def restore(backup_file: Path, path: Path) -> Path | None:
    """``festbot restore``: put ``backup_file``'s contents into the database at ``path``.

    The current database is copied aside first (returned), so a restore can itself be undone. Run it
    with the bot stopped: a running bot would keep serving what it had cached of the old contents.
    """
    try:
        source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"Cannot open the backup {backup_file}: {exc}.") from exc
    try:
        try:
            version = int(source.execute("PRAGMA user_version").fetchone()[0])
            tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{backup_file} is not a festbot backup ({exc}).") from exc
        if version == 0 or "reviews" not in tables:
            raise StoreError(f"{backup_file} is not a festbot backup (it holds no festbot tables).")
        latest = latest_version()
        if version > latest:
            raise StoreError(
                f"The backup {backup_file} has schema version {version}, newer than this festbot knows ({latest})."
            )
        kept = None
        path.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(path)
        try:
            target.execute("PRAGMA busy_timeout = 5000")
            if path.stat().st_size > 0 and target.execute("PRAGMA user_version").fetchone()[0] > 0:
                kept = backup_name(path, "before-restore")
                copy_database(target, kept)
            source.backup(target, pages=-1)
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise StoreError(f"Cannot restore {backup_file} into {path}: {exc}.") from exc
    finally:
        source.close()
    return kept
