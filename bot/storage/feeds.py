"""SQL for feeds and feed entries (tables from ``V003__feeds.sql``, owners from ``V005__feed_owners.sql``).

Kept apart from the review store so it does not grow feed concerns. Every write is one transaction
through :meth:`Store.write`; every read is one statement through :attr:`Store.reads`, so a dedupe
decision always sees the latest commit. A feed's ``guild_id`` is the server that added it, whose
subscriptions alone are told of what it brings; NULL is the operator's feed, told to every subscription.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.domain.models import AlertFacts, FestivalRef
from bot.storage import deliveries, notices
from bot.storage.connection import Connection
from bot.storage.store import Store

#: Entry statuses that mean the page was stored (or is the same as one stored).
STORED_STATUSES = ("added", "updated", "unchanged", "duplicate")
#: The longest poll interval (a day); the table's CHECK holds every row to it.
MAX_INTERVAL = 86_400.0
#: Reasons and errors come partly from publishers (HTTP reason phrases): stored at most this long.
MAX_REASON = 500
#: How long a server's feed fails before the server is told (once, until it works again).
ALERT_AFTER = dt.timedelta(hours=1)


class Feed(BaseModel):
    """A subscribed feed with its polling state, as ``festbot feeds list`` shows it."""

    model_config = ConfigDict(frozen=True)

    id: int
    url: str
    guild_id: int | None = None  # the server that added it; None for the operator's
    festival: str | None = None
    interval_seconds: float = 300.0
    etag: str | None = None
    last_modified: str | None = None
    added_at: dt.datetime
    first_fetch_at: dt.datetime | None = None
    last_fetch_at: dt.datetime | None = None
    last_success_at: dt.datetime | None = None
    last_status: str | None = None
    last_error: str | None = None
    error_count: int = 0
    next_poll_at: dt.datetime | None = None
    last_entry_error: str | None = None
    entries_seen: int = 0
    entries_stored: int = 0
    entries_rejected: int = 0
    entries_failed: int = 0

    def line(self, *, owner: bool = False) -> str:
        """One line per feed: id, URL, festival (and with ``owner``, whose it is), then its state."""
        festival = f" [{self.festival}]" if self.festival else ""
        if owner:
            festival += f" (server {self.guild_id})" if self.guild_id is not None else " (operator)"
        fetched = _short(self.last_fetch_at) if self.last_fetch_at else "never"
        state = f"error: {self.last_error}" if self.last_error else (self.last_status or "not fetched yet")
        parts = [
            f"#{self.id} {self.url}{festival}",
            f"every {self.interval_seconds:g}s",
            f"last fetch {fetched} ({state})",
            f"next poll {_short(self.next_poll_at) if self.next_poll_at else 'now'}",
            f"entries {self.entries_seen} seen, {self.entries_stored} stored, {self.entries_rejected} rejected,"
            f" {self.entries_failed} to retry",
        ]
        if self.last_entry_error:
            parts.append(f"last entry problem: {self.last_entry_error}")
        return " | ".join(parts)


class EntryRecord(BaseModel):
    """One feed entry the poller has dealt with, and what became of it."""

    model_config = ConfigDict(frozen=True)

    id: int
    feed_id: int | None
    entry_key: str
    url: str | None = None
    canonical_url: str | None = None
    content_hash: str | None = None
    status: str
    reason: str | None = None
    review_id: int | None = None
    announce: bool | None = None
    attempts: int = 0
    entry: dict[str, Any] = Field(default_factory=dict)
    first_seen_at: dt.datetime
    updated_at: dt.datetime
    retry_at: float | None = None  # unix seconds: a failed entry is not fetched again before then


def _short(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(value: dt.datetime | None) -> str | None:
    """Timestamps are stored as ISO 8601 in UTC (with microseconds: test intervals are sub-second)."""
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def _when(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


_FEED_COLUMNS = (
    "f.id, f.url, f.festival, f.interval_seconds, f.etag, f.last_modified, f.added_at, f.first_fetch_at,"
    " f.last_fetch_at, f.last_success_at, f.last_status, f.last_error, f.error_count, f.next_poll_at,"
    " f.last_entry_error,"
    " (SELECT count(*) FROM feed_entries e WHERE e.feed_id = f.id),"
    " (SELECT count(*) FROM feed_entries e WHERE e.feed_id = f.id"
    "   AND e.status IN ('added', 'updated', 'unchanged', 'duplicate')),"
    " (SELECT count(*) FROM feed_entries e WHERE e.feed_id = f.id AND e.status = 'rejected'),"
    " (SELECT count(*) FROM feed_entries e WHERE e.feed_id = f.id AND e.status = 'failed'),"
    " f.guild_id"
)
_FEED_BY_ID = f"SELECT {_FEED_COLUMNS} FROM feeds f WHERE f.id = ?"  # noqa: S608
_ENTRY_COLUMNS = (
    "id, feed_id, entry_key, url, canonical_url, content_hash, status, reason, review_id, announce, attempts,"
    " entry, first_seen_at, updated_at, retry_at"
)


def _feed(row: Sequence[Any]) -> Feed:
    return Feed(
        id=row[0],
        url=row[1],
        festival=row[2],
        interval_seconds=row[3],
        etag=row[4],
        last_modified=row[5],
        added_at=dt.datetime.fromisoformat(row[6]),
        first_fetch_at=_when(row[7]),
        last_fetch_at=_when(row[8]),
        last_success_at=_when(row[9]),
        last_status=row[10],
        last_error=row[11],
        error_count=row[12],
        next_poll_at=_when(row[13]),
        last_entry_error=row[14],
        entries_seen=row[15],
        entries_stored=row[16],
        entries_rejected=row[17],
        entries_failed=row[18],
        guild_id=row[19],
    )


def _entry(row: Sequence[Any]) -> EntryRecord:
    return EntryRecord(
        id=row[0],
        feed_id=row[1],
        entry_key=row[2],
        url=row[3],
        canonical_url=row[4],
        content_hash=row[5],
        status=row[6],
        reason=row[7],
        review_id=row[8],
        announce=None if row[9] is None else bool(row[9]),
        attempts=row[10],
        entry=json.loads(row[11]) if row[11] else {},
        first_seen_at=dt.datetime.fromisoformat(row[12]),
        updated_at=dt.datetime.fromisoformat(row[13]),
        retry_at=row[14],
    )


# --- feeds ---------------------------------------------------------------------------------------


async def insert_feed(
    store: Store,
    url: str,
    *,
    guild_id: int | None,
    festival: str | None,
    interval_seconds: float,
    now: dt.datetime,
    setup_channel_id: int | None = None,
) -> Feed | None:
    """Add a feed for ``guild_id`` (None: the operator); None when that owner already has the URL.

    The interval must be within bounds (the table's CHECK refuses others, as an engine's error)."""

    def write(conn: Connection) -> Feed | None:
        rows = conn.execute(
            "INSERT INTO feeds(guild_id, url, festival, interval_seconds, added_at, setup_channel_id)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            (guild_id, url, festival, interval_seconds, iso(now), setup_channel_id),
        ).fetchall()
        if not rows:
            return None
        # Read back inside the transaction: a read elsewhere would not see it before the commit.
        return _feed(conn.execute(_FEED_BY_ID, (rows[0][0],)).fetchall()[0])

    return await store.write(write)


async def delete_feed(store: Store, *, feed_id: int, guild_id: int | None = None) -> bool:
    """Remove a feed if it is ``guild_id``'s (None: any feed); its entries stay (feed_id NULL) so their
    pages are never reposted."""

    def write(conn: Connection) -> bool:
        sql = "DELETE FROM feeds WHERE id = ? AND (? IS NULL OR guild_id = ?)"
        removed = conn.execute(sql, (feed_id, guild_id, guild_id)).rowcount > 0
        notices.forget_problems(conn)
        return removed

    return await store.write(write)


async def get_feed(store: Store, feed_id: int) -> Feed | None:
    row = await store.reads.fetchone(_FEED_BY_ID, (feed_id,))
    return _feed(row) if row else None


async def feed_ids(store: Store) -> list[int]:
    return [int(row[0]) for row in await store.reads.fetchall("SELECT id FROM feeds ORDER BY id")]


async def all_feeds(store: Store, *, guild_id: int | None = None) -> list[Feed]:
    """One server's feeds, or (``guild_id`` None) every feed."""
    sql = f"SELECT {_FEED_COLUMNS} FROM feeds f WHERE ? IS NULL OR f.guild_id = ? ORDER BY f.id"  # noqa: S608
    return [_feed(row) for row in await store.reads.fetchall(sql, (guild_id, guild_id))]


