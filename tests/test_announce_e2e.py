"""Announcements through the fake Discord: subscriptions, fan-out, faults, edits, and SIGKILL; on both engines."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.client.bot import FestivalBot
from bot.domain.models import DeliveryJob
from bot.health import Health, TaskState
from bot.parsing.parser import parse_review_text
from bot.storage import sqlite
from bot.storage.ledger import Ledger
from bot.storage.store import open_store
from tests.conftest import ROOT, database_env
from tests.discord_harness import EPHEMERAL, TOKEN, fake_discord, running_bot, settings_for, until, write_corpus
from tests.fakediscord import ChannelType, FakeDiscord, P


def new_review(title: str, festival: str = "Berlinale", section: str = "Competition", runtime: int = 98) -> str:
    return (
        f"---\nfestival: {festival}\nsection: {section}\n"
        f"url: https://reviews.example.com/{title.lower().replace(' ', '-')}\n---\n"
        f"A bold new voice arrives\n\n{title}\n\nDir: Ana Lima. Portugal. 2026. {runtime} mins\n\n"
        "A farmer (Rui Costa) returns to a village that has forgotten him, and @everyone notices.\n\n"
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


def text_channels(fake: FakeDiscord, count: int, prefix: str = "news") -> list[int]:
    guild = fake.default_guild
    return [fake.add_channel(guild.id, f"{prefix}-{i}").id for i in range(count)]


async def publish(bot: FestivalBot, text: str) -> int:
    """Store a review as any source would, and nudge the worker."""
    review = parse_review_text(text, table=bot.services.festivals)
    status = await bot.services.store.ingest(review, source=f"test:{review.title}")
    bot.get_cog("Announce").announcer.wake()  # type: ignore[union-attr]
    return status.review_id


async def announce(fake: FakeDiscord, sub: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run an /announce subcommand as a server manager and return the response payload's data."""
    res = await fake.slash_command(f"announce {sub}", options or {}, member_permissions=P.ALL)
    data: dict[str, Any] = (await res.response())["data"]
    return data


def announced(fake: FakeDiscord, channels: list[int]) -> dict[int, int]:
    return {c: len(fake.channel_messages(c)) for c in channels}


# ---------------------------------------------------------------------------------- subscribing


async def test_only_manage_server_may_subscribe(bot: FestivalBot, fake: FakeDiscord) -> None:
    (channel,) = text_channels(fake, 1)
    res = await fake.slash_command(
        "announce subscribe", {"channel": channel, "festival": "Berlinale"}, member_permissions=P.EVERYONE_DEFAULT
    )
    data = (await res.response())["data"]
    assert data["flags"] & EPHEMERAL and "Manage" in data["content"]
    assert await bot.services.ledger.subscriptions() == []


async def test_subscribe_checks_the_bots_permissions(bot: FestivalBot, fake: FakeDiscord) -> None:
    (channel,) = text_channels(fake, 1)
    fake.set_overwrite(channel, fake.bot_role(fake.default_guild.id), deny=P.SEND_MESSAGES | P.EMBED_LINKS)
    data = await announce(fake, "subscribe", {"channel": channel, "festival": "Berlinale"})
    assert data["flags"] & EPHEMERAL
    assert "Send Messages" in data["content"] and "Embed Links" in data["content"]
    assert await bot.services.ledger.subscriptions() == []


async def test_subscribe_does_not_flood_and_list_shows_it(bot: FestivalBot, fake: FakeDiscord) -> None:
    (channel,) = text_channels(fake, 1)
    data = await announce(fake, "subscribe", {"channel": channel, "festival": "berlin film festival"})
    assert "Subscribed" in data["content"] and "Berlinale" in data["content"]
    await asyncio.sleep(0.5)
    assert fake.channel_messages(channel) == []  # the corpus holds 15 Berlinale reviews; none is reposted
    listing = await announce(fake, "list")
    assert f"<#{channel}>" in listing["embeds"][0]["description"] and "active" in listing["embeds"][0]["description"]
    backfill = await announce(fake, "backfill", {"channel": channel, "count": 3})
    assert "Queued 3 reviews" in backfill["content"]
    await until(lambda: len(fake.channel_messages(channel)) == 3, what="backfill")


# ---------------------------------------------------------------------------------- unsubscribing


