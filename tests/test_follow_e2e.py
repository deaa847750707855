"""Follow mode through the fake Discord: /announce follow, one post published in the home channel, Discord's copy
in every following channel, direct posts for servers that do not follow, and the 10-an-hour publish limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.announce import publishing
from bot.client.bot import FestivalBot
from bot.config import Settings
from tests.conftest import database_env
from tests.discord_harness import fake_discord, running_bot, settings_for, until, write_corpus
from tests.fakediscord import ChannelType, FakeDiscord, P
from tests.fakediscord.following import CROSSPOSTED, IS_CROSSPOST
from tests.test_announce_e2e import new_review, publish


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord(10.0) as server:
        server.rate_limits.enabled = True  # publishing's 10 an hour per channel included, as Discord
        yield server


@pytest.fixture
def home(fake: FakeDiscord) -> int:
    """The bot's own server's announcement channel for the Berlinale."""
    return fake.add_channel(fake.default_guild.id, "berlinale-news", type=ChannelType.ANNOUNCEMENT).id


@pytest.fixture
async def bot(fake: FakeDiscord, home: int, tmp_path: Path, database: Path | str) -> AsyncIterator[FestivalBot]:
    write_corpus(tmp_path / "corpus")
    settings = settings_for(fake, tmp_path, FESTBOT_HOME_CHANNELS=f"Berlinale={home}", **database_env(database))
    async with running_bot(settings) as running:
        yield running


def pool_and_follower(fake: FakeDiscord, tmp_path: Path) -> tuple[int, int, int]:
    """Two announcement channels in the bot's server, and a server's channel the bot may make webhooks in."""
    guild = fake.default_guild.id
    first, second = (fake.add_channel(guild, name, type=ChannelType.ANNOUNCEMENT).id for name in ("news-1", "news-2"))
    club = fake.add_guild("Cinema Club", bot_permissions=P.BOT_DEFAULT | P.MANAGE_WEBHOOKS)
    write_corpus(tmp_path / "corpus")
    return first, second, fake.add_channel(club.id, "all-reviews").id


async def command(fake: FakeDiscord, guild_id: int, sub: str, options: dict[str, Any]) -> str:
    res = await fake.slash_command(f"announce {sub}", options, guild_id=guild_id, member_permissions=P.ALL)
    content: str = (await res.response())["data"]["content"]
    return content


async def test_followers_get_discords_copy_and_others_direct_posts(
    bot: FestivalBot, fake: FakeDiscord, home: int
) -> None:
    club = fake.add_guild("Cinema Club", bot_permissions=P.BOT_DEFAULT | P.MANAGE_WEBHOOKS)
    followed = fake.add_channel(club.id, "reviews").id
    plain = fake.add_guild("Plain")  # the bot may not make webhooks here
    direct = fake.add_channel(plain.id, "reviews").id

    refused = await command(fake, plain.id, "follow", {"channel": direct, "festival": "Berlinale"})
    assert "Manage Webhooks" in refused
    assert await command(fake, plain.id, "subscribe", {"channel": direct, "festival": "Berlinale"})
    await command(fake, club.id, "subscribe", {"channel": followed, "festival": "Berlinale"})
    done = await command(fake, club.id, "follow", {"channel": followed, "festival": "Berlinale"})
    assert "now follows" in done and "removed" in done  # its direct subscription would have doubled each review
    assert fake.followers == {home: {followed: fake.followers[home][followed]}}
    nothing = await command(fake, club.id, "follow", {"channel": followed, "festival": "Cannes"})
    assert "no announcement channel to follow for Cannes" in nothing

    await publish(bot, new_review("The Salt Road"))
    await until(lambda: bool(fake.channel_messages(followed) and fake.channel_messages(direct)), what="both servers")
    await asyncio.sleep(0.5)  # anything sent twice would arrive now
    (posted,) = fake.channel_messages(home)
    assert posted["flags"] & CROSSPOSTED  # published once, by the bot
    (copy,) = fake.channel_messages(followed)
    assert copy["flags"] & IS_CROSSPOST and copy["message_reference"]["message_id"] == posted["id"]
    assert copy["embeds"][0]["title"] == posted["embeds"][0]["title"]
    (sent,) = fake.channel_messages(direct)
    assert sent["embeds"][0]["title"] == posted["embeds"][0]["title"]
    sends = fake.requests_matching("POST /channels/{channel_id}/messages")
    assert {int(r.params["channel_id"]) for r in sends} == {home, direct}  # not one request into the follower
    assert [r for r in fake.requests if r.status == 429] == []


async def test_a_failed_publish_is_retried_and_followers_get_the_review_once(
    bot: FestivalBot, fake: FakeDiscord, home: int
) -> None:
    """Posted, then Discord fails the publish: not delivered; the resend's nonce finds the post and publishes it."""
    club = fake.add_guild("Cinema Club", bot_permissions=P.BOT_DEFAULT | P.MANAGE_WEBHOOKS)
    followed = fake.add_channel(club.id, "reviews").id
    await command(fake, club.id, "follow", {"channel": followed, "festival": "Berlinale"})
    fake.inject(f"POST /channels/{home}/messages/*/crosspost", 503)  # discord.py gives up on a 503 at once
    await publish(bot, new_review("The Salt Road"))
    await until(lambda: bool(fake.channel_messages(followed)), timeout=20, what="the follower's copy")
    await asyncio.sleep(0.5)
    assert len(fake.channel_messages(home)) == 1 and len(fake.channel_messages(followed)) == 1
    publishes = fake.requests_matching("POST /channels/{channel_id}/messages/{message_id}/crosspost")
    assert [r.status for r in publishes] == [503, 200] and len(fake.injected) == 1


