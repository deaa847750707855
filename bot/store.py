"""SQLite storage: the only module that speaks SQL.

Two aiosqlite connections in WAL mode: one writer, whose transactions are serialised by a lock so a
review is always stored whole or not at all, and one reader, so a search running while a review is
being written sees the database before or after that write, never half of it. Reviews themselves are
written by a third, plain sqlite3 connection on a thread of its own, one hand-over per transaction
(see :class:`SyncWriter`), under the same lock: one review's, or a bulk ingest's batch with a
savepoint per review (see :meth:`Store.ingest_many`). Schema changes are numbered files in
``bot/migrations`` tracked with ``PRAGMA user_version``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Coroutine, Generator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar

import aiosqlite
from pydantic import BaseModel, ConfigDict

from bot import ledger
from bot.models import FestivalRef, IngestStatus, Review, SalesContact, StoredReview, Summary
from bot.text import fold

log = logging.getLogger(__name__)

_COMPANY_LABEL = re.compile(r"compan|sales|distribut|studio|contact|financ|presenter|co_production", re.IGNORECASE)


def is_company_label(label: str) -> bool:
    """Credit labels whose names are organisations rather than people."""
    return bool(_COMPANY_LABEL.search(label))


class BufferedRead:
    """A query run to completion under the read lock; rows are served from memory afterwards.

    A statement left open on a shared connection keeps its read transaction, and so an old
    snapshot, alive for every other task reading meanwhile; finishing each one before the next
    starts means every read sees all commits made before it began.
    """

    def __init__(self, reader: Reader, sql: str, params: Sequence[object]) -> None:
        self._reader = reader
        self._sql = sql
        self._params = params
        self._rows: list[aiosqlite.Row] = []

    async def __aenter__(self) -> BufferedRead:
        # One hand-over to aiosqlite's thread (execute and fetch), not three (execute, fetch, close).
        async with self._reader.lock:
            self._rows = list(await self._reader.db.execute_fetchall(self._sql, self._params))
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None

    async def fetchone(self) -> aiosqlite.Row | None:
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list[aiosqlite.Row]:
        return self._rows


class Reader:
    """The read connection, shared by every reading task without ever serving a stale snapshot."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db
        self.lock = asyncio.Lock()

    def execute(self, sql: str, params: Sequence[object] = ()) -> BufferedRead:
        return BufferedRead(self, sql, params)


T = TypeVar("T")


class _SyncCursor:
    """A sqlite3 cursor behind aiosqlite's cursor methods, answered at once."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _SyncResult:
    """What ``aiosqlite.Connection.execute`` returns: awaitable, or an async context manager, done at once."""

    def __init__(self, cursor: _SyncCursor) -> None:
        self._cursor = cursor

    async def _ready(self) -> _SyncCursor:
        return self._cursor

    def __await__(self) -> Generator[Any, None, _SyncCursor]:
        return self._ready().__await__()

    async def __aenter__(self) -> _SyncCursor:
        return self._cursor

    async def __aexit__(self, *_exc: object) -> None:
        await self._cursor.close()


class SyncWriter:
    """The calls of ``aiosqlite.Connection`` that write code makes, on a plain sqlite3 connection.

    A review's write (and the announcements the ledger queues with it) is async code written
    against aiosqlite. Through aiosqlite each statement is a round trip to its thread, about
    0.15 ms here, and a review takes some twenty statements. Run through this class by
    :func:`_run_now` on the store's write thread, the same code makes the whole transaction
    one hand-over instead of twenty, and the SQL stays exactly what it is.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> _SyncResult:
        return _SyncResult(_SyncCursor(self._conn.execute(sql, parameters)))

    async def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> _SyncCursor:
        return _SyncCursor(self._conn.executemany(sql, rows))


