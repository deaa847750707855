"""The web pages in a real browser: Debian's Chromium driven by Playwright, axe-core checking accessibility.

A reader clicks from the search box to a film, a review and the festival's critics' grid, sorts the
grid with the mouse and with the keyboard (in place, in the server's order) and filters it by
section; the pages fit a phone; the hostile review stays inert. Each page's screenshot is kept under
``tests/artifacts/web/`` (git-ignored). Without Chromium these tests are skipped with one line, except
under CI=true, where a missing browser fails the run.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.html_checks import check_page, text_of
from tests.web_site import GRID_FESTIVAL, GRID_FILMS, GRID_YEAR, HOSTILE_TITLE, LONG_WORD, MANY, Site, web_site

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    _MISSING = f"no Chromium at {CHROMIUM}: the browser tests need Debian's (as root: apt-get install -y chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(_MISSING, pytrace=False)
    pytest.skip(_MISSING, allow_module_level=True)

from playwright.async_api import Browser, Page, ViewportSize, async_playwright  # noqa: E402 - only once Chromium is known

#: Without the background-networking flags Chromium keeps trying to reach Google, which this closed network refuses.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "web"
AXE = (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
GRID = f"/festivals/{GRID_FESTIVAL}/{GRID_YEAR}"
PHONE: ViewportSize = {"width": 375, "height": 740}


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with web_site(tmp_path) as running:
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


class Watch:
    """What a page did that it should not: dialogs (an injected ``alert``), console errors, failed requests."""

    def __init__(self, page: Page) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []

        async def dismiss(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            await dialog.dismiss()

        page.on("dialog", dismiss)
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def clean(self) -> None:
        assert self.dialogs == [] and self.errors == []


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def accessible(page: Page) -> None:
    """axe-core on the page as it is now: no serious or critical violation."""
    await page.evaluate(AXE)
    results = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{page.url}: {bad}"


async def visit(page: Page, url: str, name: str) -> None:
    response = await page.goto(url)
    assert response is not None and response.status == 200, url
    await shot(page, name)
    await accessible(page)


async def row_titles(page: Page) -> list[str]:
    titles: list[str] = await page.eval_on_selector_all("tbody th a", "links => links.map(a => a.textContent)")
    return titles


async def server_order(site: Site, query: str) -> list[str]:
    async with aiohttp.ClientSession() as http, http.get(site.url(GRID + query)) as response:
        tree = check_page(await response.text())
    return [text_of(a) for a in tree.findall(".//table/tbody/tr/th/a")]


async def sorted_by(page: Page) -> dict[str, str]:
    """The sorted column's key and its ``aria-sort``: exactly one column says it is the sort."""
    state: dict[str, str] = await page.eval_on_selector_all(
        "thead th[aria-sort]", "ths => Object.fromEntries(ths.map(th => [th.dataset.key, th.ariaSort]))"
    )
    return state


