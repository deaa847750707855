"""The pages as HTTP: security headers, ETags and 304s, caching, contact cards, failures, other modules' routes."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.typedefs import Handler

from bot.config import SettingsError
from bot.storage.rows import ChangeMark
from bot.web.headers import CONTENT_SECURITY_POLICY, page_etag
from bot.web.server import serve_pages
from tests.html_checks import check_page, text_of
from tests.web_site import GRID_FESTIVAL, GRID_YEAR, HOSTILE_TITLE, MANY, Site, grid_review, web_site

GRID = f"/festivals/{GRID_FESTIVAL}/{GRID_YEAR}"


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with web_site(tmp_path) as running:
        yield running


async def get(site: Site, path: str, method: str = "GET", **headers: str) -> tuple[int, bytes, aiohttp.ClientResponse]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, site.url(path), headers=headers, allow_redirects=False) as response,
    ):
        return response.status, await response.read(), response


async def settled_etag(site: Site, path: str) -> str:
    """The page's ETag once the latest change has settled (pages carry none for two seconds after a change)."""
    for _ in range(60):
        status, _, response = await get(site, path)
        assert status == 200
        if "ETag" in response.headers:
            return response.headers["ETag"]
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} never got an ETag")


async def test_every_response_carries_the_security_headers(site: Site) -> None:
    for path in ["/", GRID, "/nowhere", "/search?q=dust", "/reviews/1/sales/1.vcf"]:
        _, _, response = await get(site, path)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY


async def test_a_page_is_answered_304_until_the_reviews_change(site: Site) -> None:
    fid = (await site.services.searcher.search(MANY))[0].film_id
    for path in [f"/films/{fid}", GRID, "/"]:
        tag = await settled_etag(site, path)
        assert re.fullmatch(r'W/"[0-9a-f]{20}"', tag)
        status, body, response = await get(site, path, **{"If-None-Match": tag})
        assert status == 304 and body == b""
        assert response.headers["ETag"] == tag and response.headers["Cache-Control"] == "public, no-cache"
        status, _, _ = await get(site, path, **{"If-None-Match": 'W/"something-else"'})
        assert status == 200
    tag = await settled_etag(site, GRID)
    await site.services.store.ingest(grid_review(0, 7).model_copy(update={"title": "A New Arrival"}))
    status, body, response = await get(site, GRID, **{"If-None-Match": tag})
    assert status == 200 and b"A New Arrival" in body  # the old tag no longer matches: the page is sent again
    assert await settled_etag(site, GRID) != tag


def test_no_etag_while_the_latest_change_is_within_the_same_seconds() -> None:
    """The mark has whole seconds: a second change within the same second must not keep the first's tag."""
    mark = ChangeMark(7, "2031-05-14T09:00:00+00:00")
    changed_at = dt.datetime(2031, 5, 14, 9, 0, 0, 900_000, tzinfo=dt.UTC)
    assert page_etag(mark, "build", changed_at) is None
    later = page_etag(mark, "build", changed_at + dt.timedelta(seconds=3))
    assert later is not None and later == page_etag(mark, "build", changed_at + dt.timedelta(days=1))
    assert later != page_etag(mark, "another build", changed_at + dt.timedelta(seconds=3))
    assert later != page_etag(ChangeMark(8, mark.updated_at), "build", changed_at + dt.timedelta(seconds=3))


async def test_static_files_are_immutable_under_their_digest(site: Site) -> None:
    _, body, _ = await get(site, "/")
    tree = check_page(body.decode())
    css = next(link.get("href") for link in tree.iter("link") if link.get("rel") == "stylesheet")
    assert css and re.fullmatch(r"/static/[0-9a-f]{16}/site\.css", css)
    status, body, response = await get(site, css)
    assert status == 200 and b"overflow-wrap" in body
    assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    status, _, _ = await get(site, css.replace(css.split("/")[2], "0" * 16))
    assert status == 404


async def test_a_sales_agent_downloads_as_a_contact_card(site: Site) -> None:
    fid = (await site.services.searcher.search(MANY))[0].film_id
    line = (await site.services.store.film_reviews(fid))[0]
    status, body, response = await get(site, f"/reviews/{line.review_id}/sales/1.vcf")
    assert status == 200
    assert response.headers["Content-Type"] == "text/vcard; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="nordic-sales.vcf"')
    card = body.decode()
    assert card.endswith("\r\n") and "\n" not in card.replace("\r\n", "")
    lines = card.split("\r\n")
    assert lines[:5] == ["BEGIN:VCARD", "VERSION:3.0", "FN:Nordic Sales", "N:Nordic Sales;;;;", "ORG:Nordic Sales"]
    assert (
        "EMAIL;TYPE=INTERNET,WORK:sales@nordic.example" in lines and "URL:https://www.nordic.example" in lines
    )  # opens from the card
    assert f"NOTE:Sales agent for {MANY}" in lines


async def test_a_hostile_contact_cannot_add_lines_or_cards_of_its_own(site: Site) -> None:
    hostile = (await site.services.searcher.search("Evil Film"))[0]
    assert hostile.title == HOSTILE_TITLE
    status, body, response = await get(site, f"/reviews/{hostile.review_id}/sales/1.vcf")
    assert status == 200 and response.headers["Content-Disposition"].startswith('attachment; filename="evil-sales')
    lines = body.decode().split("\r\n")
    assert [line for line in lines if line.startswith(("BEGIN:", "END:"))] == ["BEGIN:VCARD", "END:VCARD"]
    assert "FN:Evil Sales\\;\\nEND:VCARD\\nBEGIN:VCARD\\nFN:Injected" in lines
    assert all(len(line.encode()) <= 75 for line in lines)


async def test_wrong_methods_and_failures_are_pages_never_tracebacks(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    status, body, response = await get(site, "/", method="POST")
    assert status == 405 and "GET" in response.headers["Allow"]
    assert "These pages can only be read." in text_of(check_page(body.decode()))
    with sqlite3.connect(site.services.store.location) as damage:  # the table goes away under the running pages
        damage.execute("ALTER TABLE reviews RENAME TO gone")
    status, body, _ = await get(site, "/films/1")
    html = body.decode()
    assert status == 500 and "Something went wrong" in text_of(check_page(html))
    assert "Traceback" not in html and "sqlite" not in html.lower()
    assert "the page /films/1 failed" in caplog.text


async def test_other_modules_mount_their_routes_on_the_same_server(tmp_path: Path) -> None:
    seen: list[str] = []

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    @web.middleware
    async def counting(request: web.Request, handler: Handler) -> web.StreamResponse:
        seen.append(request.path)
        return await handler(request)

    async with web_site(tmp_path, filled=False) as site:
        async with serve_pages(site.services, "127.0.0.1", 0, routes=[web.get("/healthz", health)],
                               middlewares=[counting]) as base:  # fmt: skip
            async with aiohttp.ClientSession() as http, http.get(base + "/healthz") as response:
                assert await response.json() == {"ok": True}
                assert response.headers["X-Content-Type-Options"] == "nosniff"
            async with aiohttp.ClientSession() as http, http.get(base + "/") as response:
                assert response.status == 200
        assert seen == ["/healthz", "/"]


async def test_an_address_already_in_use_is_one_line_naming_the_settings(tmp_path: Path) -> None:
    async with web_site(tmp_path, filled=False) as site:
        port = int(site.base.rsplit(":", 1)[1])
        with pytest.raises(SettingsError, match=r"cannot serve the web pages on 127\.0\.0\.1:\d+ \(FESTBOT_HTTP_HOST"):
            async with serve_pages(site.services, "127.0.0.1", port):
                pass
