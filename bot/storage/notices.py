"""The notices outbox (health alerts and daily digests), the problems open now, and where alerts go.

A notice is exactly once by its ``dedupe_key``: an alert is queued only when its problem row appears
(``broken``) or goes (``recovered``), in the same transaction that pauses, resumes or marks the feed,
so a problem that stays is never announced twice; a digest is keyed by its subscription and local
date, so two processes, or one restarted, plan the same day once. As deliveries, a notice is claimed
before sending (for ``lease`` seconds: a crash leaves it due again after that) and given the message
id after; the nonce derived from its id makes a resend land on the message already posted.

Write functions run inside a write transaction; reads take the database's :class:`Reads`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Literal

from bot.domain.models import AlertFacts, DigestFacts, NoticeJob, Subscription
from bot.storage.connection import Connection, Reads
from bot.storage.subscriptions import SUBSCRIPTION_COLUMNS, subscription_from_row

ProblemKind = Literal["subscription", "feed"]

_INSERT = (
    "INSERT INTO notices(guild_id, channel_id, kind, dedupe_key, subscription_id, body, window_end, state,"
    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id"
)
_DUE = "state IN ('queued', 'retrying', 'sending')"


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


# --- where alerts go -----------------------------------------------------------------------------


def set_alert_channel(conn: Connection, guild_id: int, channel_id: int | None) -> None:
    """A server's alerts go to ``channel_id``; None: back to the channel each thing was set up in."""
    conn.execute("DELETE FROM alert_channels WHERE guild_id = ?", (guild_id,))
    if channel_id is not None:
        conn.execute("INSERT INTO alert_channels(guild_id, channel_id) VALUES (?, ?)", (guild_id, channel_id))


async def alert_channel(reads: Reads, guild_id: int) -> int | None:
    row = await reads.fetchone("SELECT channel_id FROM alert_channels WHERE guild_id = ?", (guild_id,))
    return int(row[0]) if row else None


def _alert_target(conn: Connection, guild_id: int, setup_channel_id: int | None) -> int | None:
    row = conn.execute("SELECT channel_id FROM alert_channels WHERE guild_id = ?", (guild_id,)).fetchone()
    return int(row[0]) if row else setup_channel_id


# --- problems and their alerts -------------------------------------------------------------------


def open_problem(conn: Connection, guild_id: int, setup_channel_id: int | None, facts: AlertFacts) -> bool:
    """Record that ``facts.subject_id`` is broken; queue its alert only if it was not broken already."""
    now = now_iso()
    opened = conn.execute(
        "INSERT INTO open_problems(kind, subject_id, guild_id, opened_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING RETURNING subject_id",
        (facts.kind, facts.subject_id, guild_id, now),
    ).fetchall()
    if not opened:
        return False
    _queue_alert(conn, guild_id, setup_channel_id, facts, f"alert:{facts.kind}:{facts.subject_id}:broken:{now}")
    return True


def close_problem(conn: Connection, setup_channel_id: int | None, facts: AlertFacts) -> bool:
    """``facts.subject_id`` works again: queue one recovery alert if it had a problem open."""
    closed = conn.execute(
        "DELETE FROM open_problems WHERE kind = ? AND subject_id = ? RETURNING guild_id, opened_at",
        (facts.kind, facts.subject_id),
    ).fetchall()
    if not closed:
        return False
    guild_id, opened_at = int(closed[0][0]), closed[0][1]
    key = f"alert:{facts.kind}:{facts.subject_id}:recovered:{opened_at}"
    _queue_alert(conn, guild_id, setup_channel_id, facts, key)
    return True


def forget_problems(conn: Connection) -> None:
    """Problems of subscriptions and feeds that were removed: nothing will recover, nobody is told."""
    conn.execute(
        "DELETE FROM open_problems WHERE (kind = 'subscription' AND NOT EXISTS"
        " (SELECT 1 FROM subscriptions s WHERE s.id = open_problems.subject_id))"
        " OR (kind = 'feed' AND NOT EXISTS (SELECT 1 FROM feeds f WHERE f.id = open_problems.subject_id))"
    )


def _queue_alert(
    conn: Connection, guild_id: int, setup_channel_id: int | None, facts: AlertFacts, dedupe_key: str
) -> None:
    now = now_iso()
    channel = _alert_target(conn, guild_id, setup_channel_id)
    state = "queued" if channel is not None else "failed"  # set up before V010: nowhere known to say it
    conn.execute(
        _INSERT,
        (guild_id, channel, "alert", dedupe_key, None, facts.model_dump_json(), None, state, now, now),
    ).fetchall()


async def open_problem_ids(reads: Reads, kind: ProblemKind, guild_id: int) -> set[int]:
    rows = await reads.fetchall(
        "SELECT subject_id FROM open_problems WHERE kind = ? AND guild_id = ?", (kind, guild_id)
    )
    return {int(r[0]) for r in rows}


