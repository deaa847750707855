"""Announcement subscriptions: which channel gets which festival's (and section's) new reviews."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable

from bot.domain.criteria import Criteria
from bot.domain.models import DeliveryOptions, FestivalRef, Subscription
from bot.matching.matcher import match
from bot.storage import review_reads
from bot.storage.connection import Connection, Reads, Row
from bot.storage.dialect import JSON_IDS, compose

#: A subscription's columns, in the order :func:`subscription_from_row` reads them (deliveries' claims join them too).
SUBSCRIPTION_COLUMNS = (
    "s.id, s.guild_id, s.channel_id, s.festival, s.section, s.style, s.role_id, s.forum, s.paused_reason, s.filters,"
    " s.digest_hour, s.timezone, s.thread, s.setup_channel_id"
)
#: How many of a festival's newest reviews a filtered backfill or preview looks through.
FILTER_SCAN = 500
SELECT_SUBSCRIPTIONS = f"SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions s"  # noqa: S608
#: Reviews a subscription matches, newest first (festival, festival, section, section are the parameters).
_MATCHING_REVIEWS = (
    "SELECT r.id FROM reviews r WHERE (? IS NULL OR r.festival = ?) AND (? IS NULL OR lower(r.section) = lower(?))"
)
_NEWEST_FIRST = " ORDER BY COALESCE(r.published_at, r.created_at) DESC, r.id DESC LIMIT ?"
#: ... that the subscription's channel has not had, under this subscription or another (parameters: as above, then
#: the channel and the limit).
_UNSENT_MATCHING = (
    f"{_MATCHING_REVIEWS} AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.review_id = r.id AND d.channel_id = ?)"  # noqa: S608
    f"{_NEWEST_FIRST}"
)
_NEWEST_OF = compose(
    "SELECT r.id FROM reviews r WHERE r.id IN (SELECT value FROM {ids} j){newest}", ids=JSON_IDS, newest=_NEWEST_FIRST
)
_HELD_BY = compose(
    "SELECT d.id, r.festival, r.section, r.id, d.state FROM deliveries d JOIN reviews r ON r.id = d.review_id"
    " WHERE d.subscription_id IN (SELECT value FROM {ids} j)",
    ids=JSON_IDS,
)
#: A delivery moves to its heir unless the heir holds that review already (queued twice over before
#: deliveries were per channel): then it stays, and goes with the subscription being removed.
_HAND_OVER = (
    "UPDATE deliveries SET subscription_id = ? WHERE id = ? AND NOT EXISTS"
    " (SELECT 1 FROM deliveries x WHERE x.subscription_id = ? AND x.review_id = deliveries.review_id)"
)


def subscription_from_row(row: Row) -> Subscription:
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
        filters=_criteria(row[9] or "{}"),
        digest_hour=row[10],
        timezone=row[11],
        thread=bool(row[12]),
        setup_channel_id=row[13],
    )


@functools.lru_cache(maxsize=4_096)
def _criteria(text: str) -> Criteria:
    """Filters as stored, parsed once per distinct text: every new review reads every subscription's."""
    return Criteria.model_validate_json(text)


def one_per_channel(subscriptions: Iterable[Subscription]) -> list[Subscription]:
    """The subscription each channel gets a review under, when several of its subscriptions match it.

    A channel gets each review once, with the settings (style, role) of its most specific matching
    subscription: one naming a section before one naming only the festival, before ``all``; the
    oldest of equals. So a channel following Berlinale with a role ping and everything without one
    gets Berlinale's reviews with the ping and the rest without.
    """
    chosen: dict[int, Subscription] = {}
    for sub in sorted(subscriptions, key=lambda s: (s.festival is None, s.section is None, s.id)):
        chosen.setdefault(sub.channel_id, sub)
    return list(chosen.values())


def find(conn: Connection, channel_id: int, festival: str | None, section: str | None) -> int | None:
    row = conn.execute(
        "SELECT id FROM subscriptions WHERE channel_id = ? AND COALESCE(festival, '') = COALESCE(?, '')"
        " AND COALESCE(section, '') = COALESCE(?, '')",
        (channel_id, festival, section),
    ).fetchone()
    return int(row[0]) if row else None


def insert(
    conn: Connection,
    *,
    guild_id: int,
    channel_id: int,
    festival: str | None,
    section: str | None,
    style: str,
    role_id: int | None,
    forum: bool,
    created_by: int | None,
    filters: Criteria | None = None,
    delivery: DeliveryOptions | None = None,
) -> int:
    how = delivery or DeliveryOptions()
    row = conn.execute(
        "INSERT INTO subscriptions(guild_id, channel_id, festival, section, style, role_id, forum, created_by,"
        " created_at, filters, digest_hour, timezone, thread, setup_channel_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            guild_id,
            channel_id,
            festival,
            section,
            style,
            role_id,
            int(forum),
            created_by,
            dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            _filters_json(filters or Criteria()),
            how.digest_hour,
            how.timezone,
            int(how.thread),
            how.setup_channel_id,
        ),
    ).fetchall()[0]
    return int(row[0])


def update(
    conn: Connection,
    subscription_id: int,
    *,
    style: str,
    role_id: int | None,
    forum: bool,
    filters: Criteria | None = None,
    delivery: DeliveryOptions | None = None,
) -> None:
    """New settings for a subscription (its filters replaced whole), which also resumes it if it was paused."""
    how = delivery or DeliveryOptions()
    conn.execute(
        "UPDATE subscriptions SET style = ?, role_id = ?, forum = ?, filters = ?, paused_reason = NULL,"
        " digest_hour = ?, timezone = ?, thread = ?, setup_channel_id = COALESCE(?, setup_channel_id) WHERE id = ?",
        (
            style,
            role_id,
            int(forum),
            _filters_json(filters or Criteria()),
            how.digest_hour,
            how.timezone,
            int(how.thread),
            how.setup_channel_id,
            subscription_id,
        ),
    )


