"""A small trade-press website on 127.0.0.1 for the feed tests: feeds, article pages and bad endpoints.

Everything it serves is invented (films, people, sentences). Feeds are built from :class:`FeedSpec`
objects the tests edit between polls (bump a GUID or a date, add an entry, make the feed fail), and
they honour ``If-None-Match`` / ``If-Modified-Since`` so the 304 path can be counted. The bad cases
are fixed endpoints: a slow response (for timeouts), a 50 MB streamed response (written in 64 KB
chunks, never held in memory), a redirect loop, HTTP 500, non-HTML content, invalid XML, an entry
without a link, a busy server (429 for a feed, 503 for a page, with the ``Retry-After`` a test sets)
and redirects to wherever a test says (``/go/NAME``).

Run it by hand with ``python -m tests.feedsite`` to point ``festbot feeds add`` at it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web
from aiohttp.typedefs import Handler

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "feeds"
HUGE_BYTES = 50 * 1024 * 1024
CHUNK = 64 * 1024

#: The sales address each article hides behind Cloudflare's obfuscation, and the XOR key used.
SALES_EMAILS = {
    "salt-lanterns": ("sales@tidemark.example", 0x5A),
    "copper-hymnal": ("festivals@lodestar.example", 0x23),
    "winter-apiary": ("beira@beira-sales.example", 0x7E),
    "tin-crown": ("info@kestrel-global.example", 0x11),
    "market-report": ("press@tradeweekly.example", 0x42),
}
# A real PNG signature and a minimal PDF header: enough to look like those files to a client.
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF_BYTES = b"%PDF-1.4\n% invented test document\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def cfemail(address: str, key: int) -> str:
    """Cloudflare's encoding: the key byte, then each byte of the address XORed with it, in hex."""
    return bytes([key, *(byte ^ key for byte in address.encode())]).hex()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass
class Item:
    """One feed entry. ``link`` is a path on the site (or None for an entry without a link)."""

    title: str
    link: str | None
    guid: str | None = None
    published: dt.datetime = field(default_factory=now)
    author: str | None = "Orla Finnerty"
    summary: str = "An invented review for the festbot tests."


@dataclass
class FeedSpec:
    """A feed the site serves at ``/feeds/NAME.xml``; tests edit ``items`` or set ``fault`` between polls."""

    kind: str = "rss"  # rss | atom
    items: list[Item] = field(default_factory=list)
    validators: str = "etag"  # etag | last-modified | none
    fault: str | None = None  # None | "500" | "invalid-xml"
    _body: bytes = b""
    _modified: dt.datetime = field(default_factory=lambda: now() - dt.timedelta(days=1))


