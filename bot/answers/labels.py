"""How films, people and contacts are written in answers: labels, dates, roles, contact lines."""

from __future__ import annotations

import datetime as dt

from bot.answers.cards import CHOICE_NAME_LIMIT, escape
from bot.domain.models import SearchHit
from bot.domain.text import fold, truncate
from bot.storage.rows import ReviewRef


def review_value(review_id: int) -> str:
    """The autocomplete value that names one review unambiguously."""
    return f"#{review_id}"


def hit_label(hit: SearchHit | ReviewRef, limit: int = CHOICE_NAME_LIMIT) -> str:
    """``Title (year) - director - festival``, cut to fit a choice name or select label.

    When it is too long the directors shrink first, then the title; the festival is always kept.
    """
    title = hit.title
    if hit.original_title and fold(hit.original_title) != fold(hit.title):
        title = f"{title} ({hit.original_title})"
    year = f" ({hit.year})" if hit.year else ""
    festival = f" - {hit.festival}" if hit.festival else ""
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


def date_text(value: dt.datetime | None) -> str:
    return value.strftime("%-d %b %Y") if value else ""


def why(hit: SearchHit) -> str | None:
    if hit.matched != "title" and hit.name:
        return truncate(f"{hit.name} ({hit.role})" if hit.role else hit.name, 100)
    return None


def roles(role: str | None) -> str:
    return ", ".join(part.replace("_", " ") for part in (role or "").split(",") if part)


def contact_lines(emails: list[str], phones: list[str], urls: list[str]) -> str:
    lines = [f"✉ {e}" for e in emails] + [f"☎ {p}" for p in phones] + [f"🌐 {escape(u)}" for u in urls]
    return "\n".join(lines) or "No contact details given."