def _filters_json(filters: Criteria) -> str:
    return filters.model_dump_json(exclude_defaults=True)


def hand_over(conn: Connection, guild_id: int, channel_id: int, festival: str | None) -> None:
    """Before :func:`delete`: the deliveries of the subscriptions it removes move to the subscription the
    channel keeps that :func:`one_per_channel` would pick for each review, so the channel keeps its history
    (nothing sent is sent again) and what it is still due. An unsent one moves only to a subscription whose
    filters let its review through (what the channel keeps would not have queued it otherwise); the rest
    go with their subscriptions.
    """
    rows = conn.execute(SELECT_SUBSCRIPTIONS + " WHERE s.guild_id = ? AND s.channel_id = ?", (guild_id, channel_id))
    channel = [subscription_from_row(row) for row in rows.fetchall()]
    leaving = [s.id for s in channel if festival is None or s.festival == festival]
    staying = [s for s in channel if s.id not in leaving and not s.is_digest]
    if not leaving or not staying:
        return
    held = conn.execute(_HELD_BY, (json.dumps(leaving),)).fetchall()
    moves = []
    for delivery_id, review_festival, section, review_id, state in held:
        where = FestivalRef(name=review_festival, section=section) if review_festival else None
        heirs = [s for s in staying if s.matches(where)]
        if state != "sent" and any(not s.filters.empty for s in heirs):
            stored = review_reads.get_in(conn, int(review_id))
            heirs = [s for s in heirs if s.filters.empty or (stored and match(stored.review, s.filters).matched)]
        if heirs := one_per_channel(heirs):
            moves.append((heirs[0].id, delivery_id, heirs[0].id))
    conn.executemany(_HAND_OVER, moves)


def delete(conn: Connection, guild_id: int, channel_id: int, festival: str | None) -> int:
    """Remove a channel's subscriptions (one festival's, or all); unsent deliveries go with them."""
    return conn.execute(
        "DELETE FROM subscriptions WHERE guild_id = ? AND channel_id = ? AND (? IS NULL OR festival = ?)",
        (guild_id, channel_id, festival, festival),
    ).rowcount


def by_id(conn: Connection, subscription_id: int) -> Subscription:
    """One subscription, read inside a write transaction."""
    return subscription_from_row(conn.execute(SELECT_SUBSCRIPTIONS + " WHERE s.id = ?", (subscription_id,)).fetchone())


def set_paused(conn: Connection, subscription_id: int, reason: str) -> None:
    conn.execute("UPDATE subscriptions SET paused_reason = ? WHERE id = ?", (reason, subscription_id))


def unsent_matching(conn: Connection, subscription: Subscription, count: int) -> list[int]:
    """The newest ``count`` reviews this subscription matches and its channel has not had, newest first.

    With filters, the festival's reviews are read newest first and matched here, at most
    :data:`FILTER_SCAN` of them: a backfill looks through recent reviews, not the whole archive.
    """
    if subscription.filters.empty:
        rows = conn.execute(_UNSENT_MATCHING, (*_filters(subscription), subscription.channel_id, count)).fetchall()
        return [int(r[0]) for r in rows]
    rows = conn.execute(_UNSENT_MATCHING, (*_filters(subscription), subscription.channel_id, FILTER_SCAN)).fetchall()
    found = []
    for (review_id,) in rows:
        stored = review_reads.get_in(conn, int(review_id))
        if stored is not None and match(stored.review, subscription.filters).matched:
            found.append(int(review_id))
            if len(found) == count:
                break
    return found


def newest(conn: Connection, review_ids: Iterable[int], count: int) -> list[int]:
    """The newest ``count`` of these reviews, newest first (the order :func:`unsent_matching` uses)."""
    rows = conn.execute(_NEWEST_OF, (json.dumps(sorted(review_ids)), count)).fetchall()
    return [int(r[0]) for r in rows]


async def get(reads: Reads, subscription_id: int) -> Subscription | None:
    row = await reads.fetchone(SELECT_SUBSCRIPTIONS + " WHERE s.id = ?", (subscription_id,))
    return subscription_from_row(row) if row else None


async def listed(reads: Reads, guild_id: int | None) -> list[Subscription]:
    rows = await reads.fetchall(
        SELECT_SUBSCRIPTIONS + " WHERE ? IS NULL OR s.guild_id = ?"
        " ORDER BY s.channel_id, s.festival NULLS FIRST, s.section NULLS FIRST",
        (guild_id, guild_id),
    )
    return [subscription_from_row(row) for row in rows]


async def latest_matching(reads: Reads, subscription: Subscription) -> int | None:
    """The newest review the subscription matches, filters included (among the newest :data:`FILTER_SCAN`)."""
    if subscription.filters.empty:
        row = await reads.fetchone(_MATCHING_REVIEWS + _NEWEST_FIRST, (*_filters(subscription), 1))
        return int(row[0]) if row else None
    rows = await reads.fetchall(_MATCHING_REVIEWS + _NEWEST_FIRST, (*_filters(subscription), FILTER_SCAN))
    for (review_id,) in rows:
        stored = await review_reads.get(reads, int(review_id))
        if stored is not None and match(stored.review, subscription.filters).matched:
            return int(review_id)
    return None


def _filters(subscription: Subscription) -> tuple[object, ...]:
    festival, section = subscription.festival, subscription.section
    return (festival, festival, section, section)
