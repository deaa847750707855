"""The delivery outbox: one row per (review, channel), under one of the channel's subscriptions; claimed
before sending, recorded after.

Exactly-once is built from three pieces: a unique (review, subscription) row inserted in the same
transaction that first stores the review (so no review is missed, even after a crash); a claim
before sending that counts the attempt; and the Discord message id recorded after a successful
send. A crash between send and record is closed by Create Message's ``nonce`` with
``enforce_nonce``, derived from this row, so the retry returns the message already posted.

Write functions run inside a write transaction; reads take the database's :class:`Reads`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable

from bot.domain.models import DeliveryRecord, Review
from bot.matching.matcher import ReviewFacts, passes
from bot.storage import home_pool, watches
from bot.storage.connection import Connection, Reads, Row
from bot.storage.subscriptions import SELECT_SUBSCRIPTIONS, SUBSCRIPTION_COLUMNS, one_per_channel, subscription_from_row

_INSERT = (
    "INSERT INTO deliveries(review_id, subscription_id, channel_id, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)

_COLLECT = "INSERT INTO digest_items(subscription_id, review_id, queued_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def enqueue_for_review(conn: Connection, review_id: int, review: Review, *, guild_id: int | None = None) -> int:
    """Queue one delivery per channel with a matching active subscription (under the one
    :func:`~bot.storage.subscriptions.one_per_channel` picks), in one server or in all when ``guild_id`` is
    None (a server's feed is announced in that server alone), and one direct message per member with a
    matching watch (:func:`bot.storage.watches.enqueue_for_review`); runs inside the transaction storing
    the review. Returns the number of channel deliveries queued.

    A subscription matches by festival and section (:meth:`~bot.domain.models.Subscription.matches`), then
    by its filters (:func:`bot.matching.matcher.match`), the review folded once for all of them. Each
    matching digest subscription collects the review for its next daily post instead.
    """
    rows = conn.execute(
        SELECT_SUBSCRIPTIONS + " WHERE s.paused_reason IS NULL AND (? IS NULL OR s.guild_id = ?)", (guild_id, guild_id)
    ).fetchall()
    # Folding a whole review costs about as much as storing it: only when a filter or a watch will read it
    # (a bulk ingest into a database without either pays nothing for them).
    by_festival = [s for s in map(subscription_from_row, rows) if s.matches(review.festival)]
    watched = watches.any_active(conn)
    facts = ReviewFacts.of(review) if watched or any(not s.filters.empty for s in by_festival) else None
    matched = [s for s in by_festival if s.filters.empty or (facts is not None and passes(facts, s.filters))]
    matched = home_pool.narrow(conn, review.festival, matched)  # follow mode's pool: its festival's channel alone
    # A digest subscription collects the review for its day's post instead (and is no channel's post).
    conn.executemany(_COLLECT, [(s.id, review_id, time.time()) for s in matched if s.is_digest])
    if watched and facts is not None:
        watches.enqueue_for_review(conn, review_id, facts, guild_id=guild_id)
    now = now_iso()
    queued = [(review_id, s.id, s.channel_id, now, now) for s in one_per_channel(s for s in matched if not s.is_digest)]
    conn.executemany(_INSERT, queued)
    return len(queued)


def enqueue(conn: Connection, subscription_id: int, channel_id: int, review_ids: Iterable[int]) -> None:
    """Queue these reviews for one subscription, in the order given (ones it already had are skipped)."""
    now = now_iso()
    conn.executemany(_INSERT, [(review_id, subscription_id, channel_id, now, now) for review_id in review_ids])


def requeue_edits(conn: Connection, review_id: int) -> int:
    """An updated review edits what was announced, instead of posting again; inside the storing transaction."""
    cursor = conn.execute(
        "UPDATE deliveries SET action = 'edit', state = 'queued', attempts = 0, next_attempt_at = 0, updated_at = ?"
        " WHERE review_id = ? AND message_id IS NOT NULL",
        (now_iso(), review_id),
    )
    return cursor.rowcount


def hold(conn: Connection, subscription_id: int) -> None:
    """A paused subscription's pending deliveries wait, held, until it resumes."""
    conn.execute(
        "UPDATE deliveries SET state = 'held', updated_at = ? WHERE subscription_id = ?"
        " AND state IN ('queued', 'retrying', 'sending')",
        (now_iso(), subscription_id),
    )


def release(conn: Connection, subscription_id: int) -> None:
    conn.execute(
        "UPDATE deliveries SET state = 'queued' WHERE subscription_id = ? AND state = 'held'", (subscription_id,)
    )


def claim_due(conn: Connection, limit: int, now: float, exclude: frozenset[int]) -> list[Row]:
    """Take up to ``limit`` due deliveries, oldest first, counting the attempt before anything is sent.

    ``sending`` rows are due too: they are what a crash left between claim and record, and the
    nonce makes their resend land on the message already posted. Rows: the delivery's id, review id,
    action, attempts before this one, message id and thread id, then the subscription's columns.
    """
    rows = conn.execute(
        "SELECT d.id, d.review_id, d.action, d.attempts, d.message_id, d.thread_id,"  # noqa: S608 - constant columns
        f" {SUBSCRIPTION_COLUMNS}"
        " FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id"
        " WHERE d.state IN ('queued', 'retrying', 'sending') AND s.paused_reason IS NULL"
        " AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?",
        (now, limit + len(exclude)),
    ).fetchall()
    claimed = [row for row in rows if int(row[0]) not in exclude][:limit]
    conn.executemany(
        "UPDATE deliveries SET state = 'sending', attempts = attempts + 1, updated_at = ? WHERE id = ?",
        [(now_iso(), row[0]) for row in claimed],
    )
    return claimed


def record_sent(conn: Connection, delivery_id: int, message_id: int, thread_id: int | None) -> None:
    conn.execute(
        "UPDATE deliveries SET state = 'sent', message_id = ?, thread_id = COALESCE(?, thread_id),"
        " last_error = NULL, updated_at = ? WHERE id = ?",
        (message_id, thread_id, now_iso(), delivery_id),
    )


def record_retry(conn: Connection, delivery_id: int, delay: float, error: str) -> None:
    conn.execute(
        "UPDATE deliveries SET state = 'retrying', next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ?",
        (time.time() + delay, error[:500], now_iso(), delivery_id),
    )


def record_wait(conn: Connection, delivery_id: int, delay: float, reason: str) -> None:
    """Not sent yet, by our own choice (a home channel's publish limit): due again later, the attempt not counted."""
    conn.execute(
        "UPDATE deliveries SET state = 'retrying', next_attempt_at = ?, attempts = attempts - 1, last_error = ?,"
        " updated_at = ? WHERE id = ?",
        (time.time() + delay, reason[:500], now_iso(), delivery_id),
    )


async def posted_since(reads: Reads, channel_id: int, since: str) -> list[str]:
    """When each announcement posted in ``channel_id`` since ``since`` (ISO time) was recorded, oldest first."""
    rows = await reads.fetchall(
        "SELECT updated_at FROM deliveries WHERE channel_id = ? AND state = 'sent' AND action = 'post'"
        " AND updated_at >= ? ORDER BY updated_at",
        (channel_id, since),
    )
    return [str(r[0]) for r in rows]


def record_failed(conn: Connection, delivery_id: int, error: str) -> None:
    conn.execute(
        "UPDATE deliveries SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?",
        (error[:500], now_iso(), delivery_id),
    )


async def next_due_at(reads: Reads) -> float | None:
    """When the next delivery falls due, so the worker can sleep until then."""
    row = await reads.fetchone(
        "SELECT min(d.next_attempt_at) FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id"
        " WHERE d.state IN ('queued', 'retrying', 'sending') AND s.paused_reason IS NULL"
    )
    return float(row[0]) if row and row[0] is not None else None


async def log(reads: Reads, guild_id: int, review_id: int | None, limit: int) -> list[DeliveryRecord]:
    rows = await reads.fetchall(
        "SELECT d.id, d.review_id, f.title, d.channel_id, d.subscription_id, d.state, d.action, d.attempts,"
        " d.last_error, d.message_id, d.updated_at FROM deliveries d"
        " JOIN subscriptions s ON s.id = d.subscription_id JOIN reviews r ON r.id = d.review_id"
        " JOIN films f ON f.id = r.film_id WHERE s.guild_id = ? AND (? IS NULL OR d.review_id = ?)"
        " ORDER BY d.updated_at DESC, d.id DESC LIMIT ?",
        (guild_id, review_id, review_id, limit),
    )
    return [
        DeliveryRecord(
            id=r[0],
            review_id=r[1],
            title=r[2],
            channel_id=r[3],
            subscription_id=r[4],
            state=r[5],
            action=r[6],
            attempts=r[7],
            last_error=r[8],
            message_id=r[9],
            updated_at=dt.datetime.fromisoformat(r[10]),
        )
        for r in rows
    ]


async def counts(reads: Reads) -> dict[str, int]:
    return {str(r[0]): int(r[1]) for r in await reads.fetchall("SELECT state, count(*) FROM deliveries GROUP BY state")}


async def outbox(reads: Reads) -> tuple[int, dt.datetime | None]:
    """How many deliveries wait to be sent (any subscription, paused ones too) and when the oldest was queued."""
    row = await reads.fetchone(
        "SELECT count(*), min(created_at) FROM deliveries WHERE state IN ('queued', 'retrying', 'sending')"
    )
    if row is None or not row[0]:
        return 0, None
    return int(row[0]), dt.datetime.fromisoformat(row[1]) if row[1] else None


def write_probe(conn: Connection) -> None:
    """A real, tiny write (the health check's): proves the database takes writes now, disk and locks included."""
    conn.execute(
        "INSERT INTO meta(key, value) VALUES ('health-probe', ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (now_iso(),),
    )
