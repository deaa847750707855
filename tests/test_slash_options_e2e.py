"""Every typed slash-command option is bounded where Discord checks it, so a bad value never reaches the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.client.bot import FestivalBot
from tests.discord_harness import fake_discord, running_bot, settings_for, write_corpus
from tests.fakediscord import FakeDiscord

SUBCOMMAND_TYPES = (1, 2)
STRING, INTEGER = 3, 4


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord(5.0) as server:
        yield server


@pytest.fixture
async def bot(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[FestivalBot]:
    write_corpus(tmp_path / "corpus")
    async with running_bot(settings_for(fake, tmp_path)) as running:
        yield running


def typed_options(command: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(``/command sub option``, option) for every option of a synced command, subcommands included."""
    for option in command.get("options") or []:
        if option["type"] in SUBCOMMAND_TYPES:
            yield from typed_options(option, f"{path}{command['name']} ")
        else:
            yield f"/{path}{command['name']} {option['name']}", option


async def test_every_typed_option_has_bounds(bot: FestivalBot, fake: FakeDiscord) -> None:
    options = dict(pair for command in fake.commands() for pair in typed_options(command))
    assert "/festival year" in options and "/review title" in options and "/feeds add url" in options
    unbounded = [
        name
        for name, option in options.items()
        if (option["type"] == INTEGER and ("min_value" not in option or "max_value" not in option))
        or (option["type"] == STRING and not option.get("choices") and "max_length" not in option)
    ]
    assert unbounded == []
    assert (options["/festival year"]["min_value"], options["/festival year"]["max_value"]) == (1900, 2100)


@pytest.mark.parametrize(
    "options",
    [
        {"name": "Berlinale", "year": 99999999999},
        {"name": "Berlinale", "year": 1899},
        {"name": "B" * 101},
    ],
)
async def test_discord_refuses_a_value_out_of_bounds(
    bot: FestivalBot, fake: FakeDiscord, options: dict[str, Any]
) -> None:
    """The fake refuses, as Discord's client does, to send a value outside the bounds the bot published."""
    with pytest.raises(ValueError, match=r"must be|at most"):
        await fake.slash_command("festival", options)
    answered = await (await fake.slash_command("festival", {"name": "Berlinale", "year": 2022})).response()
    assert "Berlinale 2022" in str(answered["data"])
