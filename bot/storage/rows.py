"""What storage reads return besides the domain models: light rows for listings and the search index."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict


class SearchDoc(BaseModel):
    """What ranking needs of a review, without its body."""

    model_config = ConfigDict(frozen=True)

    review_id: int
    title: str
    original_title: str | None
    year: int | None
    directors: list[str]
    festival: str | None
    festival_year: int | None
    recency: str  # published_at or created_at, ISO: sorts newest last


class IndexMarks(NamedTuple):
    """The newest review id and update time, the newest person and company ids, and SQLite's count of
    commits by other connections (``updated_at`` has whole seconds: an update within the same second
    changes no other mark)."""

    review_id: int
    updated_at: str
    person_id: int
    company_id: int
    data_version: int


class TitleRow(NamedTuple):
    """A review's titles for the in-memory search index; ``folded`` is the film key's folded title."""

    review_id: int
    title: str
    original_title: str | None
    folded: str
    recency: str


class NamedCredit(NamedTuple):
    """A credit of a person (positive id) or a company (negative id) found by name."""

    review_id: int
    entity: int
    name: str
    kind: str
    label: str


class ReviewRef(BaseModel):
    """A review in a listing: enough to show a line and to open it."""

    model_config = ConfigDict(frozen=True)

    review_id: int
    title: str
    original_title: str | None
    year: int | None
    directors: list[str]
    festival: str | None
    section: str | None
    festival_year: int | None
    published_at: dt.datetime | None
    role: str | None = None
