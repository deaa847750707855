"""What an article page states about itself (JSON-LD, Open Graph, ``<meta>``) fills the review's blanks."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from bot.domain.festivals import FestivalTable
from bot.domain.models import Review
from bot.parsing.parser import parse_review_text
from bot.parsing.text_file import ReviewParseError
from bot.sources.article.dates import page_date
from bot.sources.article.front_matter import review_document
from bot.sources.article.metadata import PageMeta, page_metadata
from bot.sources.article.review_text import extract_review_text
from tests.pages import BASE, INDIEWIRE, NEWSPAPER, SCREEN, json_ld, open_graph, page, plain_meta, review_ld

URL = f"{BASE}/reviews/one"
DEC_2 = dt.date(2026, 12, 2)


def read(html: str) -> PageMeta:
    return page_metadata(html.replace("{base}", BASE), url=URL)


def parsed(html: str, festivals: FestivalTable) -> Review:
    """The page read the way ``festbot ingest URL`` reads it: metadata, extracted text, front matter, parser."""
    html = html.replace("{base}", BASE)
    meta = page_metadata(html, url=URL)
    document = review_document(
        extract_review_text(html, url=URL),
        url=URL,
        published_at=meta.published_at,
        reviewer=meta.author,
        publication=meta.publication,
        rating=meta.rating,
        image_url=meta.image_url,
    )
    return parse_review_text(document, source=URL, table=festivals)


def test_a_schema_org_review_of_a_movie_gives_author_date_rating_outlet_and_image() -> None:
    meta = read(page(SCREEN, review_ld()))
    assert meta.author == "Hallvard Quist-Ebrahimi"
    assert meta.published_at == dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)
    assert meta.publication == "Reel Ledger"
    assert meta.rating == "4/5"
    assert meta.image_url == f"{BASE}/img/lead-ledger.jpg"


def test_open_graph_alone() -> None:
    meta = read(page(SCREEN, open_graph()))
    assert (meta.author, meta.publication, meta.image_url) == (
        "Wenonah Braddock-Ilse",
        "Canal Street Review",
        f"{BASE}/img/og-lead.jpg",
    )
    assert meta.published_at == dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)
    assert meta.rating is None


def test_plain_meta_tags_alone() -> None:
    meta = read(page(SCREEN, plain_meta()))
    assert (meta.author, meta.publication, meta.image_url) == (
        "Cosimo Arbuthnot-Kell",
        "The Lamplight Gazette",
        f"{BASE}/img/meta-lead.jpg",
    )
    assert meta.published_at is not None and meta.published_at.date() == DEC_2


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Wed, 02 Dec 2026 14:30:00 +0100", dt.datetime(2026, 12, 2, 13, 30, tzinfo=dt.UTC)),  # RFC 2822
        ("December 2, 2026", dt.datetime(2026, 12, 2, tzinfo=dt.UTC)),
        ("2 Dec 2026", dt.datetime(2026, 12, 2, tzinfo=dt.UTC)),
        ("2026-12-02T14:30:00+01:00", dt.datetime(2026, 12, 2, 13, 30, tzinfo=dt.UTC)),  # ISO 8601
    ],
)
@pytest.mark.parametrize("where", ["json-ld", "open graph", "meta"])
def test_dates_in_each_common_format(written: str, expected: dt.datetime, where: str) -> None:
    head = {
        "json-ld": review_ld(published=written),
        "open graph": open_graph(published=written),
        "meta": plain_meta(date=written),
    }[where]
    assert read(page(SCREEN, head)).published_at == expected


@pytest.mark.parametrize("junk", ["", "soon", "5", "Tuesday", "2026-13-45", "x" * 500, "99/99/99999"])
def test_what_is_not_a_date_gives_none(junk: str) -> None:
    assert page_date(junk) is None


def test_json_ld_wins_over_open_graph_and_the_movie_image_is_a_fallback() -> None:
    meta = read(page(SCREEN, review_ld(image=None) + open_graph()))
    assert meta.author == "Hallvard Quist-Ebrahimi" and meta.publication == "Reel Ledger"
    assert meta.image_url == f"{BASE}/img/poster.jpg"  # the reviewed Movie's image, before og:image


@pytest.mark.parametrize(
    ("rating", "expected"),
    [
        ({"ratingValue": 3.5, "bestRating": 5}, "3.5/5"),
        ({"ratingValue": "8", "bestRating": "10"}, "8/10"),
        ({"ratingValue": 4}, "4/5"),  # schema.org's default best rating is 5
        ({"ratingValue": "B-"}, "B-"),
        ({"ratingValue": 9, "bestRating": 5}, None),  # more than the best: not a rating
        ({"ratingValue": "eleven"}, None),
        ({"ratingValue": True}, None),
    ],
)
def test_review_ratings_are_read_as_the_rating_parser_reads_them(
    rating: dict[str, object], expected: str | None
) -> None:
    assert read(page(SCREEN, review_ld(rating={"@type": "Rating", **rating}))).rating == expected


def test_metadata_fills_what_the_text_leaves_empty(festivals: FestivalTable) -> None:
    review = parsed(page(SCREEN, review_ld()), festivals)
    assert review.reviewer == "Hallvard Quist-Ebrahimi"  # Screen's layout has no byline
    assert review.rating is not None and (review.rating.text, review.rating.score) == ("4/5", 80.0)
    assert review.publication == "Reel Ledger"  # the page's own name, not the layout's guess
    assert review.image_url == f"{BASE}/img/lead-ledger.jpg"
    assert review.published_at == dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)
    assert review.image_credit == "Tallowmere Pictures"
    assert (review.title, review.runtime_minutes, review.directors) == (
        "The Lock-Keeper’s Ledger",
        96,
        ["Pilar Esteve-Ruhl"],
    )


def test_the_text_wins_over_metadata_except_for_the_image(festivals: FestivalTable) -> None:
    head = review_ld(author="Someone Else Entirely", rating={"@type": "Rating", "ratingValue": 1, "bestRating": 5})
    review = parsed(page(INDIEWIRE, head), festivals)
    assert review.title == "Quarry Lights"
    assert review.reviewer == "Marisol Quennell-Abara"  # the byline
    assert review.rating is not None and review.rating.text == "B+"  # the Grade: line
    assert review.image_url == f"{BASE}/img/lead-ledger.jpg"
    assert review.festival is not None and (review.festival.name, review.festival.section) == ("Sundance", "Midnight")
    assert review.runtime_minutes == 97


def test_a_newspaper_page_keeps_its_stars_caption_and_prose_facts(festivals: FestivalTable) -> None:
    review = parsed(page(NEWSPAPER, open_graph()), festivals)
    assert review.title == "Tallow Bay"
    assert review.rating is not None and review.rating.text == "★★★★☆"
    assert review.image_credit == "Gullstone Films"
    assert review.publication == "Canal Street Review"
    assert review.reviewer == "Wenonah Braddock-Ilse"
    assert review.image_url == f"{BASE}/img/og-lead.jpg"
    assert (review.sales, review.credits) == ([], {})


HOSTILE_HEADS = {
    "huge json-ld": json_ld({"@type": "Review", "author": "Huge Block", "padding": "x" * 300_000}),
    "invalid json": '<script type="application/ld+json">{"@type": "Review", "author": </script>',
    "deep nesting": '<script type="application/ld+json">' + "[" * 5000 + "]" * 5000 + "</script>",
    "javascript image": review_ld(image="javascript:alert(1)", rating={})
    + '<meta property="og:image" content="data:x">',
    "junk values": json_ld(
        {
            "@type": ["Review", 7],
            "author": [{"name": {"nested": "object"}}, 42, None, "https://example.com/people/x"],
            "datePublished": {"not": "a date"},
            "publisher": ["x" * 1000],
            "reviewRating": {"ratingValue": "99999999999/3"},
            "image": [{"url": "java\nscript:alert(1)"}, 17],
        }
    ),
    "control characters": json_ld({"@type": "Review", "author": "Ana\u0000 Bel\u0007", "publisher": "\u202e"}),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_HEADS))
def test_a_hostile_head_is_inert_and_the_review_is_read_whole(name: str, festivals: FestivalTable) -> None:
    html = page(SCREEN, HOSTILE_HEADS[name])
    meta = read(html)
    assert meta.image_url is None and meta.rating is None
    assert meta.author in (None, "Ana Bel", "Hallvard Quist-Ebrahimi")
    review = parsed(html, festivals)
    assert review.title == "The Lock-Keeper’s Ledger"
    assert review.sales[0].emails == ["films@quaystone.example.com"]
    assert review.cast == ["Consuelo Marrach", "Tiago Lameira", "Elvira Soutomaior"]
    json.dumps(review.model_dump(mode="json"))  # whatever metadata got through is plain, storable data


def test_front_matter_refuses_what_metadata_never_writes() -> None:
    text = SCREEN  # only the front matter matters here
    for line, reason in (
        ("page_rating: eleven", "front matter page_rating not understood"),
        ("image_url: javascript:alert(1)", "image_url is not an http(s) address"),
    ):
        with pytest.raises(ReviewParseError, match=re.escape(reason)):
            parse_review_text(f"---\n{line}\n---\n{text}", source="x")
