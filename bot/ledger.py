"""Announcement subscriptions and the delivery outbox: the store module for announcing.

Exactly-once is built from three pieces: a unique (review, subscription) row inserted in the same
transaction that first stores the review (so no review is missed, even after a crash); a claim
before sending that counts the attempt; and the Discord message id recorded after a successful
send. A crash between send and record is closed by Create Message's ``nonce`` with
``enforce_nonce``, derived from this row, so the retry returns the message already posted.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from typing import TYPE_CHECKING

import aiosqlite

from bot.models import DeliveryJob, DeliveryRecord, FestivalRef, Subscription

if TYPE_CHECKING:
    from bot.store import Store

NONCE_SALT_KEY = "nonce_salt"
_SELECT_SUBSCRIPTIONS = (
    "SELECT s.id, s.guild_id, s.channel_id, s.festival, s.section, s.style, s.role_id, s.forum, s.paused_reason"
    " FROM subscriptions s"
)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _subscription(row: aiosqlite.Row | tuple[object, ...]) -> Subscription:
    return Subscription(
        id=row[0],
        guild_id=row[1],
        channel_id=row[2],
        festival=row[3],
        section=row[4],
        style=row[5],
        role_id=row[6],
        forum=bool(row[7]),
        paused_reason=row[8],
    )


async def enqueue_for_review(db: aiosqlite.Connection, review_id: int, festival: FestivalRef | None) -> int:
    """Queue one delivery per matching active subscription; called inside the ingest transaction."""
    async with db.execute(_SELECT_SUBSCRIPTIONS + " WHERE s.paused_reason IS NULL") as cursor:
        subscriptions = [_subscription(row) for row in await cursor.fetchall()]
    now = _now()
    rows = [(review_id, s.id, s.channel_id, now, now) for s in subscriptions if s.matches(festival)]
    await db.executemany(
        "INSERT OR IGNORE INTO deliveries(review_id, subscription_id, channel_id, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)


async def requeue_edits(db: aiosqlite.Connection, review_id: int) -> int:
    """An updated review edits what was announced, instead of posting again; inside the ingest transaction."""
    cursor = await db.execute(
        "UPDATE deliveries SET action = 'edit', state = 'queued', attempts = 0, next_attempt_at = 0, updated_at = ?"
        " WHERE review_id = ? AND message_id IS NOT NULL",
        (_now(), review_id),
    )
    return cursor.rowcount


class Ledger:
    """Subscriptions and deliveries over one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._salt: str | None = None

    async def nonce_salt(self) -> str:
        """Per-database salt, so a fresh database never reuses an old nonce in the same channel."""
        if self._salt is None:
            salt = await self.store.get_meta(NONCE_SALT_KEY)
            if salt is None:
                salt = secrets.token_hex(4)
                await self.store.set_meta(NONCE_SALT_KEY, salt)
            self._salt = salt
        return self._salt

    # -- subscriptions --------------------------------------------------------------------------------

    async def subscribe(
        self,
        *,
        guild_id: int,
        channel_id: int,
        festival: str | None,
        section: str | None = None,
        style: str = "embed",
        role_id: int | None = None,
        forum: bool = False,
        created_by: int | None = None,
    ) -> tuple[Subscription, bool]:
        """Create (or update and resume) a subscription; returns it and whether it is new.

        Subscribing queues nothing: old reviews never flood a channel (``backfill`` does that on request).
        """
        async with self.store.transaction() as db:
            async with db.execute(
                "SELECT id FROM subscriptions WHERE channel_id = ? AND COALESCE(festival, '') = COALESCE(?, '')"
                " AND COALESCE(section, '') = COALESCE(?, '')",
                (channel_id, festival, section),
            ) as cursor:
                row = await cursor.fetchone()
            if row:
                await db.execute(
                    "UPDATE subscriptions SET style = ?, role_id = ?, forum = ?, paused_reason = NULL WHERE id = ?",
                    (style, role_id, int(forum), row[0]),
                )
                await db.execute(
                    "UPDATE deliveries SET state = 'queued' WHERE subscription_id = ? AND state = 'held'", (row[0],)
                )
                subscription_id, created = int(row[0]), False
            else:
                cursor = await db.execute(
                    "INSERT INTO subscriptions(guild_id, channel_id, festival, section, style, role_id, forum,"
                    " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (guild_id, channel_id, festival, section, style, role_id, int(forum), created_by, _now()),
                )
                subscription_id, created = int(cursor.lastrowid or 0), True
        found = await self.subscription(subscription_id)
        assert found is not None
        return found, created

    async def subscription(self, subscription_id: int) -> Subscription | None:
        async with self.store.reader.execute(
            _SELECT_SUBSCRIPTIONS + " WHERE s.id = ?",
            (subscription_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return _subscription(row) if row else None

    async def subscriptions(self, guild_id: int | None = None) -> list[Subscription]:
        async with self.store.reader.execute(
            _SELECT_SUBSCRIPTIONS + " WHERE ? IS NULL OR s.guild_id = ? ORDER BY s.channel_id, s.festival, s.section",
            (guild_id, guild_id),
        ) as cursor:
            return [_subscription(row) for row in await cursor.fetchall()]

    async def unsubscribe(self, guild_id: int, channel_id: int, festival: str | None = None) -> int:
        """Remove a channel's subscriptions (one festival's, or all); unsent deliveries go with them."""
        async with self.store.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM subscriptions WHERE guild_id = ? AND channel_id = ? AND (? IS NULL OR festival = ?)",
                (guild_id, channel_id, festival, festival),
            )
            return cursor.rowcount

    async def pause(self, subscription_id: int, reason: str) -> None:
        """Stop one subscription (missing access, deleted channel); its pending deliveries wait, held."""
        async with self.store.transaction() as db:
            await db.execute("UPDATE subscriptions SET paused_reason = ? WHERE id = ?", (reason, subscription_id))
            await db.execute(
                "UPDATE deliveries SET state = 'held', updated_at = ? WHERE subscription_id = ?"
                " AND state IN ('queued', 'retrying', 'sending')",
                (_now(), subscription_id),
            )

    async def backfill(self, subscription: Subscription, count: int) -> int:
        """Queue the newest ``count`` matching reviews that this subscription has not had."""
        async with self.store.transaction() as db:
            async with db.execute(
                "SELECT r.id FROM reviews r WHERE (? IS NULL OR r.festival = ?)"
                " AND (? IS NULL OR lower(r.section) = lower(?))"
                " AND r.id NOT IN (SELECT review_id FROM deliveries WHERE subscription_id = ?)"
                " ORDER BY COALESCE(r.published_at, r.created_at) DESC, r.id DESC LIMIT ?",
                (
                    subscription.festival,
                    subscription.festival,
                    subscription.section,
                    subscription.section,
                    subscription.id,
                    count,
                ),
            ) as cursor:
                ids = [int(r[0]) for r in await cursor.fetchall()]
            now = _now()
            # Oldest first, so the channel reads in publication order.
            await db.executemany(
                "INSERT OR IGNORE INTO deliveries(review_id, subscription_id, channel_id, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [(review_id, subscription.id, subscription.channel_id, now, now) for review_id in reversed(ids)],
            )
        return len(ids)

    async def latest_matching(self, subscription: Subscription) -> int | None:
        async with self.store.reader.execute(
            "SELECT r.id FROM reviews r WHERE (? IS NULL OR r.festival = ?)"
            " AND (? IS NULL OR lower(r.section) = lower(?))"
            " ORDER BY COALESCE(r.published_at, r.created_at) DESC, r.id DESC LIMIT 1",
            (subscription.festival, subscription.festival, subscription.section, subscription.section),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else None

    # -- the worker's side ----------------------------------------------------------------------------

    async def claim_due(
        self, limit: int, now: float | None = None, exclude: set[int] | frozenset[int] = frozenset()
    ) -> list[DeliveryJob]:
        """Take up to ``limit`` due deliveries, oldest first, counting the attempt before anything is sent.

        ``sending`` rows are due too: they are what a crash left between claim and record, and the
        nonce makes their resend land on the message already posted.
        """
        now = time.time() if now is None else now
        salt = await self.nonce_salt()
        async with self.store.transaction() as db:
            async with db.execute(
                "SELECT d.id, d.review_id, d.action, d.attempts, d.message_id, d.thread_id,"
                " s.id, s.guild_id, s.channel_id, s.festival, s.section, s.style, s.role_id, s.forum, s.paused_reason"
                " FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id"
                " WHERE d.state IN ('queued', 'retrying', 'sending') AND d.next_attempt_at <= ?"
                " AND s.paused_reason IS NULL ORDER BY d.next_attempt_at, d.id LIMIT ?",
                (now, limit + len(exclude)),
            ) as cursor:
                rows = [row for row in await cursor.fetchall() if int(row[0]) not in exclude][:limit]
            await db.executemany(
                "UPDATE deliveries SET state = 'sending', attempts = attempts + 1, updated_at = ? WHERE id = ?",
                [(_now(), row[0]) for row in rows],
            )
        return [
            DeliveryJob(
                id=row[0],
                review_id=row[1],
                action=row[2],
                attempts=row[3] + 1,
                message_id=row[4],
                thread_id=row[5],
                nonce=f"{salt}{row[0]}",
                subscription=_subscription(row[6:]),
            )
            for row in rows
        ]

    async def record_sent(self, delivery_id: int, message_id: int, thread_id: int | None = None) -> None:
        async with self.store.transaction() as db:
            await db.execute(
                "UPDATE deliveries SET state = 'sent', message_id = ?, thread_id = COALESCE(?, thread_id),"
                " last_error = NULL, updated_at = ? WHERE id = ?",
                (message_id, thread_id, _now(), delivery_id),
            )

    async def record_retry(self, delivery_id: int, delay: float, error: str) -> None:
        async with self.store.transaction() as db:
            await db.execute(
                "UPDATE deliveries SET state = 'retrying', next_attempt_at = ?, last_error = ?, updated_at = ?"
                " WHERE id = ?",
                (time.time() + delay, error[:500], _now(), delivery_id),
            )

    async def record_failed(self, delivery_id: int, error: str) -> None:
        async with self.store.transaction() as db:
            await db.execute(
                "UPDATE deliveries SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?",
                (error[:500], _now(), delivery_id),
            )

    async def next_due_at(self) -> float | None:
        """When the next delivery falls due, so the worker can sleep until then."""
        async with self.store.reader.execute(
            "SELECT min(d.next_attempt_at) FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id"
            " WHERE d.state IN ('queued', 'retrying', 'sending') AND s.paused_reason IS NULL"
        ) as cursor:
            row = await cursor.fetchone()
        return float(row[0]) if row and row[0] is not None else None

    async def log(self, guild_id: int, review_id: int | None = None, limit: int = 20) -> list[DeliveryRecord]:
        async with self.store.reader.execute(
            "SELECT d.id, d.review_id, f.title, d.channel_id, d.subscription_id, d.state, d.action, d.attempts,"
            " d.last_error, d.message_id, d.updated_at FROM deliveries d"
            " JOIN subscriptions s ON s.id = d.subscription_id JOIN reviews r ON r.id = d.review_id"
            " JOIN films f ON f.id = r.film_id WHERE s.guild_id = ? AND (? IS NULL OR d.review_id = ?)"
            " ORDER BY d.updated_at DESC, d.id DESC LIMIT ?",
            (guild_id, review_id, review_id, limit),
        ) as cursor:
            rows = await cursor.fetchall()
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

    async def counts(self) -> dict[str, int]:
        async with self.store.reader.execute("SELECT state, count(*) FROM deliveries GROUP BY state") as cursor:
            return {str(r[0]): int(r[1]) for r in await cursor.fetchall()}
