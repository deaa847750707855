"""The web pages over a real SQLite file and a real HTTP server on loopback: what each page shows, as valid HTML5."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from multidict import CIMultiDictProxy

from tests.html_checks import check_page, text_of
from tests.web_site import (
    GRID_FESTIVAL,
    GRID_YEAR,
    HOSTILE_PUBLICATION,
    HOSTILE_TITLE,
    LONG_WORD,
    MANY,
    RLO,
    Site,
    web_site,
)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with web_site(tmp_path) as running:
        yield running


async def fetch(site: Site, path: str, **headers: str) -> tuple[int, str, CIMultiDictProxy[str]]:
    async with aiohttp.ClientSession() as http, http.get(site.url(path), headers=headers, allow_redirects=False) as r:
        return r.status, await r.text(), r.headers


async def page(site: Site, path: str, status: int = 200) -> ET.Element:
    got, text, headers = await fetch(site, path)
    assert got == status, text[:500]
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    return check_page(text)


async def film_id(site: Site, title: str) -> int:
    hits = await site.services.searcher.search(title)
    assert hits and hits[0].title == title
    return hits[0].film_id


def find(tree: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in tree.iter(tag) if cls in (e.get("class") or "").split()]


def one(tree: ET.Element, path: str) -> ET.Element:
    found = tree.find(path)
    assert found is not None, path
    return found


def terms(tree: ET.Element, cls: str) -> dict[str, str]:
    """A description list's terms and descriptions (``<dl class=cls><div><dt>..<dd>..``), as text."""
    return {
        text_of(one(div, "dt")): " ".join(text_of(one(div, "dd")).split())
        for dl in find(tree, "dl", cls)
        for div in dl.findall("div")
    }


async def test_the_film_page_of_the_seed_shows_its_facts_review_credits_and_sales(site: Site) -> None:
    tree = await page(site, f"/films/{await film_id(site, 'Return To Dust')}")
    text = " ".join(text_of(tree).split())
    assert text_of(one(tree, ".//h1")) == "Return To Dust"
    assert terms(tree, "facts") == {"Director": "Li Ruijun", "Year": "2022", "Runtime": "131 mins", "Country": "China"}
    assert "1 review" in text and "Screen International" in text  # an unsigned review, by its outlet
    # The verdict line /review shows: the summary's first verdict sentence, the body's own judgement.
    assert "Rather, this poetic tale of an arranged marriage" in text
    assert "Anchored by an authentic relationship" not in text  # the standfirst is the card's, not the line's
    credits = terms(tree, "credits")
    assert credits["Production companies"].startswith("Qizi Films, Beijing J.Q. Spring Pictures Company")
    assert credits["Main cast"] == "Wu Renlin, Hai Qing, Yang Guangrui, Zhao Dengping, Wang Cailan"
    assert "M-Appeal" in text and "sales@m-appeal.com" in text
    grid_links = [a.get("href") for a in tree.iter("a") if (a.get("href") or "").startswith("/festivals/")]
    assert grid_links == ["/festivals/Berlinale/2022"]
    (vcard,) = find(tree, "a", "vcard")
    assert vcard.get("href", "").endswith("/sales/1.vcf")


