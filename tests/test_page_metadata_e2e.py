"""Page metadata end to end: ``festbot ingest URL``, a feed poll, the CLI and Discord all keep and show it."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.client.bot import FestivalBot
from bot.domain.festivals import FestivalTable
from bot.domain.models import Review
from bot.sources.feeds.feed_list import add_feed
from bot.sources.feeds.guard import FetchPolicy
from bot.sources.feeds.http import FetchLimits
from bot.sources.feeds.pages import ingest_url
from bot.sources.feeds.poller import FeedPoller
from bot.storage.store import Store
from tests.conftest import FIXTURES, ROOT, SEED
from tests.discord_harness import fake_discord, running_bot, settings_for, until
from tests.fakediscord import FakeDiscord, P
from tests.feedsite import FeedSite, FeedSpec, Item
from tests.pages import INDIEWIRE, NEWSPAPER, SCREEN, json_ld, open_graph, page, review_ld

LIMITS = FetchLimits(timeout=2.0, max_bytes=5_000_000, max_redirects=5)


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    async with FeedSite() as served:
        served.pages["ledger"] = page(SCREEN, review_ld(published="December 2, 2026"))
        served.pages["quarry"] = page(INDIEWIRE, open_graph(published="Wed, 02 Dec 2026 09:30:00 +0000"))
        served.pages["tallow"] = page(NEWSPAPER, open_graph(site="The Lamplight Gazette", published="2 Dec 2026"))
        yield served


def assert_ledger_metadata(review: Review, base: str) -> None:
    """What the Screen-layout page's schema.org Review adds to a text that states none of it."""
    assert review.reviewer == "Hallvard Quist-Ebrahimi"
    assert review.publication == "Reel Ledger"
    assert review.rating is not None and (review.rating.text, review.rating.score) == ("4/5", 80.0)
    assert review.image_url == f"{base}/img/lead-ledger.jpg"
    assert review.image_credit == "Tallowmere Pictures"


async def test_ingest_url_stores_what_each_page_states(
    site: FeedSite, store: Store, festivals: FestivalTable, fetch_policy: FetchPolicy
) -> None:
    stored: dict[str, Review] = {}
    for name in ("ledger", "quarry", "tallow"):
        outcome = await ingest_url(store, site.url(f"/served/{name}"), table=festivals, policy=fetch_policy)
        assert outcome.status == "added", outcome.line()
        got = await store.get(outcome.review_id or 0)
        assert got is not None
        stored[name] = got.review
    assert_ledger_metadata(stored["ledger"], site.base)
    for review in stored.values():  # three formats of one day: December 2, 2026 / RFC 2822 / 2 Dec 2026
        assert review.published_at is not None and review.published_at.date() == dt.date(2026, 12, 2)
    quarry = stored["quarry"]
    assert (quarry.reviewer, quarry.rating and quarry.rating.text) == ("Marisol Quennell-Abara", "B+")  # the text's
    assert (quarry.publication, quarry.image_url) == ("Canal Street Review", f"{site.base}/img/og-lead.jpg")
    tallow = stored["tallow"]
    assert (tallow.rating and tallow.rating.text, tallow.publication) == ("★★★★☆", "The Lamplight Gazette")
    assert tallow.reviewer == "Wenonah Braddock-Ilse"


async def test_a_feed_poll_stores_the_page_metadata_and_the_entrys_date(
    site: FeedSite, store: Store, festivals: FestivalTable, fetch_policy: FetchPolicy
) -> None:
    published = dt.datetime(2026, 12, 1, 18, 0, tzinfo=dt.UTC)
    item = Item("Ledger", "/served/ledger", guid="rl-1", published=published, author=None)
    site.feeds["reviews"] = FeedSpec(items=[item])
    feed = await add_feed(store, site.url("/feeds/reviews.xml"))
    async with FeedPoller(store, table=festivals, limits=LIMITS, policy=fetch_policy) as poller:
        outcomes = await poller.poll_feed(feed.id)
    assert [o.status for o in outcomes] == ["added"]
    got = await store.get(outcomes[0].review_id or 0)
    assert got is not None
    assert_ledger_metadata(got.review, site.base)
    assert got.review.published_at == published  # the feed's own date for the entry comes first


async def test_a_hostile_page_stores_the_review_and_nothing_from_the_junk(
    site: FeedSite, store: Store, festivals: FestivalTable, fetch_policy: FetchPolicy
) -> None:
    junk = "\n".join(
        (
            json_ld({"@type": "Review", "author": "Huge Block", "padding": "x" * 1_000_000}),
            '<script type="application/ld+json">{"@type": "Review", "reviewRating": </script>',
            '<script type="application/ld+json">' + "[" * 100_000 + "]" * 100_000 + "</script>",
            json_ld({"@type": "Review", "image": "javascript:alert(1)", "reviewRating": {"ratingValue": "1e400"}}),
            '<meta property="og:image" content="javascript:alert(2)">',
            '<meta property="og:site_name" content="' + "S" * 5000 + '">',
        )
    )
    site.pages["hostile"] = page(SCREEN, junk)
    outcome = await ingest_url(store, site.url("/served/hostile"), table=festivals, policy=fetch_policy)
    assert outcome.status == "added", outcome.line()
    got = await store.get(outcome.review_id or 0)
    assert got is not None
    review = got.review
    assert (review.image_url, review.rating, review.reviewer) == (None, None, None)
    assert review.publication == "Screen International"  # the layout's, since the page named itself in junk
    assert review.title == "The Lock-Keeper’s Ledger" and review.runtime_minutes == 96
    assert review.sales[0].emails == ["films@quaystone.example.com"]
    assert len(review.body) >= 2