# --- digests -------------------------------------------------------------------------------------


async def digest_subscriptions(reads: Reads) -> list[tuple[Subscription, float | None]]:
    """Every active digest subscription, with the end of the last day it was planned for (None: never)."""
    rows = await reads.fetchall(
        f"SELECT {SUBSCRIPTION_COLUMNS}, (SELECT max(n.window_end) FROM notices n WHERE n.subscription_id = s.id"  # noqa: S608
        " AND n.kind = 'digest') FROM subscriptions s WHERE s.digest_hour IS NOT NULL AND s.paused_reason IS NULL"
        " ORDER BY s.id"
    )
    return [(subscription_from_row(row), None if row[-1] is None else float(row[-1])) for row in rows]


def plan_digest(conn: Connection, subscription: Subscription, date: dt.date, end: float) -> int | None:
    """The day's digest for ``subscription``: the reviews it collected up to ``end`` (unix seconds) and has
    not listed yet, oldest first (listed ones are let go, so one stored late by a process whose clock is
    behind goes in the next day's). An empty day is recorded too (state ``empty``, never posted). Returns
    the new notice's id, None if the day was planned already."""
    rows = conn.execute(
        "SELECT review_id FROM digest_items WHERE subscription_id = ? AND queued_at <= ? ORDER BY queued_at, review_id",
        (subscription.id, end),
    ).fetchall()
    facts = DigestFacts(date=date, review_ids=[int(r[0]) for r in rows])
    now = now_iso()
    made = conn.execute(
        _INSERT,
        (
            subscription.guild_id,
            subscription.channel_id,
            "digest",
            f"digest:{subscription.id}:{date.isoformat()}",
            subscription.id,
            facts.model_dump_json(),
            end,
            "queued" if facts.review_ids else "empty",
            now,
            now,
        ),
    ).fetchall()
    if made:  # what is listed (or was empty) is never needed again
        conn.execute("DELETE FROM digest_items WHERE subscription_id = ? AND queued_at <= ?", (subscription.id, end))
    return int(made[0][0]) if made else None


# --- sending -------------------------------------------------------------------------------------


def claim(conn: Connection, limit: int, now: float, lease: float, salt: str) -> list[NoticeJob]:
    """Take up to ``limit`` due notices, oldest first, each leased for ``lease`` seconds."""
    rows = conn.execute(
        "SELECT id, guild_id, channel_id, kind, subscription_id, body, attempts FROM notices"  # noqa: S608
        f" WHERE {_DUE} AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
        (now, limit),
    ).fetchall()
    conn.executemany(
        "UPDATE notices SET state = 'sending', attempts = attempts + 1, next_attempt_at = ?, updated_at = ?"
        " WHERE id = ?",
        [(now + lease, now_iso(), row[0]) for row in rows],
    )
    jobs = []
    for notice_id, guild_id, channel_id, kind, subscription_id, body, attempts in rows:
        data = json.loads(body)
        jobs.append(
            NoticeJob(
                id=notice_id,
                guild_id=guild_id,
                channel_id=channel_id,
                kind=kind,
                subscription_id=subscription_id,
                alert=AlertFacts.model_validate(data) if kind == "alert" else None,
                digest=DigestFacts.model_validate(data) if kind == "digest" else None,
                attempts=attempts + 1,
                nonce=f"n{salt}{notice_id}",
            )
        )
    return jobs


def record_sent(conn: Connection, notice_id: int, message_id: int) -> None:
    conn.execute(
        "UPDATE notices SET state = 'sent', message_id = ?, last_error = NULL, updated_at = ? WHERE id = ?",
        (message_id, now_iso(), notice_id),
    )


def record_retry(conn: Connection, notice_id: int, at: float, error: str) -> None:
    conn.execute(
        "UPDATE notices SET state = 'retrying', next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ?",
        (at, error[:500], now_iso(), notice_id),
    )


def record_failed(conn: Connection, notice_id: int, error: str) -> None:
    conn.execute(
        "UPDATE notices SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?",
        (error[:500], now_iso(), notice_id),
    )


async def next_due_at(reads: Reads) -> float | None:
    row = await reads.fetchone(f"SELECT min(next_attempt_at) FROM notices WHERE {_DUE}")  # noqa: S608
    return float(row[0]) if row and row[0] is not None else None


async def listed(reads: Reads, guild_id: int, kind: str | None = None) -> list[tuple[int, str, str, int | None]]:
    """A server's notices, oldest first: (id, kind, state, message id); for ``/announce`` and tests."""
    rows = await reads.fetchall(
        "SELECT id, kind, state, message_id FROM notices WHERE guild_id = ? AND (? IS NULL OR kind = ?) ORDER BY id",
        (guild_id, kind, kind),
    )
    return [(int(r[0]), str(r[1]), str(r[2]), r[3]) for r in rows]