async def record_success(
    store: Store,
    feed_id: int,
    *,
    now: dt.datetime,
    status: str,
    etag: str | None,
    last_modified: str | None,
    next_poll_at: dt.datetime,
) -> None:
    """A fetch that worked (200 or 304): clear the error and the back-off, store the validators to send next;
    a server told its feed was failing is told it works again."""
    sql = (
        "UPDATE feeds SET last_fetch_at = ?, last_success_at = ?, first_fetch_at = COALESCE(first_fetch_at, ?),"
        " last_status = ?, last_error = NULL, error_count = 0, next_poll_at = ?, etag = ?, last_modified = ?,"
        " failing_since = NULL WHERE id = ? RETURNING url, setup_channel_id"
    )
    values = (iso(now), iso(now), iso(now), status, iso(next_poll_at), etag, last_modified, feed_id)

    def write(conn: Connection) -> None:
        for url, setup_channel in conn.execute(sql, values).fetchall():
            facts = AlertFacts(kind="feed", event="recovered", subject_id=feed_id, what=url)
            notices.close_problem(conn, setup_channel, facts)

    await store.write(write)


async def record_failure(
    store: Store, feed_id: int, *, now: dt.datetime, reason: str, error_count: int, next_poll_at: dt.datetime
) -> None:
    """A fetch that failed; a server's feed failing for :data:`ALERT_AFTER` gets one alert (until it recovers)."""
    sql = (
        "UPDATE feeds SET last_fetch_at = ?, last_status = 'error', last_error = ?, error_count = ?,"
        " next_poll_at = ?, failing_since = COALESCE(failing_since, ?) WHERE id = ?"
        " RETURNING guild_id, url, setup_channel_id, failing_since"
    )
    values = (iso(now), reason[:MAX_REASON], error_count, iso(next_poll_at), iso(now), feed_id)

    def write(conn: Connection) -> None:
        for guild_id, url, setup_channel, since in conn.execute(sql, values).fetchall():
            if guild_id is not None and now - dt.datetime.fromisoformat(since) >= ALERT_AFTER:
                facts = AlertFacts(kind="feed", event="broken", subject_id=feed_id, what=url, reason=reason[:300])
                notices.open_problem(conn, guild_id, setup_channel, facts)

    await store.write(write)


