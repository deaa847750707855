"""The fake Discord shards as Discord does: shard checks, per-bucket identify pacing, guilds routed by shard.

Raw websocket clients show the gateway's answers frame by frame; real discord.py ``AutoShardedBot``
clients show the routing works for the library the bot uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from tests.discord_harness import until
from tests.fakediscord import FakeDiscord

TOKEN = "fake-token.for-shard-tests"


@contextlib.asynccontextmanager
async def gateway(fake: FakeDiscord) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """A raw connection to the fake gateway, past HELLO."""
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{fake.gateway_url}?v=10&encoding=json") as ws:
        assert (await ws.receive_json(timeout=5))["op"] == 10
        yield ws


async def identify(ws: aiohttp.ClientWebSocketResponse, shard: list[Any] | None) -> dict[str, Any] | int:
    """Send IDENTIFY; the first dispatch or op 9 frame back, or the close code."""
    data: dict[str, Any] = {"token": TOKEN, "intents": 1, "properties": {}}
    if shard is not None:
        data["shard"] = shard
    await ws.send_json({"op": 2, "d": data})
    frame = await ws.receive(timeout=5)
    if frame.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
        return int(frame.data)
    payload: dict[str, Any] = frame.json()
    return payload


async def test_gateway_bot_reports_the_shards_and_the_session_start_limit() -> None:
    async with (
        FakeDiscord(token=TOKEN, shard_count=4, max_concurrency=2) as fake,
        aiohttp.ClientSession() as http,
        http.get(f"{fake.api_base}/gateway/bot", headers={"Authorization": f"Bot {TOKEN}"}) as answer,
    ):
        body = await answer.json()
    assert body["shards"] == 4
    assert body["session_start_limit"]["max_concurrency"] == 2
    assert body["session_start_limit"]["remaining"] == 1000


@pytest.mark.parametrize(
    "shard",
    [[2, 2], [-1, 2], [0, 3], [0], ["0", 2], [True, 2], "0,2"],
    ids=["id-not-below-count", "negative", "count-not-the-gateway's", "one-number", "text", "bool", "not-a-list"],
)
async def test_an_invalid_shard_closes_with_4010(shard: Any) -> None:
    async with FakeDiscord(token=TOKEN, shard_count=2, identify_window=0) as fake, gateway(fake) as ws:
        assert await identify(ws, shard) == 4010
        assert fake.sessions == {}


async def test_a_second_live_session_of_one_shard_closes_with_4010() -> None:
    async with FakeDiscord(token=TOKEN, shard_count=2, identify_window=0) as fake:
        async with gateway(fake) as first:
            ready = await identify(first, [1, 2])
            assert isinstance(ready, dict) and ready["t"] == "READY" and ready["d"]["shard"] == [1, 2]
            async with gateway(fake) as second:
                assert await identify(second, [1, 2]) == 4010
            async with gateway(fake) as other_shard:
                assert isinstance(await identify(other_shard, [0, 2]), dict)
        # Once the first has gone, its shard can be identified again (a restarted process takes it back).
        await fake._notifier.wait_for(lambda: not fake.live_sessions() or None, timeout=5, what="sessions to end")
        async with gateway(fake) as again:
            assert isinstance(await identify(again, [1, 2]), dict)


async def test_too_many_guilds_for_one_session_closes_with_4011() -> None:
    async with FakeDiscord(token=TOKEN, shard_count=2, identify_window=0, guilds_per_shard=2) as fake:
        for shard in (0, 0, 1):
            fake.add_guild(shard=shard)
        async with gateway(fake) as ws:
            assert await identify(ws, None) == 4011  # three guilds, two allowed a session: sharding required
        async with gateway(fake) as ws:
            assert isinstance(await identify(ws, [0, 2]), dict)  # shard 0 holds two, which is fine
        fake.add_guild(shard=1)
        fake.add_guild(shard=1)
        async with gateway(fake) as ws:
            assert await identify(ws, [1, 2]) == 4011  # shard 1 now holds three


async def test_identify_pacing_is_per_bucket_across_connections() -> None:
    """One IDENTIFY per window per bucket (shard_id % max_concurrency), whichever connection sends it."""
    async with FakeDiscord(token=TOKEN, shard_count=4, max_concurrency=2, identify_window=2.0) as fake:
        async with gateway(fake) as s0, gateway(fake) as s1, gateway(fake) as s2:
            assert isinstance(await identify(s0, [0, 4]), dict)  # bucket 0
            assert isinstance(await identify(s1, [1, 4]), dict)  # bucket 1: its own turn
            refused = await identify(s2, [2, 4])  # bucket 0 again, within the window
            assert refused == {"op": 9, "d": False, "s": None, "t": None}
            assert set(fake.live_sessions()) == {0, 1}
            (violation,) = fake.identify_violations
            assert (violation.shard, violation.bucket) == ((2, 4), 0)
            assert violation.gap < 2.0 and "bucket 0" in str(violation)
            with pytest.raises(AssertionError, match="1 IDENTIFY"):
                fake.assert_identifies_paced()
            # Once the window has passed since bucket 0's last IDENTIFY, shard 2 gets its session.
            await asyncio.sleep(max(0.0, fake.identifies[-1].at + 2.05 - time.monotonic()))
            async with gateway(fake) as retry:
                assert isinstance(await identify(retry, [2, 4]), dict)
        assert len(fake.identify_violations) == 1
        assert [(r.shard, r.outcome) for r in fake.identifies] == [
            ((0, 4), "ready"),
            ((1, 4), "ready"),
            ((2, 4), "paced"),
            ((2, 4), "ready"),
        ]


# ---------------------------------------------------------------------------- real discord.py clients


class ShardBot(commands.AutoShardedBot):
    """Runs the given shards and answers /whoami with them, so a test sees which client a guild reached."""

    def __init__(self, shard_ids: list[int], shard_count: int) -> None:
        super().__init__(
            command_prefix="!",
            intents=discord.Intents.default(),
            shard_ids=shard_ids,
            shard_count=shard_count,
            guild_ready_timeout=0.01,
        )
        self.label = ",".join(map(str, shard_ids))

        @self.tree.command(description="Which shards answer")
        async def whoami(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"shards {self.label}")


async def test_each_client_gets_its_own_guilds_events_and_interactions() -> None:
    async with FakeDiscord(token=TOKEN, shard_count=2, max_concurrency=2, identify_window=0.3) as fake:
        on_zero, on_one = fake.add_guild("Zero", shard=0), fake.add_guild("One", shard=1)
        first, second = ShardBot([0], 2), ShardBot([1], 2)
        async with fake.run_client(first), fake.run_client(second):
            assert [g.id for g in first.guilds] == [on_zero.id]
            assert [g.id for g in second.guilds] == [on_one.id]
            for guild, bot, shard in ((on_zero, first, 0), (on_one, second, 1)):
                handle = await fake.slash_command("whoami", guild_id=guild.id)
                assert (await handle.response())["data"]["content"] == f"shards {bot.label}"
                assert handle.shard == (shard, 2) and handle.session_id == fake.live_sessions()[shard].id

            # Changes made while connected reach the owning client only. Each connection delivers in order, so
            # once a client has seen a later event of its own, it would have seen a wrongly routed earlier one.
            late = fake.add_guild("Late", shard=1)
            news = fake.add_channel(on_zero.id, "news")
            marker = fake.add_channel(on_one.id, "marker")
            await until(lambda: first.get_channel(news.id) is not None and second.get_channel(marker.id) is not None)
            assert second.get_guild(late.id) is not None and first.get_guild(late.id) is None
            assert second.get_channel(news.id) is None
        fake.assert_no_errors()
        fake.assert_identifies_paced()  # buckets 0 and 1: both could start at once