def test_cli_ingest_url_then_ask_shows_rating_outlet_and_image(cli_env: dict[str, str]) -> None:
    async def serve_and_run() -> tuple[str, list[subprocess.CompletedProcess[str]]]:
        async with FeedSite() as served:
            served.pages["ledger"] = page(SCREEN, review_ld())

            async def festbot(*args: str) -> subprocess.CompletedProcess[str]:
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot.cli", *args, cwd=ROOT, env=cli_env,
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                )  # fmt: skip
                out, err = await asyncio.wait_for(process.communicate(), 120)
                return subprocess.CompletedProcess(args, process.returncode or 0, out.decode(), err.decode())

            return served.base, [
                await festbot("ingest", served.url("/served/ledger")),
                await festbot("ask", "/review The Lock-Keeper's Ledger"),
            ]

    base, (ingested, asked) = asyncio.run(serve_and_run())
    assert ingested.returncode == 0 and ingested.stdout.startswith("added"), ingested.stderr
    assert asked.returncode == 0, asked.stderr
    text = asked.stdout
    assert "Rating: 4/5 (80/100)" in text
    assert f"[image] {base}/img/lead-ledger.jpg" in text
    assert "Image: Tallowmere Pictures" in text and "Reel Ledger" in text and "Hallvard Quist-Ebrahimi" in text


# --- Discord ------------------------------------------------------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord(10.0) as server:
        yield server


@pytest.fixture
async def bot(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[FestivalBot]:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "return-to-dust.txt").write_bytes(SEED.read_bytes())
    async with running_bot(settings_for(fake, tmp_path)) as running:
        yield running


async def admin(fake: FakeDiscord, command: str, options: dict[str, object]) -> dict[str, Any]:
    res = await fake.slash_command(command, options, member_permissions=P.ALL)
    data: dict[str, Any] = (await res.response())["data"]
    return data


async def test_the_lead_image_shows_on_the_announcement_and_on_review(
    bot: FestivalBot, fake: FakeDiscord, site: FeedSite
) -> None:
    channel = fake.add_channel(fake.default_guild.id, "reviews").id
    assert "Subscribed" in (await admin(fake, "announce subscribe", {"channel": channel, "festival": "all"}))["content"]
    site.feeds["reviews"] = FeedSpec(items=[Item("Ledger", "/served/ledger", guid="rl-1", author=None)])
    assert "Added feed" in (await admin(fake, "feeds add", {"url": site.url("/feeds/reviews.xml")}))["content"]
    # The page is read in a worker process at a lower priority: on a loaded machine its first start is slow.
    await until(lambda: len(fake.channel_messages(channel)) == 1, timeout=90, what="the page's announcement")
    image = f"{site.base}/img/lead-ledger.jpg"
    (announced,) = fake.channel_messages(channel)[0]["embeds"]
    assert announced["image"]["url"] == image

    data = (await (await fake.slash_command("review", {"title": "The Lock-Keeper's Ledger"})).response())["data"]
    (card,) = data["embeds"]
    assert card["image"]["url"] == image
    assert card["footer"]["text"].startswith("Image: Tallowmere Pictures · Reel Ledger · Review by Hallvard")
    assert {f["name"]: f["value"] for f in card["fields"]}["Rating"] == "4/5 (80/100)"


LAYOUT_TITLES = {
    "screen": "Kitefall",
    "variety": "The Lamplighter's Tax",
    "thr": "Grandma’s Orrery",
    "indiewire": "The Quiet Flock",
    "cineuropa": "Saltgrass",
    "newspaper": "Marble Hymn",
}


async def test_review_and_its_buttons_answer_for_every_layout(
    fake: FakeDiscord, tmp_path: Path, festivals: FestivalTable
) -> None:
    """Each layout's /review card, and every button on it, gives a real answer; no button leads nowhere."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    names = ("kitefall", "the-lamplighters-tax", "grandmas-orrery", "the-quiet-flock", "saltgrass", "marble-hymn")
    for name in names:
        (corpus / f"{name}.txt").write_bytes((FIXTURES / "reviews" / f"{name}.txt").read_bytes())
    async with running_bot(settings_for(fake, tmp_path)):
        for layout, title in LAYOUT_TITLES.items():
            res = await fake.slash_command("review", {"title": title})
            data = (await res.response())["data"]
            (card,) = data["embeds"]
            assert card["title"].startswith(title), layout  # with the original title, where it differs
            assert card["description"], layout  # the summary (or the first paragraph)
            message = await res.original()
            ids = [c["custom_id"] for row in data.get("components", []) for c in row["components"] if "custom_id" in c]
            if layout in ("indiewire", "newspaper"):  # no sales line in these layouts
                assert not any(i.endswith(":sales") for i in ids), layout
            else:
                assert any(i.endswith(":sales") for i in ids), layout
            for custom_id in ids:
                answer = (await (await fake.click_button(message, custom_id)).response())["data"]
                assert answer.get("embeds") and answer["embeds"][0].get("fields"), (layout, custom_id)