async def set_next_poll(store: Store, feed_id: int, next_poll_at: dt.datetime) -> None:
    await _update(store, "UPDATE feeds SET next_poll_at = ? WHERE id = ?", (iso(next_poll_at), feed_id))


async def set_entry_error(store: Store, feed_id: int, text: str | None) -> None:
    await _update(store, "UPDATE feeds SET last_entry_error = ? WHERE id = ?", (text and text[:MAX_REASON], feed_id))


async def _update(store: Store, sql: str, params: Sequence[object]) -> None:
    def write(conn: Connection) -> None:
        conn.execute(sql, params)

    await store.write(write)


# --- entries -------------------------------------------------------------------------------------


async def find_entry(store: Store, feed_id: int, entry_key: str, url: str | None) -> EntryRecord | None:
    """An entry already seen: the same id in this feed, or the same link (as entry or canonical URL) anywhere."""
    row = await store.reads.fetchone(
        f"SELECT {_ENTRY_COLUMNS} FROM feed_entries"  # noqa: S608
        " WHERE (feed_id = ? AND entry_key = ?) OR (? IS NOT NULL AND (url = ? OR canonical_url = ?))"
        " ORDER BY CASE WHEN feed_id = ? THEN 0 ELSE 1 END, id LIMIT 1",
        (feed_id, entry_key, url, url, url, feed_id),
    )
    return _entry(row) if row else None


async def find_page(store: Store, *, canonical_url: str | None, digest: str | None) -> EntryRecord | None:
    """An entry whose page was stored as a review and is the same page (canonical URL) or the same text (hash).

    Only stored pages count: an entry refused when fetched (too large, not HTML, given up on) or read
    as no review has no review to be a duplicate of, so a page matching it is worked through afresh.
    """
    row = await store.reads.fetchone(
        f"SELECT {_ENTRY_COLUMNS} FROM feed_entries"  # noqa: S608
        " WHERE review_id IS NOT NULL AND status IN ('added', 'updated', 'unchanged', 'duplicate')"
        " AND ((? IS NOT NULL AND (canonical_url = ? OR url = ?)) OR (? IS NOT NULL AND content_hash = ?))"
        " ORDER BY id LIMIT 1",
        (canonical_url, canonical_url, canonical_url, digest, digest),
    )
    return _entry(row) if row else None


