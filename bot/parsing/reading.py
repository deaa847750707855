"""What a layout reader finds in a review's lines, before the parser adds what applies to every layout."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.models import SalesContact


@dataclass
class Reading:
    """The fields one layout states; the parser adds front matter, festival and dates, and validates."""

    title: str
    body: list[str]
    original_title: str | None = None
    headline: str | None = None
    pull_quote: str | None = None
    directors: list[str] = field(default_factory=list)
    screenwriters: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    year: int | None = None
    runtime_minutes: int | None = None
    image_credit: str | None = None
    sales: list[SalesContact] = field(default_factory=list)
    cast: list[str] = field(default_factory=list)
    credits: dict[str, list[str]] = field(default_factory=dict)
