"""``/festivals/<name>/<year>``: a festival edition's critics' grid; ``/festivals/<name>``: its latest edition.

A festival is named as ``/festival`` takes it (any alias, any case); the address is then redirected
to its canonical name, so each grid has one address. Sorting, the section filter and the page are
query parameters: ``?sort=average&dir=desc&section=Panorama&page=2``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web
from rapidfuzz import fuzz, process

from bot.answers.links import festival_latest_path, festival_path
from bot.domain.festivals import Festival
from bot.web import grid
from bot.web.context import SERVICES, not_found, render
from bot.web.headers import conditional


def _unknown(request: web.Request, name: str) -> web.Response:
    names = [festival.name for festival in request.app[SERVICES].festivals.festivals]
    close = [n for n, _, _ in process.extract(name, names, scorer=fuzz.WRatio, limit=3, score_cutoff=50)]
    return not_found(
        request,
        "Festival not found",
        f"No festival is called “{name[:80]}”.",
        suggestions=[(n, festival_latest_path(n)) for n in close],
    )


def _festival(request: web.Request) -> Festival | web.Response:
    name = request.match_info["name"]
    festival = request.app[SERVICES].festivals.find(name)
    return festival if festival is not None else _unknown(request, name)


async def latest_edition(request: web.Request) -> web.Response:
    festival = _festival(request)
    if isinstance(festival, web.Response):
        return festival
    editions = await request.app[SERVICES].store.festival_editions(festival.name)
    if not editions:
        return not_found(request, "No reviews yet", f"No review from {festival.name} is stored yet.")
    raise web.HTTPFound(festival_path(festival.name, editions[0].year))


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 6 else 1


@conditional
async def grid_page(request: web.Request) -> web.Response:
    festival = _festival(request)
    if isinstance(festival, web.Response):
        return festival
    year = int(request.match_info["year"])
    if request.match_info["name"] != festival.name:
        # An alias or another spelling: one address per grid.
        raw = request.rel_url.raw_query_string  # as sent, still encoded: a %0D%0A stays three characters
        query = f"?{raw}" if raw else ""
        raise web.HTTPMovedPermanently(festival_path(festival.name, year) + query)
    services = request.app[SERVICES]
    entries = await services.store.festival_grid(festival.name, year)
    editions = await services.store.festival_editions(festival.name)
    if not entries:
        return not_found(
            request,
            f"No reviews from {festival.name} {year}",
            f"No review from the {year} edition of {festival.name} is stored."
            + (" These editions have reviews:" if editions else ""),
            suggestions=[(f"{festival.name} {e.year}", festival_path(festival.name, e.year)) for e in editions],
        )
    asked = request.query.get("section", "").strip()[:100]
    section = services.festivals.canonical_section(festival, asked) if asked else None
    built = grid.build(
        entries,
        section=section,
        sort=request.query.get("sort"),
        direction=request.query.get("dir"),
        page=_page_number(request.query.get("page")),
    )
    base = festival_path(festival.name, year)

    def address(**changes: str | int | None) -> str:
        """This grid's address with some parameters changed."""
        params: dict[str, str | int | None] = {
            "section": built.section,
            "sort": built.sort,
            "dir": built.direction,
            "page": built.page,
        }
        params.update(changes)
        if params["page"] == 1:
            params.pop("page")
        return base + "?" + urlencode({k: v for k, v in params.items() if v})

    return render(
        request,
        "grid.html",
        festival=festival,
        year=year,
        grid=built,
        editions=editions,
        address=address,
        base=base,
    )


ROUTES = [
    web.get("/festivals/{name}", latest_edition),
    web.get(r"/festivals/{name}/{year:\d{4}}", grid_page),
]
