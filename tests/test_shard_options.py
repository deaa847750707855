"""``festbot run --shards 0-3 --shard-count 8`` (and FESTBOT_SHARDS / FESTBOT_SHARD_COUNT): read, checked, obeyed.

Wrong options are one line on stderr before anything starts; right ones give discord.py's
``AutoShardedBot`` exactly those shards, and no options give the unsharded bot as before.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.client.bot import FestivalBot, ShardedFestivalBot, festival_bot
from bot.config import Settings, SettingsError, ShardPlan, parse_shard_ids
from bot.services import open_services
from tests.discord_harness import TOKEN
from tests.fakediscord import FakeDiscord
from tests.test_cli import festbot
from tests.test_cli_failures import env, failed, failure, festbot_against

__all__ = ["env"]  # the fixture: Discord at a closed port, so nothing here reaches further


@pytest.mark.parametrize(
    ("text", "ids"),
    [("0-3", (0, 1, 2, 3)), ("5", (5,)), ("0,2,4", (0, 2, 4)), (" 6-7, 0 ", (0, 6, 7)), ("1-2,2-3", (1, 2, 3))],
)
def test_shard_ranges_are_read(text: str, ids: tuple[int, ...]) -> None:
    assert parse_shard_ids(text) == ids


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "not a shard range: ''"),
        ("x", "not a shard range: 'x'"),
        ("-1", "not a shard range: '-1'"),
        ("0-", "not a shard range"),
        ("1,,2", "not a shard range"),
        ("²", "not a shard range"),
        ("3-1", "runs backwards; write it low-high, e.g. 1-3"),
        ("0-30000000", "beyond the shards festbot supports (0 to 65535)"),
    ],
)
def test_a_wrong_shard_range_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_shard_ids(text)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_the_environment_names_the_shards() -> None:
    def plan(**env: object) -> ShardPlan | None:
        return Settings.model_validate(env).shard_plan()

    assert plan() is None  # neither: one unsharded connection, as before
    assert plan(FESTBOT_SHARDS=" ", FESTBOT_SHARD_COUNT="") is None  # blank is unset
    assert plan(FESTBOT_SHARDS="0-3", FESTBOT_SHARD_COUNT="8") == ShardPlan((0, 1, 2, 3), 8)
    assert plan(FESTBOT_SHARD_COUNT="3") == ShardPlan((0, 1, 2), 3)  # a count alone: every shard here
    with pytest.raises(SettingsError, match=r"FESTBOT_SHARDS \(--shards\) needs FESTBOT_SHARD_COUNT"):
        plan(FESTBOT_SHARDS="0-3")
    with pytest.raises(SettingsError, match="shard 8 is not below the shard count 8: the shards are numbered 0 to 7"):
        plan(FESTBOT_SHARDS="0,8", FESTBOT_SHARD_COUNT="8")


@pytest.mark.parametrize(
    ("args", "extra", "says", "status"),
    [
        (("--shards", "0-x", "--shard-count", "8"), {}, "argument --shards: not a shard range: '0-x'", 2),
        (("--shards", "3-1", "--shard-count", "8"), {}, "the shard range '3-1' runs backwards", 2),
        (("--shards", "0-3", "--shard-count", "0"), {}, "argument --shard-count: not a shard count", 2),
        (("--shards", "8", "--shard-count", "8"), {}, "shard 8 is not below the shard count 8", 1),
        (("--shards", "0-3"), {}, "needs FESTBOT_SHARD_COUNT (--shard-count)", 1),
        ((), {"FESTBOT_SHARDS": "0-9", "FESTBOT_SHARD_COUNT": "4"}, "shard 4 is not below the shard count 4", 1),
        ((), {"FESTBOT_SHARDS": "zero"}, "FESTBOT_SHARDS='zero': not a shard range", 1),
        (("--shards", "4"), {"FESTBOT_SHARD_COUNT": "4"}, "shard 4 is not below the shard count 4", 1),
    ],
)
def test_wrong_shard_options_are_one_line_and_start_nothing(
    env: dict[str, str], args: tuple[str, ...], extra: dict[str, str], says: str, status: int
) -> None:
    result = festbot(env | extra, "run", *args)
    assert says in failed(result) and result.returncode == status
    assert not Path(env["FESTBOT_DB"]).exists()  # refused before the database was opened


async def test_the_options_outrank_the_environment(env: dict[str, str]) -> None:
    """FESTBOT_SHARD_COUNT=2 would refuse shard 3; --shard-count 4 is what this process was told.

    It gets as far as the gateway, at a closed port here, and says so in one line (discord.py alone would
    retry a shard that cannot connect every 5 s forever).
    """
    async with FakeDiscord(token=TOKEN, shard_count=4) as fake:
        env = env | {"FESTBOT_SHARDS": "9", "FESTBOT_SHARD_COUNT": "2"}
        out, err, returncode = await festbot_against(fake, env, "run", "--shards", "3", "--shard-count", "4")
    assert f"cannot open the Discord gateway at {env['DISCORD_GATEWAY_URL']}" in failure(out, err, returncode)


async def test_discord_refusing_the_shard_is_one_line(env: dict[str, str]) -> None:
    """The fake recommends one shard; a process claiming two is refused with 4010, said in one line."""
    async with FakeDiscord(token=TOKEN, shard_count=1) as fake:
        env = env | {"DISCORD_GATEWAY_URL": fake.gateway_url}
        out, err, returncode = await festbot_against(fake, env, "run", "--shards", "1", "--shard-count", "2")
        assert [(r.shard, r.outcome) for r in fake.identifies] == []  # refused before pacing: no session at all
    line = failure(out, err, returncode)
    assert "Discord refused the shard (code 4010)" in line and "--shard-count" in line


async def test_discord_requiring_sharding_is_one_line(env: dict[str, str]) -> None:
    """An unsharded bot in more servers than one connection may hold is closed with 4011."""
    async with FakeDiscord(token=TOKEN, guilds_per_shard=1) as fake:
        fake.add_guild("One")
        fake.add_guild("Two")
        env = env | {"DISCORD_GATEWAY_URL": fake.gateway_url}
        out, err, returncode = await festbot_against(fake, env, "run")
    line = failure(out, err, returncode)
    assert "Discord requires sharding (code 4011)" in line and "--shard-count" in line


async def test_without_shards_the_bot_is_unsharded_and_with_them_runs_exactly_those(tmp_path: Path) -> None:
    settings = Settings(FESTBOT_DB=tmp_path / "festival.db", FESTBOT_SEED_DIR=tmp_path / "none")
    async with open_services(settings) as services:
        plain = festival_bot(services, None)
        sharded = festival_bot(services, ShardPlan((4, 5, 6, 7), 8))
    assert type(plain) is FestivalBot
    assert isinstance(sharded, ShardedFestivalBot)
    assert (sharded.shard_ids, sharded.shard_count) == ([4, 5, 6, 7], 8)
