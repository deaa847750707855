"""The web pages served for real over loopback, from a real SQLite file filled with known reviews.

The reviews: the shipped seed (one unsigned review from a file), a film reviewed by four outlets, a
festival edition of 100 films rated by eight outlets across three sections, and a hostile review
(markup, script, a ``javascript:`` source, markdown, ``@everyone``, a right-to-left override and a
10,000-character word) that sits in that same grid, so every page it reaches is tested with it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.domain.models import FestivalRef, Rating, Review, SalesContact
from bot.services import Services, open_services
from bot.storage.store import Incoming
from bot.web.server import serve_pages
from tests.conftest import SEED

GRID_FESTIVAL, GRID_YEAR = "Cannes", 2031
SECTIONS = ("Competition", "Un Certain Regard", "Cannes Premiere")
OUTLETS = ("Screen", "Variety", "The Hollywood Reporter", "IndieWire", "The Guardian", "Le Monde", "Cahiers", "Sight")
GRID_FILMS = 100
MANY = "The Lighthouse Keeper's Daughter"

RLO = "\u202e"
LONG_WORD = "x" * 10_000
HOSTILE_TITLE = '<script>alert("title")</script> Evil Film'
HOSTILE_PUBLICATION = '"><img src=x onerror=alert("outlet")>'
HOSTILE = Review(
    title=HOSTILE_TITLE,
    original_title=f"{RLO}evil reversed",
    headline='"><img src=x onerror=alert("headline")> **bold** @everyone',
    pull_quote="<svg onload=alert('quote')></svg>",
    directors=["<b>Mallory</b>", f"{RLO}Eve"],
    countries=["<i>Nowhere</i>"],
    year=2031,
    runtime_minutes=66,
    festival=FestivalRef(name=GRID_FESTIVAL, section="Competition"),
    festival_year=GRID_YEAR,
    body=[
        "@everyone [click](javascript:alert('md')) <a href=\"javascript:alert('a')\">here</a> <@&123>",
        f"A word that never ends: {LONG_WORD}",
        f"{RLO}This sentence is reversed, and should not reverse the page around it.",
        '<iframe src="https://evil.example"></iframe><style>body{display:none}</style>',
    ],
    url="javascript:alert('source')",
    reviewer="<script>alert('critic')</script>",
    publication=HOSTILE_PUBLICATION,
    rating=Rating(text="<b>★★★★★</b>", score=100),
    sales=[
        SalesContact(
            company="Evil Sales;\r\nEND:VCARD\r\nBEGIN:VCARD\r\nFN:Injected",
            emails=["a@b.example<script>"],
            urls=["javascript:alert('website')"],
        )
    ],
)


def grid_review(film: int, outlet: int) -> Review:
    """Film ``film`` of the grid edition as outlet ``outlet`` rates it (scores spread so every column sorts)."""
    score = (film * 37 + outlet * 11) % 101
    return Review(
        title=f"Grid Film {film:03d}",
        headline=f"Outlet {outlet}'s standfirst for film {film}",
        directors=[f"Director {film:03d}"],
        countries=["France"],
        year=GRID_YEAR,
        runtime_minutes=90 + film % 40,
        festival=FestivalRef(name=GRID_FESTIVAL, section=SECTIONS[film % len(SECTIONS)]),
        festival_year=GRID_YEAR,
        body=[f"{OUTLETS[outlet]} on film {film}: a verdict worth {score} out of 100."],
        url=f"https://reviews.example/{outlet}/{film}",
        published_at=dt.datetime(GRID_YEAR, 5, 14, 9, tzinfo=dt.UTC) + dt.timedelta(minutes=film * 10 + outlet),
        reviewer=f"Critic {outlet}",
        publication=OUTLETS[outlet],
        rating=Rating(text=f"{score}/100", score=score),
    )


def many_reviews() -> list[Review]:
    """One film, four outlets' reviews of it, with ratings on different scales."""
    ratings = [Rating(text="★★★★☆", score=80), Rating(text="B+", score=83), Rating(text="3/5", score=60), None]
    return [
        Review(
            title=MANY,
            headline=f"{outlet} on a windswept family drama",
            directors=["Ines Aalto"],
            countries=["Finland", "Norway"],
            year=2030,
            runtime_minutes=104,
            festival=FestivalRef(name="Berlinale", section="Panorama"),
            festival_year=2030,
            body=[f"{outlet} finds the keeper's daughter stubborn and the sea relentless."],
            url=f"https://{outlet.lower().replace(' ', '')}.example/lighthouse",
            published_at=dt.datetime(2030, 2, 16 + n, 12, tzinfo=dt.UTC),
            reviewer=f"Reviewer {n}",
            publication=outlet,
            rating=rating,
            sales=[SalesContact(company="Nordic Sales", emails=["sales@nordic.example"], urls=["www.nordic.example"])],
        )
        for n, (outlet, rating) in enumerate(zip(OUTLETS[:4], ratings, strict=True))
    ]


@dataclass
class Site:
    base: str
    services: Services

    def url(self, path: str) -> str:
        return self.base + path


async def fill(services: Services) -> None:
    """The reviews above, in the store (the seed is already there: open_services loads it)."""
    grid = [
        grid_review(film, outlet)
        for film in range(GRID_FILMS)
        for outlet in range(len(OUTLETS))
        if (film + outlet) % 3  # not every outlet reviews every film: empty cells too
    ]
    stored = await services.store.ingest_many([Incoming(review) for review in [*many_reviews(), *grid, HOSTILE]])
    assert not [outcome for outcome in stored if isinstance(outcome, Exception)]


@contextlib.asynccontextmanager
async def web_site(tmp_path: Path, *, filled: bool = True, **settings: object) -> AsyncIterator[Site]:
    """The pages on a free loopback port over a fresh database (the seed, and :func:`fill`'s reviews)."""
    seed_dir = tmp_path / "seed"
    seed_dir.mkdir(exist_ok=True)
    (seed_dir / SEED.name).write_bytes(SEED.read_bytes())
    config = Settings(FESTBOT_DB=tmp_path / "web.db", FESTBOT_SEED_DIR=seed_dir, **settings)  # type: ignore[arg-type]
    async with open_services(config) as services:
        if filled:
            await fill(services)
        async with serve_pages(services, "127.0.0.1", 0) as base:
            yield Site(base, services)
