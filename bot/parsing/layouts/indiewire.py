"""The IndieWire layout (spec §2.4).

``‘Title’ Review: headline``; a dek; ``by Reviewer``; an optional ``Grade: B+`` at the top or the
bottom; the body; and an end note, ``“Title” premiered in the <Section> at the <YYYY> <Festival>
Film Festival. <distribution>``, which places the film and stays in the body. No credits: the
director and runtime come from the prose (:mod:`bot.parsing.prose`).
"""

from __future__ import annotations

from bot.parsing.headline import quoted_title_review
from bot.parsing.layout import Layout
from bot.parsing.lines import after_prefix, byline, filled
from bot.parsing.prose import prose_facts
from bot.parsing.rating import parse_rating
from bot.parsing.reading import FestivalClues, Reading
from bot.parsing.text_file import ReviewParseError, prose_paragraphs

PUBLICATION = "IndieWire"


def looks_like(lines: list[str]) -> bool:
    top = filled(lines)[:1]
    return bool(top) and quoted_title_review(lines[top[0]]) is not None


def read(lines: list[str], source: str) -> Reading:
    indexes = filled(lines)
    headline = lines[indexes[0]]
    title = quoted_title_review(headline)
    if title is None:
        raise ReviewParseError(source, "no title: the first line is not ‘Title’ Review: ...")
    reviewer = None
    rating = None
    top = indexes[1:4]
    if top and byline(lines[top[0]]) is None and _grade(lines[top[0]]) is None:
        top = top[1:]  # the dek
    start = top[0] if top else len(lines)
    for i in top:
        if (name := byline(lines[i])) is not None:
            reviewer = name
        elif (grade := _grade(lines[i])) is not None:
            rating = parse_rating(grade) or rating
        else:
            break
        start = i + 1
    kept: list[str] = []
    for line in lines[start:]:
        grade = _grade(line)
        if grade is not None:
            rating = rating or parse_rating(grade)
            kept.append("")  # a bottom grade is no body, and it ends the paragraph above it
        else:
            kept.append(line)
    body = prose_paragraphs(kept)
    if not body:
        raise ReviewParseError(source, "no review text after the byline")
    end_note = body[-1] if _places_the_film(body[-1]) else None
    facts = prose_facts(body, title)
    return Reading(
        title=title,
        headline=headline,
        directors=facts.directors,
        screenwriters=facts.screenwriters,
        runtime_minutes=facts.runtime_minutes,
        body=body,
        reviewer=reviewer,
        publication=PUBLICATION,
        rating=rating,
        festival=FestivalClues(notes=[end_note] if end_note else [], texts=[headline, *body]),
    )


def _grade(line: str) -> str | None:
    value = after_prefix(line, "Grade:")
    return value if value and len(value) <= 3 else None


def _places_the_film(paragraph: str) -> bool:
    """The end note: a short last paragraph saying where the film premiered (or screened)."""
    return len(paragraph) <= 400 and any(
        w in paragraph for w in (" premiered ", " premieres ", " screened ", " screens ")
    )


LAYOUT = Layout(
    name="indiewire",
    looked_for="a THR/IndieWire ‘Title’ Review: headline",
    looks_like=looks_like,
    read=read,
)