async def test_a_film_with_several_reviews_shows_each_outlets_verdict_and_rating(site: Site) -> None:
    tree = await page(site, f"/films/{await film_id(site, MANY)}")
    reviews = [" ".join(text_of(li).split()) for li in find(tree, "ol", "reviews")[0].findall("li")]
    assert len(reviews) == 4
    # newest first, each with its byline, its rating on its own scale and out of 100, and its verdict
    assert reviews[0].startswith("IndieWire · Reviewer 3")
    assert "The Hollywood Reporter · Reviewer 2 3/5 (60/100)" in reviews[1]
    assert "Variety · Reviewer 1 B+ (83/100)" in reviews[2]
    assert "Screen · Reviewer 0 ★★★★☆ (80/100)" in reviews[3] and "Screen on a windswept family drama" in reviews[3]
    text = " ".join(text_of(tree).split())
    facts = terms(tree, "facts")
    assert facts["Average rating"] == "74/100 from 3 rated reviews"
    assert facts["Director"] == "Ines Aalto" and facts["Countries"] == "Finland, Norway"
    links = [a.get("href") for li in find(tree, "ol", "reviews")[0].findall("li") for a in li.iter("a")]
    assert all(link and link.startswith("/reviews/") for link in links) and len(set(links)) == 4
    assert "www.nordic.example" in text
    assert any(a.get("href") == "https://www.nordic.example" for a in tree.iter("a"))


async def test_the_review_page_is_the_whole_card_and_the_whole_text(site: Site) -> None:
    fid = await film_id(site, "Return To Dust")
    (line,) = await site.services.store.film_reviews(fid)
    tree = await page(site, f"/reviews/{line.review_id}")
    text = " ".join(text_of(tree).split())
    assert find(tree, "p", "standfirst")[0].text == (
        "Anchored by an authentic relationship Li Ruijun’s portrait of provincial China is his most moving yet"
    )
    summary = {
        text_of(one(div, "dt")): text_of(one(div, "dd")) for div in tree.findall(".//section[@class='summary']/dl/div")
    }
    assert list(summary) == ["Verdict", "Story", "Prospects"]  # as the Discord card gives them
    assert summary["Verdict"].startswith("Rather, this poetic tale of an arranged marriage")
    assert text_of(one(tree, ".//blockquote")).strip() == "It packs a quiet emotional punch"
    stored = await site.services.store.get(line.review_id)
    assert stored is not None
    body = [p.text for p in tree.findall(".//section[@class='body']/p")]
    assert body[: len(stored.review.body)] == stored.review.body  # every paragraph, whole
    assert terms(tree, "facts")["Festival"] == "Berlinale 2022 · Competition"
    assert "Image:" not in text  # the seed credits its still, which the page does not show (nor the card)
    assert not find(tree, "p", "source")  # the seed has no address
    assert any(a.get("href") == f"/films/{fid}" for a in tree.iter("a"))


async def test_a_review_with_an_address_links_to_its_source_and_nothing_else_is_a_link(site: Site) -> None:
    fid = await film_id(site, MANY)
    line = (await site.services.store.film_reviews(fid))[0]
    tree = await page(site, f"/reviews/{line.review_id}")
    (source,) = [a for p in find(tree, "p", "source") for a in p.iter("a")]
    assert source.get("href") == line.url and line.url and line.url.startswith("https://")
    assert set((source.get("rel") or "").split()) >= {"noopener", "noreferrer", "nofollow"}


async def test_the_hostile_review_renders_inert_everywhere_it_appears(site: Site) -> None:
    hits = await site.services.searcher.search("Evil Film")
    film, review = hits[0].film_id, hits[0].review_id
    pages = [f"/reviews/{review}", f"/films/{film}", f"/festivals/{GRID_FESTIVAL}/{GRID_YEAR}", "/search?q=evil+film"]
    for path in pages:
        _, html, _ = await fetch(site, path)
        tree = check_page(html)  # no script, handler, image, frame, style or non-http link got in
        assert HOSTILE_TITLE in text_of(tree), path  # shown as the text it is
        for raw in ("<script>alert", "<img src=x", "<svg onload", "<iframe", "<b>Mallory"):
            assert raw not in html, (path, raw)
    _, html, _ = await fetch(site, f"/reviews/{review}")
    tree = check_page(html)
    text = text_of(tree)
    assert "javascript:alert('source')" in text  # the address is shown as text, not a link
    assert not [a for a in tree.iter("a") if "javascript" in (a.get("href") or "")]
    assert "@everyone [click](javascript:alert('md'))" in text and "**bold**" in text  # no markdown is rendered
    assert LONG_WORD in text
    # Inline review text is isolated, so a right-to-left override inside it cannot reorder what is around it.
    overridden = [e for e in tree.iter() if RLO in (e.text or "")]
    assert overridden and all(e.tag in ("bdi", "p") for e in overridden)
    _, html, _ = await fetch(site, f"/festivals/{GRID_FESTIVAL}/{GRID_YEAR}")
    headers = [text_of(th).strip() for th in check_page(html).iter("th") if th.get("scope") == "col"]
    assert HOSTILE_PUBLICATION in headers


