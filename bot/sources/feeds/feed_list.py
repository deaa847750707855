"""The subscribed feeds: add, list and remove (``festbot feeds`` and ``/feeds``)."""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
import urllib.parse

from bot.sources.feeds.guard import FetchPolicy, is_ip_literal
from bot.sources.feeds.http import http_url, url_problem
from bot.storage import feeds as feedstore
from bot.storage.feeds import MAX_INTERVAL, Feed
from bot.storage.store import Store

DEFAULT_INTERVAL = 300.0
#: The shortest poll interval a person may set; tests pass a smaller ``min_interval`` to the Python API.
MIN_INTERVAL = 60.0
#: A festival edition is a few words ("Berlinale 2026"); anything longer is a mistake.
MAX_FESTIVAL_LENGTH = 100


class FeedError(ValueError):
    """A feed that cannot be added or removed as asked; the message says why, in one line."""


def _shown(text: str) -> str:
    return repr(text if len(text) <= 120 else text[:117] + "...")


def check_interval(interval: float, *, min_interval: float = MIN_INTERVAL) -> float:
    """``interval`` in seconds if it is a sane poll interval; raises :class:`FeedError` otherwise.

    NaN, infinities and absurd values are refused here, where a person typed them, so no later poll
    can overflow computing its next time.
    """
    if not (math.isfinite(interval) and interval > 0 and min_interval <= interval <= MAX_INTERVAL):
        raise FeedError(
            f"the poll interval must be from {min_interval:g} to {MAX_INTERVAL:,.0f} seconds (1 day), not {interval!r}"
        )
    return float(interval)


async def add_feed(
    store: Store,
    url: str,
    *,
    festival: str | None = None,
    interval: float = DEFAULT_INTERVAL,
    min_interval: float = MIN_INTERVAL,
    policy: FetchPolicy | None = None,
) -> Feed:
    """Subscribe to a feed; ``festival`` (``"Berlinale 2024"``) is applied to entries that name none.

    With a ``policy``, a URL whose host is an IP address it refuses is refused now; host names are
    checked when fetched, since what they resolve to can change.
    """
    problem = url_problem(url)
    clean = http_url(url)
    if problem is not None or clean is None:
        raise FeedError(f"{problem}: {_shown(url.strip())}")
    interval = check_interval(interval, min_interval=min_interval)
    festival = (festival or "").strip() or None
    if festival is not None and len(festival) > MAX_FESTIVAL_LENGTH:
        raise FeedError(f"the festival is longer than {MAX_FESTIVAL_LENGTH} characters: {_shown(festival)}")
    host = urllib.parse.urlsplit(clean).hostname or ""
    refused = policy.refusal(host, host) if policy is not None and is_ip_literal(host) else None
    if refused is not None:
        raise FeedError(refused)
    try:
        return await feedstore.insert_feed(
            store, clean, festival=festival, interval_seconds=interval, now=dt.datetime.now(dt.UTC)
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
    url = http_url(feed)
    return url is not None and await feedstore.delete_feed(store, url=url)
