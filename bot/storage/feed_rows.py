"""Feeds and feed entries as models, and the columns they are read from (the SQL is in :mod:`bot.storage.feeds`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Feed(BaseModel):
    """A subscribed feed with its polling state, as ``festbot feeds list`` shows it."""

    model_config = ConfigDict(frozen=True)

    id: int
    url: str
    guild_id: int | None = None  # the server that added it; None for the operator's
    festival: str | None = None
    interval_seconds: float = 300.0
    etag: str | None = None
    last_modified: str | None = None
    added_at: dt.datetime
    first_fetch_at: dt.datetime | None = None
    last_fetch_at: dt.datetime | None = None
    last_success_at: dt.datetime | None = None
    last_status: str | None = None
    last_error: str | None = None
    error_count: int = 0
    next_poll_at: dt.datetime | None = None
    last_entry_error: str | None = None
    entries_seen: int = 0
    entries_stored: int = 0
    entries_rejected: int = 0
    entries_failed: int = 0

    def line(self, *, owner: bool = False) -> str:
        """One line per feed: id, URL, festival (and with ``owner``, whose it is), then its state."""
        festival = f" [{self.festival}]" if self.festival else ""
        if owner:
            festival += f" (server {self.guild_id})" if self.guild_id is not None else " (operator)"
        fetched = _short(self.last_fetch_at) if self.last_fetch_at else "never"
        state = f"error: {self.last_error}" if self.last_error else (self.last_status or "not fetched yet")
        parts = [
            f"#{self.id} {self.url}{festival}",
            f"every {self.interval_seconds:g}s",
            f"last fetch {fetched} ({state})",
            f"next poll {_short(self.next_poll_at) if self.next_poll_at else 'now'}",
            f"entries {self.entries_seen} seen, {self.entries_stored} stored, {self.entries_rejected} rejected,"
            f" {self.entries_failed} to retry",
        ]
        if self.last_entry_error:
            parts.append(f"last entry problem: {self.last_entry_error}")
        return " | ".join(parts)


class EntryRecord(BaseModel):
    """One feed entry the poller has dealt with, and what became of it."""

    model_config = ConfigDict(frozen=True)

    id: int
    feed_id: int | None
    entry_key: str
    url: str | None = None
    canonical_url: str | None = None
    content_hash: str | None = None
    status: str
    reason: str | None = None
    review_id: int | None = None
    announce: bool | None = None
    attempts: int = 0
    entry: dict[str, Any] = Field(default_factory=dict)
    first_seen_at: dt.datetime
    updated_at: dt.datetime
    retry_at: float | None = None  # unix seconds: a failed entry is not fetched again before then


def _short(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(value: dt.datetime | None) -> str | None:
    """Timestamps are stored as ISO 8601 in UTC (with microseconds: test intervals are sub-second)."""
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def _when(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


FEED_COLUMNS = (
    "f.id, f.url, f.festival, f.interval_seconds, f.etag, f.last_modified, f.added_at, f.first_fetch_at,"
    " f.last_fetch_at, f.last_success_at, f.last_status, f.last_error, f.error_count, f.next_poll_at,"
    " f.last_entry_error,"
    " (SELECT count(*) FROM feed_entries e WHERE e.feed_id = f.id),"
    " (SELECT count(*) FROM feed_entries e WHERE e.feed_id = f.id"
    "   AND e.status IN ('added', 'updated', 'unchanged', 'duplicate')),"
    " (SELECT count(*) FROM feed_entries e WHERE e.feed_id = f.id AND e.status = 'rejected'),"
    " (SELECT count(*) FROM feed_entries e WHERE e.feed_id = f.id AND e.status = 'failed'),"
    " f.guild_id"
)
FEED_BY_ID = f"SELECT {FEED_COLUMNS} FROM feeds f WHERE f.id = ?"  # noqa: S608
ENTRY_COLUMNS = (
    "id, feed_id, entry_key, url, canonical_url, content_hash, status, reason, review_id, announce, attempts,"
    " entry, first_seen_at, updated_at, retry_at"
)


def feed_from_row(row: Sequence[Any]) -> Feed:
    return Feed(
        id=row[0],
        url=row[1],
        festival=row[2],
        interval_seconds=row[3],
        etag=row[4],
        last_modified=row[5],
        added_at=dt.datetime.fromisoformat(row[6]),
        first_fetch_at=_when(row[7]),
        last_fetch_at=_when(row[8]),
        last_success_at=_when(row[9]),
        last_status=row[10],
        last_error=row[11],
        error_count=row[12],
        next_poll_at=_when(row[13]),
        last_entry_error=row[14],
        entries_seen=row[15],
        entries_stored=row[16],
        entries_rejected=row[17],
        entries_failed=row[18],
        guild_id=row[19],
    )


def entry_from_row(row: Sequence[Any]) -> EntryRecord:
    return EntryRecord(
        id=row[0],
        feed_id=row[1],
        entry_key=row[2],
        url=row[3],
        canonical_url=row[4],
        content_hash=row[5],
        status=row[6],
        reason=row[7],
        review_id=row[8],
        announce=None if row[9] is None else bool(row[9]),
        attempts=row[10],
        entry=json.loads(row[11]) if row[11] else {},
        first_seen_at=dt.datetime.fromisoformat(row[12]),
        updated_at=dt.datetime.fromisoformat(row[13]),
        retry_at=row[14],
    )
