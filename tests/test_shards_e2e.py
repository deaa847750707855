"""Several ``festbot run`` processes, each with its own range of shards, run one bot against the fake Discord.

Real processes on one SQLite file, the fake enforcing Discord's rules: each process's shards get
exactly their own guilds, each guild's /review is answered by the process that owns its shard, the
processes take turns to IDENTIFY, and a process stopped and started again takes its shards back.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from bot.client.bot import sync
from bot.services import open_services
from tests.conftest import ROOT, SEED
from tests.discord_harness import TOKEN, settings_for, until
from tests.fakediscord import FakeDiscord, FakeGuild

SHARDS = 4
#: The fake's window and the bot's, shortened from Discord's 5 s. Long enough that processes started
#: together, each identifying as soon as it is up, would collide if they did not take turns.
WINDOW = 1.0


class Festbot:
    """One ``festbot run`` process, its log (stdout and stderr) collected as it is written."""

    def __init__(self, name: str, process: asyncio.subprocess.Process) -> None:
        self.name = name
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, name: str, env: dict[str, str], *args: str) -> Festbot:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            *args,
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        return cls(name, process)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.lines.append(line.decode(errors="replace").rstrip())

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def ready_shards(self) -> set[int]:
        return {int(m[1]) for m in re.finditer(r"shard (\d+) of \d+ ready", self.log)}

    def answered(self) -> set[int]:
        """The guilds whose commands this process handled (it logs one line per command)."""
        return {int(m[1]) for m in re.finditer(r"/review guild=(\d+)", self.log)}

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.process.wait(), 60)
        await asyncio.wait_for(self._reader, 10)
        return code


@contextlib.asynccontextmanager
async def stopped_at_exit(bots: list[Festbot]) -> AsyncIterator[list[Festbot]]:
    try:
        yield bots
    finally:
        for bot in bots:
            if bot.process.returncode is None:
                bot.process.kill()
                await bot.process.wait()


async def ask_review(fake: FakeDiscord, guild: FakeGuild) -> tuple[int, str]:
    """/review in ``guild``: the shard whose session got it, and the film the answer shows."""
    handle = await fake.slash_command("review", {"title": "return to dust"}, guild_id=guild.id)
    answer = await handle.response(timeout=60)
    assert handle.shard is not None and handle.session_id in fake.sessions
    return handle.shard[0], answer["data"]["embeds"][0]["title"]


async def handled(bot: Festbot, guilds: list[FakeGuild]) -> None:
    """Wait until ``bot`` has logged handling a command in each of ``guilds``."""
    wanted = {g.id for g in guilds}
    await until(lambda: wanted <= bot.answered(), 30, f"{bot.name} to log the commands of {sorted(wanted)}")


async def test_processes_split_the_shards_take_turns_and_restart(tmp_path: Path, cli_env: dict[str, str]) -> None:
    async with FakeDiscord(token=TOKEN, shard_count=SHARDS, identify_window=WINDOW, default_timeout=60) as fake:
        guilds = {shard: [fake.add_guild(f"Shard {shard}.{n}", shard=shard) for n in range(2)] for shard in range(4)}
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        (corpus / SEED.name).write_bytes(SEED.read_bytes())
        settings = settings_for(fake, tmp_path)
        await sync(settings, None)  # `festbot sync`, once for every process
        async with open_services(settings):
            pass  # the database made and seeded before the processes share it
        env = {
            **cli_env,
            "DISCORD_TOKEN": TOKEN,
            "DISCORD_API_BASE_URL": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "FESTBOT_DB": str(settings.db_path),
            "FESTBOT_SEED_DIR": str(corpus),
            "FESTBOT_INBOX": str(tmp_path / "inbox"),
            "FESTBOT_IDENTIFY_WINDOW": str(WINDOW),
        }
        # The three ways to name a process's shards: a range, one id, and the environment.
        started = await asyncio.gather(
            Festbot.start("a", env, "--shards", "0-1", "--shard-count", str(SHARDS)),
            Festbot.start("b", env, "--shards", "2", "--shard-count", str(SHARDS)),
            Festbot.start("c", env | {"FESTBOT_SHARDS": "3", "FESTBOT_SHARD_COUNT": str(SHARDS)}),
        )
        async with stopped_at_exit(list(started)) as bots:
            a, b, c = bots
            owners = {0: a, 1: a, 2: b, 3: c}
            await until(lambda: all(bot.ready_shards() for bot in bots) and len(fake.live_sessions()) == 4, 90)
            await until(lambda: [bot.ready_shards() for bot in bots] == [{0, 1}, {2}, {3}], 60, "shards ready")
            assert re.search(r"shard 0 of 4 ready with 2 servers", a.log), a.log

            for shard, in_shard in guilds.items():
                for guild in in_shard:
                    assert await ask_review(fake, guild) == (shard, "Return To Dust")
            for shard, bot in owners.items():
                await handled(bot, guilds[shard])
            for bot in bots:
                mine = {g.id for shard, owner in owners.items() if owner is bot for g in guilds[shard]}
                assert bot.answered() == mine, f"{bot.name} answered {bot.answered()}, owns {mine}"

            # Stopped, the process's shards go quiet; started again, it takes them back with new sessions.
            before = fake.live_sessions()[2].id
            assert await b.stop() == 0, b.log
            assert set(fake.live_sessions()) == {0, 1, 3}
            b = await Festbot.start("b again", env, "--shards", "2", "--shard-count", str(SHARDS))
            bots.append(b)
            sessions = await fake.wait_for_shards([2], timeout=90)
            assert sessions[2].id != before
            await until(lambda: b.ready_shards() == {2}, 60, "the restarted process ready")
            for guild in guilds[2]:
                assert await ask_review(fake, guild) == (2, "Return To Dust")
            await handled(b, guilds[2])

            codes = {bot.name: await bot.stop() for bot in bots if bot.process.returncode is None}
            assert set(codes.values()) == {0}, "\n\n".join(bot.log for bot in bots)
        fake.assert_no_errors()
        fake.assert_identifies_paced()
        started_at = sorted(r.at for r in fake.identifies if r.outcome == "ready")
        assert len(started_at) == 5  # four shards, and shard 2 once more
        assert min(later - earlier for earlier, later in itertools.pairwise(started_at)) >= WINDOW
        for bot in bots:
            assert "Traceback" not in bot.log, bot.log
