"""Reviews arriving the way a publication publishes them end as announcements in Discord."""

from __future__ import annotations

import asyncio
import functools
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot import services as services_module
from bot.client.bot import FestivalBot
from bot.parsing import parser
from bot.sources import ingest as ingest_module
from bot.sources.feeds.feed_list import add_feed, list_feeds
from bot.sources.workers import WorkerPool
from tests.conftest import ROOT, SEED
from tests.discord_harness import EPHEMERAL, fake_discord, running_bot, settings_for, until, write_corpus
from tests.fakediscord import FakeDiscord, P
from tests.feedsite import FeedSite, FeedSpec, Item
from tests.workerjobs import install_slow_parse, slowed


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord(10.0) as server:
        yield server


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    async with FeedSite(slow_seconds=5.0) as served:
        yield served


@pytest.fixture
async def bot(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[FestivalBot]:
    write_corpus(tmp_path / "corpus")
    async with running_bot(settings_for(fake, tmp_path)) as running:
        yield running


async def admin(
    fake: FakeDiscord, command: str, options: dict[str, object] | None = None, *, guild_id: int | None = None
) -> dict[str, Any]:
    res = await fake.slash_command(command, options or {}, member_permissions=P.ALL, guild_id=guild_id)
    data: dict[str, Any] = (await res.response())["data"]
    return data


async def test_a_new_feed_entry_is_announced(bot: FestivalBot, fake: FakeDiscord, site: FeedSite) -> None:
    channel = fake.add_channel(fake.default_guild.id, "reviews").id
    assert "Subscribed" in (await admin(fake, "announce subscribe", {"channel": channel, "festival": "all"}))["content"]
    site.feeds["reviews"] = FeedSpec(items=[Item("Salt Lanterns", "/articles/salt-lanterns", guid="tw-1")])
    added = await admin(fake, "feeds add", {"url": site.url("/feeds/reviews.xml")})
    assert "Added feed #1" in added["content"]
    await until(lambda: len(fake.channel_messages(channel)) == 1, timeout=20, what="the feed entry's announcement")
    (message,) = fake.channel_messages(channel)
    assert message["embeds"][0]["title"] == "Salt Lanterns"
    assert any(c.get("url", "").startswith(site.base) for row in message["components"] for c in row["components"])
    listing = await admin(fake, "feeds list")
    assert "reviews.xml" in listing["embeds"][0]["description"]
    assert re.search(r"last fetch <t:\d+:R> \(", listing["embeds"][0]["description"])  # each reader's own time
    refused = await fake.slash_command("feeds list", member_permissions=P.EVERYONE_DEFAULT)
    assert "Manage" in (await refused.response())["data"]["content"]


async def test_a_servers_feed_is_its_own_to_see_remove_and_hear_from(
    bot: FestivalBot, fake: FakeDiscord, site: FeedSite
) -> None:
    here, there = fake.default_guild.id, fake.add_guild("Another festival club").id
    channels = {guild: fake.add_channel(guild, "reviews").id for guild in (here, there)}
    for guild, channel in channels.items():
        answer = await admin(fake, "announce subscribe", {"channel": channel, "festival": "all"}, guild_id=guild)
        assert "Subscribed" in answer["content"]
    site.feeds["reviews"] = FeedSpec(items=[Item("Salt Lanterns", "/articles/salt-lanterns", guid="tw-1")])
    url = site.url("/feeds/reviews.xml")

    added = await admin(fake, "feeds add", {"url": url, "every": 10}, guild_id=here)
    assert "Added feed #1" in added["content"]
    await until(lambda: len(fake.channel_messages(channels[here])) == 1, timeout=20, what="the announcement here")
    # The review is announced where its feed belongs; the other server's queue never had it.
    assert await bot.services.ledger.log(there) == []
    assert fake.channel_messages(channels[there]) == []

    assert (await admin(fake, "feeds list", guild_id=there))["content"] == "No feeds yet. Add one with /feeds add."
    for name in ("1", url):
        refused = await admin(fake, "feeds remove", {"feed": name}, guild_id=there)
        assert refused["content"] == f"No feed {name!r}; see /feeds list."
    for guild, expected in ((here, [url]), (there, [])):
        choices = await fake.autocomplete(
            "feeds remove", {"feed": ""}, focused="feed", guild_id=guild, member_permissions=P.ALL
        )
        assert [c["value"] for c in choices] == expected
    (feed,) = await list_feeds(bot.services.store)
    assert (feed.guild_id, feed.interval_seconds) == (here, 600.0)
    assert "reviews.xml" in (await admin(fake, "feeds list", guild_id=here))["embeds"][0]["description"]
    # The same URL may be the other server's own feed too: its own copy, under its own number.
    assert "Added feed #2" in (await admin(fake, "feeds add", {"url": url}, guild_id=there))["content"]


async def test_feeds_remove_by_number_and_by_url(bot: FestivalBot, fake: FakeDiscord, site: FeedSite) -> None:
    site.feeds["reviews"] = FeedSpec()
    site.feeds["news"] = FeedSpec()
    reviews, news = site.url("/feeds/reviews.xml"), site.url("/feeds/news.xml")
    assert "Added feed #1" in (await admin(fake, "feeds add", {"url": reviews}))["content"]
    assert "Added feed #2" in (await admin(fake, "feeds add", {"url": news}))["content"]

    by_number = await admin(fake, "feeds remove", {"feed": "1"})
    assert by_number["flags"] & EPHEMERAL and by_number["content"] == "Removed feed 1."
    listing = (await admin(fake, "feeds list"))["embeds"][0]["description"]
    assert "reviews.xml" not in listing and f"#2 {news}" in listing
    by_url = await admin(fake, "feeds remove", {"feed": news})
    assert by_url["content"] == f"Removed feed {news}."
    assert (await admin(fake, "feeds list"))["content"] == "No feeds yet. Add one with /feeds add."

    for unknown in ("1", site.url("/feeds/never-added.xml")):
        answer = await admin(fake, "feeds remove", {"feed": unknown})
        assert answer["flags"] & EPHEMERAL and answer["content"] == f"No feed {unknown!r}; see /feeds list."


async def test_a_removed_feed_is_no_longer_fetched(bot: FestivalBot, fake: FakeDiscord, site: FeedSite) -> None:
    site.feeds["reviews"] = FeedSpec()
    path = "/feeds/reviews.xml"
    # A person may set a minute at least; through the Python API the server's feed is polled every 0.2 s,
    # often enough to see it stop.
    guild = fake.default_guild.id
    feed = await add_feed(bot.services.store, site.url(path), interval=0.2, min_interval=0.1, guild_id=guild)
    bot.get_cog("Sources").feeds.wake()  # type: ignore[union-attr]
    await until(lambda: site.requests[path] >= 3, what="the poller fetching the feed again and again")
    removed = await admin(fake, "feeds remove", {"feed": str(feed.id)})
    assert removed["content"] == f"Removed feed {feed.id}."
    await asyncio.sleep(0.5)  # a fetch already under way may finish
    fetched = site.requests[path]
    await asyncio.sleep(1.0)  # five polls' worth
    assert site.requests[path] == fetched


async def test_only_manage_server_may_remove_a_feed(bot: FestivalBot, fake: FakeDiscord, site: FeedSite) -> None:
    site.feeds["reviews"] = FeedSpec()
    await admin(fake, "feeds add", {"url": site.url("/feeds/reviews.xml")})
    refused = await fake.slash_command("feeds remove", {"feed": "1"}, member_permissions=P.EVERYONE_DEFAULT)
    data = (await refused.response())["data"]
    assert data["flags"] & EPHEMERAL and "Manage" in data["content"]
    assert [feed.id for feed in await list_feeds(bot.services.store)] == [1]


async def test_a_file_dropped_in_the_inbox_is_announced(bot: FestivalBot, fake: FakeDiscord) -> None:
    channel = fake.add_channel(fake.default_guild.id, "berlin").id
    await admin(fake, "announce subscribe", {"channel": channel, "festival": "Berlinale"})
    inbox = bot.services.settings.inbox
    await until(lambda: inbox.is_dir(), what="the inbox folder")
    text = SEED.read_text(encoding="utf-8").replace("Return To Dust", "Return To Dust Again")
    (inbox / "dust-again.txt").write_text(text, encoding="utf-8")
    await until(lambda: len(fake.channel_messages(channel)) == 1, timeout=20, what="the inbox review's announcement")
    assert fake.channel_messages(channel)[0]["embeds"][0]["title"] == "Return To Dust Again"
    assert (inbox / "done" / "dust-again.txt").exists()


def test_cli_ingests_a_url_and_manages_feeds(cli_env: dict[str, str]) -> None:
    import subprocess

    async def serve_and_run() -> list[subprocess.CompletedProcess[str]]:
        async with FeedSite() as served:
            served.feeds["reviews"] = FeedSpec(items=[Item("Salt Lanterns", "/articles/salt-lanterns", guid="tw-1")])

            async def festbot(*args: str) -> subprocess.CompletedProcess[str]:
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot.cli", *args, cwd=ROOT, env=cli_env,
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                )  # fmt: skip
                out, err = await asyncio.wait_for(process.communicate(), 60)
                return subprocess.CompletedProcess(args, process.returncode or 0, out.decode(), err.decode())

            return [
                await festbot("ingest", served.url("/articles/salt-lanterns")),
                await festbot("ingest", served.url("/pages/report.pdf")),
                await festbot("feeds", "add", served.url("/feeds/reviews.xml"), "--festival", "Berlinale 2026"),
                await festbot("feeds", "list"),
                await festbot("feeds", "remove", "1"),
                await festbot("feeds", "remove", "1"),
            ]

    page, pdf, add, listed, removed, again = asyncio.run(serve_and_run())
    assert page.returncode == 0 and page.stdout.startswith("added") and "Salt Lanterns" in page.stdout, page.stderr
    assert pdf.returncode == 1 and "report.pdf" in pdf.stdout
    assert add.returncode == 0 and "added feed #1" in add.stdout
    assert "reviews.xml" in listed.stdout
    assert removed.returncode == 0 and again.returncode == 1