#: Insert or update the row of one entry (one per feed and entry key).
_UPSERT_ENTRY = (
    "INSERT INTO feed_entries(url, canonical_url, content_hash, status, reason, review_id, announce,"
    " attempts, entry, updated_at, retry_at, feed_id, entry_key, first_seen_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT(feed_id, entry_key) DO UPDATE SET url = excluded.url,"
    " canonical_url = COALESCE(excluded.canonical_url, feed_entries.canonical_url),"
    " content_hash = COALESCE(excluded.content_hash, feed_entries.content_hash), status = excluded.status,"
    " reason = excluded.reason, review_id = COALESCE(excluded.review_id, feed_entries.review_id),"
    " announce = COALESCE(excluded.announce, feed_entries.announce), attempts = excluded.attempts,"
    " entry = excluded.entry, updated_at = excluded.updated_at, retry_at = excluded.retry_at"
)
#: A page ingested by URL, outside any feed: remembered so a feed carrying it later skips it.
_INSERT_PAGE = (
    "INSERT INTO feed_entries(url, canonical_url, content_hash, status, reason, review_id, announce,"
    " attempts, entry, updated_at, retry_at, feed_id, entry_key, first_seen_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)"
)


async def save_entry(
    store: Store,
    *,
    feed_id: int | None,
    entry_key: str,
    now: dt.datetime,
    status: str,
    url: str | None = None,
    canonical_url: str | None = None,
    content_hash: str | None = None,
    reason: str | None = None,
    review_id: int | None = None,
    announce: bool | None = None,
    attempts: int = 0,
    entry: dict[str, Any] | None = None,
    retry_at: dt.datetime | None = None,
    audience: int | None = None,
    enqueue: bool = False,
) -> None:
    """Insert or update the row of one entry (one per feed and entry key).

    With ``enqueue``, an entry whose page is a stored review and that is to be announced also queues
    that review for ``audience`` (a server; None: every subscription), in the same transaction. A
    review that came first from elsewhere (another server's feed, the operator's) thereby still reaches
    this feed's subscriptions, and each subscription gets it once whichever way it arrives: a
    delivery is one row per (review, subscription).
    """
    values = (
        url,
        canonical_url,
        content_hash,
        status,
        reason and reason[:MAX_REASON],
        review_id,
        None if announce is None else int(announce),
        attempts,
        json.dumps(entry or {}, ensure_ascii=False),
        iso(now),
        retry_at.timestamp() if retry_at is not None else None,
    )

    def write(conn: Connection) -> None:
        if feed_id is not None:
            conn.execute(_UPSERT_ENTRY, (*values, feed_id, entry_key, iso(now)))
        else:
            conn.execute(_INSERT_PAGE, (*values, entry_key, iso(now)))
        if enqueue and announce and review_id is not None and status in STORED_STATUSES:
            _enqueue(conn, review_id, audience)

    await store.write(write)


def _enqueue(conn: Connection, review_id: int, audience: int | None) -> None:
    row = conn.execute("SELECT festival, section FROM reviews WHERE id = ?", (review_id,)).fetchone()
    if row is None:
        return  # the review was deleted meanwhile: nothing to announce
    festival = FestivalRef(name=row[0], section=row[1]) if row[0] else None
    deliveries.enqueue_for_review(conn, review_id, festival, guild_id=audience)


async def failed_entries(store: Store, feed_id: int, *, due: dt.datetime, limit: int) -> list[EntryRecord]:
    """Up to ``limit`` entries whose page could not be fetched yet (5xx, timeout, network) and whose
    back-off has run out by ``due``, longest waiting first: retried on the feed's polls."""
    sql = (
        f"SELECT {_ENTRY_COLUMNS} FROM feed_entries WHERE feed_id = ? AND status = 'failed'"  # noqa: S608
        " AND COALESCE(retry_at, 0) <= ? ORDER BY COALESCE(retry_at, 0), id LIMIT ?"
    )
    return [_entry(row) for row in await store.reads.fetchall(sql, (feed_id, due.timestamp(), limit))]


async def entries(store: Store, feed_id: int | None = None) -> list[EntryRecord]:
    """Entries of one feed (or all), oldest first: for inspection and tests."""
    sql = f"SELECT {_ENTRY_COLUMNS} FROM feed_entries WHERE ? IS NULL OR feed_id = ? ORDER BY id"  # noqa: S608
    return [_entry(row) for row in await store.reads.fetchall(sql, (feed_id, feed_id))]
