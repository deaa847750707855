"""How films, people and contacts are written in answers: labels, dates, roles, contact lines."""

from __future__ import annotations

import re
from typing import Literal

from bot.answers.cards import CHOICE_NAME_LIMIT, escape
from bot.answers.contacts import web_address
from bot.domain.models import Rating, SearchHit
from bot.domain.text import fold, truncate
from bot.storage.rows import ReviewRef

_REVIEW_VALUE = re.compile(r"^#(\d{1,18})$")
_FILM_VALUE = re.compile(r"^#f(\d{1,18})$")


def review_value(review_id: int) -> str:
    """The autocomplete or menu value that names one review (``#12``; menus posted long ago hold these too)."""
    return f"#{review_id}"


def film_value(film_id: int) -> str:
    """The autocomplete or menu value that names one film, with all its reviews (``#f7``)."""
    return f"#f{film_id}"


def parse_value(text: str) -> tuple[Literal["review", "film"], int] | None:
    """What a typed or chosen value names: a review or a film by id; None for anything else (a title)."""
    text = text.strip()
    if match := _REVIEW_VALUE.match(text):
        return "review", int(match[1])
    if match := _FILM_VALUE.match(text):
        return "film", int(match[1])
    return None


def hit_label(hit: SearchHit | ReviewRef, limit: int = CHOICE_NAME_LIMIT) -> str:
    """``Title (year) - director - festival``, cut to fit a choice name or select label.

    A film with several reviews says how many. When it is too long the directors shrink first, then
    the title; the festival and the count are always kept.
    """
    title = hit.title
    if hit.original_title and fold(hit.original_title) != fold(hit.title):
        title = f"{title} ({hit.original_title})"
    year = f" ({hit.year})" if hit.year else ""
    festival = f" - {hit.festival}" if hit.festival else ""
    if isinstance(hit, SearchHit) and hit.reviews > 1:
        festival += f" - {hit.reviews} reviews"
    for directors in (
        ", ".join(hit.directors[:2]),
        ", ".join(hit.directors[:1]),
        truncate(", ".join(hit.directors[:1]), 24),
    ):
        people = f" - {directors}" if directors else ""
        label = f"{title}{year}{people}{festival}"
        if len(label) <= limit:
            return label
    room = limit - len(year) - len(people) - len(festival)
    return f"{truncate(title, max(room, 10))}{year}{people}{festival}"[:limit]


def rating_text(rating: Rating | None) -> str:
    """A rating as written, with its score out of 100 so outlets' scales compare: ``★★★★☆ (80/100)``."""
    if rating is None:
        return ""
    score = f"{round(rating.score)}/100"
    return rating.text if fold(rating.text) == fold(score) else f"{rating.text} ({score})"


def byline(publication: str | None, reviewer: str | None) -> str:
    """Who a review is by: ``Screen International · Jane Critic``, either alone, or that it is unsigned."""
    return " · ".join(part for part in (publication, reviewer) if part) or "Unsigned review"


def why(hit: SearchHit) -> str | None:
    if hit.matched != "title" and hit.name:
        return truncate(f"{hit.name} ({hit.role})" if hit.role else hit.name, 100)
    return None


def roles(role: str | None) -> str:
    return ", ".join(part.replace("_", " ") for part in (role or "").split(",") if part)


def website(url: str) -> str:
    """A website as a link that opens it (``www.example.com`` written without a scheme is https), shown as written.

    Markdown's own characters in the address are escaped (``%28``), so the link cannot be cut short;
    an address that is no http(s) site stays plain, escaped text.
    """
    link = web_address(url)
    if link is None:
        return escape(url)
    target = link.replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")
    return f"[{escape(url.strip())}]({target})"


def contact_lines(emails: list[str], phones: list[str], urls: list[str]) -> str:
    lines = [f"✉ {escape(e)}" for e in emails] + [f"☎ {escape(p)}" for p in phones]
    lines += [f"🌐 {website(u)}" for u in urls]
    return "\n".join(lines) or "No contact details given."
