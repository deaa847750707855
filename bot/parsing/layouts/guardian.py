"""Newspaper reviews in the Guardian's style (spec §2.6).

``Title review – tagline ★★★☆☆``; a standfirst; an optional photo caption ending ``Photograph: X``;
the body; and a final line, ``Title screens at the <festival> on <date>.``, which places the film
and stays in the body. No credits and no publication unless front matter names one: the director
and runtime come from the prose (:mod:`bot.parsing.prose`), the rating from the headline's stars.
"""

from __future__ import annotations

from bot.parsing.headline import newspaper_title
from bot.parsing.layout import Layout
from bot.parsing.lines import ends_sentence, filled
from bot.parsing.prose import prose_facts
from bot.parsing.rating import trailing_stars
from bot.parsing.reading import FestivalClues, Reading
from bot.parsing.text_file import ReviewParseError, prose_paragraphs

_PHOTO_CREDITS = ("Photograph:", "Photo:", "Photograph by", "Photo by")


def looks_like(lines: list[str]) -> bool:
    top = filled(lines)[:1]
    return bool(top) and newspaper_title(lines[top[0]]) is not None


def read(lines: list[str], source: str) -> Reading:
    indexes = filled(lines)
    headline = lines[indexes[0]]
    title = newspaper_title(headline)
    if title is None:
        raise ReviewParseError(source, "no title: the first line is not 'Title review – ...'")
    stars = trailing_stars(headline)
    start = indexes[0] + 1
    image_credit = None
    # The standfirst (no final full stop) and the photo caption: neither is body.
    for i in indexes[1:3]:
        line = lines[i]
        credit = _photo_credit(line)
        if credit is not None:
            image_credit, start = credit, i + 1
        elif i == indexes[1] and not ends_sentence(line):
            start = i + 1
        else:
            break
    body = prose_paragraphs(lines[start:])
    if not body:
        raise ReviewParseError(source, "no review text after the standfirst")
    final = body[-1] if len(body) > 1 and len(body[-1]) <= 400 else None
    facts = prose_facts(body, title)
    return Reading(
        title=title,
        headline=headline,
        directors=facts.directors,
        screenwriters=facts.screenwriters,
        runtime_minutes=facts.runtime_minutes,
        image_credit=image_credit,
        body=body,
        rating=stars[1] if stars else None,
        festival=FestivalClues(notes=[final] if final else [], texts=[headline, *body]),
    )


def _photo_credit(line: str) -> str | None:
    """``‘Stubborn as stone’ … Jorunn Siv in Marble Hymn. Photograph: Ochre Gate Films`` -> ``Ochre Gate Films``."""
    for marker in _PHOTO_CREDITS:
        at = line.rfind(marker)
        if at >= 0 and (at == 0 or line[at - 1] == " "):
            credit = line[at + len(marker) :].strip()
            return credit or None
    return None


LAYOUT = Layout(
    name="guardian",
    looked_for="a Guardian '<Title> review – ...' headline",
    looks_like=looks_like,
    read=read,
)
