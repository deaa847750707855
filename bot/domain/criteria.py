"""What a subscription's filters and a member's watch ask of a review: one model for both.

Each list is "any of these"; the kinds together are "all of these" (a subscription for Berlinale with
``countries=["France"]`` and ``min_rating=70`` takes French films rated 70 or more). An empty criteria
takes everything. The matcher is :mod:`bot.matching`; values are kept as typed, and folded there.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: What a watch can follow, and the criteria field each kind fills.
WatchKind = Literal["person", "company", "festival", "country", "word"]
WATCH_FIELDS: dict[str, str] = {
    "person": "people",
    "company": "companies",
    "festival": "festivals",
    "country": "countries",
    "word": "words",
}
#: The most values one list may hold, and the longest value: a filter is typed in Discord.
MAX_VALUES = 10
MAX_VALUE_LENGTH = 100


class Criteria(BaseModel):
    """Filters on a review beyond a subscription's festival and section."""

    model_config = ConfigDict(frozen=True)

    #: Words or phrases, any of which must appear in the title or the review's text.
    words: list[str] = Field(default_factory=list, max_length=MAX_VALUES)
    #: Production countries.
    countries: list[str] = Field(default_factory=list, max_length=MAX_VALUES)
    #: Directors or cast members.
    people: list[str] = Field(default_factory=list, max_length=MAX_VALUES)
    #: Sales companies.
    companies: list[str] = Field(default_factory=list, max_length=MAX_VALUES)
    #: Festivals (a watch's kind; a subscription names its festival itself).
    festivals: list[str] = Field(default_factory=list, max_length=MAX_VALUES)
    #: Publications (outlets): Screen, Variety, ...
    publications: list[str] = Field(default_factory=list, max_length=MAX_VALUES)
    #: The lowest rating let through, out of 100 (ratings are normalised so on the review).
    min_rating: float | None = Field(default=None, ge=0, le=100)

    @field_validator("words", "countries", "people", "companies", "festivals", "publications")
    @classmethod
    def _clean(cls, values: list[str]) -> list[str]:
        cleaned = []
        for value in values:
            value = " ".join(value.split())
            if len(value) > MAX_VALUE_LENGTH:
                raise ValueError(f"“{value[:40]}…” is longer than {MAX_VALUE_LENGTH} characters")
            if value and value not in cleaned:
                cleaned.append(value)
        return cleaned

    @property
    def empty(self) -> bool:
        """No filter at all (checked for every subscription a new review meets, so without building a model)."""
        lists = (self.words, self.countries, self.people, self.companies, self.festivals, self.publications)
        return self.min_rating is None and not any(lists)

    def describe(self) -> str:
        """One line for listings: ``words: cannes, debut · rating ≥ 70``; empty when there is no filter."""
        parts = [
            f"{label}: {', '.join(values)}"
            for label, values in (
                ("words", self.words),
                ("country", self.countries),
                ("director/cast", self.people),
                ("sales", self.companies),
                ("festival", self.festivals),
                ("publication", self.publications),
            )
            if values
        ]
        if self.min_rating is not None:
            parts.append(f"rating ≥ {self.min_rating:g}")
        return " · ".join(parts)


def watch_criteria(kind: str, value: str) -> Criteria:
    """The criteria one watch stands for: its one value in its kind's field."""
    return Criteria.model_validate({WATCH_FIELDS[kind]: [value]})
