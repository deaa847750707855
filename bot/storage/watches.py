"""Personal watchlists: what each member follows, and the direct-message outbox for the reviews that match.

A watch is found by its ``match_key``, ``kind:first folded word``: a stored review looks up the keys its
own words make (:meth:`~bot.matching.matcher.ReviewFacts.keys`), so it meets only the watches that can
match it, and :func:`~bot.matching.matcher.match` confirms each. A member gets a review once, however
many of their watches match it (one ``watch_deliveries`` row per review and member).

Write functions run inside a write transaction; reads take the database's :class:`Reads`.
"""

from __future__ import annotations

import datetime as dt
import json
import time

from bot.domain.criteria import WATCH_FIELDS
from bot.domain.models import Watch, WatchJob
from bot.domain.text import fold
from bot.matching.matcher import ReviewFacts, matches_value
from bot.storage.connection import Connection, Reads, Row
from bot.storage.dialect import JSON_TEXTS, compose

#: The most watches one member may keep.
MAX_WATCHES = 25

_WATCH_COLUMNS = "w.id, w.user_id, w.guild_id, w.channel_id, w.kind, w.value, w.paused_reason, w.created_at"
_CANDIDATES = compose(
    "SELECT w.user_id, w.kind, w.value FROM watches w WHERE w.paused_reason IS NULL"
    " AND w.match_key IN (SELECT value FROM {keys} j) AND (? IS NULL OR w.guild_id = ?) ORDER BY w.id",
    keys=JSON_TEXTS,
)
_INSERT_DM = (
    "INSERT INTO watch_deliveries(review_id, user_id, reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT DO NOTHING"
)


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def match_key(kind: str, value: str) -> str:
    """What a watch is looked up by: its kind and the first word of its folded value."""
    words = fold(value).split()
    return f"{kind}:{words[0] if words else ''}"


def watch_from_row(row: Row) -> Watch:
    return Watch(
        id=row[0],
        user_id=row[1],
        guild_id=row[2],
        channel_id=row[3],
        kind=row[4],
        value=row[5],
        paused_reason=row[6],
        created_at=dt.datetime.fromisoformat(row[7]),
    )


def add(conn: Connection, *, user_id: int, guild_id: int, channel_id: int | None, kind: str, value: str) -> str:
    """Add one watch: ``added``, ``exists`` (the member follows it already) or ``full`` (:data:`MAX_WATCHES`)."""
    folded = fold(value)
    if conn.execute(
        "SELECT 1 FROM watches WHERE user_id = ? AND kind = ? AND folded = ?", (user_id, kind, folded)
    ).fetchone():
        return "exists"
    count = conn.execute("SELECT count(*) FROM watches WHERE user_id = ?", (user_id,)).fetchone()
    if count is not None and int(count[0]) >= MAX_WATCHES:
        return "full"
    conn.execute(
        "INSERT INTO watches(user_id, guild_id, channel_id, kind, value, folded, match_key, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (user_id, guild_id, channel_id, kind, value, folded, match_key(kind, value), now_iso()),
    )
    return "added"


def remove(conn: Connection, user_id: int, kind: str | None, value: str) -> int:
    """Remove the member's watches on ``value`` (of one kind, or any)."""
    return conn.execute(
        "DELETE FROM watches WHERE user_id = ? AND (? IS NULL OR kind = ?) AND folded = ?",
        (user_id, kind, kind, fold(value)),
    ).rowcount


def clear(conn: Connection, user_id: int) -> int:
    """Erase everything kept about a member: watches, queued and sent direct messages, DM channel, notice."""
    removed = conn.execute("DELETE FROM watches WHERE user_id = ?", (user_id,)).rowcount
    conn.execute("DELETE FROM watch_deliveries WHERE user_id = ?", (user_id,))
    conn.execute("DELETE FROM watchers WHERE user_id = ?", (user_id,))
    return removed


def resume(conn: Connection, user_id: int) -> int:
    """Resume a member's paused watches (they opened their DMs again)."""
    return conn.execute(
        "UPDATE watches SET paused_reason = NULL WHERE user_id = ? AND paused_reason IS NOT NULL", (user_id,)
    ).rowcount


def any_active(conn: Connection) -> bool:
    """Whether any member watches anything: a new review is folded and looked up only then."""
    return conn.execute("SELECT 1 FROM watches WHERE paused_reason IS NULL LIMIT 1").fetchone() is not None


def enqueue_for_review(conn: Connection, review_id: int, facts: ReviewFacts, *, guild_id: int | None = None) -> int:
    """Queue one direct message per member with an active watch matching the review (watches set up in
    ``guild_id`` only, for a server's own feed); inside the transaction storing the review."""
    keys = [f"{kind}:{word}" for kind, field in WATCH_FIELDS.items() for word in facts.keys(field)]
    rows = conn.execute(_CANDIDATES, (json.dumps(keys), guild_id, guild_id)).fetchall()
    reasons: dict[int, str] = {}
    for user_id, kind, value in rows:
        # matches_value is match() for a one-value criteria, minus building the criteria and its reason
        if user_id not in reasons and matches_value(facts, WATCH_FIELDS[kind], value):
            reasons[user_id] = f"your watch on {kind} “{value}”"
    now = now_iso()
    conn.executemany(_INSERT_DM, [(review_id, user, reason, now, now) for user, reason in reasons.items()])
    return len(reasons)


