"""Leases: which process runs each piece of work that must run in one process at a time.

Several ``festbot run`` processes share a database; the delivery worker (one pacer under Discord's one
global limit per bot), the feed poller and the inbox watcher must each run in one of them. A lease is a
row naming its holder until ``expires_at``: the holder renews it well before then; any other process
claims it once it has run out, which is how a process that died (SIGKILL, a lost machine) is replaced
within one lease period. Claiming and renewing are the same statement, an upsert that changes the row
only if this process holds it or it has expired, in a write transaction: SQLite's writers never overlap,
and PostgreSQL's ``SERIALIZABLE`` makes one of two racing claims run again and find the other's row.

Times are the database's clock, not the process's: processes on machines whose clocks disagree still
agree on when a lease ran out. A lease is an economy, not what keeps announcements exactly-once: that is
the outbox and the message nonce, so a holder paused past its lease (a stalled machine) that sends once
more before it notices can double nothing.
"""

from __future__ import annotations

import os
import secrets
import socket
from typing import NamedTuple

from bot.storage.connection import Connection
from bot.storage.dialect import compose, variant
from bot.storage.store import Store

#: The database's clock in unix milliseconds.
_NOW_MS = variant(
    "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
    postgres="CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)",
)

_CLAIM = (
    "INSERT INTO leases(name, holder, expires_at, acquired_at) VALUES (?, ?, {now} + ?, {now})"
    " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,"
    " acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END"
    " WHERE leases.holder = excluded.holder OR leases.expires_at <= {now}"
)
_CLAIM_SQL = compose(_CLAIM, now=_NOW_MS)
_STATE = "SELECT holder, expires_at - {now} FROM leases WHERE name = ?"
_STATE_SQL = compose(_STATE, now=_NOW_MS)


class LeaseState(NamedTuple):
    """Who holds a lease and for how many more milliseconds (negative: it ran out that long ago)."""

    holder: str
    remaining_ms: int


def claim(conn: Connection, name: str, holder: str, ttl_ms: int) -> LeaseState:
    """Take or renew ``name`` for ``ttl_ms`` if ``holder`` has it or it has run out; returns who holds it now."""
    conn.execute(_CLAIM_SQL, (name, holder, ttl_ms))
    row = conn.execute(_STATE_SQL, (name,)).fetchone()
    assert row is not None  # written above, or held by another
    return LeaseState(str(row[0]), int(row[1]))


def release(conn: Connection, name: str, holder: str) -> None:
    """Give ``name`` up at once (a clean shutdown), so another process need not wait for it to run out."""
    conn.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))


def process_tag() -> str:
    """This process, as a lease names it: host and pid to find it by, and a random part in case both repeat."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Lease:
    """One named lease over a store, claimed for one holder (by default this process)."""

    def __init__(self, store: Store, name: str, holder: str | None = None, *, ttl: float = 6.0) -> None:
        self.store = store
        self.name = name
        self.holder = holder or process_tag()
        self.ttl = ttl

    async def claim(self) -> LeaseState:
        """Take or renew the lease if it is free or ours; returns who holds it now."""
        return await self.store.write(claim, self.name, self.holder, round(self.ttl * 1000))

    async def release(self) -> None:
        await self.store.write(release, self.name, self.holder)

    async def state(self) -> LeaseState | None:
        row = await self.store.reads.fetchone(_STATE_SQL, (self.name,))
        return LeaseState(str(row[0]), int(row[1])) if row else None
