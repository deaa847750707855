"""``/films/<id>``: a film's facts, every review's verdict and rating, its credits and its sales contacts.

The page shows what ``/review`` shows for the film (the same resolver, the same choice of which
review's credits and sales contacts stand for the film) with room for all of it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from aiohttp import web

from bot.answers.film_cards import credit_groups, most_credits, names_sales
from bot.answers.labels import byline
from bot.answers.links import festival_path
from bot.domain.festivals import FestivalTable
from bot.domain.models import Film, StoredReview
from bot.storage.rows import ReviewLine
from bot.web.context import SERVICES, not_found, render
from bot.web.headers import conditional


@dataclass(frozen=True)
class Screening:
    """Where the film's reviews saw it: a festival edition (linked to its grid when the festival is known)."""

    festival: str
    section: str | None
    year: int | None
    path: str | None


def screenings(film: Film, lines: list[ReviewLine], festivals: FestivalTable) -> list[Screening]:
    """Each festival and section the reviews name, once, with the edition's year (the film's when none is named)."""
    seen: dict[tuple[str, str | None], int | None] = {}
    for line in lines:
        if line.festival:
            key = (line.festival, line.section)
            seen[key] = seen.get(key) or line.festival_year or film.year
    return [
        Screening(name, section, year, festival_path(name, year) if year and festivals.find(name) else None)
        for (name, section), year in seen.items()
    ]


def average(lines: list[ReviewLine]) -> float | None:
    """The mean of the reviews' ratings out of 100 (outlets' scales made comparable), or None if none rates."""
    scores = [line.rating.score for line in lines if line.rating]
    return statistics.fmean(scores) if scores else None


@conditional
async def film_page(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    film_id = int(request.match_info["film_id"])
    view = await services.answers.resolver.film(film_id)
    if view is None:
        return not_found(request, "Film not found", f"No film has the number {film_id}. Search for it by its title.")
    lines = view.lines
    credited = await services.store.get(most_credits(lines).review_id)
    selling_id = names_sales(lines).review_id
    selling: StoredReview | None = (
        credited if credited and credited.id == selling_id else await services.store.get(selling_id)
    )
    return render(
        request,
        "film.html",
        film=view.film,
        lines=lines,
        average=average(lines),
        rated=sum(1 for line in lines if line.rating),
        countries=next((line.countries for line in lines if line.countries), []),
        screenings=screenings(view.film, lines, services.festivals),
        credited=credited,
        credits=credit_groups(credited.review) if credited else [],
        selling=selling,
        byline=byline,
    )


ROUTES = [web.get(r"/films/{film_id:\d{1,18}}", film_page)]
