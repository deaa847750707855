"""The festival editions a user adds or corrects (``festbot festivals edition``), kept apart from the shipped table.

The shipped calendar (``bot/shipped/festivals.json``) is package data: an upgrade replaces it, and in a
checkout it is a tracked file that ``git pull`` must be able to update. The user's own editions live in
one small file in the data directory and are merged over the table each time it is loaded, so neither
side ever overwrites the other. An edition there wins over the shipped one of the same festival and year.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.domain.festivals import FIRST_YEAR, LAST_YEAR, FestivalTable, FestivalTableError


class UserEdition(BaseModel):
    """One edition as the user gave it, by the festival's canonical name."""

    model_config = ConfigDict(frozen=True)

    festival: str
    year: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    start: dt.date
    end: dt.date


class UserEditions(BaseModel):
    editions: list[UserEdition] = Field(default_factory=list)


def read_editions(path: Path) -> UserEditions:
    """The user's editions in ``path`` (none when it does not exist yet); FestivalTableError names the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return UserEditions()
    except OSError as exc:
        raise FestivalTableError(f"cannot read your festival editions {path}: {exc.strerror or exc}") from exc
    try:
        return UserEditions.model_validate(json.loads(text))
    except (UnicodeDecodeError, json.JSONDecodeError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise FestivalTableError(f"your festival editions {path} are not valid: {first}") from exc


def load_table(table: Path, editions: Path) -> FestivalTable:
    """The festival table in ``table`` with the user's editions from ``editions`` merged over it.

    An edition of a festival the table no longer knows (renamed or dropped by an upgrade) is left out
    rather than failing every command; it stays in the file.
    """
    merged = FestivalTable.load(table)
    for edition in read_editions(editions).editions:
        try:
            merged = merged.with_edition(edition.festival, edition.year, edition.start, edition.end)
        except (KeyError, ValueError):
            continue
    return merged


def save_edition(path: Path, festival: str, year: int, start: dt.date, end: dt.date) -> None:
    """Add or replace one edition in the user's file, atomically (a crash or full disk leaves it as it was)."""
    kept = [e for e in read_editions(path).editions if (e.festival, e.year) != (festival, year)]
    added = UserEdition(festival=festival, year=year, start=start, end=end)
    ordered = sorted([*kept, added], key=lambda e: (e.festival, e.year))
    text = json.dumps(UserEditions(editions=ordered).model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
