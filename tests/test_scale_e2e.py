"""Past one machine: three ``festbot run`` processes on PostgreSQL, one shard each, against the fake Discord.

Each process answers /review for its own shard's guilds; a review fans out to 300 channels across
every guild, sent by the one process holding the delivery lease; that process is SIGKILLed mid fan-out,
another takes the lease over once it runs out and finishes the fan-out: every channel has exactly one
copy (the resends of what the dead process left in flight land on its messages, by nonce), and the fake,
counting Discord's global limit, never answered 429.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

from bot.client.bot import sync
from bot.services import open_services
from bot.storage.ledger import Ledger
from bot.storage.store import open_store
from tests.conftest import ROOT, SEED, database_env, postgres_only
from tests.discord_harness import TOKEN, settings_for, until
from tests.fakediscord import FakeDiscord
from tests.test_announce_e2e import new_review
from tests.test_shards_e2e import Festbot, ask_review, handled, stopped_at_exit

SHARDS = 3
WINDOW = 1.0
CHANNELS_PER_GUILD = 50  # 2 guilds a shard, 6 in all: 300 channels
LEASE = 3.0
#: The delivery worker's pace here: the fake counts requests when it gets to them, so on a machine this busy
#: (three bots, the fake, PostgreSQL) a stall of its event loop bunches paced requests into one of its
#: windows; a fifth of the limit left free absorbs that. bench/ measures the default pace on an idle machine.
SEND_RATE = 40


def posted(fake: FakeDiscord, channels: list[int]) -> dict[int, int]:
    return {c: len(fake.channel_messages(c)) for c in channels}


async def delivery_holder(location: str) -> str | None:
    async with open_store(location) as store:
        row = await store.reads.fetchone("SELECT holder FROM leases WHERE name = 'delivery'")
    return str(row[0]) if row else None


@postgres_only
async def test_three_processes_answer_their_guilds_and_survive_the_deliverer_killed(
    tmp_path: Path, cli_env: dict[str, str], database: str
) -> None:
    async with FakeDiscord(token=TOKEN, shard_count=SHARDS, identify_window=WINDOW, default_timeout=60) as fake:
        fake.rate_limits.enabled = True  # 50 requests/s globally, 5 messages/5 s per channel, as Discord
        guilds = {shard: [fake.add_guild(f"Shard {shard}.{n}", shard=shard) for n in range(2)] for shard in range(3)}
        by_guild = {
            guild.id: [fake.add_channel(guild.id, f"news-{i}").id for i in range(CHANNELS_PER_GUILD)]
            for in_shard in guilds.values()
            for guild in in_shard
        }
        channels = [channel for in_guild in by_guild.values() for channel in in_guild]
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        (corpus / SEED.name).write_bytes(SEED.read_bytes())
        settings = settings_for(fake, tmp_path, **database_env(database))
        await sync(settings, None)
        async with open_services(settings) as services:
            ledger = Ledger(services.store)
            for guild_id, in_guild in by_guild.items():
                for channel in in_guild:
                    await ledger.subscribe(guild_id=guild_id, channel_id=channel, festival="Berlinale")
        env = {
            **cli_env,
            **database_env(database),
            "DISCORD_TOKEN": TOKEN,
            "DISCORD_API_BASE_URL": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "FESTBOT_SEED_DIR": str(corpus),
            "FESTBOT_INBOX": str(tmp_path / "inbox"),
            "FESTBOT_IDENTIFY_WINDOW": str(WINDOW),
            "FESTBOT_LEASE_SECONDS": str(LEASE),
            "FESTBOT_SEND_RATE": str(SEND_RATE),
        }
        env.pop("FESTBOT_DB", None)
        started = await asyncio.gather(
            *(Festbot.start(f"p{s}", env, "--shards", str(s), "--shard-count", str(SHARDS)) for s in range(SHARDS))
        )
        async with stopped_at_exit(list(started)) as bots:
            await until(lambda: [bot.ready_shards() for bot in bots] == [{0}, {1}, {2}], 90, "shards ready")

            # Each process answers its own guilds' /review.
            for shard, in_shard in guilds.items():
                for guild in in_shard:
                    assert await ask_review(fake, guild) == (shard, "Return To Dust")
                await handled(bots[shard], in_shard)
            for shard, bot in enumerate(bots):
                assert bot.answered() == {g.id for g in guilds[shard]}, bot.log

            # One process delivers: the lease names it.
            holder = await delivery_holder(database)
            assert holder is not None
            pids = {bot.process.pid: bot for bot in bots}
            deliverer = pids[int(holder.split(":")[-2])]

            review = tmp_path / "new.txt"
            review.write_text(new_review("The Hard Stop"), encoding="utf-8")
            ingest = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "ingest", str(review), cwd=ROOT, env=env
            )
            assert await asyncio.wait_for(ingest.wait(), 60) == 0
            await until(lambda: sum(posted(fake, channels).values()) >= 80, 60, "fan-out to start")
            deliverer.process.send_signal(signal.SIGKILL)
            await deliverer.process.wait()
            killed_at = time.perf_counter()
            before = sum(posted(fake, channels).values())
            assert before < len(channels), "the kill came too late to interrupt the fan-out"

            await until(lambda: sum(posted(fake, channels).values()) > before, 4 * LEASE, "another to take over")
            took_over = time.perf_counter() - killed_at
            assert took_over <= LEASE + LEASE / 6 + 2.0, took_over  # lease run out, one retry, a loaded machine
            await until(lambda: all(posted(fake, channels).values()), 60, "fan-out to finish")
            await asyncio.sleep(1.0)  # anything still in flight would land now
            new_holder = await delivery_holder(database)
            assert new_holder is not None and new_holder != holder

            survivors = [bot for bot in bots if bot is not deliverer]
            codes = [await bot.stop() for bot in survivors]
            assert codes == [0, 0], "\n\n".join(bot.log for bot in survivors)
        counts = posted(fake, channels)
        assert set(counts.values()) == {1}, {c: n for c, n in counts.items() if n != 1}
        assert [r for r in fake.requests if r.status == 429] == []  # paced, across the takeover too
        async with open_store(database) as store:
            assert await Ledger(store).counts() == {"sent": len(channels)}
        for bot in survivors:
            assert "Traceback" not in bot.log, bot.log
