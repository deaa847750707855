"""The numbered schema changes, one series for both engines, applied in order.

A migration is ``V<n>__<name>.sql`` when its SQL is portable, or the pair ``V<n>__<name>.sqlite.sql`` /
``V<n>__<name>.postgres.sql`` when the engines need different text (V001-V006 all do: SQLite's
``INTEGER PRIMARY KEY`` rowid tables and FTS5 against PostgreSQL's identity columns and ``BIGINT``
snowflakes, and SQLite's table rebuilds against PostgreSQL's ``ALTER TABLE``). SQLite tracks the
version with ``PRAGMA user_version``, PostgreSQL in a ``schema_version`` table.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Literal

from bot.storage.connection import StoreError

Engine = Literal["sqlite", "postgres"]
ENGINES: tuple[Engine, ...] = ("sqlite", "postgres")

_FILE = re.compile(r"V(\d+)__(\w+?)(?:\.(sqlite|postgres))?\.sql$")


def migrations(engine: Engine = "sqlite") -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every migration shipped for ``engine``, in order."""
    by_version: dict[int, dict[str | None, tuple[str, str]]] = {}
    for entry in resources.files("bot.storage.migrations").iterdir():
        match = _FILE.match(entry.name)
        if match:
            texts = by_version.setdefault(int(match[1]), {})
            texts[match[3]] = (entry.name, entry.read_text(encoding="utf-8"))
    found = []
    for version, texts in sorted(by_version.items()):
        # A version is one portable file or a complete pair: anything else is a packaging mistake that
        # would leave one engine's schema a version short, so it is refused for both.
        if set(texts) not in ({None}, set(ENGINES)):
            names = ", ".join(sorted(name for name, _ in texts.values()))
            raise RuntimeError(
                f"migration {version} must be one portable .sql file or a .sqlite/.postgres pair: {names}"
            )
        found.append((version, *texts.get(None, texts.get(engine, ("", "")))))
    return found


def latest_version() -> int:
    return max((version for version, _, _ in migrations()), default=0)


def require_current(where: str, version: int) -> None:
    """A read-only open (a replica) serves only a database of this code's own schema version: it never
    migrates, and tables whose meaning changed could show wrong answers."""
    latest = latest_version()
    if version == latest:
        return
    if version == 0:
        raise StoreError(f"The database at {where} is empty or not a festbot database (no schema version).")
    if version > latest:
        raise StoreError(
            f"The database at {where} has schema version {version}, newer than this festbot knows (version {latest})."
            " Upgrade this festbot to serve it."
        )
    raise StoreError(
        f"The database at {where} has schema version {version}, older than this festbot's ({latest}); a read-only"
        " replica does not migrate it. Start the primary (festbot run) with this version once, then serve it again."
    )
