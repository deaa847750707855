"""The subscribed feeds: add, list and remove (``festbot feeds`` and ``/feeds``).

A feed belongs to whoever added it: a server (``guild_id``), whose subscriptions alone hear of the
reviews it brings, or the operator (``guild_id`` None: ``festbot feeds``), whose feeds are announced
to every subscription. A server sees and removes only its own feeds; the operator sees all.
"""

from __future__ import annotations

import datetime as dt
import math
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
    guild_id: int | None = None,
    min_interval: float = MIN_INTERVAL,
    policy: FetchPolicy | None = None,
    setup_channel_id: int | None = None,
) -> Feed:
    """Subscribe ``guild_id`` (None: the operator) to a feed; ``festival`` (``"Berlinale 2024"``) is
    applied to entries that name none.

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
    added = await feedstore.insert_feed(
        store,
        clean,
        guild_id=guild_id,
        festival=festival,
        interval_seconds=interval,
        now=dt.datetime.now(dt.UTC),
        setup_channel_id=setup_channel_id,
    )
    if added is None:
        raise FeedError(f"already subscribed to {clean}")
    return added


async def list_feeds(store: Store, *, guild_id: int | None = None) -> list[Feed]:
    """One server's feeds (``guild_id``), or every feed (None, the operator), with their state."""
    return await feedstore.all_feeds(store, guild_id=guild_id)


async def remove_feed(store: Store, feed: int | str, *, guild_id: int | None = None) -> bool:
    """Unsubscribe by id (``3`` or ``"3"``) or by URL; False when no such feed is ``guild_id``'s to remove.

    The operator (``guild_id`` None) may remove any feed; a URL that several servers' feeds share
    must then be named by number (:class:`FeedError`).
    """
    if isinstance(feed, int) or feed.strip().isdigit():
        return await feedstore.delete_feed(store, feed_id=int(feed), guild_id=guild_id)
    url = http_url(feed)
    if url is None:
        return False
    found = [f for f in await feedstore.all_feeds(store, guild_id=guild_id) if f.url == url]
    if len(found) > 1:
        numbers = ", ".join(f"#{f.id}" for f in found)
        raise FeedError(f"{len(found)} feeds read {url} ({numbers}): remove one by its number")
    return bool(found) and await feedstore.delete_feed(store, feed_id=found[0].id, guild_id=guild_id)