async def test_the_publish_limit_queues_reviews_instead_of_drawing_429s(
    fake: FakeDiscord, home: int, tmp_path: Path, database: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two publishes per 4 s here, for Discord's 10 an hour: the third review waits, then goes, with no 429."""
    fake.rate_limits.set_rule("POST /channels/{channel_id}/messages/{message_id}/crosspost", 2, 4.0)
    monkeypatch.setattr(publishing, "PUBLISH_LIMIT", (2, 4.0))
    monkeypatch.setattr(publishing, "PUBLISH_MARGIN", 0.2)
    club = fake.add_guild("Cinema Club", bot_permissions=P.BOT_DEFAULT | P.MANAGE_WEBHOOKS)
    followed = fake.add_channel(club.id, "reviews").id
    write_corpus(tmp_path / "corpus")
    settings = settings_for(fake, tmp_path, FESTBOT_HOME_CHANNELS=f"*={home}", **database_env(database))
    async with running_bot(settings) as running:
        await command(fake, club.id, "follow", {"channel": followed, "festival": "all"})
        for title in ("First Light", "Second Wind", "Third Act"):
            await publish(running, new_review(title))
        await until(lambda: len(fake.channel_messages(followed)) == 2, what="two published at once")
        started = asyncio.get_running_loop().time()
        await until(lambda: len(fake.channel_messages(followed)) == 3, timeout=15, what="the third, queued")
        waited = asyncio.get_running_loop().time() - started
        assert waited >= 2.0  # it waited for the window, rather than being published at once
        assert len(fake.channel_messages(home)) == 3
        assert all(m["flags"] & CROSSPOSTED for m in fake.channel_messages(home))
    assert [r for r in fake.requests if r.status == 429] == []


async def test_a_pool_of_home_channels_spreads_festivals_and_followers_of_all_get_each_review_once(
    fake: FakeDiscord, tmp_path: Path, database: Path | str
) -> None:
    """Two pool channels: each festival keeps one, so each channel's 10 publishes an hour carry half the load."""
    first, second, everything = pool_and_follower(fake, tmp_path)
    club = fake.channels[everything].guild_id
    fans = fake.add_guild("Croisette Fans", bot_permissions=P.BOT_DEFAULT | P.MANAGE_WEBHOOKS)
    cannes_only = fake.add_channel(fans.id, "cannes").id
    settings = settings_for(fake, tmp_path, FESTBOT_HOME_CHANNELS=f"{first},*={second}", **database_env(database))
    async with running_bot(settings) as running:
        done = await command(fake, club, "follow", {"channel": everything, "festival": "all"})
        assert "announcement channels for every festival" in done
        assert await command(fake, fans.id, "follow", {"channel": cannes_only, "festival": "Cannes"})
        assert set(fake.followers) == {first, second}
        assert set(fake.followers[first]) == {everything, cannes_only}  # Cannes was given the first channel
        assert set(fake.followers[second]) == {everything}
        refused = await command(fake, fake.default_guild.id, "backfill", {"channel": first})
        assert "home channel of follow mode" in refused

        await publish(running, new_review("Morning Tide", festival="Cannes"))
        await publish(running, new_review("Winter Garden", festival="Berlinale"))
        await publish(running, new_review("Late Harvest", festival="Cannes"))
        await until(lambda: len(fake.channel_messages(everything)) == 3, what="every review, once, for 'all'")
        await asyncio.sleep(0.5)  # anything sent twice would arrive now

    def titles(channel: int) -> list[str]:
        return sorted(m["embeds"][0]["title"] for m in fake.channel_messages(channel))

    # Two publishes in one channel within the hour: discord.py alone would refuse the second (cogs/delivery.py).
    assert titles(first) == titles(cannes_only) == ["Late Harvest", "Morning Tide"]
    assert titles(second) == ["Winter Garden"]  # the next festival went to the channel carrying none
    assert titles(everything) == ["Late Harvest", "Morning Tide", "Winter Garden"]
    assert all(m["flags"] & CROSSPOSTED for m in fake.channel_messages(first) + fake.channel_messages(second))
    assert [r for r in fake.requests if r.status == 429] == []


async def test_a_pool_channel_added_later_is_followed_for_every_follower_of_all_before_it_carries_a_festival(
    fake: FakeDiscord, tmp_path: Path, database: Path | str
) -> None:
    first, second, everything = pool_and_follower(fake, tmp_path)
    club = fake.channels[everything].guild_id
    gone = fake.add_guild("Gone Quiet", bot_permissions=P.BOT_DEFAULT | P.MANAGE_WEBHOOKS)
    undone = fake.add_channel(gone.id, "reviews").id
    env = database_env(database)
    async with running_bot(settings_for(fake, tmp_path, FESTBOT_HOME_CHANNELS=f"{first}", **env)):
        for server, channel in ((club, everything), (gone.id, undone)):
            assert "now follows" in await command(fake, server, "follow", {"channel": channel, "festival": "all"})
    del fake.followers[first][undone]  # that server undid its follow in Discord's own settings
    async with running_bot(settings_for(fake, tmp_path, FESTBOT_HOME_CHANNELS=f"{first},{second}", **env)) as bot:
        await until(lambda: everything in fake.followers.get(second, {}), what="the follow extended to the new channel")
        assert undone not in fake.followers[second]  # forgotten, not followed again
        await publish(bot, new_review("Morning Tide", festival="Berlinale"))
        await until(lambda: len(fake.channel_messages(everything)) == 1, what="the first review")
        await publish(bot, new_review("Winter Garden", festival="Cannes"))
        await until(lambda: len(fake.channel_messages(everything)) == 2, what="the second review")
        await asyncio.sleep(0.5)
        assert len(fake.channel_messages(first)) == len(fake.channel_messages(second)) == 1  # spread over both

        left = await command(fake, club, "unfollow", {"channel": everything})
        assert "no longer follows" in left and "2 follows removed" in left
        assert everything not in fake.followers[first] and everything not in fake.followers[second]
        again = await command(fake, club, "unfollow", {"channel": everything})
        assert "does not follow" in again
    assert [r for r in fake.requests if r.status == 429] == []


def test_home_channels_are_read_from_one_setting() -> None:
    homes = Settings(FESTBOT_HOME_CHANNELS="Berlinale=111, 222, *=333").home_channels
    assert homes.own_channel("berlinale") == 111
    assert homes.own_channel("Cannes") is homes.own_channel(None) is None
    assert homes.pool == (222, 333) and homes.ids() == {111, 222, 333}
    assert not Settings().home_channels
    with pytest.raises(ValidationError, match="not FESTIVAL=CHANNEL_ID"):
        Settings(FESTBOT_HOME_CHANNELS="Berlinale=news")
    with pytest.raises(ValidationError, match="two home channels"):
        Settings(FESTBOT_HOME_CHANNELS="Berlinale=1,berlinale=2")
    with pytest.raises(ValidationError, match="given twice"):
        Settings(FESTBOT_HOME_CHANNELS="Berlinale=1,1")