async def test_unsubscribe_one_festival_then_all(bot: FestivalBot, fake: FakeDiscord) -> None:
    channel, witness = text_channels(fake, 2)
    for festival in ("Berlinale", "Cannes", "all"):
        await announce(fake, "subscribe", {"channel": channel, "festival": festival})
    await announce(fake, "subscribe", {"channel": witness, "festival": "Berlinale"})

    unknown = await announce(fake, "unsubscribe", {"channel": channel, "festival": "Atlantis"})
    assert "I don't know a festival called “Atlantis”" in unknown["content"]  # not taken to mean all of them
    one = await announce(fake, "unsubscribe", {"channel": channel, "festival": "berlin film festival"})
    assert one["flags"] & EPHEMERAL and one["content"] == f"Removed 1 subscription from <#{channel}>."
    listing = (await announce(fake, "list"))["embeds"][0]["description"]
    assert f"<#{channel}> — Berlinale" not in listing
    assert f"<#{channel}> — Cannes" in listing and f"<#{channel}> — every festival" in listing

    rest = await announce(fake, "unsubscribe", {"channel": channel, "festival": "all"})
    assert rest["content"] == f"Removed 2 subscriptions from <#{channel}>."
    listing = (await announce(fake, "list"))["embeds"][0]["description"]
    assert f"<#{channel}>" not in listing and f"<#{witness}> — Berlinale" in listing
    again = await announce(fake, "unsubscribe", {"channel": channel})
    assert again["content"] == f"<#{channel}> had no matching subscription."

    await publish(bot, new_review("The Empty Room"))
    await until(lambda: len(fake.channel_messages(witness)) == 1, what="the channel still subscribed")
    await asyncio.sleep(0.3)
    assert fake.channel_messages(channel) == []
    assert fake.requests_matching(f"POST /channels/{channel}/messages") == []


async def test_only_manage_server_may_unsubscribe(bot: FestivalBot, fake: FakeDiscord) -> None:
    (channel,) = text_channels(fake, 1)
    await announce(fake, "subscribe", {"channel": channel, "festival": "all"})
    res = await fake.slash_command(
        "announce unsubscribe", {"channel": channel, "festival": "all"}, member_permissions=P.EVERYONE_DEFAULT
    )
    data = (await res.response())["data"]
    assert data["flags"] & EPHEMERAL and "Manage" in data["content"]
    assert [s.channel_id for s in await bot.services.ledger.subscriptions()] == [channel]


# ---------------------------------------------------------------------------------- fan-out


async def test_fan_out_once_per_channel_with_no_mentions(bot: FestivalBot, fake: FakeDiscord) -> None:
    channels = text_channels(fake, 60)
    for channel in channels:
        await bot.services.ledger.subscribe(guild_id=fake.default_guild.id, channel_id=channel, festival="Berlinale")
    other = text_channels(fake, 1, "cannes")[0]
    await bot.services.ledger.subscribe(guild_id=fake.default_guild.id, channel_id=other, festival="Cannes")
    await publish(bot, new_review("The Quiet Field"))
    await until(lambda: all(n == 1 for n in announced(fake, channels).values()), what="fan-out")
    await asyncio.sleep(0.3)
    assert set(announced(fake, channels).values()) == {1}
    assert fake.channel_messages(other) == []  # filtered out
    posts = fake.requests_matching("POST /channels/*/messages")
    assert len(posts) == 60
    assert all(r.json["allowed_mentions"] == {"parse": []} for r in posts)
    assert all(r.json["enforce_nonce"] is True and r.json["nonce"] for r in posts)
    assert len({r.json["nonce"] for r in posts}) == 60
    message = fake.channel_messages(channels[0])[0]
    assert message["embeds"][0]["title"] == "The Quiet Field"
    labels = {c["label"] for row in message["components"] for c in row["components"]}
    assert "Credits" in labels and "Sales contact" not in labels  # the review names no sales agent
    log = await announce(fake, "log")
    assert "✅ sent" in log["embeds"][0]["description"]


