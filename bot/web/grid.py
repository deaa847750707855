"""A festival edition's critics' grid: films as rows, outlets as columns, each cell a rating and a verdict.

Pure: the edition's reviews in, the grid out, filtered by section, sorted by any column and cut into
pages, as the query parameters ask. The same parameters name the same grid whether the page sorts
on the server (no JavaScript) or in place.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from bot.answers.labels import rating_text
from bot.domain.text import fold, truncate
from bot.storage.rows import GridEntry

#: Outlets shown as columns of their own, the busiest first; the rest share one "Other outlets" column.
MAX_OUTLETS = 12
#: Films per page: a whole competition and its sidebars on one page, a 2,000-film market in ten.
PAGE_SIZE = 200
OTHERS = "Other outlets"
#: A cell's verdict, cut to one line of about two hundred characters' width.
VERDICT_CHARACTERS = 140
UNSIGNED = "Unsigned"

Direction = Literal["asc", "desc"]
#: The fixed columns' sort keys and the direction each sorts in first; an outlet's key is ``@`` + its name.
FIXED: dict[str, Direction] = {"film": "asc", "section": "asc", "average": "desc", "reviews": "desc"}
DEFAULT_SORT = "average"


def outlet(entry: GridEntry) -> str:
    """The column a review belongs to: its publication, else its critic (files name no publication)."""
    return entry.publication or entry.reviewer or UNSIGNED


@dataclass(frozen=True)
class Column:
    key: str  # the sort key: "@" + the outlet
    label: str
    reviews: int


@dataclass(frozen=True)
class Cell:
    """The newest review of a film from one outlet (``more``: how many others the outlet has of it)."""

    review_id: int
    rating: str
    score: float | None
    verdict: str
    byline: str
    more: int = 0


@dataclass
class Row:
    film_id: int
    title: str
    original_title: str | None
    year: int | None
    directors: list[str]
    sections: list[str] = field(default_factory=list)
    cells: dict[str, Cell] = field(default_factory=dict)
    scores: list[float] = field(default_factory=list)
    reviews: int = 0
    #: Its place among the edition's films by title, and its first section's among the sections: text columns
    #: sort by these numbers, so a script sorting in place orders rows exactly as the server does.
    rank: int = 0
    section_rank: int | None = None
    #: The cells in the columns' order (None: the outlet did not review it), for the page to lay out.
    line: list[Cell | None] = field(default_factory=list)

    @property
    def average(self) -> float | None:
        return statistics.fmean(self.scores) if self.scores else None

    def value(self, key: str) -> float | None:
        """What the row sorts by under ``key`` (None: nothing to sort by, shown last either way)."""
        if key == "film":
            return self.rank
        if key == "section":
            return self.section_rank
        if key == "average":
            return self.average
        if key == "reviews":
            return self.reviews
        cell = self.cells.get(key)
        return cell.score if cell else None


@dataclass(frozen=True)
class Grid:
    columns: list[Column]
    rows: list[Row]  # this page's
    sections: list[tuple[str, int]]  # every section at the edition, with its number of films
    section: str | None
    sort: str
    direction: Direction
    page: int
    pages: int
    films: int  # after the section filter
    reviews: int

    def next_direction(self, key: str) -> Direction:
        """The direction a click on ``key``'s header sorts in: the other way if it is the sort, else its first."""
        if key == self.sort:
            return "asc" if self.direction == "desc" else "desc"
        return first_direction(key)

    @staticmethod
    def first(key: str) -> Direction:
        return first_direction(key)

    def aria_sort(self, key: str) -> str | None:
        if key != self.sort:
            return None
        return "ascending" if self.direction == "asc" else "descending"


def first_direction(key: str) -> Direction:
    return FIXED.get(key, "desc")


def build(
    entries: list[GridEntry],
    *,
    section: str | None = None,
    sort: str | None = None,
    direction: str | None = None,
    page: int = 1,
) -> Grid:
    """The grid of an edition's reviews (newest first, as the store gives them).

    An unknown ``sort`` falls back to the average (to the title when no review rates a film); an unknown
    ``direction`` to the column's first.
    """
    busiest = sorted(Counter(outlet(entry) for entry in entries).items(), key=lambda item: (-item[1], fold(item[0])))
    shown = {name for name, _ in busiest[: MAX_OUTLETS if len(busiest) <= MAX_OUTLETS else MAX_OUTLETS - 1]}
    rows: dict[int, Row] = {}
    for entry in entries:
        row = rows.get(entry.film_id)
        if row is None:
            row = rows[entry.film_id] = Row(
                entry.film_id, entry.title, entry.original_title, entry.year, list(entry.directors)
            )
        row.reviews += 1
        if entry.rating is not None:
            row.scores.append(entry.rating.score)
        if entry.section and entry.section not in row.sections:
            row.sections.append(entry.section)
        name = outlet(entry)
        key = "@" + (name if name in shown else OTHERS)
        if key in row.cells:
            previous = row.cells[key]
            row.cells[key] = dataclasses.replace(previous, more=previous.more + 1)
            continue
        byline = " · ".join(part for part in (entry.publication, entry.reviewer) if part) or UNSIGNED
        row.cells[key] = Cell(
            entry.review_id,
            rating_text(entry.rating),
            entry.rating.score if entry.rating else None,
            truncate(" ".join(entry.verdict.split()), VERDICT_CHARACTERS),
            byline,
        )
    columns = [Column("@" + name, name, count) for name, count in busiest if name in shown]
    if len(shown) < len(busiest):
        columns.append(Column("@" + OTHERS, OTHERS, sum(count for name, count in busiest if name not in shown)))
    films = sorted(rows.values(), key=lambda row: (fold(row.title), row.film_id))
    sections = Counter(name for row in films for name in row.sections)
    section_order = {name: place for place, name in enumerate(sorted({fold(name) for name in sections}))}
    for place, row in enumerate(films):
        row.rank = place
        row.section_rank = section_order[fold(row.sections[0])] if row.sections else None
    if section:
        films = [row for row in films if any(fold(name) == fold(section) for name in row.sections)]
    keys = {*FIXED, *(column.key for column in columns)}
    # Nothing to average (files carry no ratings): the films in title order instead.
    default = DEFAULT_SORT if any(row.scores for row in rows.values()) else "film"
    sort = sort if sort in keys else default
    chosen: Direction = direction if direction in ("asc", "desc") else first_direction(sort)  # type: ignore[assignment]
    films = _sorted(films, sort, chosen)
    pages = max(1, math.ceil(len(films) / PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown_rows = films[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    for row in shown_rows:
        row.line = [row.cells.get(column.key) for column in columns]
    return Grid(
        columns=columns,
        rows=shown_rows,
        sections=sorted(sections.items(), key=lambda item: fold(item[0])),
        section=section,
        sort=sort,
        direction=chosen,
        page=page,
        pages=pages,
        films=len(films),
        reviews=sum(row.reviews for row in films),
    )


def _sorted(rows: list[Row], key: str, direction: Direction) -> list[Row]:
    """Rows (in title order) by ``key``, rows without a value last whichever the direction; ties by title."""
    valued = [(value, row) for row in rows if (value := row.value(key)) is not None]
    missing = [row for row in rows if row.value(key) is None]
    # Stable, in both directions: rows of equal value keep their title order.
    valued.sort(key=lambda pair: pair[0], reverse=direction == "desc")
    return [row for _, row in valued] + missing