async def test_a_reader_goes_from_search_to_film_to_review_to_the_grid_and_sorts_and_filters_it(
    site: Site, browser: Browser
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    watch = Watch(page)
    await visit(page, site.url("/"), "home")
    await page.fill("#q", "grid flim 007")  # a typo, as /review forgives it
    await page.press("#q", "Enter")
    await page.wait_for_url(re.compile(r"/search\?q=grid\+flim\+007$"))
    await shot(page, "search")
    await accessible(page)

    await page.click("ol.films li:first-child a")
    await page.wait_for_url(re.compile(r"/films/\d+$"))
    assert await page.text_content("h1") == "Grid Film 007"
    await shot(page, "film-grid-film")
    await accessible(page)
    reviews = await page.locator("ol.reviews > li").count()
    assert reviews == len([o for o in range(8) if (7 + o) % 3])

    await page.click("ol.reviews li:first-child h3 a")
    await page.wait_for_url(re.compile(r"/reviews/\d+$"))
    assert "Grid Film 007" in (await page.text_content("h1") or "")
    await shot(page, "review")
    await accessible(page)

    await page.click(f"dl.facts a:has-text('{GRID_FESTIVAL} {GRID_YEAR}')")
    await page.wait_for_url(re.compile(rf"{GRID}$"))
    await page.wait_for_selector("table.grid.sorts-in-place")  # the script is there to sort in place
    assert len(await row_titles(page)) == GRID_FILMS + 1
    await shot(page, "grid")
    await accessible(page)
    await page.evaluate("window.stillThisPage = true")  # gone if a click loaded another page

    # The mouse: an outlet's column, best first; then again, worst first. In place, in the server's order.
    await page.click("thead th[data-key='@Variety'] a")
    assert await sorted_by(page) == {"@Variety": "descending"}
    assert await row_titles(page) == await server_order(site, "?sort=%40Variety&dir=desc")
    assert page.url.endswith("sort=%40Variety&dir=desc")
    await page.click("thead th[data-key='@Variety'] a")
    assert await sorted_by(page) == {"@Variety": "ascending"}
    assert await row_titles(page) == await server_order(site, "?sort=%40Variety&dir=asc")
    await shot(page, "grid-sorted-by-mouse")

    # The keyboard: Tab from the section filter to the Film heading's link, Enter sorts by title.
    await page.focus("#section")
    for _ in range(10):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.closest('th')?.dataset.key") == "film":
            break
    else:
        raise AssertionError("the Film heading cannot be reached with Tab")
    await page.keyboard.press("Enter")
    assert await sorted_by(page) == {"film": "ascending"}
    assert await row_titles(page) == await server_order(site, "?sort=film&dir=asc")
    for key in ("section", "reviews", "average", "@Screen"):  # every kind of column sorts as the server does
        await page.click(f"thead th[data-key='{key}'] a")
        direction = "asc" if (await sorted_by(page))[key] == "ascending" else "desc"
        assert await row_titles(page) == await server_order(site, f"?sort={key.replace('@', '%40')}&dir={direction}")
    assert await page.evaluate("window.stillThisPage") is True
    await shot(page, "grid-sorted-by-keyboard")
    await accessible(page)

    # The section filter (a plain form): only that section's films, still sorted as chosen.
    await page.select_option("#section", "Un Certain Regard")
    await page.click("form.filter button")
    await page.wait_for_url(re.compile(r"section=Un\+Certain\+Regard"))
    sections = await page.eval_on_selector_all(
        "table.grid tbody td:nth-of-type(1)", "tds => tds.map(t => t.textContent)"
    )
    assert set(sections) == {"Un Certain Regard"} and len(sections) == len([n for n in range(GRID_FILMS) if n % 3 == 1])
    assert await sorted_by(page) == {"@Screen": "descending"}
    await shot(page, "grid-filtered")
    await accessible(page)
    watch.clean()


async def test_the_seed_film_and_a_film_with_many_reviews_render_and_pass_axe(site: Site, browser: Browser) -> None:
    page = await browser.new_page()
    watch = Watch(page)
    for title, name in (("Return To Dust", "film-seed"), (MANY, "film-many-reviews")):
        film = (await site.services.searcher.search(title))[0].film_id
        await visit(page, site.url(f"/films/{film}"), name)
        assert await page.text_content("h1") == title
    assert await page.locator("ol.reviews > li").count() == 4
    assert await page.locator("a.vcard").count() == 1
    watch.clean()


async def test_without_javascript_the_header_links_sort_and_the_form_filters(site: Site, browser: Browser) -> None:
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(site.url(GRID))
    assert await page.locator("table.grid.sorts-in-place").count() == 0
    await page.click("thead th[data-key='@Variety'] a")
    await page.wait_for_url(re.compile(r"sort=%40Variety&dir=desc"))
    assert await sorted_by(page) == {"@Variety": "descending"}
    assert await row_titles(page) == await server_order(site, "?sort=%40Variety&dir=desc")
    await page.select_option("#section", "Competition")
    await page.click("form.filter button")
    await page.wait_for_url(re.compile(r"section=Competition"))
    assert await sorted_by(page) == {"@Variety": "descending"}
    await shot(page, "grid-without-javascript")
    await context.close()


async def test_every_page_fits_a_phone_and_only_the_grid_scrolls_sideways(site: Site, browser: Browser) -> None:
    page = await browser.new_page(viewport=PHONE, is_mobile=True)
    watch = Watch(page)
    film = (await site.services.searcher.search(MANY))[0].film_id
    hostile = (await site.services.searcher.search("Evil Film"))[0].review_id
    for path, name in [
        ("/", "phone-home"),
        ("/search?q=lighthouse", "phone-search"),
        (f"/films/{film}", "phone-film"),
        (f"/reviews/{hostile}", "phone-hostile-review"),
        (GRID, "phone-grid"),
    ]:
        await visit(page, site.url(path), name)
        width = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{path} scrolls sideways: {width}"
    box = await page.evaluate("(b => [b.scrollWidth, b.clientWidth])(document.querySelector('.grid-scroll'))")
    assert box[0] > box[1]  # the grid is wider than the phone, inside its own scroll box
    watch.clean()


async def test_the_hostile_review_stays_inert_in_the_browser(site: Site, browser: Browser) -> None:
    page = await browser.new_page(viewport={"width": 1024, "height": 800})
    watch = Watch(page)
    hit = (await site.services.searcher.search("Evil Film"))[0]
    for path in [f"/reviews/{hit.review_id}", f"/films/{hit.film_id}", GRID, "/search?q=evil+film"]:
        await visit(page, site.url(path), "hostile-" + path.strip("/").split("/")[0].split("?")[0])
        injected = await page.evaluate(
            """document.querySelectorAll(
                'img, iframe, svg, style, object, embed, b, i, [onerror], [onload], [onclick], script:not([src])'
            ).length"""
        )
        assert injected == 0, path
        assert HOSTILE_TITLE in (await page.text_content("main") or ""), path
    await page.goto(site.url(f"/reviews/{hit.review_id}"))
    links = await page.eval_on_selector_all("a", "links => links.map(a => a.protocol)")
    assert set(links) <= {"http:", "https:"}  # javascript: was never made a link
    # The 10,000-character word wraps inside the column instead of widening the page.
    paragraph = await page.evaluate(
        f"(p => [p.scrollWidth, p.clientWidth, document.documentElement.scrollWidth, window.innerWidth])"
        f"([...document.querySelectorAll('section.body p')].find(p => p.textContent.includes('{LONG_WORD[:50]}')))"
    )
    assert paragraph[0] <= paragraph[1] and paragraph[2] <= paragraph[3]
    isolation = await page.eval_on_selector_all(
        "bdi", "els => els.filter(e => e.textContent.includes('\\u202e')).map(e => getComputedStyle(e).unicodeBidi)"
    )
    assert isolation and set(isolation) == {"isolate"}
    watch.clean()  # no dialog fired, no script error, nothing the CSP had to refuse
