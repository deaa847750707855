"""The headers pages answer with: security headers on every response, and ETags for conditional requests.

A page is made from the reviews, the templates and its address alone, so its ETag is the reviews'
change mark (the newest review and the latest update) with the templates' build id: a browser or a
proxy that sends it back in ``If-None-Match`` gets a 304 before the page's own reads run. The mark has
whole seconds, so two changes within one second could look like one: while the latest change is
that recent, pages go out without an ETag, and the next request after it makes a fresh one.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib

from aiohttp import ETag, web
from aiohttp.helpers import ETAG_ANY
from aiohttp.typedefs import Handler

from bot.storage.rows import ChangeMark
from bot.web.context import PAGES, SERVICES

#: No inline script or style, nothing from elsewhere: a review that slipped markup past the escaping
#: still could not run a script, load an image or send a form anywhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self';"
    " base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
#: Pages may be stored but are checked with the server every time (a 304 costs one indexed read).
PAGE_CACHE_CONTROL = "public, no-cache"
#: How long after the latest change pages go out without an ETag (see the module's docstring).
_SETTLING = dt.timedelta(seconds=2)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(SECURITY_HEADERS)
        raise
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def page_etag(mark: ChangeMark, build: str, now: dt.datetime | None = None) -> str | None:
    """The weak ETag value for pages made from the reviews at ``mark``; None while a change is settling."""
    if mark.updated_at:
        latest = dt.datetime.fromisoformat(mark.updated_at)
        if latest.tzinfo is None:
            latest = latest.replace(tzinfo=dt.UTC)
        if (now or dt.datetime.now(dt.UTC)) - latest < _SETTLING:
            return None
    return hashlib.sha256(f"{build}|{mark.review_id}|{mark.updated_at}".encode()).hexdigest()[:20]


def conditional(handler: Handler) -> Handler:
    """A page handler answering ``If-None-Match`` with 304 when the reviews have not changed since."""

    @functools.wraps(handler)
    async def answer(request: web.Request) -> web.StreamResponse:
        mark = await request.app[SERVICES].store.change_mark()
        value = page_etag(mark, request.app[PAGES].build)
        if value is not None and any(tag.value in (value, ETAG_ANY) for tag in request.if_none_match or ()):
            not_modified = web.Response(status=304, headers={"Cache-Control": PAGE_CACHE_CONTROL})
            not_modified.etag = ETag(value=value, is_weak=True)
            return not_modified
        response = await handler(request)
        if value is not None and response.status == 200:
            response.etag = ETag(value=value, is_weak=True)
        response.headers.setdefault("Cache-Control", PAGE_CACHE_CONTROL)
        return response

    return answer
