"""Running a range of the bot's shards (``festbot run --shards 0-3 --shard-count 8``), several processes together.

discord.py's ``AutoShardedBot`` holds one gateway session per shard id it is given and routes each
guild's traffic through the session that owns it. What it cannot know is that other processes run
the other shards: their IDENTIFYs share Discord's per-bucket pace, so every IDENTIFY waits for a turn
claimed in the shared database (:class:`~bot.client.identify_pacing.IdentifyPacer`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from discord.ext import commands
from discord.gateway import DiscordWebSocket

from bot.client.failures import UNREACHABLE, GatewayUnreachable, reason
from bot.client.identify_pacing import IdentifyPacer

log = logging.getLogger(__name__)


class PacedShards(commands.AutoShardedBot):
    """The sharded half of the bot: identify turns shared across processes, one line when the gateway is out of reach.

    Combined with the bot itself in :class:`bot.client.bot.ShardedFestivalBot`; ``pacer`` comes through the
    constructor like every other dependency.
    """

    def __init__(self, *args: Any, pacer: IdentifyPacer, **options: Any) -> None:
        super().__init__(*args, **options)
        self.pacer = pacer

    async def launch_shards(self) -> None:
        # Launching, discord.py retries a shard that cannot connect every 5 s forever, logging a traceback
        # each time; a wrong DISCORD_GATEWAY_URL or no network is said once instead, as unsharded.
        url = DiscordWebSocket.DEFAULT_GATEWAY
        try:
            socket = await asyncio.wait_for(self.http.ws_connect(str(url.with_query(v=10, encoding="json"))), 60)
        except UNREACHABLE as exc:
            raise GatewayUnreachable(f"cannot open the Discord gateway at {url}: {reason(exc)}") from exc
        await socket.close()
        # The turns depend on Discord's max_concurrency, which only GET /gateway/bot tells.
        recommended, _, limits = await self.http.get_bot_gateway()
        self.pacer.max_concurrency = limits["max_concurrency"]
        ids = self.shard_ids or range(self.shard_count or 1)
        log.info(
            "running shards %s of %s (Discord recommends %d; %d identify at once)",
            _ranges(ids),
            self.shard_count,
            recommended,
            self.pacer.max_concurrency,
        )
        await super().launch_shards()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # Replaces discord.py's 5 s sleep between this process's shards: the turn covers them and the others'.
        await self.pacer.wait_turn(shard_id or 0)

    async def on_shard_ready(self, shard_id: int) -> None:
        servers = sum(1 for guild in self.guilds if guild.shard_id == shard_id)
        log.info("shard %d of %s ready with %d servers", shard_id, self.shard_count, servers)


def _ranges(ids: Iterable[int]) -> str:
    """``[0, 1, 2, 3, 6]`` -> ``0-3,6``: a long list of shards stays one short log line."""
    runs: list[list[int]] = []
    for shard in sorted(ids):
        if runs and runs[-1][1] == shard - 1:
            runs[-1][1] = shard
        else:
            runs.append([shard, shard])
    return ",".join(str(first) if first == last else f"{first}-{last}" for first, last in runs)
