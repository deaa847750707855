"""The numbered schema changes, ``V<n>__<name>.sql``, applied in order and tracked with ``PRAGMA user_version``."""

from __future__ import annotations

import re
from importlib import resources


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every migration shipped, in order."""
    found = []
    for entry in resources.files("bot.storage.migrations").iterdir():
        match = re.match(r"V(\d+)__(\w+)\.sql$", entry.name)
        if match:
            found.append((int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_version() -> int:
    return max((version for version, _, _ in migrations()), default=0)
