"""What page handlers take from the app (the bot's services, the templates) and how they answer with a page."""

from __future__ import annotations

from aiohttp import web

from bot.services import Services
from bot.web.rendering import Pages

SERVICES = web.AppKey("services", Services)
PAGES = web.AppKey("pages", Pages)


def render(request: web.Request, template: str, *, status: int = 200, **context: object) -> web.Response:
    """``template`` as the response."""
    return request.app[PAGES].response(template, status=status, **context)


def not_found(request: web.Request, heading: str, message: str, **context: object) -> web.Response:
    """A 404 that says what was not found and where to go instead."""
    context.setdefault("suggestions", [])
    return render(request, "error.html", status=404, heading=heading, message=message, **context)
