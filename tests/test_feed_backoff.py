"""Waiting as asked: a server's Retry-After (within a cap) for feeds and pages, and failed entries' own back-off."""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import AsyncIterator

import pytest

from bot.domain.festivals import FestivalTable
from bot.sources.feeds.feed_list import add_feed, list_feeds
from bot.sources.feeds.guard import FetchPolicy
from bot.sources.feeds.http import FetchLimits, parse_retry_after
from bot.sources.feeds.poller import FeedPoller
from bot.storage import feeds as feedstore
from bot.storage.store import Store
from tests.feedsite import FeedSite, FeedSpec, Item

LIMITS = FetchLimits(timeout=2.0)
CAP = LIMITS.max_retry_after  # six hours


class Clock:
    """The poller's time, moved by the test: back-offs of minutes and hours without waiting for them."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    async with FeedSite() as served:
        yield served


def http_date(seconds_from_now: float) -> str:
    return email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds_from_now), usegmt=True)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3600", 3600.0),
        (" 120 ", 120.0),
        ("604800", CAP),  # a week: capped
        ("9" * 40, CAP),
        ("0", 0.0),
        ("soon", None),  # neither form: the caller's own back-off applies
        ("-5", None),
        ("", None),
        (None, None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # a date in the past: now
    ],
)
def test_retry_after_is_read_in_both_forms_within_the_cap(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, cap=CAP) == expected


def test_retry_after_as_an_http_date() -> None:
    now = dt.datetime(2026, 2, 1, 12, 0, tzinfo=dt.UTC)
    assert parse_retry_after("Sun, 01 Feb 2026 14:00:00 GMT", cap=CAP, now=now) == 7200.0
    assert parse_retry_after("Mon, 02 Feb 2026 12:00:00 GMT", cap=CAP, now=now) == CAP


#: Stands for an HTTP-date two hours ahead, written when the test runs: collection may come minutes before
#: (the suite runs each store test on both engines, and a loaded machine is slow).
TWO_HOURS_AHEAD = "an HTTP-date two hours ahead"


@pytest.mark.parametrize(
    ("header", "low", "high"),
    [
        ("3600", 3600, 3600),
        (TWO_HOURS_AHEAD, 7000, 7200),  # a little less than two hours by the time it is read
        ("604800", CAP, CAP),
        ("soon", 10, 10),  # unreadable: the feed's own back-off (its interval, on a first failure)
        ("1", 10, 10),  # shorter than the back-off: the back-off
    ],
)
async def test_a_busy_feed_is_not_polled_again_before_its_retry_after(
    site: FeedSite,
    store: Store,
    festivals: FestivalTable,
    fetch_policy: FetchPolicy,
    header: str,
    low: float,
    high: float,
) -> None:
    site.retry_after = http_date(7200) if header == TWO_HOURS_AHEAD else header
    feed = await add_feed(store, site.url("/feeds/busy.xml"), interval=10, min_interval=1)
    async with FeedPoller(store, table=festivals, limits=LIMITS, policy=fetch_policy, max_backoff=25) as poller:
        await poller.poll_feed(feed.id)
    state = (await list_feeds(store))[0]
    assert state.last_error == "HTTP 429 Too Many Requests"
    assert state.next_poll_at is not None and state.last_fetch_at is not None
    assert low <= (state.next_poll_at - state.last_fetch_at).total_seconds() <= high


async def test_a_busy_entry_page_waits_for_its_retry_after(
    site: FeedSite, store: Store, festivals: FestivalTable, fetch_policy: FetchPolicy
) -> None:
    site.retry_after = "3600"
    site.feeds["reviews"] = FeedSpec(items=[Item("Busy", "/pages/busy", guid="busy")])
    feed = await add_feed(store, site.url("/feeds/reviews.xml"))
    clock = Clock()
    async with FeedPoller(
        store, table=festivals, limits=LIMITS, policy=fetch_policy, clock=clock, entry_retry_delay=60
    ) as poller:
        assert [o.status for o in await poller.poll_feed(feed.id)] == ["failed"]
        (entry,) = await feedstore.entries(store, feed.id)
        assert entry.retry_at == pytest.approx((clock.now + dt.timedelta(hours=1)).timestamp())
        for _ in range(3):
            clock.advance(15 * 60)  # three polls within the hour: the page is left alone
            await poller.poll_feed(feed.id)
        assert site.requests["/pages/busy"] == 1
        clock.advance(16 * 60)
        await poller.poll_feed(feed.id)
    assert site.requests["/pages/busy"] == 2


async def test_failed_entries_back_off_on_their_own_a_few_per_poll(
    site: FeedSite, store: Store, festivals: FestivalTable, fetch_policy: FetchPolicy
) -> None:
    site.feeds["reviews"] = FeedSpec(
        items=[Item(f"Down {n}", f"/pages/error500?n={n}", guid=f"e{n}") for n in range(4)]
    )
    feed = await add_feed(store, site.url("/feeds/reviews.xml"))
    clock = Clock()
    start = clock.now
    requests = []
    async with FeedPoller(
        store,
        table=festivals,
        limits=LIMITS,
        policy=fetch_policy,
        clock=clock,
        entry_retry_delay=60,
        max_retries_per_poll=2,
        max_entry_attempts=9,
    ) as poller:
        for at in (0, 30, 61, 62, 100, 200, 201, 202):
            clock.now = start + dt.timedelta(seconds=at)
            await poller.poll_feed(feed.id)  # after the first, the feed answers 304: only retries fetch pages
            requests.append(site.requests["/pages/error500"])
    # 4 new; none due at 30 s; from 61 s two a poll; each then waits twice as long (120 s, then 240 s).
    assert requests == [4, 4, 6, 8, 8, 10, 12, 12]
    waits = sorted(round((e.retry_at or 0) - start.timestamp()) for e in await feedstore.entries(store, feed.id))
    assert waits == [200 + 240, 200 + 240, 201 + 240, 201 + 240]
