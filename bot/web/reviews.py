"""``/reviews/<id>``: one review in full, as its card in Discord shows it and with the whole text; and
``/reviews/<id>/sales/<n>.vcf``, one of its sales agents as a contact card.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from bot.answers.contacts import file_name, vcard
from bot.answers.film_cards import credit_groups, summary_parts
from bot.answers.labels import byline
from bot.answers.links import festival_path
from bot.domain.models import StoredReview
from bot.web.context import SERVICES, not_found, render
from bot.web.headers import PAGE_CACHE_CONTROL, conditional


def edition(stored: StoredReview) -> tuple[str, int | None] | None:
    """The festival edition the review is from: the year it names, else its film's (as /festival counts it)."""
    review = stored.review
    if review.festival is None:
        return None
    return review.festival.name, review.festival_year or review.year


@conditional
async def review_page(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    review_id = int(request.match_info["review_id"])
    stored = await services.store.get(review_id)
    if stored is None:
        return not_found(request, "Review not found", f"No review has the number {review_id}.")
    where = edition(stored)
    grid = festival_path(where[0], where[1]) if where and where[1] and services.festivals.find(where[0]) else None
    return render(
        request,
        "review.html",
        stored=stored,
        review=stored.review,
        parts=summary_parts(stored),
        credits=credit_groups(stored.review),
        byline=byline(stored.review.publication, stored.review.reviewer),
        edition=where,
        grid=grid,
    )


@conditional
async def sales_card(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    review_id, position = int(request.match_info["review_id"]), int(request.match_info["position"])
    stored = await services.store.get(review_id)
    if stored is None or not 1 <= position <= len(stored.review.sales):
        return not_found(request, "Contact not found", "This review lists no such sales agent.")
    contact = stored.review.sales[position - 1]
    note = f"Sales agent for {stored.review.display_title}"
    name = file_name(contact.company)
    return web.Response(
        text=vcard(contact, note),
        content_type="text/vcard",
        charset="utf-8",
        headers={
            "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
            "Cache-Control": PAGE_CACHE_CONTROL,
        },
    )


ROUTES = [
    web.get(r"/reviews/{review_id:\d{1,18}}", review_page),
    web.get(r"/reviews/{review_id:\d{1,18}}/sales/{position:\d{1,3}}.vcf", sales_card),
]
