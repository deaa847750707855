"""Shared fixtures: a real SQLite file per test, the shipped festival table, the CLI environment."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.festivals import FestivalTable
from bot.search.searcher import Searcher
from bot.storage import sqlite
from bot.storage.store import Store, open_store

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = ROOT / "data" / "reviews" / "return-to-dust.txt"


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


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running ``festbot`` as a subprocess against a throwaway database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FESTBOT_"))}
    env["FESTBOT_DB"] = str(tmp_path / "cli.db")
    env["DISCORD_TOKEN"] = ""
    return env
