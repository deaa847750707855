"""Review text -> :class:`~bot.domain.models.Review`.

Optional ``---`` front matter (see :mod:`bot.parsing.text_file`), then the review in a publication's
layout, read by that layout's reader (:mod:`bot.parsing.screen`). The parser adds what applies to
every layout (front matter, the festival and its edition) and validates the whole.

It either returns a valid review or raises :class:`ReviewParseError` naming the source and what is
missing; it never returns half a review, so nothing half-parsed reaches the store.
"""

from __future__ import annotations

from pydantic import ValidationError

from bot.domain.festivals import FestivalTable
from bot.domain.models import FestivalRef, Review
from bot.domain.text import clean_line
from bot.parsing.fields import parse_festival_option
from bot.parsing.screen import read_screen
from bot.parsing.text_file import ReviewParseError, parse_datetime, split_front_matter, split_lines


def parse_review_text(
    text: str,
    *,
    source: str = "<text>",
    festival: str | None = None,
    table: FestivalTable | None = None,
) -> Review:
    """Parse one review; ``festival`` (``"Berlinale 2022"``) applies when the file's front matter names none."""
    meta, raw_lines = split_front_matter(split_lines(text), source)
    lines = [clean_line(line) for line in raw_lines]
    if not any(lines):
        raise ReviewParseError(source, "empty file: no review text")
    read = read_screen(lines, source)

    table = table or FestivalTable.load()
    festival_ref, festival_year = _festival(
        meta, festival, [read.headline or "", *read.body, read.pull_quote or ""], table
    )
    published_at = parse_datetime(meta["published_at"], source) if meta.get("published_at") else None
    if festival_ref is not None and festival_year is None:
        festival_year = table.edition_year(festival_ref.name, published_at.date() if published_at else None, read.year)
    try:
        return Review(
            title=read.title,
            original_title=meta.get("original_title") or read.original_title,
            headline=read.headline,
            pull_quote=read.pull_quote,
            directors=read.directors,
            screenwriters=read.screenwriters,
            countries=read.countries,
            year=read.year,
            runtime_minutes=read.runtime_minutes,
            image_credit=read.image_credit,
            festival=festival_ref,
            festival_year=festival_year,
            sales=read.sales,
            cast=read.cast,
            credits=read.credits,
            body=read.body,
            url=meta.get("url") or None,
            published_at=published_at,
            reviewer=meta.get("reviewer") or None,
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ReviewParseError(source, f"invalid review ({problems})") from exc


def _festival(
    meta: dict[str, str], option: str | None, sentences: list[str], table: FestivalTable
) -> tuple[FestivalRef | None, int | None]:
    name, year = (meta.get("festival"), None) if meta.get("festival") else (None, None)
    if name is None and option:
        name, year = parse_festival_option(option)
    if meta.get("festival_year", "").isdigit():
        year = int(meta["festival_year"])
    if name:
        known = table.find(name)
        section = meta.get("section") or None
        if known is None:
            return FestivalRef(name=name, section=section), year
        if section is None:
            inferred = table.infer(sentences)
            section = inferred[1] if inferred and inferred[0].name == known.name else None
        else:
            section = table.canonical_section(known, section)
        return FestivalRef(name=known.name, section=section), year
    inferred = table.infer(sentences)
    if inferred is None:
        return None, year
    festival, section = inferred
    return FestivalRef(name=festival.name, section=section), year