async def test_a_channel_subscribed_twice_over_gets_each_review_once(bot: FestivalBot, fake: FakeDiscord) -> None:
    (channel,) = text_channels(fake, 1)
    await announce(fake, "subscribe", {"channel": channel, "festival": "Berlinale"})
    await announce(fake, "subscribe", {"channel": channel, "festival": "all"})
    await publish(bot, new_review("The Twice Told"))
    await until(lambda: len(fake.channel_messages(channel)) >= 1, what="the announcement")
    await asyncio.sleep(0.5)
    assert len(fake.channel_messages(channel)) == 1
    log = (await announce(fake, "log", {"title": "The Twice Told"}))["embeds"][0]["description"]
    assert f"<#{channel}> (Berlinale): ✅ sent" in log and f"<#{channel}> (all festivals): ✅ sent" in log
    backfill = await announce(fake, "backfill", {"channel": channel, "count": 3})
    assert "Queued 3 reviews" in backfill["content"]  # the channel's three newest it has not had, once each
    await until(lambda: len(fake.channel_messages(channel)) >= 4, what="the backfill")
    await asyncio.sleep(0.5)
    titles = [m["embeds"][0]["title"] for m in fake.channel_messages(channel)]
    assert len(titles) == len(set(titles)) == 4


async def test_role_ping_only_when_opted_in(bot: FestivalBot, fake: FakeDiscord) -> None:
    guild = fake.default_guild
    role = fake.add_role(guild.id, "critics", mentionable=True)
    plain, pinged = text_channels(fake, 2)
    await announce(fake, "subscribe", {"channel": plain, "festival": "all"})
    data = await announce(
        fake, "subscribe", {"channel": pinged, "festival": "all", "role": role.id, "style": "compact"}
    )
    assert "pinging" in data["content"]
    await publish(bot, new_review("The Loud Bell"))
    await until(lambda: all(announced(fake, [plain, pinged]).values()), what="both channels")
    plain_post, pinged_post = (fake.requests_matching(f"POST /channels/{c}/messages")[0].json for c in (plain, pinged))
    assert plain_post["allowed_mentions"] == {"parse": []}
    assert "<@&" not in (plain_post.get("content") or "")
    mentions = pinged_post["allowed_mentions"]
    assert mentions["parse"] == [] and [int(r) for r in mentions["roles"]] == [role.id]  # that role only
    assert pinged_post["content"].startswith(f"<@&{role.id}> **The Loud Bell**")
    assert "https://reviews.example.com/the-loud-bell" in pinged_post["content"]  # compact: one line and the link
    assert not pinged_post.get("embeds")


async def test_forum_gets_one_post_per_review(bot: FestivalBot, fake: FakeDiscord) -> None:
    forum = fake.add_channel(fake.default_guild.id, "reviews-forum", type=ChannelType.FORUM).id
    assert "Subscribed" in (await announce(fake, "subscribe", {"channel": forum, "festival": "Berlinale"}))["content"]
    review_id = await publish(bot, new_review("The Long Shore"))
    await until(lambda: bool(fake.requests_matching(f"POST /channels/{forum}/threads")), what="forum post")
    (post,) = fake.requests_matching(f"POST /channels/{forum}/threads")
    # unsigned: its number tells it apart from another Screen-layout review of the film
    assert post.json["name"] == f"The Long Shore (2026) · Screen International · #{review_id}"
    assert post.json["message"]["embeds"][0]["title"] == "The Long Shore"


# ---------------------------------------------------------------------------------- faults


async def test_retries_through_429s_and_server_errors(bot: FestivalBot, fake: FakeDiscord) -> None:
    channels = text_channels(fake, 6)
    for channel in channels:
        await bot.services.ledger.subscribe(guild_id=fake.default_guild.id, channel_id=channel, festival=None)
    fake.inject(f"POST /channels/{channels[0]}/messages", 429, retry_after=0.1)
    fake.inject(f"POST /channels/{channels[1]}/messages", 429, retry_after=0.1, global_=True)
    fake.inject(f"POST /channels/{channels[2]}/messages", 503, count=2)  # discord.py gives up on 503 at once
    fake.inject(f"POST /channels/{channels[3]}/messages", 500)  # discord.py retries a 500 itself
    await publish(bot, new_review("The Stubborn Mule"))
    await until(lambda: all(n == 1 for n in announced(fake, channels).values()), timeout=30, what="recovery")
    await asyncio.sleep(0.3)
    assert set(announced(fake, channels).values()) == {1}
    assert len(fake.injected) == 5
    assert await bot.services.ledger.counts() == {"sent": 6}


