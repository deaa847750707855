"""Paged listings of films: a person's, a sales company's, a festival edition's; one line per film.

The store lists reviews, newest first; a film reviewed by several outlets is one line, placed where
its newest review is, saying how many reviews it has and their outlets' ratings.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from bot.answers.cards import Card, Reply, escape, fit, pager_buttons
from bot.answers.component_ids import Page
from bot.answers.film_cards import REVIEW_COLOR
from bot.answers.labels import hit_label, rating_text, roles
from bot.answers.stamps import stamp
from bot.storage.rows import ReviewRef

LIST_PAGE_SIZE = 10
#: A line's most characters: ten lines and the header fit an embed's description.
_LINE_LIMIT = 380


def by_film(refs: list[ReviewRef]) -> list[list[ReviewRef]]:
    """The reviews grouped by film, in the order of each film's first (newest) review."""
    films: dict[int, list[ReviewRef]] = {}
    for ref in refs:
        films.setdefault(ref.film_id, []).append(ref)
    return list(films.values())


def reviews_note(reviews: list[ReviewRef]) -> str:
    """`` — 2 reviews: Screen ★★★★☆ (80/100) · Variety B+ (83/100)``; empty for one review with no rating."""
    rated = [" ".join(part for part in (r.publication, rating_text(r.rating)) if part) for r in reviews]
    outlets = " · ".join(escape(part) for part in rated if part)
    if len(reviews) == 1:
        return f" — {outlets}" if reviews[0].rating else ""
    return f" — {len(reviews)} reviews" + (f": {outlets}" if outlets else "")


def festival_lines(films: list[list[ReviewRef]], show_section: bool) -> list[str]:
    lines = []
    for reviews in films:
        sections = dict.fromkeys(r.section for r in reviews if r.section)
        where = f" — {escape(', '.join(sections))}" if sections and show_section else ""
        lines.append(_line(f"• {escape(hit_label(reviews[0], 200))}{where}{reviews_note(reviews)}"))
    return lines


def person_lines(films: list[list[ReviewRef]]) -> list[str]:
    lines = []
    for reviews in films:
        credited = ",".join(dict.fromkeys(role for r in reviews for role in (r.role or "").split(",") if role))
        lines.append(_line(f"• {escape(hit_label(reviews[0], 200))} — {escape(roles(credited))}"))
    return lines


def company_lines(films: list[list[ReviewRef]]) -> list[str]:
    lines = []
    for reviews in films:
        when = f" — {stamp(reviews[0].published_at)}" if reviews[0].published_at else ""
        lines.append(_line(f"• {escape(hit_label(reviews[0], 200))}{when}"))
    return lines


def listing(
    title: str,
    description: str,
    lines: list[str],
    page_id: Callable[[int], Page],
    page: int,
    reviews: int | None = None,
) -> Reply:
    """One page of ``lines`` (one per film) with pager buttons; the footer counts films (and ``reviews``)."""
    if not lines:
        return Reply.notice(f"{title}: no reviews yet.")
    pages = math.ceil(len(lines) / LIST_PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    body = "\n".join(lines[page * LIST_PAGE_SIZE : (page + 1) * LIST_PAGE_SIZE])
    text = f"{description}\n\n{body}" if description else body
    count = _count(len(lines), "film")
    if reviews is not None:
        count += f" · {_count(reviews, 'review')}"
    footer = f"{count} · page {page + 1} of {pages}" if pages > 1 else count
    card = Card.make(title, text, footer=footer, color=REVIEW_COLOR)
    return Reply(cards=[card], buttons=pager_buttons(page_id, page, pages))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("s" if number != 1 else "")


def _line(text: str) -> str:
    return fit(text, _LINE_LIMIT)
