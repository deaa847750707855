"""The web companion's application: its pages, its static files, and the headers every response carries.

:func:`make_app` builds it over the bot's services; other parts of the bot mount their own routes on
the same server (a health check, metrics) through ``routes`` and ``middlewares``, so there is one
listener and one place that sets the security headers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot.services import Services
from bot.web import festivals, films, reviews, search
from bot.web.context import PAGES, SERVICES
from bot.web.headers import security_headers
from bot.web.rendering import Pages

log = logging.getLogger(__name__)


def make_app(
    services: Services,
    *,
    routes: Iterable[web.AbstractRouteDef] = (),
    middlewares: Iterable[Middleware] = (),
) -> web.Application:
    """The pages over ``services``, plus ``routes`` and ``middlewares`` from other modules.

    The pages only read: the same app serves the running bot's database and a read-only replica.
    """
    app = web.Application(middlewares=[security_headers, _error_pages, *middlewares])
    app[SERVICES] = services
    app[PAGES] = Pages()
    app.add_routes([*search.ROUTES, *films.ROUTES, *reviews.ROUTES, *festivals.ROUTES, *_static_routes(app[PAGES])])
    app.add_routes(list(routes))
    return app


def _static_routes(pages: Pages) -> list[web.RouteDef]:
    async def static(request: web.Request) -> web.Response:
        asset = pages.assets.get(request.match_info["name"])
        if asset is None or asset.digest != request.match_info["digest"]:
            raise web.HTTPNotFound()
        return web.Response(
            body=asset.body,
            content_type=asset.content_type,
            charset="utf-8",
            # The address holds the content's digest: a changed file has another address.
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )

    return [web.get("/static/{digest:[0-9a-f]{16}}/{name}", static)]


@web.middleware
async def _error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A page for every failure, never a traceback: an unknown address, a wrong method, a bug."""
    pages = request.app[PAGES]
    try:
        return await handler(request)
    except web.HTTPNotFound as exc:
        if exc.text and exc.text != "404: Not Found":
            raise  # a route's own answer (another module's), left as it made it
        return _error(pages, 404, "Page not found", _NOT_FOUND)
    except web.HTTPMethodNotAllowed as exc:
        page = _error(pages, 405, "Not allowed", _READ_ONLY)
        page.headers["Allow"] = ", ".join(sorted(exc.allowed_methods))
        return page
    except web.HTTPException:
        raise
    except Exception:
        log.exception("the page %s failed", request.path_qs[:300])
        return _error(pages, 500, "Something went wrong", _BROKEN)


def _error(pages: Pages, status: int, heading: str, message: str) -> web.Response:
    try:
        return pages.response("error.html", status=status, heading=heading, message=message, suggestions=[])
    except Exception:
        log.exception("the error page itself failed")
        return web.Response(text=f"{heading}. {message}", status=status)


_NOT_FOUND = "There is no page at this address. Search for a film above, or start from the home page."
_READ_ONLY = "These pages can only be read."
_BROKEN = "This page could not be made. The problem has been logged; please try again later."