async def test_forbidden_channel_pauses_only_its_subscription(bot: FestivalBot, fake: FakeDiscord) -> None:
    good, bad = text_channels(fake, 2)
    for channel in (good, bad):
        await announce(fake, "subscribe", {"channel": channel, "festival": "all"})
    fake.set_overwrite(bad, fake.bot_role(fake.default_guild.id), deny=P.SEND_MESSAGES)  # revoked afterwards
    await publish(bot, new_review("The Closed Door"))
    await until(lambda: len(fake.channel_messages(good)) == 1, what="the good channel")
    for _ in range(100):
        subs = {s.channel_id: s for s in await bot.services.ledger.subscriptions()}
        if not subs[bad].active:
            break
        await asyncio.sleep(0.05)
    assert subs[good].active
    reason = subs[bad].paused_reason
    assert reason and "Missing Permissions" in reason
    fake.errors.clear()  # the 403 was provoked on purpose
    listing = await announce(fake, "list")
    assert "paused: Discord refused: Missing Permissions" in listing["embeds"][0]["description"]
    await publish(bot, new_review("The Second Door"))
    await until(lambda: len(fake.channel_messages(good)) == 2, what="the second review")
    assert fake.channel_messages(bad) == []


async def test_update_edits_the_announcement(bot: FestivalBot, fake: FakeDiscord) -> None:
    (channel,) = text_channels(fake, 1)
    await announce(fake, "subscribe", {"channel": channel, "festival": "all"})
    await publish(bot, new_review("The Fixed Cut", runtime=98))
    await until(lambda: len(fake.channel_messages(channel)) == 1, what="announcement")
    await publish(bot, new_review("The Fixed Cut", runtime=101))
    await until(lambda: bool(fake.requests_matching(f"PATCH /channels/{channel}/messages/*")), what="edit")
    (message,) = fake.channel_messages(channel)
    fields = {f["name"]: f["value"] for f in message["embeds"][0]["fields"]}
    assert fields["Runtime"] == "101 mins"


async def test_log_explains_each_channel_for_a_title(bot: FestivalBot, fake: FakeDiscord) -> None:
    berlin, cannes = text_channels(fake, 2)
    await announce(fake, "subscribe", {"channel": berlin, "festival": "Berlinale"})
    await announce(fake, "subscribe", {"channel": cannes, "festival": "Cannes"})
    await publish(bot, new_review("The Clear Reason"))
    await until(lambda: len(fake.channel_messages(berlin)) == 1, what="announcement")
    await asyncio.sleep(0.2)
    data = await announce(fake, "log", {"title": "The Clear Reason"})
    text = data["embeds"][0]["description"]
    assert f"<#{berlin}> (Berlinale): ✅ sent" in text
    assert f"<#{cannes}> (Cannes): filtered out: the review is from Berlinale, not Cannes" in text


async def test_preview_posts_now(bot: FestivalBot, fake: FakeDiscord) -> None:
    (channel,) = text_channels(fake, 1)
    await announce(fake, "subscribe", {"channel": channel, "festival": "Berlinale"})
    data = await announce(fake, "test")
    assert "Posted a preview" in (data.get("content") or "") or data.get("type") == 5
    await until(lambda: len(fake.channel_messages(channel)) == 1, what="preview")


# ---------------------------------------------------------------------------------- exactly once


