"""Announcing, as the rest of the bot sees it: subscriptions and the delivery outbox over one store.

The SQL is in :mod:`bot.storage.subscriptions` and :mod:`bot.storage.deliveries`; this class puts
each operation in one transaction and turns rows into models.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Sequence
from typing import Literal

from bot.domain.criteria import Criteria
from bot.domain.models import AlertFacts, DeliveryJob, DeliveryOptions, DeliveryRecord, NoticeJob, Subscription
from bot.domain.schedule import digest_moment
from bot.storage import deliveries, home_pool, notices, subscriptions
from bot.storage.connection import Connection
from bot.storage.store import Store

#: How long a claimed notice is taken: a process that dies sending it leaves it due again after this.
NOTICE_LEASE = 60.0

NONCE_SALT_KEY = "nonce_salt"


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
        filters: Criteria | None = None,
        delivery: DeliveryOptions | None = None,
    ) -> tuple[Subscription, bool]:
        """Create (or update and resume) a subscription; returns it and whether it is new.

        Subscribing queues nothing: old reviews never flood a channel (``backfill`` does that on request).
        Subscribing the same channel, festival and section again replaces its settings and filters.
        Resuming a paused one queues one notice that it recovered. ``delivery``: a digest, threads, and
        the channel it is set up from.
        """
        criteria = filters or Criteria()

        def write(conn: Connection) -> tuple[int, bool]:
            existing = subscriptions.find(conn, channel_id, festival, section)
            if existing is not None:
                subscriptions.update(
                    conn, existing, style=style, role_id=role_id, forum=forum, filters=criteria, delivery=delivery
                )
                deliveries.release(conn, existing)
                resumed = subscriptions.by_id(conn, existing)
                notices.close_problem(conn, resumed.setup_channel_id, _facts(resumed, "recovered"))
                return existing, False
            new = subscriptions.insert(
                conn,
                guild_id=guild_id,
                channel_id=channel_id,
                festival=festival,
                section=section,
                style=style,
                role_id=role_id,
                forum=forum,
                created_by=created_by,
                filters=criteria,
                delivery=delivery,
            )
            return new, True

        subscription_id, created = await self.store.write(write)
        found = await self.subscription(subscription_id)
        assert found is not None
        return found, created

    async def pool_homes(self, festival: str | None, pool: Sequence[int]) -> list[int]:
        """Follow mode's pool channels a follow of ``festival`` needs: the one carrying it (given one now if it
        has none), or every one for all festivals. Records the pool, so reviews queued from now on are spread
        over it (:mod:`bot.storage.home_pool`)."""

        def write(conn: Connection) -> list[int]:
            home_pool.sync(conn, pool)
            if festival is None:
                return list(pool)
            return [home_pool.assign(conn, home_pool.festival_key(festival), pool)]

        return await self.store.write(write)

    async def record_follow(self, guild_id: int, channel_id: int, festival: str | None, homes: Sequence[int]) -> None:
        await self.store.write(lambda conn: home_pool.record_follow(conn, guild_id, channel_id, festival, homes))

    async def follows_of(self, channel_id: int, festival: str | None) -> tuple[list[int], list[int]]:
        """The home channels a channel follows for ``festival`` (None: any), and those it keeps for others."""
        return await home_pool.follows_of(self.store.reads, channel_id, festival)

    async def forget_follow(self, channel_id: int, festival: str | None) -> None:
        await self.store.write(home_pool.forget_follow, channel_id, festival)

    async def following_all(self, pool: Sequence[int]) -> dict[tuple[int, int], list[int]]:
        """Records the pool, and returns each server channel following every festival with what it follows."""

        def write(conn: Connection) -> dict[tuple[int, int], list[int]]:
            home_pool.sync(conn, pool)
            return home_pool.following_all(conn)

        return await self.store.write(write)

    async def subscription(self, subscription_id: int) -> Subscription | None:
        return await subscriptions.get(self.store.reads, subscription_id)

    async def subscriptions(self, guild_id: int | None = None) -> list[Subscription]:
        return await subscriptions.listed(self.store.reads, guild_id)

    async def unsubscribe(self, guild_id: int, channel_id: int, festival: str | None = None) -> int:
        """Remove a channel's subscriptions (one festival's, or all).

        Their deliveries pass to a subscription the channel keeps, if one matches the review; the rest go with them.
        """

        def write(conn: Connection) -> int:
            subscriptions.hand_over(conn, guild_id, channel_id, festival)
            removed = subscriptions.delete(conn, guild_id, channel_id, festival)
            notices.forget_problems(conn)
            return removed

        return await self.store.write(write)

    async def pause(self, subscription_id: int, reason: str) -> None:
        """Stop one subscription (missing access, deleted channel); its pending deliveries wait, held.

        The server is told once, in the channel it was set up from (or its alerts channel), until it resumes.
        """

        def write(conn: Connection) -> None:
            subscriptions.set_paused(conn, subscription_id, reason)
            deliveries.hold(conn, subscription_id)
            paused = subscriptions.by_id(conn, subscription_id)
            facts = _facts(paused, "broken", reason)
            notices.open_problem(conn, paused.guild_id, paused.setup_channel_id, facts)

        await self.store.write(write)

    # -- health alerts and digests --------------------------------------------------------------------

    async def set_alert_channel(self, guild_id: int, channel_id: int | None) -> None:
        await self.store.write(notices.set_alert_channel, guild_id, channel_id)

    async def alert_channel(self, guild_id: int) -> int | None:
        return await notices.alert_channel(self.store.reads, guild_id)

    async def plan_digests(self, now: float) -> int:
        """Plan each digest subscription's latest due day that is not planned yet; returns how many were."""
        planned = 0
        for sub, last_end in await notices.digest_subscriptions(self.store.reads):
            day, end = digest_moment(sub.digest_hour or 0, sub.timezone, now)
            if last_end is not None and last_end >= end:
                continue
            if await self.store.write(notices.plan_digest, sub, day, end) is not None:
                planned += 1
        return planned

    async def claim_notices(self, limit: int, now: float | None = None) -> list[NoticeJob]:
        salt = await self.nonce_salt()
        when = time.time() if now is None else now
        return await self.store.write(notices.claim, limit, when, NOTICE_LEASE, salt)

    async def record_notice_sent(self, notice_id: int, message_id: int) -> None:
        await self.store.write(notices.record_sent, notice_id, message_id)

    async def record_notice_retry(self, notice_id: int, delay: float, error: str) -> None:
        await self.store.write(notices.record_retry, notice_id, time.time() + delay, error)

    async def record_notice_failed(self, notice_id: int, error: str) -> None:
        await self.store.write(notices.record_failed, notice_id, error)

    async def next_notice_due(self) -> float | None:
        return await notices.next_due_at(self.store.reads)

    async def notices(self, guild_id: int, kind: str | None = None) -> list[tuple[int, str, str, int | None]]:
        return await notices.listed(self.store.reads, guild_id, kind)

    async def backfill(self, channel_subscriptions: Sequence[Subscription], count: int) -> int:
        """Queue the newest ``count`` reviews that one channel's subscriptions match and the channel has not had.

        Each goes once, under the subscription :func:`~bot.storage.subscriptions.one_per_channel` picks.
        """

        def write(conn: Connection) -> int:
            matched_by: dict[int, list[Subscription]] = {}
            for sub in channel_subscriptions:
                for review_id in subscriptions.unsent_matching(conn, sub, count):
                    matched_by.setdefault(review_id, []).append(sub)
            chosen = subscriptions.newest(conn, matched_by, count)
            for review_id in reversed(chosen):  # oldest first, so the channel reads in publication order
                (sub,) = subscriptions.one_per_channel(matched_by[review_id])
                deliveries.enqueue(conn, sub.id, sub.channel_id, [review_id])
            return len(chosen)

        return await self.store.write(write)

    async def latest_matching(self, subscription: Subscription) -> int | None:
        """The newest review the subscription matches, filters included."""
        return await subscriptions.latest_matching(self.store.reads, subscription)

    async def newest_of_festival(self, subscription: Subscription) -> int | None:
        """The newest review of the subscription's festival and section, whatever its filters say."""
        unfiltered = subscription.model_copy(update={"filters": Criteria()})
        return await subscriptions.latest_matching(self.store.reads, unfiltered)

    # -- the worker's side ----------------------------------------------------------------------------

    async def claim_due(
        self, limit: int, now: float | None = None, exclude: set[int] | frozenset[int] = frozenset()
    ) -> list[DeliveryJob]:
        """Take up to ``limit`` due deliveries, oldest first, counting the attempt before anything is sent."""
        salt = await self.nonce_salt()
        rows = await self.store.write(
            deliveries.claim_due, limit, time.time() if now is None else now, frozenset(exclude)
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
                subscription=subscriptions.subscription_from_row(row[6:]),
            )
            for row in rows
        ]

    async def record_sent(self, delivery_id: int, message_id: int, thread_id: int | None = None) -> None:
        await self.store.write(deliveries.record_sent, delivery_id, message_id, thread_id)

    async def record_retry(self, delivery_id: int, delay: float, error: str) -> None:
        await self.store.write(deliveries.record_retry, delivery_id, delay, error)

    async def record_wait(self, delivery_id: int, delay: float, reason: str) -> None:
        await self.store.write(deliveries.record_wait, delivery_id, delay, reason)

    async def posted_since(self, channel_id: int, since: str) -> list[str]:
        return await deliveries.posted_since(self.store.reads, channel_id, since)

    async def record_failed(self, delivery_id: int, error: str) -> None:
        await self.store.write(deliveries.record_failed, delivery_id, error)

    async def next_due_at(self) -> float | None:
        """When the next delivery falls due, so the worker can sleep until then."""
        return await deliveries.next_due_at(self.store.reads)

    async def log(self, guild_id: int, review_id: int | None = None, limit: int = 20) -> list[DeliveryRecord]:
        return await deliveries.log(self.store.reads, guild_id, review_id, limit)

    async def counts(self) -> dict[str, int]:
        return await deliveries.counts(self.store.reads)

    async def outbox(self) -> tuple[int, dt.datetime | None]:
        """Deliveries waiting to be sent, and when the oldest of them was queued (the metrics' outbox gauges)."""
        return await deliveries.outbox(self.store.reads)

    async def probe_write(self) -> None:
        """One small write, for the health check: raises when the database does not take writes."""
        await self.store.write(deliveries.write_probe)


def _facts(sub: Subscription, event: Literal["broken", "recovered"], reason: str = "") -> AlertFacts:
    what = (sub.festival or "every festival") + (f" · {sub.section}" if sub.section else "")
    return AlertFacts(
        kind="subscription", event=event, subject_id=sub.id, channel_id=sub.channel_id, what=what, reason=reason
    )
