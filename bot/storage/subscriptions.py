"""Announcement subscriptions: which channel gets which festival's (and section's) new reviews."""

from __future__ import annotations

import datetime as dt

from bot.domain.models import Subscription
from bot.storage.connection import Connection, Reads, Row

SELECT_SUBSCRIPTIONS = (
    "SELECT s.id, s.guild_id, s.channel_id, s.festival, s.section, s.style, s.role_id, s.forum, s.paused_reason"
    " FROM subscriptions s"
)
#: Reviews a subscription matches, newest first (festival, festival, section, section are the parameters).
_MATCHING_REVIEWS = (
    "SELECT r.id FROM reviews r WHERE (? IS NULL OR r.festival = ?) AND (? IS NULL OR lower(r.section) = lower(?))"
)
_NEWEST_FIRST = " ORDER BY COALESCE(r.published_at, r.created_at) DESC, r.id DESC LIMIT ?"
_UNSENT_MATCHING = (
    f"{_MATCHING_REVIEWS} AND r.id NOT IN (SELECT review_id FROM deliveries WHERE subscription_id = ?){_NEWEST_FIRST}"  # noqa: S608
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
    )


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
) -> int:
    row = conn.execute(
        "INSERT INTO subscriptions(guild_id, channel_id, festival, section, style, role_id, forum, created_by,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
        ),
    ).fetchall()[0]
    return int(row[0])


def update(conn: Connection, subscription_id: int, *, style: str, role_id: int | None, forum: bool) -> None:
    """New settings for a subscription, which also resumes it if it was paused."""
    conn.execute(
        "UPDATE subscriptions SET style = ?, role_id = ?, forum = ?, paused_reason = NULL WHERE id = ?",
        (style, role_id, int(forum), subscription_id),
    )


def delete(conn: Connection, guild_id: int, channel_id: int, festival: str | None) -> int:
    """Remove a channel's subscriptions (one festival's, or all); unsent deliveries go with them."""
    return conn.execute(
        "DELETE FROM subscriptions WHERE guild_id = ? AND channel_id = ? AND (? IS NULL OR festival = ?)",
        (guild_id, channel_id, festival, festival),
    ).rowcount


def set_paused(conn: Connection, subscription_id: int, reason: str) -> None:
    conn.execute("UPDATE subscriptions SET paused_reason = ? WHERE id = ?", (reason, subscription_id))


def unsent_matching(conn: Connection, subscription: Subscription, count: int) -> list[int]:
    """The newest ``count`` reviews this subscription matches and has not had, newest first."""
    rows = conn.execute(
        _UNSENT_MATCHING,
        (*_filters(subscription), subscription.id, count),
    ).fetchall()
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
    row = await reads.fetchone(_MATCHING_REVIEWS + _NEWEST_FIRST, (*_filters(subscription), 1))
    return int(row[0]) if row else None


def _filters(subscription: Subscription) -> tuple[object, ...]:
    festival, section = subscription.festival, subscription.section
    return (festival, festival, section, section)
