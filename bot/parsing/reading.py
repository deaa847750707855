"""What a layout reader finds in a review's lines, before the parser adds what applies to every layout."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.models import Rating, SalesContact


@dataclass
class FestivalClues:
    """What a review's own lines say about where the film screens; :mod:`bot.parsing.festival` decides."""

    #: The festival as a labelled line names it (``Berlin Film Festival``, the kicker's ``BERLINALE``).
    label: str | None = None
    #: The section that labelled line names (``Panorama``), as written.
    section: str | None = None
    #: The edition year the labelled line states (Variety's date, Cineuropa's kicker).
    year: int | None = None
    #: Sentences that place the film by the layout's convention (IndieWire's end note, the Guardian's final line).
    notes: list[str] = field(default_factory=list)
    #: Prose where the festival or its section may be named (headline, dek, body).
    texts: list[str] = field(default_factory=list)


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
    #: The film's own year, as labelled (Screen header, Cineuropa card).
    year: int | None = None
    runtime_minutes: int | None = None
    image_credit: str | None = None
    sales: list[SalesContact] = field(default_factory=list)
    cast: list[str] = field(default_factory=list)
    credits: dict[str, list[str]] = field(default_factory=dict)
    reviewer: str | None = None
    publication: str | None = None
    rating: Rating | None = None
    festival: FestivalClues = field(default_factory=FestivalClues)
    #: Whether an edition year the review states stands in for a missing film year (spec §3.6; not THR).
    year_from_festival: bool = True
