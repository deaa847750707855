"""Review text -> :class:`~bot.domain.models.Review`: detect the layout, dispatch to its reader, assemble.

Optional ``---`` front matter (:mod:`bot.parsing.front_matter`), then the review in one publication's
layout, recognised from its own lines and read by that layout's module (``bot/parsing/layouts/``).
The parser adds what applies to every layout (front matter, the festival and its edition, the
publication) and validates the whole.

It either returns a valid review or raises :class:`ReviewParseError` naming the source and what is
wrong; it never returns half a review, so nothing half-parsed reaches the store.
"""

from __future__ import annotations

from pydantic import ValidationError

from bot.domain.festivals import FestivalTable
from bot.domain.models import Review
from bot.domain.text import clean_line
from bot.parsing.festival import place_festival
from bot.parsing.fields import parse_festival_option
from bot.parsing.front_matter import split_front_matter
from bot.parsing.layout import Layout
from bot.parsing.layouts import cineuropa, guardian, indiewire, screen, thr, variety
from bot.parsing.text_file import ReviewParseError, split_lines

#: In the order tried: the layouts with the most distinctive first lines first, Screen's header last.
LAYOUTS: tuple[Layout, ...] = (
    thr.LAYOUT,
    indiewire.LAYOUT,
    guardian.LAYOUT,
    cineuropa.LAYOUT,
    variety.LAYOUT,
    screen.LAYOUT,
)

#: For the message when none matches: what was looked for, in the order the spec lists the publications.
_SPEC_ORDER = ("screen", "variety", "thr", "indiewire", "cineuropa", "guardian")
_LOOKED_FOR = ", ".join(
    dict.fromkeys(
        layout.looked_for
        for layout in sorted(LAYOUTS, key=lambda one: _SPEC_ORDER.index(one.name) if one.name in _SPEC_ORDER else 99)
    )
)


def detect(lines: list[str]) -> Layout | None:
    """The layout the cleaned lines are written in, or None when they are in none of them."""
    return next((layout for layout in LAYOUTS if layout.looks_like(lines)), None)


def parse_review_text(
    text: str,
    *,
    source: str = "<text>",
    festival: str | None = None,
    table: FestivalTable | None = None,
) -> Review:
    """Parse one review; ``festival`` (``"Berlinale 2022"``) applies when the file's front matter names none."""
    meta, raw_lines = split_front_matter(split_lines(text, source), source)
    lines = [clean_line(line) for line in raw_lines]
    if not any(lines):
        raise ReviewParseError(source, "empty file: no review text")
    layout = detect(lines)
    if layout is None:
        raise ReviewParseError(source, f"no header line: no layout recognised, looked for {_LOOKED_FOR}")
    read = layout.read(lines, source)

    table = table or FestivalTable.load()
    name, year = meta.festival, None
    if name is None and festival:
        name, year = parse_festival_option(festival)
    placement = place_festival(table, read.festival, name=name, section=meta.section, film_year=read.year)
    festival_year = meta.festival_year or year or placement.year
    film_year = read.year if read.year is not None else (placement.year if read.year_from_festival else None)
    if placement.festival is not None and festival_year is None:
        published = meta.published_at.date() if meta.published_at else None
        festival_year = table.edition_year(placement.festival.name, published, film_year)
    try:
        return Review(
            title=read.title,
            original_title=meta.original_title or read.original_title,
            headline=read.headline,
            pull_quote=read.pull_quote,
            directors=read.directors,
            screenwriters=read.screenwriters,
            countries=read.countries,
            year=film_year,
            runtime_minutes=read.runtime_minutes,
            image_credit=read.image_credit,
            festival=placement.festival,
            festival_year=festival_year,
            sales=read.sales,
            cast=read.cast,
            credits=read.credits,
            body=read.body,
            url=meta.url,
            published_at=meta.published_at,
            reviewer=meta.reviewer or read.reviewer or meta.page_reviewer,
            # A layout's outlet is a guess from the text's shape (other sites print Screen's layout); the
            # page's own site name is stated, so it comes first.
            publication=meta.publication or meta.page_publication or read.publication,
            rating=meta.rating or read.rating or meta.page_rating,
            image_url=meta.image_url,
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ReviewParseError(source, f"invalid review ({problems})") from exc
