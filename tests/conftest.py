"""Shared fixtures: a real SQLite file per test, the shipped festival table, the CLI environment."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.domain.festivals import FestivalTable
from bot.search.searcher import Searcher
from bot.services import fetch_policy as configured_fetch_policy
from bot.sources.feeds.guard import FetchPolicy
from bot.storage import sqlite
from bot.storage.store import Store, open_store

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = ROOT / "data" / "reviews" / "return-to-dust.txt"

#: The suite's web servers (tests/feedsite.py) listen on 127.0.0.1, which the bot refuses to fetch
#: unless the operator allows private addresses. This is that operator's switch, for the whole suite:
#: the bots the tests run read it through Settings, the `festbot` subprocesses inherit it (cli_env), and
#: code called directly gets it from the ``fetch_policy`` fixture. Tests of the refusal make their own policy.
ALLOW_PRIVATE = {"FESTBOT_FETCH_ALLOW_PRIVATE": "1"}
os.environ.update(ALLOW_PRIVATE)


@pytest.fixture(scope="session")
def festivals() -> FestivalTable:
    return FestivalTable.load()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(tmp_path / "festival.db") as opened:
        yield opened


@pytest.fixture
async def impatient_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Store]:
    """A store that gives up on a locked database after 0.2 s instead of 5 s, to keep lock tests short."""
    monkeypatch.setattr(
        sqlite, "_PRAGMAS", tuple(p.replace("busy_timeout = 5000", "busy_timeout = 200") for p in sqlite._PRAGMAS)
    )
    async with open_store(tmp_path / "impatient.db") as opened:
        yield opened


@pytest.fixture
def searcher(store: Store) -> Searcher:
    return Searcher(store)


@pytest.fixture(scope="session")
def fetch_policy() -> FetchPolicy:
    """The policy the operator's settings give (with the suite's switch above: private addresses allowed)."""
    return configured_fetch_policy(Settings())


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running ``festbot`` as a subprocess against a throwaway database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FESTBOT_"))}
    env["FESTBOT_DB"] = str(tmp_path / "cli.db")
    env["DISCORD_TOKEN"] = ""
    env.update(ALLOW_PRIVATE)
    return env


def second_critic(
    reviewer: str = "Jane Critic", url: str | None = "https://example.com/reviews/return-to-dust", year: bool = True
) -> str:
    """Another critic's review of the seed's film: the same title and director, another reviewer and text.

    ``year=False`` leaves the year out of the header, as The Hollywood Reporter and The Guardian do.
    """
    seed = SEED.read_text(encoding="utf-8")
    header = "Dir/Scr: Li Ruijun. China. 2022. 131 mins"
    head, _, credits = seed.partition("Production companies:")
    front = "---\n" + (f"url: {url}\n" if url else "") + f"reviewer: {reviewer}\n---\n"
    body = (
        f"{reviewer} on a patient love story\n\nReturn To Dust\n\n"
        + (header if year else header.replace(" 2022.", ""))
        + "\n\nA farmer and his bride build a house of mud bricks in a Gansu village, one season at a time, in "
        f"the account {reviewer} gives of Li Ruijun's film. The performances are unshowy and true.\n\n"
        "Its premiere in competition at the Berlinale should open doors for it abroad.\n\n"
    )
    assert head  # the seed's credits footer follows
    return front + body + "Production companies:" + credits
