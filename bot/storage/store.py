"""The review store: what the rest of the bot calls to keep and read reviews, over one :class:`Database`.

Every method is one transaction or one read. The SQL lives beside this module, in
:mod:`~bot.storage.review_writes` and :mod:`~bot.storage.review_reads`; other areas' stores
(:mod:`~bot.storage.ledger`, :mod:`~bot.storage.feeds`) run their own statements through
:meth:`Store.write` and :attr:`Store.reads`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Concatenate, Literal, NamedTuple

from bot.domain.models import Film, IngestStatus, Review, SalesContact, StoredReview, Summary
from bot.storage import review_reads, review_writes, search_reads, web_reads
from bot.storage.connection import ChangeFeed, Connection, Database, P, Reads, T
from bot.storage.engines import Location, open_database, postgres_url
from bot.storage.rows import (
    ChangeMark,
    Edition,
    GridEntry,
    IndexMarks,
    NamedCredit,
    ReviewLine,
    ReviewRef,
    SearchDoc,
    TitleRow,
)


class Incoming(NamedTuple):
    """A review on its way into the store, with what :meth:`Store.ingest` takes besides it."""

    review: Review
    source: str | None = None
    summary: Summary | None = None
    announce: bool = True
    audience: int | None = None  # the server whose subscriptions are told (its own feed's review); None: all


def _store_incoming(conn: Connection, item: Incoming) -> IngestStatus:
    return review_writes.store_review(
        conn, item.review, source=item.source, summary=item.summary, announce=item.announce, audience=item.audience
    )


def _analyze(conn: Connection) -> None:
    conn.execute("ANALYZE reviews, films, credits, people, companies, sales_contacts")


class Store:
    """Reviews in a database. Create with :func:`open_store`."""

    def __init__(self, db: Database, location: Location) -> None:
        self.db = db
        #: The SQLite file's path or the PostgreSQL URL (see :mod:`bot.storage.engines`).
        self.location = location
        #: Bumped on every write so in-memory caches know to refresh.
        self.generation = 0
        #: Bumped on every write of a review (the rest, announcement bookkeeping or feeds, leaves it), and,
        #: on a database that says so (:class:`ChangeFeed`), on every other process's too.
        self.reviews_generation = 0
        #: Whether other processes' review writes bump ``reviews_generation`` now (PostgreSQL, while listening):
        #: then caches need not ask the database whether anything changed.
        self.watching = False
        #: Called when another process's review write is notified (a new review's deliveries commit with it).
        self.on_reviews_changed: list[Callable[[], None]] = []

    def _changed(self) -> None:
        self.reviews_generation += 1
        self.watching = True
        for call in self.on_reviews_changed:
            call()

    def _lost(self) -> None:
        self.watching = False

    @property
    def reads(self) -> Reads:
        return self.db.reads

    async def write(self, work: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """One transaction of another area's statements (announcements, feeds)."""
        try:
            return await self.db.write(work, *args, **kwargs)
        finally:
            self.generation += 1

    # -- writing reviews ------------------------------------------------------------------------------

    async def ingest(
        self,
        review: Review,
        *,
        source: str | None = None,
        summary: Summary | None = None,
        announce: bool = True,
        audience: int | None = None,
    ) -> IngestStatus:
        """Store ``review`` in one transaction: ``added``, ``updated`` in place, or ``unchanged``.

        ``source`` names the file it came from when that identifies it (an edited file given again
        updates the review it gave before); leave it out when the name says nothing (inbox drops, whose
        names are reused). See :mod:`~bot.storage.review_identity` for how a review is recognised.

        A new review queues its announcements in this same transaction (unless ``announce`` is false,
        as for a feed's back catalogue), to ``audience``'s subscriptions (a server's; None: all); an
        updated one queues edits of what was announced.
        """
        try:
            return await self.write(_store_incoming, Incoming(review, source, summary, announce, audience))
        finally:
            self.reviews_generation += 1

    async def ingest_many(self, incoming: Sequence[Incoming]) -> list[IngestStatus | Exception]:
        """Store several reviews in order, each as :meth:`ingest` would, all in one transaction.

        A commit writes every page its transaction changed to the WAL, and consecutive reviews
        change many of the same pages (the ends of the reviews and credits tables, the upper
        levels of every index), so a bulk ingest commits once per batch instead of once per file.
        Each review runs in a savepoint of its own: one that raises is rolled back alone, never
        half-written, and its exception is returned in its place while the others are stored.
        """
        if not incoming:
            return []
        try:
            return await self.db.write_each(_store_incoming, incoming)
        finally:
            self.generation += 1
            self.reviews_generation += 1

    async def refresh_statistics(self) -> None:
        """After a bulk load: PostgreSQL's planner statistics for the tables it grew.

        Without them the planner guesses a review has 184 credits and hashes whole tables to read one (12 ms
        against 1.4 ms for a /review at 1,000 reviews, here), and a server with autovacuum off never gathers
        them. SQLite's plans take no statistics (its ``sqlite_stat1`` is never made), so it has nothing to do.
        """
        if postgres_url(self.location) is not None:
            await self.write(_analyze)

    async def set_summary(self, review_id: int, summary: Summary) -> None:
        await self.write(review_writes.set_summary, review_id, summary)

    async def resummarize(self, summarise: Callable[[Review], Summary], page: int = 500) -> tuple[int, int]:
        """Summarise every stored review again with ``summarise``: (reviews read, summaries changed).

        The summariser is passed in (storage sits before it in the flow). Reviews are read a page of
        ids at a time and each page's changed summaries written in one transaction, so a large
        database is never held in memory and an interruption keeps the pages already done.
        """
        seen = changed = 0
        after = 0
        while True:
            rows = await self.reads.fetchall("SELECT id FROM reviews WHERE id > ? ORDER BY id LIMIT ?", (after, page))
            if not rows:
                return seen, changed
            updates: list[tuple[int, Summary]] = []
            for (review_id,) in rows:
                stored = await self.get(int(review_id))
                if stored is None:  # deleted since the page was read
                    continue
                seen += 1
                summary = summarise(stored.review)
                if summary != stored.summary:
                    updates.append((stored.id, summary))
            if updates:
                await self.write(review_writes.set_summaries, updates)
                self.reviews_generation += 1
                changed += len(updates)
            after = int(rows[-1][0])

    # -- meta -----------------------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        row = await self.reads.fetchone("SELECT value FROM meta WHERE key = ?", (key,))
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        await self.write(_set_meta, key, value)

    # -- reading --------------------------------------------------------------------------------------

    async def count(self) -> int:
        return await review_reads.count(self.reads)

    async def get(self, review_id: int) -> StoredReview | None:
        return await review_reads.get(self.reads, review_id)

    async def film(self, film_id: int) -> Film | None:
        return await review_reads.film(self.reads, film_id)

    async def film_reviews(self, film_id: int) -> list[ReviewLine]:
        """The film's reviews, newest first."""
        return await review_reads.film_reviews(self.reads, film_id)

    async def search_docs(self, film_ids: Iterable[int]) -> list[SearchDoc]:
        return await search_reads.search_docs(self.reads, film_ids)

    async def index_marks(self) -> IndexMarks:
        """Where the reviews and names stand, so an in-memory index can tell it is behind (any process)."""
        return await search_reads.index_marks(self.reads)

    async def title_rows(self, since: IndexMarks) -> list[TitleRow]:
        return await search_reads.title_rows(self.reads, since)

    def title_pages(self, size: int = 20_000) -> AsyncIterator[list[TitleRow]]:
        return search_reads.title_pages(self.reads, size)

    def name_pages(
        self, table: Literal["people", "companies"], after: int = 0, size: int = 50_000
    ) -> AsyncIterator[list[tuple[int, str]]]:
        return search_reads.name_pages(self.reads, table, after, size)

    async def name_credits(
        self, person_ids: Sequence[int], company_ids: Sequence[int], per_name: int = 25
    ) -> list[NamedCredit]:
        return await search_reads.name_credits(self.reads, person_ids, company_ids, per_name)

    async def reviews_crediting_person(self, folded_name: str) -> list[ReviewRef]:
        return await review_reads.reviews_crediting_person(self.reads, folded_name)

    async def reviews_selling_company(self, folded_name: str) -> list[ReviewRef]:
        return await review_reads.reviews_selling_company(self.reads, folded_name)

    async def reviews_at_festival(self, festival: str, year: int | None, section: str | None) -> list[ReviewRef]:
        return await review_reads.reviews_at_festival(self.reads, festival, year, section)

    async def recent_reviews(self, limit: int) -> list[ReviewRef]:
        return await review_reads.recent_reviews(self.reads, limit)

    async def latest_contact(self, folded_company: str) -> SalesContact | None:
        return await review_reads.latest_contact(self.reads, folded_company)

    async def names_by_id(self, table: Literal["people", "companies"], ids: Sequence[int]) -> list[str]:
        return await search_reads.names_by_id(self.reads, table, ids)

    # -- reading for the web pages --------------------------------------------------------------------

    async def festival_grid(self, festival: str, year: int) -> list[GridEntry]:
        return await web_reads.festival_grid(self.reads, festival, year)

    async def festival_editions(self, festival: str) -> list[Edition]:
        return await web_reads.festival_editions(self.reads, festival)

    async def change_mark(self) -> ChangeMark:
        return await web_reads.change_mark(self.reads)


def _set_meta(conn: Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value)
    )


@contextlib.asynccontextmanager
async def open_store(location: Location, *, read_only: bool = False) -> AsyncIterator[Store]:
    """Open (creating and migrating as needed) the database at ``location`` (a SQLite file's path or a
    PostgreSQL URL); raises ``StoreError`` if it cannot.

    ``read_only`` opens an existing database of this version for reading alone (a replica): never
    created, migrated or written; every write raises ``StoreError``.
    """
    db = await open_database(location, read_only=read_only)
    store = Store(db, location)
    listening = asyncio.create_task(db.listen(store._changed, store._lost)) if isinstance(db, ChangeFeed) else None
    try:
        yield store
    finally:
        if listening is not None:
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)
        await db.close()
