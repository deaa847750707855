"""``/`` and ``/search?q=``: the search box, with the same typo-tolerant search as ``/review``.

A query names films as ``/review`` reads it: titles, original titles, people's names and sales
companies, typos forgiven (``retun to dsut``); ``#f7`` and ``#12``, the values the bot's menus hold,
go straight to that film or review.
"""

from __future__ import annotations

from aiohttp import web

from bot.answers.labels import parse_value, why
from bot.answers.links import festival_latest_path, film_path, review_path
from bot.answers.resolving import CONFIDENT
from bot.web.context import SERVICES, render
from bot.web.headers import conditional

#: How many films a search lists, and how many near misses "Did you mean" offers.
RESULTS = 25
NEAR_MISSES = 5
#: The newest reviews the home page lists.
RECENT = 20


@conditional
async def home(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    recent = await services.store.recent_reviews(RECENT)
    festivals = [(f.name, festival_latest_path(f.name)) for f in services.festivals.festivals]
    return render(request, "home.html", recent=recent, festivals=festivals)


@conditional
async def search(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    query = request.query.get("q", "").strip()
    if not query:
        raise web.HTTPFound("/")
    named = parse_value(query)
    if named is not None:
        kind, number = named
        raise web.HTTPFound(film_path(number) if kind == "film" else review_path(number))
    hits = await services.answers.resolver.hits(query, limit=RESULTS)
    loose = [] if hits else await services.searcher.search(query, limit=NEAR_MISSES, min_score=40)
    return render(
        request,
        "search.html",
        query=query[:200],
        hits=hits,
        loose=loose,
        confident=bool(hits) and hits[0].score >= CONFIDENT,
        why=why,
    )


ROUTES = [web.get("/", home), web.get("/search", search)]