async def test_search_finds_films_with_typos_as_review_does(site: Site) -> None:
    tree = await page(site, "/search?q=retun+to+dsut")
    (first, *_) = tree.findall(".//ol[@class='films']/li")
    link = first.find("a")
    assert link is not None and text_of(link) == "Return To Dust"
    assert link.get("href") == f"/films/{await film_id(site, 'Return To Dust')}"
    field = tree.find(".//input[@id='q']")
    assert field is not None and field.get("value") == "retun to dsut"  # the box keeps what was typed
    people = await page(site, "/search?q=ines+aalto")  # a director's name finds the film
    assert MANY in text_of(people)
    nothing = await page(site, "/search?q=zzqxj+vvvv")
    assert "No review matches" in text_of(nothing)
    odd = await page(site, "/search?q=" + "%F0%9F%8E%AC" * 300)  # a kilobyte of emoji
    assert "No review matches" in text_of(odd)


async def test_search_by_a_menu_value_or_nothing_goes_where_it_should(site: Site) -> None:
    fid = await film_id(site, MANY)
    status, _, headers = await fetch(site, f"/search?q=%23f{fid}")
    assert status == 302 and headers["Location"] == f"/films/{fid}"
    status, _, headers = await fetch(site, "/search?q=%2312")
    assert status == 302 and headers["Location"] == "/reviews/12"
    status, _, headers = await fetch(site, "/search?q=+")
    assert status == 302 and headers["Location"] == "/"


async def test_the_home_page_lists_the_newest_reviews_and_every_festival(site: Site) -> None:
    tree = await page(site, "/")
    recent = tree.findall(".//ul[@class='films']/li")
    assert len(recent) == 20
    festivals = [a.get("href") for a in tree.findall(".//ul[@class='festivals']/li/a")]
    assert "/festivals/Berlinale" in festivals and "/festivals/CPH%3ADOX" in festivals
    status, _, headers = await fetch(site, "/festivals/Berlinale")
    assert status == 302 and headers["Location"] == "/festivals/Berlinale/2030"  # its newest edition with reviews


async def test_missing_things_are_404_pages_that_say_what_is_missing(site: Site) -> None:
    for path, heading in [
        ("/films/999999", "Film not found"),
        ("/reviews/999999", "Review not found"),
        ("/films/abc", "Page not found"),
        ("/films/" + "9" * 40, "Page not found"),
        ("/nowhere", "Page not found"),
        ("/festivals/Atlantis/2031", "Festival not found"),
        (f"/festivals/{GRID_FESTIVAL}/1999", f"No reviews from {GRID_FESTIVAL} 1999"),
        ("/festivals/Sundance", "No reviews yet"),
        ("/reviews/1/sales/9.vcf", "Contact not found"),
    ]:
        tree = await page(site, path, status=404)
        assert text_of(one(tree, ".//h1")) == heading, path
    tree = await page(site, f"/festivals/{GRID_FESTIVAL}/1999", status=404)
    assert [a.get("href") for a in tree.findall(".//ul[@class='links']/li/a")] == [f"/festivals/Cannes/{GRID_YEAR}"]
    tree = await page(site, "/festivals/Canes/2031", status=404)
    assert "/festivals/Cannes" in [a.get("href") for a in tree.findall(".//ul[@class='links']/li/a")]
