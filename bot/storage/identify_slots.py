"""Identify slots: when each rate-limit bucket may next IDENTIFY, shared by every process on the database.

Discord starts one session per bucket (``shard_id % max_concurrency``) per window; a process that
wants to identify a shard claims the bucket's next free moment and waits for it. The claim is one
write transaction, so two processes claiming together are given moments a whole spacing apart.
"""

from __future__ import annotations

from bot.storage.connection import Connection


def claim(conn: Connection, bucket: int, now_ms: int, spacing_ms: int, horizon_ms: int) -> int:
    """Reserve ``bucket``'s next free moment (now, or later if others hold it) and return it, in unix ms.

    The row is made if missing, then moved on in a single UPDATE: on PostgreSQL that statement locks the
    row and re-reads it if another transaction changed it first, so concurrent claims queue up instead of
    both reading the same free moment (SQLite's write transactions never overlap at all).

    A free moment more than ``horizon_ms`` ahead (longer than every shard of the bucket queuing takes)
    was written before the clock was set back; it is not waited for.
    """
    conn.execute("INSERT INTO identify_slots(bucket, next_at) VALUES (?, 0) ON CONFLICT (bucket) DO NOTHING", (bucket,))
    conn.execute(
        "UPDATE identify_slots SET next_at = CASE WHEN next_at > ? AND next_at <= ? THEN next_at ELSE ? END + ?"
        " WHERE bucket = ?",
        (now_ms, now_ms + horizon_ms, now_ms, spacing_ms, bucket),
    )
    row = conn.execute("SELECT next_at FROM identify_slots WHERE bucket = ?", (bucket,)).fetchone()
    assert row is not None  # made above, in this transaction
    return int(row[0]) - spacing_ms
