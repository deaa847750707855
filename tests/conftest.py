"""Shared fixtures: a real database per test on each engine, the shipped festival table, the CLI environment.

Every test that takes ``store`` (or ``database``, ``databases``) runs twice: on a SQLite file and on a
schema of its own in the PostgreSQL server at ``FESTBOT_TEST_DATABASE_URL`` (default
``postgresql://127.0.0.1:5432/test``), created for the test and dropped after it, so other runs on the
same server never meet it. Without a server those runs skip, said once at the end of the run; under
``CI=true`` a missing server fails the run instead.
"""

from __future__ import annotations

import functools
import os
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
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
SEED = ROOT / "bot" / "shipped" / "reviews" / "return-to-dust.txt"

#: The suite's web servers (tests/feedsite.py) listen on 127.0.0.1, which the bot refuses to fetch
#: unless the operator allows private addresses. This is that operator's switch, for the whole suite:
#: the bots the tests run read it through Settings, the `festbot` subprocesses inherit it (cli_env), and
#: code called directly gets it from the ``fetch_policy`` fixture. Tests of the refusal make their own policy.
ALLOW_PRIVATE = {"FESTBOT_FETCH_ALLOW_PRIVATE": "1"}
os.environ.update(ALLOW_PRIVATE)
#: The developer's own database setting never reaches the suite's bots: each test says which it uses.
os.environ.pop("FESTBOT_DATABASE_URL", None)

POSTGRES_URL = os.environ.get("FESTBOT_TEST_DATABASE_URL", "postgresql://127.0.0.1:5432/test")
#: Schemas this suite creates start so; each ends in a random part, unique across concurrent runs.
SCHEMA_PREFIX = "festbot_test_"


@functools.cache
def postgres_missing() -> str | None:
    """Why the suite cannot use the PostgreSQL server (None: it can); asked once per run."""
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL at {POSTGRES_URL} is unreachable ({' '.join(str(exc).split())})"
    return None


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") == "true" and (problem := postgres_missing()) is not None:
        raise pytest.UsageError(f"{problem}; CI runs every storage test on PostgreSQL too")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if (problem := _skipped_postgres()) is not None:
        terminalreporter.write_line(
            f"{problem}: the PostgreSQL runs were skipped (set FESTBOT_TEST_DATABASE_URL, see README.md)", yellow=True
        )


def _skipped_postgres() -> str | None:
    # Only a run that collected a PostgreSQL test asked; a run of other tests says nothing about it.
    return postgres_missing() if postgres_missing.cache_info().currsize else None


ENGINES = ("sqlite", "postgres")


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """Which engine this run of the test uses."""
    name: str = request.param
    if name == "postgres" and (problem := postgres_missing()) is not None:
        pytest.skip(problem)
    return name


class Databases:
    """Fresh, migrated-on-open databases of one engine for one test: SQLite files, or PostgreSQL schemas."""

    def __init__(self, engine: str, folder: Path) -> None:
        self.engine = engine
        self._folder = folder
        self._schemas: list[str] = []

    def new(self, name: str = "festival") -> Path | str:
        """A new empty database's location (a path, or a URL whose search_path is a new schema)."""
        if self.engine == "sqlite":
            return self._folder / f"{name}.db"
        schema = f"{SCHEMA_PREFIX}{name}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        self._schemas.append(schema)
        return with_schema(POSTGRES_URL, schema)

    def drop(self) -> None:
        if not self._schemas:
            return
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            for schema in self._schemas:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def with_schema(url: str, schema: str) -> str:
    """``url`` with ``search_path`` set to ``schema``: every table festbot makes or reads is in it."""
    parts = urllib.parse.urlsplit(url)
    query = [*urllib.parse.parse_qsl(parts.query), ("options", f"-csearch_path={schema}")]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


@pytest.fixture
def databases(engine: str, tmp_path: Path) -> Iterator[Databases]:
    made = Databases(engine, tmp_path)
    yield made
    made.drop()


@pytest.fixture
def database(databases: Databases) -> Path | str:
    """The test's database on this run's engine: where ``store`` opens, and what a ``festbot`` subprocess gets."""
    return databases.new()


#: For a test of what only SQLite has (its file, WAL, PRAGMAs, file backups): its store runs on SQLite alone.
sqlite_only = pytest.mark.parametrize("engine", ["sqlite"])
#: For a test of what only PostgreSQL has (schema_version, several writers' races, URLs).
postgres_only = pytest.mark.parametrize("engine", ["postgres"])

#: Every table festbot keeps, for before-and-after counts that read the same on both engines.
TABLES = (
    "meta", "films", "reviews", "people", "companies", "credits", "sales_contacts", "subscriptions", "deliveries",
    "feeds", "feed_entries",
)  # fmt: skip


async def row_counts(store: Store) -> dict[str, int]:
    """How many rows each of festbot's tables holds."""
    counts = {}
    for table in TABLES:
        row = await store.reads.fetchone(f"SELECT count(*) FROM {table}")
        counts[table] = int(row[0]) if row else 0
    return counts


def database_env(location: Path | str) -> dict[str, str]:
    """The environment that points ``festbot`` at ``location``."""
    if isinstance(location, Path):
        return {"FESTBOT_DB": str(location)}
    return {"FESTBOT_DATABASE_URL": location}


@pytest.fixture(scope="session")
def festivals() -> FestivalTable:
    return FestivalTable.load()


@pytest.fixture
async def store(database: Path | str) -> AsyncIterator[Store]:
    async with open_store(database) as opened:
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
    env["FESTBOT_DATA_DIR"] = str(tmp_path / "data")  # the inbox and festival editions too, never the checkout's
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
