"""The subscribed feeds: add, list and remove (``festbot feeds`` and ``/feeds``)."""

from __future__ import annotations

import datetime as dt
import sqlite3

from bot.sources.feeds.http import http_url
from bot.storage import feeds as feedstore
from bot.storage.feeds import Feed
from bot.storage.store import Store

DEFAULT_INTERVAL = 300.0


class FeedError(ValueError):
    """A feed that cannot be added or removed as asked; the message says why."""


async def add_feed(store: Store, url: str, *, festival: str | None = None, interval: float = DEFAULT_INTERVAL) -> Feed:
    """Subscribe to a feed; ``festival`` (``"Berlinale 2024"``) is applied to entries that name none."""
    clean = http_url(url)
    if clean is None:
        raise FeedError(f"not an http(s) URL: {url!r}")
    if not interval > 0:
        raise FeedError(f"the poll interval must be positive, not {interval!r}")
    try:
        return await feedstore.insert_feed(
            store,
            clean,
            festival=(festival or "").strip() or None,
            interval_seconds=float(interval),
            now=dt.datetime.now(dt.UTC),
        )
    except sqlite3.IntegrityError as exc:
        raise FeedError(f"already subscribed to {clean}") from exc


async def list_feeds(store: Store) -> list[Feed]:
    """Every feed with its state: last fetch, last error, next poll, entries seen."""
    return await feedstore.all_feeds(store)


async def remove_feed(store: Store, feed: int | str) -> bool:
    """Unsubscribe by id (``3`` or ``"3"``) or by URL; False when no such feed exists."""
    if isinstance(feed, int) or feed.strip().isdigit():
        return await feedstore.delete_feed(store, feed_id=int(feed))
    return await feedstore.delete_feed(store, url=http_url(feed) or feed.strip())
