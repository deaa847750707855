"""The command line's last word on a failure: what went wrong around a command, as one line to act on.

A full disk, a damaged database file, a festival table that will not load and a wrong setting are
not bugs to show a traceback for; the person at the terminal needs to know which file and what to
do. Anything not foreseen here is still one line, naming the error, with the traceback left to
``FESTBOT_LOG_LEVEL=DEBUG``.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from bot.config import SettingsError
from bot.domain.festivals import FestivalTableError
from bot.storage.connection import StoreError

_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def describe(exc: BaseException, db_path: Path) -> str:
    """One line (no trailing newline) saying what failed and what to do about it."""
    cause = exc.__cause__
    if isinstance(exc, StoreError) and (
        isinstance(cause, sqlite3.Error) or (isinstance(cause, OSError) and cause.errno in _DISK_FULL)
    ):
        return describe(cause, db_path)  # the cause says more precisely what is wrong with the file
    if isinstance(exc, FestivalTableError) and "festival table" in str(exc):
        return _one_line(f"{exc} (FESTBOT_FESTIVALS names the table file; unset, festbot uses the one it ships)")
    if isinstance(exc, StoreError | SettingsError | FestivalTableError):
        return _one_line(str(exc))  # written for the user where it was raised
    if isinstance(exc, sqlite3.Error):
        return _database(exc, db_path)
    if isinstance(exc, OSError):
        return _system(exc)
    return _one_line(f"unexpected error ({type(exc).__name__}: {exc}); FESTBOT_LOG_LEVEL=DEBUG shows where it happened")


def _database(exc: sqlite3.Error, path: Path) -> str:
    name = getattr(exc, "sqlite_errorname", "") or ""
    what = _one_line(str(exc))
    if name == "SQLITE_FULL":
        return (
            f"the disk holding the database {path} is full ({what}). Free some space and run the command "
            "again: the unfinished write was rolled back, nothing is half-written."
        )
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return (
            f"the database {path} is damaged ({what}). Restore it from a backup, or move it aside: festbot "
            "then starts a new one (ingest your review files again and re-add feeds and subscriptions)."
        )
    if name.startswith(("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_CANTOPEN", "SQLITE_AUTH")):
        return f"cannot write the database {path} ({what}); check FESTBOT_DB and the file's permissions."
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return f"the database {path} is busy ({what}): another program holds it; try again."
    if name.startswith("SQLITE_IOERR"):
        return f"the disk failed while reading or writing the database {path} ({what})."
    return f"database error on {path}: {what}"


def _system(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    what = exc.strerror or _one_line(str(exc))
    if exc.errno in _DISK_FULL:
        return f"{where}{what}: the disk is full. Free some space and run the command again."
    return f"{where}{what}"


def _one_line(text: str) -> str:
    return " ".join(text.split())