async def _start(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_sigkill_mid_fan_out_then_restart_gives_exactly_one_each(
    fake: FakeDiscord, tmp_path: Path, cli_env: dict[str, str], database: Path | str
) -> None:
    fake.rate_limits.enabled = True  # 50 requests/s globally, 5 messages/5 s per channel, as Discord
    channels = text_channels(fake, 200)
    write_corpus(tmp_path / "corpus")
    settings = settings_for(fake, tmp_path, **database_env(database))
    async with open_store(settings.database) as store:
        ledger = Ledger(store)
        for channel in channels:
            await ledger.subscribe(guild_id=fake.default_guild.id, channel_id=channel, festival="Berlinale")
    env = {
        **cli_env,
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_BASE_URL": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "FESTBOT_SEED_DIR": str(tmp_path / "corpus"),
        # A fifth of the global limit left free: the fake counts requests when its loop reaches them, and on a
        # loaded machine a stall there bunches paced requests into one of its windows (a 429 Discord would not
        # have drawn). The default pace is measured by bench/ on an idle machine.
        "FESTBOT_SEND_RATE": "40",
        **database_env(database),
    }
    first = await _start(env)
    try:
        await fake.wait_until_identified(timeout=30)
        review = tmp_path / "new.txt"
        review.write_text(new_review("The Hard Stop"), encoding="utf-8")
        ingest = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "ingest", str(review), cwd=ROOT, env=env
        )
        assert await asyncio.wait_for(ingest.wait(), 60) == 0
        await until(lambda: sum(announced(fake, channels).values()) >= 40, timeout=30, what="fan-out to start")
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    posted_before = sum(announced(fake, channels).values())
    assert posted_before < 200, "the kill came too late to interrupt the fan-out"
    await asyncio.sleep(1.1)  # a restart takes longer than this; it lets the killed process's global window pass

    second = await _start(env)
    try:
        await until(lambda: all(announced(fake, channels).values()), timeout=60, what="fan-out to finish")
        await asyncio.sleep(1.0)  # anything still in flight would land now
    finally:
        second.send_signal(signal.SIGTERM)
        _, err = await second.communicate()
    counts = announced(fake, channels)
    assert set(counts.values()) == {1}, {c: n for c, n in counts.items() if n != 1}
    assert second.returncode == 0, err.decode()[-2000:]
    rate_limited = [r for r in fake.requests if r.status == 429]
    assert rate_limited == []  # paced, not pushed back
    async with open_store(settings.database) as store:
        assert await Ledger(store).counts() == {"sent": 200}


# ---------------------------------------------------------------------------------- supervision


async def test_the_delivery_worker_rides_out_a_locked_database_and_says_so(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bot's writes give up on a lock after 0.2 s instead of 5 s, to keep the test short.
    monkeypatch.setattr(sqlite, "_PRAGMAS", tuple(p.replace("5000", "200") for p in sqlite._PRAGMAS))
    write_corpus(tmp_path / "corpus")
    async with running_bot(settings_for(fake, tmp_path)) as bot:
        (channel,) = text_channels(fake, 1)
        await announce(fake, "subscribe", {"channel": channel, "festival": "all"})
        holder = sqlite3.connect(bot.services.settings.db_path, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")  # `festbot ingest` in another process, holding the write lock
            bot.get_cog("Announce").announcer.wake()  # type: ignore[union-attr]
            health = bot.services.health
            await until(lambda: worker_state(health) == TaskState.RETRYING, what="the worker to meet the lock")
            listing = (await announce(fake, "list"))["embeds"][0]
            tasks = {f["name"]: f["value"] for f in listing["fields"]}["Background tasks"]
            assert "⚠️ retrying — delivery worker since <t:" in tasks
            assert "the database is unavailable (database is locked)" in tasks
            assert "✅ running — inbox watcher" in tasks
        finally:
            holder.execute("COMMIT")
            holder.close()
        await publish(bot, new_review("The Locked Door"))
        await until(lambda: len(fake.channel_messages(channel)) == 1, what="the announcement after the lock")
        assert worker_state(bot.services.health) == TaskState.RUNNING


async def test_the_delivery_worker_is_restarted_after_an_unexpected_error(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    claim_due = Ledger.claim_due
    failures = 0

    async def failing_once(self: Ledger, *args: Any, **kwargs: Any) -> list[DeliveryJob]:
        nonlocal failures
        if failures == 0:
            failures += 1
            raise RuntimeError("a bug in claiming")
        return await claim_due(self, *args, **kwargs)

    monkeypatch.setattr(Ledger, "claim_due", failing_once)
    write_corpus(tmp_path / "corpus")
    async with running_bot(settings_for(fake, tmp_path)) as bot:
        (channel,) = text_channels(fake, 1)
        await announce(fake, "subscribe", {"channel": channel, "festival": "all"})
        await publish(bot, new_review("The Second Wind"))
        await until(lambda: len(fake.channel_messages(channel)) == 1, what="the announcement after a restart")
        worker = next(t for t in bot.services.health.snapshot() if t.name == "delivery worker")
        assert (worker.state, worker.restarts, failures) == (TaskState.RUNNING, 1, 1)


def worker_state(health: Health) -> TaskState | None:
    worker = health.get("delivery worker")
    return worker.state if worker else None
