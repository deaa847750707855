"""The critics' grid: films x outlets at one edition, sorted and filtered by query parameters (no script needed)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from bot.answers.labels import rating_text
from bot.domain.models import Rating
from bot.storage.rows import GridEntry
from bot.web import grid
from tests.html_checks import check_page, text_of
from tests.web_site import GRID_FESTIVAL, GRID_FILMS, GRID_YEAR, OUTLETS, SECTIONS, Site, grid_review, web_site

GRID = f"/festivals/{GRID_FESTIVAL}/{GRID_YEAR}"


def entry(review: int, film: int, outlet: str | None, score: float | None, **extra: object) -> GridEntry:
    values: dict[str, object] = {
        "review_id": review,
        "film_id": film,
        "title": f"Film {film}",
        "original_title": None,
        "year": 2031,
        "directors": [],
        "section": "Competition",
        "publication": outlet,
        "reviewer": None,
        "rating": Rating(text=f"{score}", score=score) if score is not None else None,
        "verdict": f"verdict {review}",
        "published_at": None,
    }
    values.update(extra)
    return GridEntry.model_validate(values)


def titles(built: grid.Grid) -> list[str]:
    return [row.title for row in built.rows]


def test_rows_sort_by_any_column_with_films_it_did_not_rate_last_either_way() -> None:
    entries = [
        entry(1, 1, "Screen", 40),
        entry(2, 2, "Screen", 90),
        entry(3, 3, "Variety", 70),  # no Screen review: last whichever the direction
        entry(4, 4, "Screen", 90),  # ties with film 2: title order
    ]
    assert titles(grid.build(entries, sort="@Screen", direction="desc")) == ["Film 2", "Film 4", "Film 1", "Film 3"]
    assert titles(grid.build(entries, sort="@Screen", direction="asc")) == ["Film 1", "Film 2", "Film 4", "Film 3"]
    assert titles(grid.build(entries, sort="film", direction="desc")) == ["Film 4", "Film 3", "Film 2", "Film 1"]
    default = grid.build(entries)
    assert (default.sort, default.direction) == ("average", "desc")
    assert titles(default) == ["Film 2", "Film 4", "Film 3", "Film 1"]
    odd = grid.build(entries, sort="@Nobody", direction="sideways")
    assert (odd.sort, odd.direction) == ("average", "desc")
    unrated = grid.build([entry(1, 2, "Screen", None), entry(2, 1, "Screen", None)])
    assert unrated.sort == "film" and titles(unrated) == ["Film 1", "Film 2"]


def test_a_cell_is_an_outlets_newest_review_and_quiet_outlets_share_one_column() -> None:
    entries = [entry(100, 1, "Screen", 80), entry(99, 1, "Screen", 20)]  # newest first, as the store gives them
    entries += [entry(200 + n, 2, f"Outlet {n:02}", 50) for n in range(grid.MAX_OUTLETS + 3)]
    entries += [entry(300 + n, 3, f"Outlet {n:02}", 60) for n in range(4)]
    entries.append(entry(400, 4, None, 10, reviewer="Jane Critic"))  # a file's review: its critic is its column
    built = grid.build(entries)
    labels = [column.label for column in built.columns]
    assert len(labels) == grid.MAX_OUTLETS and labels[-1] == grid.OTHERS
    assert labels[:5] == ["Outlet 00", "Outlet 01", "Outlet 02", "Outlet 03", "Screen"]
    film1 = next(row for row in built.rows if row.film_id == 1)
    assert film1.cells["@Screen"].review_id == 100 and film1.cells["@Screen"].more == 1
    assert film1.average == 50 and film1.reviews == 2
    film2 = next(row for row in built.rows if row.film_id == 2)
    # Outlets 09 to 14 (the quietest, after Jane Critic and Outlets 04 to 08 by name) share a cell: newest + 5 more.
    assert film2.cells[f"@{grid.OTHERS}"].review_id == 209 and film2.cells[f"@{grid.OTHERS}"].more == 5
    assert "Jane Critic" in labels  # ties in number of reviews: by name


def test_the_section_filter_and_pages() -> None:
    entries = [entry(n, n, "Screen", n % 100, section=SECTIONS[n % 3]) for n in range(1, grid.PAGE_SIZE * 2 + 50)]
    built = grid.build(entries, section="un certain regard")
    assert built.films == len([n for n in range(1, grid.PAGE_SIZE * 2 + 50) if n % 3 == 1])
    assert all(row.sections == ["Un Certain Regard"] for row in built.rows)
    assert dict(built.sections) == {s: sum(1 for n in range(1, grid.PAGE_SIZE * 2 + 50) if SECTIONS[n % 3] == s)
                                    for s in SECTIONS}  # fmt: skip
    everything = grid.build(entries, page=3)
    assert (everything.page, everything.pages, len(everything.rows)) == (3, 3, 49)
    assert grid.build(entries, page=99).page == 3 and grid.build(entries, page=-1).page == 1


# -------------------------------------------------------------------------------- the page, over HTTP


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with web_site(tmp_path) as running:
        yield running


async def fetch(site: Site, path: str) -> tuple[int, str, str | None]:
    async with aiohttp.ClientSession() as http, http.get(site.url(path), allow_redirects=False) as response:
        return response.status, await response.text(), response.headers.get("Location")


async def grid_page(site: Site, query: str = "") -> ET.Element:
    status, html, _ = await fetch(site, GRID + query)
    assert status == 200
    return check_page(html)


def table(tree: ET.Element) -> tuple[list[ET.Element], list[list[ET.Element]]]:
    head = tree.findall(".//table/thead/tr/th")
    rows = [list(tr) for tr in tree.findall(".//table/tbody/tr")]
    return head, rows


def column(tree: ET.Element, label: str) -> tuple[ET.Element, list[float | None]]:
    head, rows = table(tree)
    index = next(i for i, th in enumerate(head) if text_of(th).strip() == label)
    values = [row[index].get("data-sort") for row in rows]
    return head[index], [float(v) if v else None for v in values]


async def test_the_grid_has_every_film_as_a_row_and_every_outlet_as_a_column(site: Site) -> None:
    tree = await grid_page(site)
    head, rows = table(tree)
    assert [text_of(th).strip() for th in head[:4]] == ["Film", "Section", "Average", "Reviews"]
    assert set(OUTLETS) <= {text_of(th).strip() for th in head}
    assert len(rows) == GRID_FILMS + 1  # and the hostile review's film
    assert all(row[0].tag == "th" and row[0].get("scope") == "row" for row in rows)
    row = next(row for row in rows if text_of(row[0]).startswith("Grid Film 004"))
    link = next(td.find("a[@class='cell']") for td in row if td.find("a[@class='cell']") is not None)
    assert link is not None and (link.get("href") or "").startswith("/reviews/")
    # the rating and the verdict line the film's /review card gives for that review
    stored = await site.services.store.get(int((link.get("href") or "").rsplit("/", 1)[1]))
    assert stored is not None and stored.review.rating is not None and stored.film_id is not None
    (line,) = [x for x in await site.services.store.film_reviews(stored.film_id) if x.review_id == stored.id]
    assert text_of(link) == f"{rating_text(stored.review.rating)} {line.verdict}"


async def test_sorting_by_a_header_link_sorts_the_whole_grid(site: Site) -> None:
    tree = await grid_page(site)
    header, averages = column(tree, "Average")
    assert header.get("aria-sort") == "descending"  # the default: the best-rated first
    rated = [v for v in averages if v is not None]
    assert rated == sorted(rated, reverse=True)
    variety = next(th for th in table(tree)[0] if text_of(th).strip() == "Variety")
    link = variety.find("a")
    assert link is not None and variety.get("aria-sort") is None
    query = parse_qs(urlsplit(link.get("href") or "").query)
    assert query["sort"] == ["@Variety"] and query["dir"] == ["desc"]  # an outlet's column: best first

    tree = await grid_page(site, "?sort=%40Variety&dir=desc")
    header, values = column(tree, "Variety")
    assert header.get("aria-sort") == "descending"
    assert column(tree, "Average")[0].get("aria-sort") is None
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=True) and values[: len(present)] == present  # unrated films last
    again = header.find("a")
    assert again is not None and parse_qs(urlsplit(again.get("href") or "").query)["dir"] == ["asc"]

    tree = await grid_page(site, "?sort=%40Variety&dir=asc")
    header, values = column(tree, "Variety")
    present = [v for v in values if v is not None]
    assert header.get("aria-sort") == "ascending" and present == sorted(present)
    tree = await grid_page(site, "?sort=film&dir=asc")
    names = [text_of(row[0].find("a") or row[0]) for row in table(tree)[1]]
    assert names[:3] == ["Grid Film 000", "Grid Film 001", "Grid Film 002"]


async def test_filtering_by_section_keeps_the_sort_and_says_what_is_shown(site: Site) -> None:
    tree = await grid_page(site, "?section=un+certain+regard&sort=film&dir=asc")
    _, rows = table(tree)
    assert len(rows) == len([n for n in range(GRID_FILMS) if n % 3 == 1])
    assert {text_of(row[1]) for row in rows} == {"Un Certain Regard"}
    chosen = [o for o in tree.iter("option") if o.get("selected") is not None]
    assert [text_of(o).split(" (")[0] for o in chosen] == ["Un Certain Regard"]
    hidden = {i.get("name"): i.get("value") for i in tree.iter("input") if i.get("type") == "hidden"}
    assert hidden == {"sort": "film", "dir": "asc"}
    sort_link = table(tree)[0][2].find("a")
    assert sort_link is not None
    assert parse_qs(urlsplit(sort_link.get("href") or "").query)["section"] == ["Un Certain Regard"]
    tree = await grid_page(site, "?section=Nonexistent")
    assert table(tree)[1] == [] and "is in the section Nonexistent" in " ".join(text_of(tree).split())


async def test_a_festival_alias_redirects_to_the_one_address_of_its_grid(site: Site) -> None:
    status, _, location = await fetch(site, f"/festivals/cannes/{GRID_YEAR}?sort=film")
    assert status == 301 and location == f"{GRID}?sort=film"
    status, _, location = await fetch(site, f"/festivals/Festival%20de%20Cannes/{GRID_YEAR}")
    assert status == 301 and location == GRID
    status, _, location = await fetch(site, f"/festivals/cannes/{GRID_YEAR}?sort=%0D%0ASet-Cookie:%20x=1")
    assert status == 301 and location == f"{GRID}?sort=%0D%0ASet-Cookie:%20x=1"  # still encoded: no header of its own


async def test_a_review_naming_no_edition_counts_in_its_films_year(site: Site) -> None:
    """As /festival counts it: a review whose edition is unknown belongs to its film's year."""
    for title, year in (("Yearless Wonder", GRID_YEAR), ("Old Yearless", 2001)):
        changes = {"title": title, "year": year, "festival_year": None, "url": f"https://reviews.example/{title}"}
        review = grid_review(0, 0).model_copy(update=changes)
        await site.services.store.ingest(review)
    tree = await grid_page(site, "?sort=film&dir=asc")
    names = [text_of(row[0].find("a") or row[0]) for row in table(tree)[1]]
    assert "Yearless Wonder" in names and "Old Yearless" not in names
    editions = await site.services.store.festival_editions(GRID_FESTIVAL)
    assert [e.year for e in editions] == [GRID_YEAR, 2001] and editions[1].reviews == 1
    old = check_page((await fetch(site, f"/festivals/{GRID_FESTIVAL}/2001"))[1])
    assert [text_of(row[0].find("a") or row[0]) for row in table(old)[1]] == ["Old Yearless"]
