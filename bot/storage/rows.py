"""What storage reads return besides the domain models: light rows for listings and the search index."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from bot.domain.models import Rating


class SearchDoc(BaseModel):
    """What ranking and a hit's label need of a film, without its reviews' text."""

    model_config = ConfigDict(frozen=True)

    film_id: int
    review_id: int  # its newest review
    title: str
    original_title: str | None
    year: int | None
    directors: list[str]
    festivals: list[str]  # of its reviews, newest first
    reviews: int


class IndexMarks(NamedTuple):
    """The newest review id and update time, the newest person and company ids, and the engine's mark of
    commits by others (``updated_at`` has whole seconds: an update within the same second changes no other
    mark): SQLite's ``data_version``, PostgreSQL's current snapshot (see ``search_reads.index_marks``)."""

    review_id: int
    updated_at: str
    person_id: int
    company_id: int
    data_version: int | str


class TitleRow(NamedTuple):
    """A film's titles for the in-memory search index; ``folded`` is its folded title."""

    film_id: int
    title: str
    original_title: str | None
    folded: str
    recency: str  # published_at or created_at of its newest review, ISO: sorts newest last


class NamedCredit(NamedTuple):
    """A credit of a person (positive id) or a company (negative id) found by name, on one film's review."""

    review_id: int
    film_id: int
    entity: int
    name: str
    kind: str
    label: str


class ReviewRef(BaseModel):
    """A review in a listing: enough to show a line (grouped by film) and to open it."""

    model_config = ConfigDict(frozen=True)

    review_id: int
    film_id: int
    title: str
    original_title: str | None
    year: int | None
    directors: list[str]
    festival: str | None
    section: str | None
    festival_year: int | None
    published_at: dt.datetime | None
    publication: str | None = None
    rating: Rating | None = None
    role: str | None = None


class ReviewLine(BaseModel):
    """One review of a film as the film's card lists it: who wrote it, the rating and the verdict."""

    model_config = ConfigDict(frozen=True)

    review_id: int
    publication: str | None
    reviewer: str | None
    rating: Rating | None
    #: The review's one-line verdict: its summary's first verdict sentence, else the pull quote or standfirst.
    verdict: str
    published_at: dt.datetime | None
    url: str | None
    festival: str | None
    section: str | None
    festival_year: int | None
    countries: list[str]
    #: How many credit lines and sales contacts it lists (the film's /credits and /sales pick by these).
    credits: int
    sales: int


class GridEntry(BaseModel):
    """One review at a festival edition, with its film: a cell of the edition's critics' grid."""

    model_config = ConfigDict(frozen=True)

    review_id: int
    film_id: int
    title: str
    original_title: str | None
    year: int | None
    directors: list[str]
    section: str | None
    publication: str | None
    reviewer: str | None
    rating: Rating | None
    #: The review's one-line verdict, as a film's card shows it (see :class:`ReviewLine`).
    verdict: str
    published_at: dt.datetime | None


class Edition(NamedTuple):
    """A festival edition that has reviews: its year, and how many reviews it has."""

    year: int
    reviews: int


class ChangeMark(NamedTuple):
    """Where the reviews stand (the newest id and the latest update, whole seconds), for web pages' ETags."""

    review_id: int
    updated_at: str
