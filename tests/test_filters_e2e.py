"""Filtered subscriptions and watchlists through the fake Discord: posts, explanations and direct messages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.client.bot import FestivalBot
from bot.parsing.parser import parse_review_text
from tests.conftest import database_env
from tests.discord_harness import EPHEMERAL, fake_discord, running_bot, settings_for, until, write_corpus
from tests.fakediscord import FakeDiscord, P


def review_text(title: str, director: str, country: str, rating: str = "") -> str:
    url = f"https://reviews.example.com/{title.lower().replace(' ', '-')}"
    front = f"---\nfestival: Berlinale\nsection: Competition\n{rating}url: {url}\n---\n"
    return (
        f"{front}A patient first feature\n\n{title}\n\nDir: {director}. {country}. 2026. 98 mins\n\n"
        "A ferryman (Rui Costa) carries strangers across a river that is drying up.\n\n"
        "It premiered in competition and should travel widely.\n"
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord(10.0) as server:
        yield server


@pytest.fixture
async def bot(fake: FakeDiscord, tmp_path: Path, database: Path | str) -> AsyncIterator[FestivalBot]:
    write_corpus(tmp_path / "corpus")
    async with running_bot(settings_for(fake, tmp_path, **database_env(database))) as running:
        yield running


async def publish(bot: FestivalBot, text: str) -> int:
    review = parse_review_text(text, table=bot.services.festivals)
    status = await bot.services.store.ingest(review, source=f"test:{review.title}")
    bot.get_cog("Announce").announcer.wake()  # type: ignore[union-attr]
    bot.get_cog("Watch").messenger.wake()  # type: ignore[union-attr]
    return status.review_id


async def command(fake: FakeDiscord, name: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    res = await fake.slash_command(name, options or {}, member_permissions=P.ALL)
    data: dict[str, Any] = (await res.response())["data"]
    return data


async def test_a_filter_keeps_one_review_out_lets_another_in_and_says_which(
    bot: FestivalBot, fake: FakeDiscord
) -> None:
    channel = fake.add_channel(fake.default_guild.id, "chilean-films").id
    data = await command(
        fake,
        "announce subscribe",
        {"channel": channel, "festival": "Berlinale", "country": "Chile, Peru", "min_rating": 60},
    )
    assert "filtered by country: Chile, Peru · rating ≥ 60" in data["content"]
    listing = (await command(fake, "announce list"))["embeds"][0]["description"]
    assert "filters: country: Chile, Peru · rating ≥ 60" in listing

    kept_out = await publish(bot, review_text("The Ferryman", "Ana Lima", "Portugal", "rating: 4/5\n"))
    let_in = await publish(bot, review_text("Copper Dust", "Tomás Rojas", "Chile", "rating: 4/5\n"))
    await until(lambda: len(fake.channel_messages(channel)) == 1, what="the review the filter lets through")
    await asyncio.sleep(0.5)
    (posted,) = fake.channel_messages(channel)
    assert "Copper Dust" in posted["embeds"][0]["title"]
    assert kept_out != let_in

    # /announce test posts the newest review the filters let through, and says why.
    test = await command(fake, "announce test", {"channel": channel})
    assert "Posted a preview of Copper Dust" in test["content"]
    assert "Copper Dust: let through: country “Chile”; rating 80 ≥ 60." in test["content"]
    await until(lambda: len(fake.channel_messages(channel)) == 2, what="the preview")

    # A newer review of the festival that the filters keep out is named, with the filter that did.
    await publish(bot, review_text("Harbour Lights", "Mia Berg", "Norway", "rating: 5/5\n"))
    test = await command(fake, "announce test", {"channel": channel})
    assert "Newer, Harbour Lights: kept out: no country “Chile”, “Peru” among its countries." in test["content"]

    log = await command(fake, "announce log", {"title": "The Ferryman"})
    assert "filtered out: kept out: no country “Chile”, “Peru” among its countries" in log["embeds"][0]["description"]
    log = await command(fake, "announce log", {"title": "Copper Dust"})
    assert "sent — let through: country “Chile”; rating 80 ≥ 60" in log["embeds"][0]["description"]
    fake.assert_no_errors()


async def test_a_bad_filter_gets_a_one_line_answer_and_changes_nothing(bot: FestivalBot, fake: FakeDiscord) -> None:
    channel = fake.add_channel(fake.default_guild.id, "news").id
    many = ", ".join(f"word{n}" for n in range(12))
    data = await command(fake, "announce subscribe", {"channel": channel, "festival": "Berlinale", "words": many})
    assert (
        data["flags"] & EPHEMERAL
        and data["content"] == "`words` takes at most 10 values, comma-separated; you gave 12."
    )
    assert await bot.services.ledger.subscriptions() == []


async def test_a_watch_sends_the_member_one_direct_message(bot: FestivalBot, fake: FakeDiscord) -> None:
    member = fake.tester.id
    data = await command(fake, "watch add", {"kind": "person", "value": "Tomás Rojas"})
    assert data["flags"] & EPHEMERAL and "Following person “Tomás Rojas”" in data["content"]
    await command(fake, "watch add", {"kind": "country", "value": "chile"})
    listing = await command(fake, "watch list")
    assert "country: chile" in listing["embeds"][0]["description"]

    review_id = await publish(bot, review_text("Copper Dust", "Tomas Rojas", "Chile"))
    await until(lambda: len(fake.direct_messages(member)) == 1, what="the direct message")
    await publish(bot, review_text("Copper Dust", "Tomas Rojas", "Chile"))  # stored again, unchanged
    await publish(bot, review_text("The Ferryman", "Ana Lima", "Portugal"))  # matches no watch
    await asyncio.sleep(2.5)  # the worker's poll interval: anything more would have been sent by now
    (dm,) = fake.direct_messages(member)
    assert dm["content"] == "New review matching your watch on person “Tomás Rojas”:"
    assert "Copper Dust" in dm["embeds"][0]["title"]
    assert len(fake.requests_matching("POST /users/@me/channels")) == 1
    assert await bot.services.watchlist.deliveries(member) == [
        (review_id, "sent", "your watch on person “Tomás Rojas”")
    ]

    cleared = await command(fake, "watch clear")
    assert "Erased your data: 2 watches" in cleared["content"]
    assert await bot.services.watchlist.watches(member) == []
    assert await bot.services.watchlist.deliveries(member) == []
    await publish(bot, review_text("Salt Flats", "Tomás Rojas", "Chile"))
    await asyncio.sleep(2.5)
    assert len(fake.direct_messages(member)) == 1
    fake.assert_no_errors()


async def test_closed_dms_pause_the_watches_and_the_member_is_told_once(bot: FestivalBot, fake: FakeDiscord) -> None:
    member = fake.tester.id
    fake.closed_dms.add(member)
    await command(fake, "watch add", {"kind": "word", "value": "ferryman"})
    await publish(bot, review_text("The Ferryman", "Ana Lima", "Portugal"))

    def refused() -> list[Any]:
        return fake.requests_matching("POST /channels/*/messages", status=403)

    await until(lambda: len(refused()) == 1, what="the refused direct message")
    watchlist = bot.services.watchlist

    async def paused() -> bool:
        return all(w.paused_reason for w in await watchlist.watches(member))

    for _ in range(50):
        if await paused():
            break
        await asyncio.sleep(0.1)
    assert await paused()

    # The next command the member runs in the server answers as usual, then tells them, privately, once.
    res = await fake.slash_command("watch list", {}, member_permissions=P.ALL)
    assert "paused" in (await res.response())["data"]["embeds"][0]["description"]
    notice = await res.followup(0)
    assert notice["flags"] & EPHEMERAL and "your DMs are closed" in notice["content"]
    res = await fake.slash_command("watch list", {}, member_permissions=P.ALL)
    await res.response()
    await asyncio.sleep(0.5)
    assert res.followup_ids == []

    # Paused, the watch sends nothing more; resumed after opening DMs, it does.
    await publish(bot, review_text("The Ferryman Returns", "Ana Lima", "Portugal"))
    await asyncio.sleep(2.5)
    assert len(refused()) == 1
    fake.closed_dms.discard(member)
    resumed = await command(fake, "watch resume")
    assert "Resumed 1 watch" in resumed["content"]
    await publish(bot, review_text("The Ferryman Sails", "Ana Lima", "Portugal"))
    await until(lambda: len(fake.direct_messages(member)) == 1, what="the direct message after resuming")
    assert [e.status for e in fake.errors] == [403]
    fake.errors.clear()  # the 50007 was provoked on purpose