def claim_due(conn: Connection, limit: int, now: float, exclude: frozenset[int]) -> list[WatchJob]:
    """Take up to ``limit`` due direct messages, oldest first, counting the attempt before anything is sent."""
    rows = conn.execute(
        "SELECT d.id, d.review_id, d.user_id, d.reason, d.attempts, m.dm_channel_id FROM watch_deliveries d"
        " LEFT JOIN watchers m ON m.user_id = d.user_id"
        " WHERE d.state IN ('queued', 'retrying', 'sending') AND d.next_attempt_at <= ?"
        " ORDER BY d.next_attempt_at, d.id LIMIT ?",
        (now, limit + len(exclude)),
    ).fetchall()
    claimed = [row for row in rows if int(row[0]) not in exclude][:limit]
    conn.executemany(
        "UPDATE watch_deliveries SET state = 'sending', attempts = attempts + 1, updated_at = ? WHERE id = ?",
        [(now_iso(), row[0]) for row in claimed],
    )
    return [
        WatchJob(id=r[0], review_id=r[1], user_id=r[2], reason=r[3], attempts=r[4] + 1, dm_channel_id=r[5])
        for r in claimed
    ]


def record_sent(conn: Connection, delivery_id: int, message_id: int) -> None:
    conn.execute(
        "UPDATE watch_deliveries SET state = 'sent', message_id = ?, last_error = NULL, updated_at = ? WHERE id = ?",
        (message_id, now_iso(), delivery_id),
    )


def record_retry(conn: Connection, delivery_id: int, delay: float, error: str) -> None:
    conn.execute(
        "UPDATE watch_deliveries SET state = 'retrying', next_attempt_at = ?, last_error = ?, updated_at = ?"
        " WHERE id = ?",
        (time.time() + delay, error[:500], now_iso(), delivery_id),
    )


def record_failed(conn: Connection, delivery_id: int, error: str) -> None:
    conn.execute(
        "UPDATE watch_deliveries SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?",
        (error[:500], now_iso(), delivery_id),
    )


def set_dm_channel(conn: Connection, user_id: int, channel_id: int) -> None:
    conn.execute(
        "INSERT INTO watchers(user_id, dm_channel_id) VALUES (?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET dm_channel_id = excluded.dm_channel_id",
        (user_id, channel_id),
    )


def dms_closed(conn: Connection, user_id: int, reason: str) -> None:
    """The member does not take direct messages from the bot: pause their watches, drop what is queued
    for them, and keep a notice to tell them once in the server where they set up their first watch."""
    paused = conn.execute(
        "UPDATE watches SET paused_reason = ? WHERE user_id = ? AND paused_reason IS NULL", (reason, user_id)
    ).rowcount
    conn.execute(
        "UPDATE watch_deliveries SET state = 'failed', last_error = ?, updated_at = ?"
        " WHERE user_id = ? AND state IN ('queued', 'retrying', 'sending')",
        (reason, now_iso(), user_id),
    )
    if not paused:
        return  # already paused (and told, or about to be): one notice, not one per message
    guild = conn.execute("SELECT guild_id FROM watches WHERE user_id = ? ORDER BY id LIMIT 1", (user_id,)).fetchone()
    notice = (
        "I couldn't send you a direct message about a review your watchlist matched: your DMs are closed to me."
        " Your watches are paused. Allow direct messages from this server's members, then run /watch resume."
    )
    conn.execute(
        "INSERT INTO watchers(user_id, notice, notice_guild_id) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET notice = excluded.notice, notice_guild_id = excluded.notice_guild_id",
        (user_id, notice, guild[0] if guild else None),
    )


def take_notice(conn: Connection, user_id: int, guild_id: int) -> str | None:
    """The notice still to tell this member in this server, removed as it is read: two commands in quick
    succession tell it once."""
    row = conn.execute(
        "SELECT notice FROM watchers WHERE user_id = ? AND notice IS NOT NULL AND notice_guild_id = ?",
        (user_id, guild_id),
    ).fetchone()
    if row is None:
        return None
    clear_notice(conn, user_id)
    return str(row[0])


def restore_notice(conn: Connection, user_id: int, guild_id: int, notice: str) -> None:
    """Put back a notice that could not be told after all (the follow-up failed)."""
    conn.execute(
        "UPDATE watchers SET notice = ?, notice_guild_id = ? WHERE user_id = ? AND notice IS NULL",
        (notice, guild_id, user_id),
    )


def clear_notice(conn: Connection, user_id: int) -> None:
    conn.execute("UPDATE watchers SET notice = NULL, notice_guild_id = NULL WHERE user_id = ?", (user_id,))


async def notice(reads: Reads, user_id: int, guild_id: int) -> str | None:
    """The notice still to tell this member, if it is to be told in this server."""
    row = await reads.fetchone(
        "SELECT notice FROM watchers WHERE user_id = ? AND notice IS NOT NULL AND notice_guild_id = ?",
        (user_id, guild_id),
    )
    return str(row[0]) if row else None


async def listed(reads: Reads, user_id: int) -> list[Watch]:
    rows = await reads.fetchall(
        f"SELECT {_WATCH_COLUMNS} FROM watches w WHERE w.user_id = ? ORDER BY w.kind, w.folded",  # noqa: S608
        (user_id,),
    )
    return [watch_from_row(row) for row in rows]


async def next_due_at(reads: Reads) -> float | None:
    row = await reads.fetchone(
        "SELECT min(next_attempt_at) FROM watch_deliveries WHERE state IN ('queued', 'retrying', 'sending')"
    )
    return float(row[0]) if row and row[0] is not None else None


async def deliveries_for(reads: Reads, user_id: int) -> list[tuple[int, str, str]]:
    """(review id, state, reason) of every direct message queued or sent to a member, oldest first (tests)."""
    rows = await reads.fetchall(
        "SELECT review_id, state, reason FROM watch_deliveries WHERE user_id = ? ORDER BY id", (user_id,)
    )
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]