class FeedSite:
    """The server. ``async with FeedSite() as site`` starts it on a free loopback port."""

    def __init__(self, *, slow_seconds: float = 5.0) -> None:
        self.slow_seconds = slow_seconds
        self.feeds: dict[str, FeedSpec] = {}
        #: Extra article paths serving an existing article (same text, no canonical change): slug -> fixture.
        self.aliases: dict[str, str] = {}
        self.requests: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.inflight: Counter[str] = Counter()
        self.bytes_sent: Counter[str] = Counter()
        self.request_headers: dict[str, dict[str, str]] = {}
        #: Pages a test writes itself, served at ``/served/NAME`` (``{base}`` replaced by the site's address).
        self.pages: dict[str, str] = {}
        #: ``/go/NAME`` answers 302 to ``redirects[NAME]`` (any absolute URL).
        self.redirects: dict[str, str] = {}
        #: The Retry-After header of the busy endpoints (None: they send none).
        self.retry_after: str | None = None
        self.base = ""
        self._runner: web.AppRunner | None = None

        app = web.Application(middlewares=[self._count])
        app.router.add_get("/feeds/slow.xml", self._slow)
        app.router.add_get("/feeds/huge.xml", self._huge)
        app.router.add_get("/feeds/broken.xml", self._broken_xml)
        app.router.add_get("/feeds/error500.xml", self._error500)
        app.router.add_get("/feeds/loop.xml", self._loop_a)
        app.router.add_get("/feeds/loop-b.xml", self._loop_b)
        app.router.add_get("/feeds/image.png", self._png)
        app.router.add_get("/feeds/busy.xml", self._busy)
        app.router.add_get("/feeds/{name}.xml", self._feed)
        app.router.add_get("/articles/{slug}", self._article)
        app.router.add_get("/pages/slow", self._slow)
        app.router.add_get("/pages/huge", self._huge)
        app.router.add_get("/pages/huge-declared", self._huge_declared)
        app.router.add_get("/pages/error500", self._error500)
        app.router.add_get("/pages/loop", self._loop_a)
        app.router.add_get("/pages/loop-b", self._loop_b)
        app.router.add_get("/pages/report.pdf", self._pdf)
        app.router.add_get("/pages/photo.png", self._png)
        app.router.add_get("/pages/busy", self._busy)
        app.router.add_get("/served/{name}", self._served)
        app.router.add_get("/go/{name}", self._go)
        self.app = app

    # -- lifecycle ------------------------------------------------------------------------------------

    async def start(self) -> str:
        # handler_cancellation: a handler whose client hung up (timed out) stops, so inflight drops.
        self._runner = web.AppRunner(self.app, handler_cancellation=True, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base = f"http://{host}:{port}"
        return self.base

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FeedSite:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def url(self, path: str) -> str:
        return self.base + path

    # -- middleware -----------------------------------------------------------------------------------

    @web.middleware
    async def _count(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests[request.path] += 1
        self.request_headers[request.path] = dict(request.headers)
        self.inflight[request.path] += 1
        try:
            return await handler(request)
        finally:
            self.inflight[request.path] -= 1

    # -- feeds ----------------------------------------------------------------------------------------

    def render(self, spec: FeedSpec) -> bytes:
        return (self._atom(spec) if spec.kind == "atom" else self._rss(spec)).encode("utf-8")

    def _link(self, item: Item) -> str | None:
        return None if item.link is None else self.base + item.link

    def _rss(self, spec: FeedSpec) -> str:
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">',
            "<channel>",
            "<title>Trade Weekly: Reviews</title>",
            f"<link>{escape(self.base)}/reviews</link>",
            "<description>Invented film reviews for tests</description>",
        ]
        for item in spec.items:
            parts.append("<item>")
            parts.append(f"<title>{escape(item.title)}</title>")
            link = self._link(item)
            if link:
                parts.append(f"<link>{escape(link)}</link>")
            if item.guid:
                parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
            parts.append(f"<pubDate>{email.utils.format_datetime(item.published, usegmt=True)}</pubDate>")
            if item.author:
                parts.append(f"<dc:creator>{escape(item.author)}</dc:creator>")
            parts.append(f"<description>{escape(item.summary)}</description>")
            parts.append("</item>")
        parts.extend(["</channel>", "</rss>"])
        return "\n".join(parts)

    def _atom(self, spec: FeedSpec) -> str:
        updated = max((item.published for item in spec.items), default=now())
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<feed xmlns="http://www.w3.org/2005/Atom">',
            "<title>Trade Weekly: Festival reviews</title>",
            f"<id>{escape(self.base)}/feeds/atom</id>",
            f"<updated>{updated.isoformat()}</updated>",
            f'<link rel="self" href={quoteattr(self.base + "/feeds/atom.xml")}/>',
        ]
        for item in spec.items:
            parts.append("<entry>")
            parts.append(f"<title>{escape(item.title)}</title>")
            link = self._link(item)
            if link:
                parts.append(f'<link rel="alternate" type="text/html" href={quoteattr(link)}/>')
            parts.append(f"<id>{escape(item.guid or link or item.title)}</id>")
            parts.append(f"<published>{item.published.isoformat()}</published>")
            parts.append(f"<updated>{item.published.isoformat()}</updated>")
            if item.author:
                parts.append(f"<author><name>{escape(item.author)}</name></author>")
            parts.append(f"<summary>{escape(item.summary)}</summary>")
            parts.append("</entry>")
        parts.append("</feed>")
        return "\n".join(parts)

    async def _feed(self, request: web.Request) -> web.StreamResponse:
        spec = self.feeds.get(request.match_info["name"])
        if spec is None:
            raise web.HTTPNotFound()
        if spec.fault == "500":
            return await self._error500(request)
        if spec.fault == "invalid-xml":
            return await self._broken_xml(request)
        body = self.render(spec)
        if body != spec._body:
            # HTTP dates have one-second resolution: a change must move Last-Modified forward visibly.
            spec._modified = max(now(), spec._modified + dt.timedelta(seconds=1))
            spec._body = body
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        last_modified = email.utils.format_datetime(spec._modified, usegmt=True)
        headers: dict[str, str] = {}
        if spec.validators == "etag":
            headers["ETag"] = etag
            if request.headers.get("If-None-Match") == etag:
                self.not_modified[request.path] += 1
                return web.Response(status=304, headers=headers)
        elif spec.validators == "last-modified":
            headers["Last-Modified"] = last_modified
            since = request.headers.get("If-Modified-Since")
            if since and email.utils.parsedate_to_datetime(since) >= spec._modified:
                self.not_modified[request.path] += 1
                return web.Response(status=304, headers=headers)
        content_type = "application/atom+xml" if spec.kind == "atom" else "application/rss+xml"
        return web.Response(body=body, content_type=content_type, charset="utf-8", headers=headers)

    # -- articles -------------------------------------------------------------------------------------

    def article_html(self, slug: str) -> str:
        fixture = self.aliases.get(slug, slug)
        path = FIXTURES / f"{fixture}.html"
        html = path.read_text(encoding="utf-8")
        address, key = SALES_EMAILS[fixture]
        return html.replace("{base}", self.base).replace("{cfemail}", cfemail(address, key))

    async def _article(self, request: web.Request) -> web.Response:
        slug = request.match_info["slug"]
        fixture = self.aliases.get(slug, slug)
        if fixture not in SALES_EMAILS:
            raise web.HTTPNotFound()
        return web.Response(text=self.article_html(slug), content_type="text/html", charset="utf-8")

    async def _served(self, request: web.Request) -> web.Response:
        html = self.pages.get(request.match_info["name"])
        if html is None:
            raise web.HTTPNotFound()
        return web.Response(text=html.replace("{base}", self.base), content_type="text/html", charset="utf-8")

    # -- bad endpoints --------------------------------------------------------------------------------

    async def _slow(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.slow_seconds)
        if request.path.startswith("/feeds/"):
            return web.Response(body=self.render(FeedSpec()), content_type="application/rss+xml")
        return web.Response(text="<html><body><p>Too late.</p></body></html>", content_type="text/html")

    async def _huge(self, request: web.Request) -> web.StreamResponse:
        # Chunked, no Content-Length: the client has to enforce its limit while reading.
        is_feed = request.path.startswith("/feeds/")
        response = web.StreamResponse(
            headers={"Content-Type": "application/rss+xml" if is_feed else "text/html; charset=utf-8"}
        )
        await response.prepare(request)
        opening = b'<rss version="2.0"><channel><title>' if is_feed else b"<html><body><p>"
        await response.write(opening)
        chunk = b"x" * CHUNK
        sent = len(opening)
        try:
            while sent < HUGE_BYTES:
                await response.write(chunk)
                sent += CHUNK
                self.bytes_sent[request.path] = sent
        except ConnectionError:
            return response  # the client gave up, as it should
        await response.write_eof()
        return response

    async def _huge_declared(self, request: web.Request) -> web.StreamResponse:
        # A Content-Length that is too large: the client should refuse before reading a byte of body.
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.content_length = HUGE_BYTES
        await response.prepare(request)
        try:
            await response.write(b"<html><body>")
            await asyncio.sleep(self.slow_seconds)
        except ConnectionError:
            pass
        return response

    async def _broken_xml(self, request: web.Request) -> web.Response:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Broken & unescaped</title>\n'
            f"<item><title>Salt Lanterns</title><link>{self.base}/articles/salt-lan"
        )
        return web.Response(text=body, content_type="application/rss+xml")

    async def _error500(self, request: web.Request) -> web.Response:
        return web.Response(status=500, text="Internal error (on purpose)")

    async def _loop_a(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(request.path.replace("loop", "loop-b", 1))

    async def _loop_b(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(request.path.replace("loop-b", "loop", 1))

    async def _busy(self, request: web.Request) -> web.Response:
        status = 429 if request.path.startswith("/feeds/") else 503
        headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
        return web.Response(status=status, text="Busy (on purpose)", headers=headers)

    async def _go(self, request: web.Request) -> web.Response:
        target = self.redirects.get(request.match_info["name"])
        if target is None:
            raise web.HTTPNotFound()
        raise web.HTTPFound(target)

    async def _png(self, request: web.Request) -> web.Response:
        return web.Response(body=PNG_BYTES, content_type="image/png")

    async def _pdf(self, request: web.Request) -> web.Response:
        return web.Response(body=PDF_BYTES, content_type="application/pdf")


async def _serve_forever() -> None:
    async with FeedSite() as site:
        site.feeds["reviews"] = FeedSpec(
            items=[
                Item("Salt Lanterns", "/articles/salt-lanterns", guid="tw-1001"),
                Item("The Copper Hymnal", "/articles/copper-hymnal", guid="tw-1002"),
            ]
        )
        print(f"serving {site.url('/feeds/reviews.xml')} (Ctrl-C to stop)")
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_serve_forever())