def _run_now(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never waits for anything (every await is a :class:`SyncWriter` call)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    raise RuntimeError("a store write awaited real I/O on the write thread")


class Incoming(NamedTuple):
    """A review on its way into the store, with what :meth:`Store.ingest` takes besides it."""

    review: Review
    source: str | None = None
    summary: Summary | None = None
    announce: bool = True


class StoreError(RuntimeError):
    """The database cannot be opened or migrated; the message says what to do."""


class SearchDoc(BaseModel):
    """What ranking needs of a review, without its body."""

    model_config = ConfigDict(frozen=True)

    review_id: int
    title: str
    original_title: str | None
    year: int | None
    directors: list[str]
    festival: str | None
    festival_year: int | None
    recency: str  # published_at or created_at, ISO: sorts newest last


class IndexMarks(NamedTuple):
    """The newest review id and update time, the newest person and company ids, and SQLite's count of
    commits by other connections (``updated_at`` has whole seconds: an update within the same second
    changes no other mark)."""

    review_id: int
    updated_at: str
    person_id: int
    company_id: int
    data_version: int


class TitleRow(NamedTuple):
    """A review's titles for the in-memory search index; ``folded`` is the film key's folded title."""

    review_id: int
    title: str
    original_title: str | None
    folded: str
    recency: str


class NamedCredit(NamedTuple):
    """A credit of a person (positive id) or a company (negative id) found by name."""

    review_id: int
    entity: int
    name: str
    kind: str
    label: str


class ReviewRef(BaseModel):
    """A review in a listing: enough to show a line and to open it."""

    model_config = ConfigDict(frozen=True)

    review_id: int
    title: str
    original_title: str | None
    year: int | None
    directors: list[str]
    festival: str | None
    section: str | None
    festival_year: int | None
    published_at: dt.datetime | None
    role: str | None = None


def content_hash(review: Review) -> str:
    return hashlib.sha256(review.model_dump_json().encode()).hexdigest()


def film_key(review: Review) -> str:
    director = fold(review.directors[0]) if review.directors else ""
    return f"{fold(review.title)}|{review.year or ''}|{director}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files("bot.migrations").iterdir():
        match = re.match(r"V(\d+)__(\w+)\.sql$", entry.name)
        if match:
            found.append((int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class Store:
    """Reviews in SQLite. Create with :func:`open_store`."""

    def __init__(
        self,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        path: Path,
        ingest_writer: sqlite3.Connection | None = None,
    ) -> None:
        self._db = writer
        self._read = Reader(reader)
        self.path = path
        self._write_lock = asyncio.Lock()
        #: Bumped on every write so in-memory caches (search vocabulary) know to refresh.
        self.generation = 0
        #: Bumped on every write of a review (the rest, announcement bookkeeping or feeds, leaves it).
        self.reviews_generation = 0
        # Reviews are written on a connection of their own, on one thread of their own, a whole
        # transaction per hand-over (see SyncWriter). The write lock serialises it with the other writer.
        self._ingest_db = ingest_writer
        self._ingest_thread = ThreadPoolExecutor(1, thread_name_prefix="festbot-store-write")

    # -- lifecycle ------------------------------------------------------------------------------------

    async def _migrate(self) -> None:
        async with self._db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        current = row[0] if row else 0
        for version, name, sql in _migrations():
            if version <= current:
                continue
            log.info("applying migration %s", name)
            # executescript commits first; wrap it so a failing migration leaves nothing behind.
            await self._db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction; rolled back whole if anything inside raises."""
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.rollback()
                raise
            else:
                await self._db.commit()
                self.generation += 1

    async def _close_ingest_writer(self) -> None:
        conn, self._ingest_db = self._ingest_db, None
        if conn is not None:
            await asyncio.get_running_loop().run_in_executor(self._ingest_thread, conn.close)
        self._ingest_thread.shutdown(wait=False)

    # -- meta -----------------------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        async with self._read.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    async def set_meta(self, key: str, value: str) -> None:
        async with self.transaction() as db:
            await db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # -- writing --------------------------------------------------------------------------------------

    @property
    def reader(self) -> Reader:
        """The read connection, for store modules of other areas (feeds, announcements)."""
        return self._read

    async def ingest(
        self, review: Review, *, source: str | None = None, summary: Summary | None = None, announce: bool = True
    ) -> IngestStatus:
        """Store ``review`` in one transaction: ``added``, ``updated`` in place, or ``unchanged``.

        A review is the same one when it has the same URL, the same source (an edited file), or the
        same film key (title, year and director) with neither URL nor source telling otherwise.
        A new review queues its announcements in this same transaction (unless ``announce`` is false,
        as for a feed's back catalogue); an updated one queues edits of what was announced.
        """
        digest = content_hash(review)
        if self._ingest_db is None:  # only while migrating, before open_store hands the store out
            async with self.transaction() as db:
                status = await self._ingest(db, review, digest, source, summary, announce)
            self.reviews_generation += 1
            return status
        return await self._on_write_thread(self._ingest_now, review, digest, source, summary, announce)

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
        return await self._on_write_thread(self._ingest_many_now, list(incoming))

    async def _on_write_thread(self, write: Callable[..., T], *args: Any) -> T:
        """Run one whole transaction on the write thread, under the write lock, and mark reviews as changed."""
        loop = asyncio.get_running_loop()
        async with self._write_lock:
            done = loop.run_in_executor(self._ingest_thread, write, *args)
            try:
                return await asyncio.shield(done)
            except asyncio.CancelledError:
                # The thread finishes the transaction whatever happens; keep the lock until it has.
                with contextlib.suppress(Exception):
                    await done
                raise
            finally:
                self.generation += 1
                self.reviews_generation += 1

    def _ingest_now(
        self, review: Review, digest: str, source: str | None, summary: Summary | None, announce: bool
    ) -> IngestStatus:
        """One review's whole transaction, on the write thread."""
        conn = self._ingest_db
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        try:
            status = _run_now(self._ingest(SyncWriter(conn), review, digest, source, summary, announce))  # type: ignore[arg-type]
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return status

    def _ingest_many_now(self, incoming: list[Incoming]) -> list[IngestStatus | Exception]:
        """Several reviews' transaction, on the write thread: one savepoint each, one commit."""
        conn = self._ingest_db
        assert conn is not None
        writer = SyncWriter(conn)
        conn.execute(f"PRAGMA {_BULK_CACHE}")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                results = [self._ingest_saved(conn, writer, item) for item in incoming]
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        finally:
            conn.execute(f"PRAGMA {_DEFAULT_CACHE}")  # and give the pages back
        return results

    def _ingest_saved(self, conn: sqlite3.Connection, writer: SyncWriter, item: Incoming) -> IngestStatus | Exception:
        """One review inside the batch's transaction; if it fails, only its own changes are undone."""
        conn.execute("SAVEPOINT review")
        try:
            status = _run_now(
                self._ingest(writer, item.review, content_hash(item.review), item.source, item.summary, item.announce)  # type: ignore[arg-type]
            )
        except Exception as exc:
            if not conn.in_transaction:
                raise  # SQLite abandoned the whole transaction (disk full, I/O error): the batch is lost
            conn.execute("ROLLBACK TO review")
            conn.execute("RELEASE review")
            return exc
        conn.execute("RELEASE review")
        return status

    async def _ingest(
        self,
        db: aiosqlite.Connection,
        review: Review,
        digest: str,
        source: str | None,
        summary: Summary | None,
        announce: bool,
    ) -> IngestStatus:
        existing = await self._find_existing(db, review, source)
        if existing is not None:
            review_id, old_hash = existing
            if old_hash == digest:
                if source is not None:
                    await db.execute(
                        "UPDATE reviews SET source = ? WHERE id = ? AND source IS NULL", (source, review_id)
                    )
                return IngestStatus(status="unchanged", review_id=review_id, title=review.title)
            await self._write(db, review, digest, source, summary, review_id)
            await ledger.requeue_edits(db, review_id)
            return IngestStatus(status="updated", review_id=review_id, title=review.title)
        review_id = await self._write(db, review, digest, source, summary, None)
        if announce:
            await ledger.enqueue_for_review(db, review_id, review.festival)
        return IngestStatus(status="added", review_id=review_id, title=review.title)

    async def _find_existing(
        self, db: aiosqlite.Connection, review: Review, source: str | None
    ) -> tuple[int, str] | None:
        probes: list[tuple[str, tuple[object, ...]]] = []
        if review.url:
            probes.append(("SELECT id, content_hash FROM reviews WHERE url = ?", (review.url,)))
        if source:
            probes.append(("SELECT id, content_hash FROM reviews WHERE source = ?", (source,)))
        probes.append(
            (
                "SELECT r.id, r.content_hash FROM reviews r JOIN films f ON f.id = r.film_id "
                "WHERE f.film_key = ? AND (r.url IS NULL OR ? IS NULL) ORDER BY r.id LIMIT 1",
                (film_key(review), review.url),
            )
        )
        for sql, params in probes:
            async with db.execute(sql, params) as cursor:
                row = await cursor.fetchone()
            if row:
                return int(row[0]), str(row[1])
        return None

    async def _write(
        self,
        db: aiosqlite.Connection,
        review: Review,
        digest: str,
        source: str | None,
        summary: Summary | None,
        review_id: int | None,
    ) -> int:
        film_id = await self._upsert_film(db, review)
        festival = review.festival
        values = (
            film_id,
            review.url,
            digest,
            review.headline,
            review.pull_quote,
            review.image_credit,
            json.dumps(review.body, ensure_ascii=False),
            festival.name if festival else None,
            festival.section if festival else None,
            review.festival_year,
            review.published_at.astimezone(dt.UTC).isoformat() if review.published_at else None,
            review.reviewer,
            summary.model_dump_json() if summary else None,
        )
        now = _now()
        if review_id is None:
            cursor = await db.execute(
                "INSERT INTO reviews(film_id, url, content_hash, headline, pull_quote, image_credit, body, festival,"
                " section, festival_year, published_at, reviewer, summary, source, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, source, now, now),
            )
            review_id = int(cursor.lastrowid or 0)
        else:
            async with db.execute("SELECT film_id FROM reviews WHERE id = ?", (review_id,)) as cursor:
                previous = await cursor.fetchone()
            await db.execute(
                "UPDATE reviews SET film_id = ?, url = ?, content_hash = ?, headline = ?, pull_quote = ?,"
                " image_credit = ?, body = ?, festival = ?, section = ?, festival_year = ?, published_at = ?,"
                " reviewer = ?, summary = ?, source = COALESCE(?, source), updated_at = ? WHERE id = ?",
                (*values, source, now, review_id),
            )
            await db.execute("DELETE FROM credits WHERE review_id = ?", (review_id,))
            await db.execute("DELETE FROM sales_contacts WHERE review_id = ?", (review_id,))
            if previous is not None and previous[0] != film_id:
                # A corrected title moves the review to another film; drop the old one if nothing else uses it
                # (one indexed lookup, rather than scanning every film on every update).
                await db.execute(
                    "DELETE FROM films WHERE id = ? AND NOT EXISTS (SELECT 1 FROM reviews WHERE film_id = ?)",
                    (previous[0], previous[0]),
                )
        await self._write_credits(db, review_id, review)
        return review_id

    async def _upsert_film(self, db: aiosqlite.Connection, review: Review) -> int:
        key = film_key(review)
        async with db.execute("SELECT id FROM films WHERE film_key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        if row:
            film_id = int(row[0])
            await db.execute(
                "UPDATE films SET title = ?, original_title = ?, year = ?, runtime_minutes = ? WHERE id = ?",
                (review.title, review.original_title, review.year, review.runtime_minutes, film_id),
            )
            await db.execute("DELETE FROM film_countries WHERE film_id = ?", (film_id,))
        else:
            cursor = await db.execute(
                "INSERT INTO films(title, original_title, year, runtime_minutes, film_key) VALUES (?, ?, ?, ?, ?)",
                (review.title, review.original_title, review.year, review.runtime_minutes, key),
            )
            film_id = int(cursor.lastrowid or 0)
        await db.executemany(
            "INSERT INTO film_countries(film_id, position, name) VALUES (?, ?, ?)",
            [(film_id, i, name) for i, name in enumerate(review.countries)],
        )
        return film_id

    async def _entity_ids(self, db: aiosqlite.Connection, table: str, names: Iterable[str]) -> dict[str, int]:
        """Ids of these people (or companies), adding the ones not seen before.

        Most of a review's names are known already, so all are looked up first and only the new
        ones are folded and inserted: three statements at most, and no insert attempted in vain.
        """
        unique = list(dict.fromkeys(names))
        if not unique:
            return {}
        ids = await self._known_ids(db, table, unique)
        new = [name for name in unique if name not in ids]
        if new:
            # table is one of two literals chosen by the caller, never user input.
            await db.executemany(
                f"INSERT OR IGNORE INTO {table}(name, folded) VALUES (?, ?)",  # noqa: S608
                [(name, fold(name)) for name in new],
            )
            ids.update(await self._known_ids(db, table, new))
        return ids

    async def _known_ids(self, db: aiosqlite.Connection, table: str, names: list[str]) -> dict[str, int]:
        async with db.execute(
            f"SELECT name, id FROM {table} WHERE name IN (SELECT value FROM json_each(?))",  # noqa: S608
            (json.dumps(names, ensure_ascii=False),),
        ) as cursor:
            return {str(row[0]): int(row[1]) for row in await cursor.fetchall()}

    async def _write_credits(self, db: aiosqlite.Connection, review_id: int, review: Review) -> None:
        groups: list[tuple[str, str, list[str]]] = [
            ("director", "director", review.directors),
            ("screenwriter", "screenwriter", review.screenwriters),
            ("cast", "cast", review.cast),
            *(("credit", label, names) for label, names in review.credits.items()),
        ]
        credited = [(kind, label, kind == "credit" and is_company_label(label), names) for kind, label, names in groups]
        people = await self._entity_ids(
            db, "people", (n for _, _, company, names in credited if not company for n in names)
        )
        companies = await self._entity_ids(
            db,
            "companies",
            [*(n for _, _, company, names in credited if company for n in names), *(s.company for s in review.sales)],
        )
        rows: list[tuple[int, str, str, int, int | None, int | None]] = []
        for kind, label, company, names in credited:
            for position, name in enumerate(names):
                entity = companies[name] if company else people[name]
                rows.append(
                    (review_id, kind, label, position, None if company else entity, entity if company else None)
                )
        await db.executemany(
            "INSERT INTO credits(review_id, kind, label, position, person_id, company_id) VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        await db.executemany(
            "INSERT INTO sales_contacts(review_id, position, company_id, emails, phones, urls)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    review_id,
                    position,
                    companies[contact.company],
                    json.dumps(contact.emails),
                    json.dumps(contact.phones),
                    json.dumps(contact.urls),
                )
                for position, contact in enumerate(review.sales)
            ],
        )

    async def set_summary(self, review_id: int, summary: Summary) -> None:
        async with self.transaction() as db:
            await db.execute("UPDATE reviews SET summary = ? WHERE id = ?", (summary.model_dump_json(), review_id))

    # -- reading --------------------------------------------------------------------------------------

    async def count(self) -> int:
        async with self._read.execute("SELECT count(*) FROM reviews") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def get(self, review_id: int) -> StoredReview | None:
        # One statement, so one consistent snapshot and one hand-over to the reader's thread; the
        # lists come back as JSON, each in its stored order.
        async with self._read.execute(
            "SELECT r.id, f.title, f.original_title, f.year, f.runtime_minutes, r.headline, r.pull_quote,"
            " r.image_credit, r.body, r.festival, r.section, r.festival_year, r.url, r.published_at, r.reviewer,"
            " r.summary, r.source, r.content_hash, r.created_at, r.updated_at,"
            " (SELECT json_group_array(name) FROM"
            "   (SELECT name FROM film_countries WHERE film_id = r.film_id ORDER BY position)),"
            " (SELECT json_group_array(json_array(kind, label, name)) FROM"
            "   (SELECT c.kind, c.label, COALESCE(p.name, co.name) AS name FROM credits c"
            "    LEFT JOIN people p ON p.id = c.person_id LEFT JOIN companies co ON co.id = c.company_id"
            "    WHERE c.review_id = r.id ORDER BY c.rowid)),"
            " (SELECT json_group_array(json_array(name, json(emails), json(phones), json(urls))) FROM"
            "   (SELECT co.name, s.emails, s.phones, s.urls FROM sales_contacts s"
            "    JOIN companies co ON co.id = s.company_id WHERE s.review_id = r.id ORDER BY s.position))"
            " FROM reviews r JOIN films f ON f.id = r.film_id WHERE r.id = ?",
            (review_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        countries = json.loads(row[20])
        credit_rows = json.loads(row[21])
        sales = [
            SalesContact(company=name, emails=emails, phones=phones, urls=urls)
            for name, emails, phones, urls in json.loads(row[22])
        ]
        people: dict[str, list[str]] = {"director": [], "screenwriter": [], "cast": []}
        credits: dict[str, list[str]] = {}
        for kind, label, name in credit_rows:
            (credits.setdefault(label, []) if kind == "credit" else people[kind]).append(name)
        review = Review(
            title=row[1],
            original_title=row[2],
            year=row[3],
            runtime_minutes=row[4],
            headline=row[5],
            pull_quote=row[6],
            image_credit=row[7],
            body=json.loads(row[8]),
            festival=FestivalRef(name=row[9], section=row[10]) if row[9] else None,
            festival_year=row[11],
            url=row[12],
            published_at=dt.datetime.fromisoformat(row[13]) if row[13] else None,
            reviewer=row[14],
            directors=people["director"],
            screenwriters=people["screenwriter"],
            cast=people["cast"],
            countries=countries,
            credits=credits,
            sales=sales,
        )
        return StoredReview(
            id=row[0],
            review=review,
            summary=Summary.model_validate_json(row[15]) if row[15] else None,
            source=row[16],
            content_hash=row[17],
            created_at=dt.datetime.fromisoformat(row[18]),
            updated_at=dt.datetime.fromisoformat(row[19]),
        )

    async def search_docs(self, review_ids: Iterable[int]) -> list[SearchDoc]:
        ids = list(dict.fromkeys(review_ids))
        if not ids:
            return []
        async with self._read.execute(
            "SELECT r.id, f.title, f.original_title, f.year, r.festival, r.festival_year,"
            " COALESCE(r.published_at, r.created_at),"
            " (SELECT json_group_array(p.name) FROM credits c JOIN people p ON p.id = c.person_id"
            "   WHERE c.review_id = r.id AND c.kind = 'director')"
            " FROM reviews r JOIN films f ON f.id = r.film_id WHERE r.id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            SearchDoc(
                review_id=r[0],
                title=r[1],
                original_title=r[2],
                year=r[3],
                festival=r[4],
                festival_year=r[5],
                recency=r[6],
                directors=json.loads(r[7]),
            )
            for r in rows
        ]

    async def index_marks(self) -> IndexMarks:
        """Where the reviews and names stand, so an in-memory index can tell it is behind (any process)."""
        async with self._read.execute(
            "SELECT (SELECT max(id) FROM reviews), (SELECT max(updated_at) FROM reviews),"
            " (SELECT max(id) FROM people), (SELECT max(id) FROM companies), (SELECT * FROM pragma_data_version())"
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return IndexMarks(row[0] or 0, row[1] or "", row[2] or 0, row[3] or 0, row[4])

    async def title_rows(self, since: IndexMarks) -> list[TitleRow]:
        """The titles of reviews added or updated since ``since``, and of the other reviews of their films."""
        changed = "SELECT film_id FROM reviews WHERE id > ? UNION SELECT film_id FROM reviews WHERE updated_at >= ?"
        sql = f"{_TITLE_ROWS} WHERE r.film_id IN ({changed})"
        async with self._read.execute(sql, (since.review_id, since.updated_at)) as cursor:
            return [_title_row(row) for row in await cursor.fetchall()]

    async def title_pages(self, size: int = 20_000) -> AsyncIterator[list[TitleRow]]:
        """Every review's titles, a page at a time."""
        async for rows in self._pages(f"{_TITLE_ROWS} WHERE r.id > ? ORDER BY r.id LIMIT ?", 0, size):
            yield [_title_row(row) for row in rows]

    async def name_pages(
        self, table: Literal["people", "companies"], after: int = 0, size: int = 50_000
    ) -> AsyncIterator[list[tuple[int, str]]]:
        """(id, folded name) of the people or companies after ``after``, a page at a time."""
        async for rows in self._pages(_NAME_ROWS[table], after, size):
            yield [(int(row[0]), str(row[1])) for row in rows]

    async def _pages(self, sql: str, after: int, size: int) -> AsyncIterator[list[Any]]:
        """Rows of ``sql`` (ids above ``?``, ``?`` at most, id first, in id order), one buffered read a page."""
        while True:
            async with self._read.execute(sql, (after, size)) as cursor:
                rows = await cursor.fetchall()
            if not rows:
                return
            yield rows
            after = rows[-1][0]

    async def name_credits(
        self, person_ids: Sequence[int], company_ids: Sequence[int], per_name: int = 25
    ) -> list[NamedCredit]:
        """Where these people and companies are credited (sales agents included).

        Names in the order given (best match first), each with its ``per_name`` latest credits, newest
        first: a name credited on thousands of films costs no more than one credited once.
        """
        people, companies = json.dumps(list(person_ids)), json.dumps(list(company_ids))
        async with self._read.execute(
            "SELECT * FROM (SELECT c.review_id, j.value, p.name, c.kind, c.label FROM json_each(?) j"
            "  JOIN people p ON p.id = j.value JOIN credits c ON c.rowid IN"
            "  (SELECT rowid FROM credits WHERE person_id = j.value ORDER BY rowid DESC LIMIT ?)"
            "  ORDER BY j.key, c.rowid DESC)"
            " UNION ALL SELECT * FROM (SELECT c.review_id, -j.value, co.name, c.kind, c.label FROM json_each(?) j"
            "  JOIN companies co ON co.id = j.value JOIN credits c ON c.rowid IN"
            "  (SELECT rowid FROM credits WHERE company_id = j.value ORDER BY rowid DESC LIMIT ?)"
            "  ORDER BY j.key, c.rowid DESC)"
            " UNION ALL SELECT * FROM (SELECT s.review_id, -j.value, co.name, 'credit', 'international_sales'"
            "  FROM json_each(?) j JOIN companies co ON co.id = j.value JOIN sales_contacts s ON s.rowid IN"
            "  (SELECT rowid FROM sales_contacts WHERE company_id = j.value ORDER BY rowid DESC LIMIT ?)"
            "  ORDER BY j.key, s.rowid DESC)",
            (people, per_name, companies, per_name, companies, per_name),
        ) as cursor:
            return [NamedCredit(*row) for row in await cursor.fetchall()]

    async def _refs(
        self, where: str, params: Sequence[object], role_sql: str = "NULL", limit: int = -1
    ) -> list[ReviewRef]:
        async with self._read.execute(
            f"SELECT DISTINCT r.id, f.title, f.original_title, f.year, r.festival, r.section, r.festival_year,"  # noqa: S608
            f" r.published_at, {role_sql},"
            " (SELECT json_group_array(p.name) FROM credits c JOIN people p ON p.id = c.person_id"
            "   WHERE c.review_id = r.id AND c.kind = 'director')"
            f" FROM reviews r JOIN films f ON f.id = r.film_id {where}"
            " ORDER BY COALESCE(r.published_at, r.created_at) DESC, f.year DESC, r.id DESC LIMIT ?",
            (*params, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            ReviewRef(
                review_id=r[0],
                title=r[1],
                original_title=r[2],
                year=r[3],
                festival=r[4],
                section=r[5],
                festival_year=r[6],
                published_at=dt.datetime.fromisoformat(r[7]) if r[7] else None,
                role=r[8],
                directors=json.loads(r[9]),
            )
            for r in rows
        ]

    async def reviews_crediting_person(self, folded_name: str) -> list[ReviewRef]:
        """Reviews where a person (matched by folded name) is credited, newest first, with the roles."""
        return await self._refs(
            "JOIN credits c ON c.review_id = r.id JOIN people p ON p.id = c.person_id WHERE p.folded = ? GROUP BY r.id",
            (folded_name,),
            "group_concat(DISTINCT CASE c.kind WHEN 'credit' THEN c.label ELSE c.kind END)",
        )

    async def reviews_selling_company(self, folded_name: str) -> list[ReviewRef]:
        """Reviews whose sales agent (or credited company) is this company, newest first."""
        return await self._refs(
            "JOIN credits c ON c.review_id = r.id JOIN companies co ON co.id = c.company_id WHERE co.folded = ?"
            " GROUP BY r.id",
            (folded_name,),
            "group_concat(DISTINCT c.label)",
        )

    async def reviews_at_festival(self, festival: str, year: int | None, section: str | None) -> list[ReviewRef]:
        """Reviews from one festival (and edition year and section, when given), newest first."""
        return await self._refs(
            "WHERE r.festival = ? AND (? IS NULL OR r.festival_year = ? OR (r.festival_year IS NULL AND f.year = ?))"
            " AND (? IS NULL OR lower(r.section) = lower(?))",
            (festival, year, year, year, section, section),
        )

    async def recent_reviews(self, limit: int) -> list[ReviewRef]:
        """The newest reviews, for autocomplete before anything is typed."""
        return await self._refs("", (), limit=limit) if limit > 0 else []

    async def latest_contact(self, folded_company: str) -> SalesContact | None:
        """A company's contact details as its newest review gives them."""
        async with self._read.execute(
            "SELECT co.name, s.emails, s.phones, s.urls FROM sales_contacts s JOIN companies co ON co.id = s.company_id"
            " JOIN reviews r ON r.id = s.review_id WHERE co.folded = ?"
            " ORDER BY COALESCE(r.published_at, r.created_at) DESC, r.id DESC LIMIT 1",
            (folded_company,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return SalesContact(
            company=row[0], emails=json.loads(row[1]), phones=json.loads(row[2]), urls=json.loads(row[3])
        )

    async def names_by_id(self, table: Literal["people", "companies"], ids: Sequence[int]) -> list[str]:
        """The display names of these people or companies, in the order given."""
        async with self._read.execute(_NAMES_BY_ID[table], (json.dumps(list(ids)),)) as cursor:
            return [str(row[0]) for row in await cursor.fetchall()]


_NAMES_BY_ID = {
    table: f"SELECT t.name FROM json_each(?) j JOIN {table} t ON t.id = j.value ORDER BY j.key"  # noqa: S608
    for table in ("people", "companies")
}
_NAME_ROWS = {
    table: f"SELECT id, folded FROM {table} WHERE id > ? ORDER BY id LIMIT ?"  # noqa: S608
    for table in ("people", "companies")
}
_TITLE_ROWS = (
    "SELECT r.id, f.title, f.original_title, f.film_key, COALESCE(r.published_at, r.created_at)"
    " FROM reviews r JOIN films f ON f.id = r.film_id"
)


def _title_row(row: Sequence[Any]) -> TitleRow:
    return TitleRow(row[0], row[1], row[2], str(row[3]).partition("|")[0], row[4])


async def _connect(path: Path) -> aiosqlite.Connection:
    db = await aiosqlite.connect(path, isolation_level=None)
    try:
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA foreign_keys = ON")
        await db.execute("PRAGMA busy_timeout = 5000")
        await db.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        await db.close()
        raise
    return db


#: The review writer's own settings: each review's savepoint keeps the pages it changes in a
#: sub-journal, which in memory costs a copy instead of a temporary file's writes.
_WRITER_PRAGMAS = ("temp_store = MEMORY",)
#: A bulk ingest changes pages all over the people and credits indexes, which SQLite's default 2 MiB
#: cache kept reading again (writing 5,000 reviews in batches of 64: 1.81 ms a review with the default
#: cache and a temporary-file sub-journal, 1.41 with 64 MiB and the sub-journal in memory). Only a
#: batch gets the large cache: a bot that stays up for weeks should not keep 64 MiB of pages.
_BULK_CACHE = "cache_size = -65536"
_DEFAULT_CACHE = "cache_size = -2000"


def _connect_sync(path: Path) -> sqlite3.Connection:
    """The review writer's connection (used only on the store's write thread), set up as :func:`_connect`'s."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        for pragma in (
            "journal_mode = WAL",
            "foreign_keys = ON",
            "busy_timeout = 5000",
            "synchronous = NORMAL",
            *_WRITER_PRAGMAS,
        ):
            db.execute(f"PRAGMA {pragma}")
    except BaseException:
        db.close()
        raise
    return db


@contextlib.asynccontextmanager
async def open_store(path: Path) -> AsyncIterator[Store]:
    """Open (creating and migrating as needed) the database at ``path``."""
    async with contextlib.AsyncExitStack() as stack:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = await _connect(path)
            stack.push_async_callback(writer.close)
            store = Store(writer, writer, path)
            await store._migrate()
            reader = await _connect(path)
            stack.push_async_callback(reader.close)
            ingest_writer = await asyncio.get_running_loop().run_in_executor(store._ingest_thread, _connect_sync, path)
            stack.push_async_callback(store._close_ingest_writer)
        except (OSError, aiosqlite.Error, sqlite3.Error) as exc:
            raise StoreError(
                f"Cannot use the database at {path}: {exc}. Is FESTBOT_DB a writable festbot database?"
            ) from exc
        store._read = Reader(reader)
        store._ingest_db = ingest_writer
        yield store
