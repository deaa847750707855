"""Follow mode's pool of home channels: festivals spread over several announcement channels.

Discord publishes at most 10 messages per announcement channel per hour, so one channel carrying every
festival queues reviews in a busy hour. Several channels listed without a festival name form a pool; each
festival is given one of them the first time it needs one (by ``/announce follow`` or by its first review
queued for the pool) and keeps it, because its followers follow that channel. The pick is the channel that
carried the fewest reviews in the past day (festivals running now), then the one carrying the fewest
festivals, so festivals that run together land apart. A review goes to its festival's pool channel
alone, so a server following every pool channel (``festival: all``) gets it once.

Two processes assigning the same new festival at once agree: the first insert wins and both read it back.

The follows the bot set up are recorded (:func:`record_follow`): a festival is only given a pool channel
that every server following all festivals follows, so a channel added to the pool later carries nothing
until those follows reach it (``cogs/following.py`` extends them), and no review is lost meanwhile.
Write functions run inside a write transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.domain.models import FestivalRef, Subscription
from bot.storage.connection import Connection, Reads

#: How far back a channel's load is counted when a festival is given one.
LOAD_WINDOW = dt.timedelta(days=1)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def festival_key(festival: FestivalRef | str | None) -> str:
    """The assignment's key: the festival's name ('' for reviews without a festival)."""
    if isinstance(festival, FestivalRef):
        return festival.name
    return festival or ""


def sync(conn: Connection, pool: Sequence[int]) -> None:
    """Record the configured pool (every process reads it when it queues a review); channels no longer in it
    leave, and the festivals they carried are given a channel afresh when next needed."""
    stamp = _now().isoformat(timespec="seconds")
    conn.executemany(
        "INSERT INTO home_pool(channel_id, added_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(channel, stamp) for channel in pool],
    )
    gone = [(channel,) for channel in channels(conn) if channel not in pool]
    conn.executemany("DELETE FROM home_pool WHERE channel_id = ?", gone)


def channels(conn: Connection) -> list[int]:
    return sorted(int(row[0]) for row in conn.execute("SELECT channel_id FROM home_pool").fetchall())


def assign(conn: Connection, festival: str, pool: Sequence[int]) -> int:
    """The pool channel carrying ``festival`` (a key from :func:`festival_key`), given one now if it has none
    in the pool (or its channel left the pool)."""
    current = _assigned(conn, festival)
    if current is not None and current in pool:
        return current
    chosen = _least_loaded(conn, _followed_by_all(conn, pool))
    stamp = _now().isoformat(timespec="seconds")
    if current is None:
        conn.execute(
            "INSERT INTO home_assignments(festival, channel_id, assigned_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (festival, chosen, stamp),
        )
    else:  # only if nobody moved it meanwhile
        conn.execute(
            "UPDATE home_assignments SET channel_id = ?, assigned_at = ? WHERE festival = ? AND channel_id = ?",
            (chosen, stamp, festival, current),
        )
    winner = _assigned(conn, festival)
    assert winner is not None  # inserted above, by this transaction or a concurrent one
    return winner


def narrow(conn: Connection, festival: FestivalRef | None, matched: list[Subscription]) -> list[Subscription]:
    """Of the subscriptions a review matched, the pool's channels but the one carrying its festival leave."""
    if not matched:
        return matched
    pool = channels(conn)
    if not any(s.channel_id in pool for s in matched):
        return matched
    home = assign(conn, festival_key(festival), pool)
    return [s for s in matched if s.channel_id not in pool or s.channel_id == home]


def _assigned(conn: Connection, festival: str) -> int | None:
    row = conn.execute("SELECT channel_id FROM home_assignments WHERE festival = ?", (festival,)).fetchone()
    return int(row[0]) if row else None


def _least_loaded(conn: Connection, pool: Sequence[int]) -> int:
    since = (_now() - LOAD_WINDOW).isoformat(timespec="seconds")
    recent: dict[int, int] = {}
    carried = dict.fromkeys(pool, 0)
    for channel in pool:
        row = conn.execute(
            "SELECT count(*) FROM deliveries WHERE channel_id = ? AND created_at >= ?", (channel, since)
        ).fetchone()
        recent[channel] = int(row[0]) if row else 0
    for channel, count in conn.execute(
        "SELECT channel_id, count(*) FROM home_assignments GROUP BY channel_id"
    ).fetchall():
        if int(channel) in carried:
            carried[int(channel)] = int(count)
    return min(pool, key=lambda channel: (recent[channel], carried[channel]))  # min keeps the first of equals


def _followed_by_all(conn: Connection, pool: Sequence[int]) -> list[int]:
    """The pool channels every server following all festivals follows (the whole pool when none does)."""
    homes: dict[int, set[int]] = {}
    for channel, home in conn.execute(
        "SELECT channel_id, home_channel_id FROM home_follows WHERE festival = ''"
    ).fetchall():
        homes.setdefault(int(channel), set()).add(int(home))
    return [c for c in pool if all(c in followed for followed in homes.values())] or list(pool)


def record_follow(conn: Connection, guild_id: int, channel_id: int, festival: str | None, homes: Sequence[int]) -> None:
    stamp = _now().isoformat(timespec="seconds")
    conn.executemany(
        "INSERT INTO home_follows(channel_id, home_channel_id, guild_id, festival, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(channel_id, home, guild_id, festival_key(festival), stamp) for home in homes],
    )


async def follows_of(reads: Reads, channel_id: int, festival: str | None) -> tuple[list[int], list[int]]:
    """The home channels a channel follows for ``festival`` (None: for anything), and those it follows for
    other festivals (whose follows must stay when it stops following this one)."""
    key = None if festival is None else festival_key(festival)
    rows = await reads.fetchall(
        "SELECT home_channel_id, festival FROM home_follows WHERE channel_id = ?", (channel_id,)
    )
    leaving: set[int] = set()
    staying: set[int] = set()
    for home, followed in rows:
        (leaving if key is None or followed == key else staying).add(int(home))
    return sorted(leaving), sorted(staying)


def forget_follow(conn: Connection, channel_id: int, festival: str | None) -> None:
    """Forget a channel's follows for ``festival`` (None: all it has)."""
    key = None if festival is None else festival_key(festival)
    conn.execute(
        "DELETE FROM home_follows WHERE channel_id = ? AND (? IS NULL OR festival = ?)", (channel_id, key, key)
    )


def following_all(conn: Connection) -> dict[tuple[int, int], list[int]]:
    """(guild, channel) of each server channel following every festival, and the home channels it follows."""
    found: dict[tuple[int, int], list[int]] = {}
    for guild, channel, home in conn.execute(
        "SELECT guild_id, channel_id, home_channel_id FROM home_follows WHERE festival = '' ORDER BY home_channel_id"
    ).fetchall():
        found.setdefault((int(guild), int(channel)), []).append(int(home))
    return found
