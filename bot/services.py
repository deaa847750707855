"""The bot's working parts over one database, opened and closed together."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from bot.answers.links import Links
from bot.answers.service import Answers
from bot.config import Settings
from bot.domain.festival_editions import load_table
from bot.domain.festivals import FestivalTable
from bot.health import Health
from bot.search.searcher import Searcher
from bot.sources.feeds.guard import FetchPolicy
from bot.sources.ingest import ensure_seeded
from bot.sources.workers import WorkerPool
from bot.storage import identify_slots
from bot.storage.ledger import Ledger
from bot.storage.store import Store, open_store
from bot.storage.watchlist import Watchlist


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store
    festivals: FestivalTable
    searcher: Searcher
    answers: Answers
    ledger: Ledger
    #: Where files and pages are read (parsed, extracted, summarised): never on the event loop.
    workers: WorkerPool
    #: The background tasks' state, as they report it: shown by /announce list (and any health check).
    health: Health = field(default_factory=Health)

    @property
    def watchlist(self) -> Watchlist:
        """The members' watches and their direct messages (stateless over the store)."""
        return Watchlist(self.store)

    @property
    def fetch_policy(self) -> FetchPolicy:
        return fetch_policy(self.settings)

    async def claim_identify_turn(self, bucket: int, now_ms: int, spacing_ms: int, horizon_ms: int) -> int:
        """The next moment ``bucket`` may IDENTIFY, reserved for the caller against every process on the database."""
        return await self.store.write(identify_slots.claim, bucket, now_ms, spacing_ms, horizon_ms)


def fetch_policy(settings: Settings) -> FetchPolicy:
    """Which addresses feeds and pages may be fetched from, as the operator configured it."""
    return FetchPolicy(allow_private=settings.fetch_allow_private, allow_hosts=settings.fetch_allow_hosts)


@contextlib.asynccontextmanager
async def open_services(settings: Settings, *, seed: bool = True, read_only: bool = False) -> AsyncIterator[Services]:
    """Open the store (loading the shipped reviews on first use) and build search and answers on it.

    ``read_only``: an existing database, only read (``festbot web`` serving a replica); nothing is seeded.
    """
    festivals = load_table(settings.festivals_file, settings.editions_file)
    async with (
        open_store(settings.database, read_only=read_only) as store,
        WorkerPool(time_limit=settings.read_time_limit) as workers,
    ):
        if seed and not read_only:
            await ensure_seeded(store, settings.reviews_dir, festivals)
        searcher = Searcher(store)
        answers = Answers(store, searcher, festivals, Links(settings.public_url))
        yield Services(settings, store, festivals, searcher, answers, Ledger(store), workers)