async def test_the_bot_answers_while_a_slow_file_is_read_from_the_inbox(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading runs in a worker process: a file that keeps the parser busy never holds up the event loop.

    The parser is made slow on the review that asks for it in every process (the workers through their
    setup hook, this one through monkeypatch), so were the file parsed on the loop, /review would wait.
    """
    monkeypatch.setattr(services_module, "WorkerPool", functools.partial(WorkerPool, setup=install_slow_parse))
    monkeypatch.setattr(ingest_module, "parse_review_text", slowed(parser.parse_review_text))
    write_corpus(tmp_path / "corpus")
    marker = tmp_path / "slow"
    text = SEED.read_text(encoding="utf-8").replace("Return To Dust", f"The Slow Dust SLOW-PARSE {marker}")
    async with running_bot(settings_for(fake, tmp_path, FESTBOT_INBOX_QUIET_SECONDS=0.3)) as bot:
        inbox = bot.services.settings.inbox
        await until(inbox.is_dir, what="the inbox folder")
        (inbox / "slow.txt").write_text(text, encoding="utf-8")
        await until(marker.with_suffix(".started").exists, timeout=30, what="the slow parse to start")
        assert int(marker.with_suffix(".started").read_text()) != os.getpid()
        res = await fake.slash_command("review", {"title": "Return to Dust"})
        answer = await res.response()
        assert not marker.with_suffix(".finished").exists(), "the parse was over before /review was answered"
        assert answer["data"]["embeds"][0]["title"] == "Return To Dust"
        assert res.latency is not None and res.latency < 1.0, res.latency
        marker.with_suffix(".release").touch()
        await until(lambda: (inbox / "done" / "slow.txt").exists(), timeout=30, what="the slow file to be stored")
