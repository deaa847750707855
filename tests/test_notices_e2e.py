"""Digests, health alerts and threads under posts through the fake Discord, on both engines."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.client.bot import FestivalBot
from bot.domain.models import DeliveryOptions
from bot.parsing.parser import parse_review_text
from bot.storage import feeds as feedstore
from tests.conftest import database_env
from tests.discord_harness import fake_discord, running_bot, settings_for, until, write_corpus
from tests.fakediscord import ChannelType, FakeDiscord, P
from tests.feedsite import FeedSite

DAY = 86_400.0


def review(title: str, festival: str = "Berlinale") -> str:
    return (
        f"---\nfestival: {festival}\nsection: Competition\n"
        f"url: https://reviews.example.com/{title.lower().replace(' ', '-')}\n---\n"
        f"A bold new voice arrives\n\n{title}\n\nDir: Ana Lima. Portugal. 2026. 98 mins\n\n"
        "A farmer (Rui Costa) returns to a village that has forgotten him.\n\n"
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


def cog(bot: FestivalBot) -> Any:
    return bot.get_cog("Announce")


async def publish(bot: FestivalBot, text: str) -> int:
    parsed = parse_review_text(text, table=bot.services.festivals)
    status = await bot.services.store.ingest(parsed, source=f"test:{parsed.title}")
    cog(bot).announcer.wake()
    return status.review_id


async def announce(fake: FakeDiscord, sub: str, options: dict[str, Any], channel_id: int | None = None) -> str:
    res = await fake.slash_command(f"announce {sub}", options, member_permissions=P.ALL, channel_id=channel_id)
    content: str = (await res.response())["data"].get("content") or ""
    return content


# ---------------------------------------------------------------------------------- digests


async def test_a_digest_posts_once_with_the_days_reviews_and_nothing_on_an_empty_day(
    bot: FestivalBot, fake: FakeDiscord
) -> None:
    channel = fake.add_channel(fake.default_guild.id, "digest").id
    options = {"channel": channel, "festival": "Berlinale", "style": "digest", "hour": 9, "timezone": "Europe/Berlin"}
    reply = await announce(fake, "subscribe", options)
    assert "daily digest" in reply and "09:00 Europe/Berlin" in reply
    await publish(bot, review("The Salt Road"))
    await publish(bot, review("The Glass Orchard"))
    await publish(bot, review("Somewhere Else", festival="Cannes"))
    await asyncio.sleep(0.5)
    assert fake.channel_messages(channel) == []  # a digest subscription posts no review on its own
    tomorrow = time.time() + DAY  # the clock is injected: tomorrow's digest hour has passed
    assert await cog(bot).notices.run_once(tomorrow) == 1
    (post,) = fake.channel_messages(channel)
    (embed,) = post["embeds"]
    assert embed["title"] == "Berlinale: 2 new reviews"
    assert "The Salt Road" in embed["description"] and "The Glass Orchard" in embed["description"]
    assert "Somewhere Else" not in embed["description"]
    assert embed["footer"]["text"].startswith("Digest for ")
    (request,) = fake.requests_matching(f"POST /channels/{channel}/messages")
    assert request.json["nonce"] and request.json["enforce_nonce"] is True
    # the same day again, after a restart of the worker's loop, and an empty next day: nothing more
    assert await cog(bot).notices.run_once(tomorrow + 60) == 0
    assert await cog(bot).notices.run_once(tomorrow + DAY) == 0
    assert len(fake.channel_messages(channel)) == 1
    states = [state for _, _, state, _ in await bot.services.ledger.notices(fake.default_guild.id, "digest")]
    # (the running loop, on the real clock, found today's digest moment passed before the subscription existed)
    assert states in (["sent", "empty"], ["empty", "sent", "empty"])


async def test_a_forums_digest_is_a_post_of_its_own(bot: FestivalBot, fake: FakeDiscord) -> None:
    forum = fake.add_channel(fake.default_guild.id, "daily", type=ChannelType.FORUM).id
    await announce(fake, "subscribe", {"channel": forum, "festival": "Berlinale", "style": "digest", "hour": 0})
    await publish(bot, review("The Forum Film"))
    tomorrow = time.time() + DAY
    assert await cog(bot).notices.run_once(tomorrow) == 1
    (post,) = fake.requests_matching(f"POST /channels/{forum}/threads")
    assert post.json["name"].startswith("Digest · Berlinale · ")
    assert "The Forum Film" in post.json["message"]["embeds"][0]["description"]
    assert await cog(bot).notices.run_once(tomorrow + 60) == 0


async def test_a_bad_digest_time_zone_is_one_line_and_stores_nothing(bot: FestivalBot, fake: FakeDiscord) -> None:
    channel = fake.add_channel(fake.default_guild.id, "digest").id
    options = {"channel": channel, "festival": "all", "style": "digest", "timezone": "Europe/Berln"}
    reply = await announce(fake, "subscribe", options)
    assert "not a time zone" in reply and "Europe/Berlin" in reply and "\n" not in reply
    assert await bot.services.ledger.subscriptions() == []
    found = await fake.autocomplete(
        "announce subscribe", {"timezone": "tokyo"}, focused="timezone", member_permissions=P.ALL
    )
    assert [c["value"] for c in found] == ["Asia/Tokyo"]


# ---------------------------------------------------------------------------------- health alerts


async def test_a_paused_subscription_alerts_once_and_recovers_once(bot: FestivalBot, fake: FakeDiscord) -> None:
    setup = fake.add_channel(fake.default_guild.id, "mods").id
    news = fake.add_channel(fake.default_guild.id, "news").id
    await announce(fake, "subscribe", {"channel": news, "festival": "all"}, channel_id=setup)
    fake.set_overwrite(news, fake.bot_role(fake.default_guild.id), deny=P.SEND_MESSAGES)  # revoked afterwards
    await publish(bot, review("The Locked Room"))
    await until(lambda: len(posted(fake, setup)) == 1, what="the alert")
    await publish(bot, review("The Second Lock"))
    await asyncio.sleep(0.5)
    (alert,) = posted(fake, setup)  # once, however many reviews wait
    assert f"<#{news}>" in alert["content"] and "paused" in alert["content"]
    assert "Missing Permissions" in alert["content"] and "/announce subscribe" in alert["content"]
    fake.errors.clear()  # the 403 was provoked on purpose
    fake.set_overwrite(news, fake.bot_role(fake.default_guild.id), deny=0)
    assert "Updated" in await announce(fake, "subscribe", {"channel": news, "festival": "all"}, channel_id=setup)
    await until(lambda: len(posted(fake, setup)) == 2, what="the recovery notice")
    await until(lambda: len(fake.channel_messages(news)) == 1, what="the review held when it paused")
    await asyncio.sleep(0.5)
    recovered = posted(fake, setup)[1]
    assert "running again" in recovered["content"] and len(posted(fake, setup)) == 2


async def test_alerts_go_to_the_configured_channel(bot: FestivalBot, fake: FakeDiscord) -> None:
    alerts = fake.add_channel(fake.default_guild.id, "bot-alerts").id
    news = fake.add_channel(fake.default_guild.id, "news").id
    assert f"<#{alerts}>" in await announce(fake, "alerts", {"channel": alerts})
    await announce(fake, "subscribe", {"channel": news, "festival": "all"})
    res = await fake.slash_command("announce list", {}, member_permissions=P.ALL)
    fields = {f["name"]: f["value"] for f in (await res.response())["data"]["embeds"][0]["fields"]}
    assert f"<#{alerts}>" in fields["Health alerts"] and "digests and alerts" in fields["Background tasks"]
    sub, _ = await bot.services.ledger.subscribe(
        guild_id=fake.default_guild.id, channel_id=news, festival=None, delivery=DeliveryOptions(setup_channel_id=news)
    )
    await bot.services.ledger.pause(sub.id, "the channel is gone (Unknown Channel)")
    cog(bot).notices.wake()
    await until(lambda: len(fake.channel_messages(alerts)) == 1, what="the alert")
    assert "Unknown Channel" in fake.channel_messages(alerts)[0]["content"]
    assert fake.channel_messages(news) == []


async def test_a_servers_feed_failing_for_an_hour_is_told_where_it_was_added(
    bot: FestivalBot, fake: FakeDiscord
) -> None:
    setup = fake.add_channel(fake.default_guild.id, "feeds-admin").id
    async with FeedSite() as site:
        res = await fake.slash_command(
            "feeds add", {"url": site.url("/feeds/gone.xml")}, member_permissions=P.ALL, channel_id=setup
        )
        assert "Added feed" in ((await res.response())["data"].get("content") or "")
        (feed,) = await feedstore.all_feeds(bot.services.store, guild_id=fake.default_guild.id)
        await until(lambda: bool(site.requests), what="the first fetch")  # it fails: the site has no such feed
        await asyncio.sleep(0.3)
        assert posted(fake, setup) == []  # failing, but not for an hour yet
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=61)  # the poller's clock, an hour on
    for _ in range(2):
        await feedstore.record_failure(
            bot.services.store, feed.id, now=later, reason="HTTP 404: Not Found", error_count=9, next_poll_at=later
        )
    cog(bot).notices.wake()
    await until(lambda: len(posted(fake, setup)) == 1, what="the feed alert")
    await asyncio.sleep(0.3)
    (alert,) = posted(fake, setup)
    assert "failing for over an hour" in alert["content"] and "HTTP 404" in alert["content"]


# ---------------------------------------------------------------------------------- threads


async def test_thread_true_opens_one_thread_per_post_even_after_a_failure_between(
    bot: FestivalBot, fake: FakeDiscord
) -> None:
    channel = fake.add_channel(fake.default_guild.id, "talk").id
    reply = await announce(fake, "subscribe", {"channel": channel, "festival": "Berlinale", "thread": True})
    assert "a thread under each post" in reply
    # the first thread fails after its post went out: the retry lands on the same post (nonce) and opens it then
    fake.inject(f"POST /channels/{channel}/messages/*/threads", 503, count=1)
    await publish(bot, review("The Open Question"))
    await publish(bot, review("The Long Answer"))
    await until(lambda: len(threads_of(fake, channel)) == 2, timeout=30, what="two threads")
    await asyncio.sleep(0.5)
    posts = fake.channel_messages(channel)
    assert len(posts) == 2
    threads = threads_of(fake, channel)
    assert sorted(t.id for t in threads) == sorted(int(p["id"]) for p in posts)  # each under its post
    assert sorted(t.name.split(" (")[0] for t in threads) == ["The Long Answer", "The Open Question"]
    assert all(t.type == ChannelType.PUBLIC_THREAD for t in threads)
    delivered = await bot.services.store.reads.fetchall("SELECT message_id, thread_id FROM deliveries")
    assert all(message == thread for message, thread in delivered) and len(delivered) == 2
    # an updated review edits its post where it is, in the channel (a forum's would be in its thread)
    await publish(bot, review("The Long Answer").replace("98 mins", "101 mins"))
    await until(lambda: bool(fake.requests_matching(f"PATCH /channels/{channel}/messages/*")), what="the edit")
    assert len(threads_of(fake, channel)) == 2 and len(fake.channel_messages(channel)) == 2
    # opening it again (a crash after the thread, before it was recorded) finds the one already there
    sender = cog(bot).sender
    assert await sender.open_thread(channel, int(posts[0]["id"]), "again") == int(posts[0]["id"])
    fake.errors.clear()  # Discord's "a thread has already been created" was provoked on purpose
    assert len(threads_of(fake, channel)) == 2


def posted(fake: FakeDiscord, channel_id: int) -> list[dict[str, Any]]:
    """What the bot posted in a channel by itself (not its answers to commands)."""
    return [m for m in fake.channel_messages(channel_id) if m.get("type") == 0 and not m.get("interaction_metadata")]


def threads_of(fake: FakeDiscord, channel_id: int) -> list[Any]:
    return [c for c in fake.channels.values() if c.parent_id == channel_id and c.is_thread]
