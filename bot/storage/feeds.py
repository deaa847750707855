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

from bot.domain.models import AlertFacts
from bot.storage import deliveries, notices, review_reads
from bot.storage.connection import Connection
from bot.storage.feed_rows import (
    ENTRY_COLUMNS,
    FEED_BY_ID,
    FEED_COLUMNS,
    EntryRecord,
    Feed,
    entry_from_row,
    feed_from_row,
    iso,
)
from bot.storage.store import Store

__all__ = ["EntryRecord", "Feed", "iso"]  # read by the feed sources with the functions below

#: Entry statuses that mean the page was stored (or is the same as one stored).
STORED_STATUSES = ("added", "updated", "unchanged", "duplicate")
#: The longest poll interval (a day); the table's CHECK holds every row to it.
MAX_INTERVAL = 86_400.0
#: Reasons and errors come partly from publishers (HTTP reason phrases): stored at most this long.
MAX_REASON = 500
#: How long a server's feed fails before the server is told (once, until it works again).
ALERT_AFTER = dt.timedelta(hours=1)


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
        return feed_from_row(conn.execute(FEED_BY_ID, (rows[0][0],)).fetchall()[0])

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
    row = await store.reads.fetchone(FEED_BY_ID, (feed_id,))
    return feed_from_row(row) if row else None


async def feed_ids(store: Store) -> list[int]:
    return [int(row[0]) for row in await store.reads.fetchall("SELECT id FROM feeds ORDER BY id")]


async def all_feeds(store: Store, *, guild_id: int | None = None) -> list[Feed]:
    """One server's feeds, or (``guild_id`` None) every feed."""
    sql = f"SELECT {FEED_COLUMNS} FROM feeds f WHERE ? IS NULL OR f.guild_id = ? ORDER BY f.id"  # noqa: S608
    return [feed_from_row(row) for row in await store.reads.fetchall(sql, (guild_id, guild_id))]


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
        f"SELECT {ENTRY_COLUMNS} FROM feed_entries"  # noqa: S608
        " WHERE (feed_id = ? AND entry_key = ?) OR (? IS NOT NULL AND (url = ? OR canonical_url = ?))"
        " ORDER BY CASE WHEN feed_id = ? THEN 0 ELSE 1 END, id LIMIT 1",
        (feed_id, entry_key, url, url, url, feed_id),
    )
    return entry_from_row(row) if row else None


async def find_page(store: Store, *, canonical_url: str | None, digest: str | None) -> EntryRecord | None:
    """An entry whose page was stored as a review and is the same page (canonical URL) or the same text (hash).

    Only stored pages count: an entry refused when fetched (too large, not HTML, given up on) or read
    as no review has no review to be a duplicate of, so a page matching it is worked through afresh.
    """
    row = await store.reads.fetchone(
        f"SELECT {ENTRY_COLUMNS} FROM feed_entries"  # noqa: S608
        " WHERE review_id IS NOT NULL AND status IN ('added', 'updated', 'unchanged', 'duplicate')"
        " AND ((? IS NOT NULL AND (canonical_url = ? OR url = ?)) OR (? IS NOT NULL AND content_hash = ?))"
        " ORDER BY id LIMIT 1",
        (canonical_url, canonical_url, canonical_url, digest, digest),
    )
    return entry_from_row(row) if row else None


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
    stored = review_reads.get_in(conn, review_id)
    if stored is None:
        return  # the review was deleted meanwhile: nothing to announce
    deliveries.enqueue_for_review(conn, review_id, stored.review, guild_id=audience)


async def failed_entries(store: Store, feed_id: int, *, due: dt.datetime, limit: int) -> list[EntryRecord]:
    """Up to ``limit`` entries whose page could not be fetched yet (5xx, timeout, network) and whose
    back-off has run out by ``due``, longest waiting first: retried on the feed's polls."""
    sql = (
        f"SELECT {ENTRY_COLUMNS} FROM feed_entries WHERE feed_id = ? AND status = 'failed'"  # noqa: S608
        " AND COALESCE(retry_at, 0) <= ? ORDER BY COALESCE(retry_at, 0), id LIMIT ?"
    )
    return [entry_from_row(row) for row in await store.reads.fetchall(sql, (feed_id, due.timestamp(), limit))]


async def entries(store: Store, feed_id: int | None = None) -> list[EntryRecord]:
    """Entries of one feed (or all), oldest first: for inspection and tests."""
    sql = f"SELECT {ENTRY_COLUMNS} FROM feed_entries WHERE ? IS NULL OR feed_id = ? ORDER BY id"  # noqa: S608
    return [entry_from_row(row) for row in await store.reads.fetchall(sql, (feed_id, feed_id))]
