"""Feeds against a local trade site (tests/feedsite.py): polling, 304s, dedupe, first-fetch rule, bad input."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.domain.festivals import FestivalTable
from bot.search.searcher import Searcher
from bot.sources.feeds.entries import parse_feed
from bot.sources.feeds.feed_list import FeedError, add_feed, list_feeds, remove_feed
from bot.sources.feeds.guard import FetchPolicy
from bot.sources.feeds.http import FetchError, FetchLimits
from bot.sources.feeds.pages import ingest_url
from bot.sources.feeds.poller import FeedPoller
from bot.storage import feeds as feedstore
from bot.storage.store import Store, open_store
from tests.feedsite import FeedSite, FeedSpec, Item

LIMITS = FetchLimits(timeout=0.5, max_bytes=5_000_000, max_redirects=5)
WAIT = 5.0


def ago(**delta: float) -> dt.datetime:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(**delta)).replace(microsecond=0)


class IngestSpy:
    """Wraps the real Store.ingest to see every call and the ``announce`` it was given."""

    def __init__(self, store: Store) -> None:
        self.calls: list[tuple[str, bool, str]] = []
        self.ingested = asyncio.Event()
        original = store.ingest

        async def ingest(review: Any, **kwargs: Any) -> Any:
            result = await original(review, **kwargs)
            self.calls.append((review.title, kwargs.get("announce", True), result.status))
            self.ingested.set()
            return result

        store.ingest = ingest  # type: ignore[method-assign]

    def announce_of(self, title: str) -> bool:
        return next(announce for t, announce, _ in self.calls if t == title)


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    async with FeedSite(slow_seconds=5.0) as served:
        yield served


@pytest.fixture
async def poller(store: Store, festivals: FestivalTable, fetch_policy: FetchPolicy) -> AsyncIterator[FeedPoller]:
    async with FeedPoller(store, table=festivals, limits=LIMITS, policy=fetch_policy) as opened:
        yield opened


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = WAIT) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.02)


def warnings_about(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("bot.sources.feeds.") and r.levelno >= logging.WARNING and text in r.getMessage()
    ]


# --- managing feeds ---------------------------------------------------------------------------------


async def test_add_list_and_remove_feeds(store: Store) -> None:
    first = await add_feed(store, "https://trade.example/feeds/reviews.xml", festival="Berlinale 2024", interval=120)
    second = await add_feed(store, "https://trade.example/feeds/cannes.xml")
    with pytest.raises(FeedError, match="already subscribed"):
        await add_feed(store, "https://trade.example/feeds/reviews.xml")
    with pytest.raises(FeedError, match="http"):
        await add_feed(store, "ftp://trade.example/feed")
    with pytest.raises(FeedError, match="interval"):
        await add_feed(store, "https://trade.example/other.xml", interval=0)

    listed = await list_feeds(store)
    assert [(f.id, f.url, f.festival, f.interval_seconds) for f in listed] == [
        (first.id, "https://trade.example/feeds/reviews.xml", "Berlinale 2024", 120.0),
        (second.id, "https://trade.example/feeds/cannes.xml", None, 300.0),
    ]
    assert "not fetched yet" in listed[0].line() and "[Berlinale 2024]" in listed[0].line()

    assert await remove_feed(store, str(first.id))
    assert await remove_feed(store, "https://trade.example/feeds/cannes.xml")
    assert not await remove_feed(store, 999)
    assert await list_feeds(store) == []


# --- the good path ----------------------------------------------------------------------------------


async def test_rss_entry_is_ingested_with_front_matter_from_the_entry_and_page(
    site: FeedSite, store: Store, poller: FeedPoller
) -> None:
    published = ago(hours=2)
    site.feeds["reviews"] = FeedSpec(
        items=[Item("Salt Lanterns", "/articles/salt-lanterns?utm_source=rss", guid="tw-1", published=published)]
    )
    feed = await add_feed(store, site.url("/feeds/reviews.xml"), festival="Berlinale 2024")
    spy = IngestSpy(store)

    outcomes = await poller.poll_feed(feed.id)

    assert [o.status for o in outcomes] == ["added"]
    stored = await store.get(outcomes[0].review_id or 0)
    assert stored is not None
    review = stored.review
    canonical = site.url("/reviews/salt-lanterns-review")
    assert review.url == canonical and stored.source == canonical
    assert review.published_at == published
    assert review.reviewer == "Orla Finnerty"
    assert review.festival is not None and review.festival.name == "Berlinale"
    assert review.festival_year == 2024
    assert review.sales[0].emails == ["sales@tidemark.example"]  # decoded from data-cfemail
    assert spy.calls == [("Salt Lanterns", True, "added")]
    hits = await Searcher(store).search("salt lanterns")
    assert hits and hits[0].title == "Salt Lanterns"
    state = (await list_feeds(store))[0]
    assert (state.last_status, state.last_error, state.entries_seen, state.entries_stored) == ("200", None, 1, 1)
    assert state.next_poll_at is not None and state.last_fetch_at is not None
    assert (state.next_poll_at - state.last_fetch_at).total_seconds() == pytest.approx(300)


async def test_second_poll_is_conditional_and_304_brings_nothing_new(
    site: FeedSite, store: Store, poller: FeedPoller
) -> None:
    site.feeds["reviews"] = FeedSpec(items=[Item("Salt Lanterns", "/articles/salt-lanterns", guid="tw-1")])
    feed = await add_feed(store, site.url("/feeds/reviews.xml"))
    spy = IngestSpy(store)

    await poller.poll_feed(feed.id)
    again = await poller.poll_feed(feed.id)

    assert again == []
    assert site.requests["/feeds/reviews.xml"] == 2
    assert site.not_modified["/feeds/reviews.xml"] == 1
    assert site.request_headers["/feeds/reviews.xml"].get("If-None-Match")
    assert site.requests["/articles/salt-lanterns"] == 1
    assert len(spy.calls) == 1
    assert (await list_feeds(store))[0].last_status == "304"


async def test_atom_feed_with_last_modified(site: FeedSite, store: Store, poller: FeedPoller) -> None:
    site.feeds["atom"] = FeedSpec(
        kind="atom",
        validators="last-modified",
        items=[Item("The Tin Crown", "/articles/tin-crown", guid="urn:tw:tin-crown", author="Femi Adeyemi")],
    )
    feed = await add_feed(store, site.url("/feeds/atom.xml"))

    first = await poller.poll_feed(feed.id)
    second = await poller.poll_feed(feed.id)

    assert [o.status for o in first] == ["added"] and second == []
    assert site.request_headers["/feeds/atom.xml"].get("If-Modified-Since")
    assert site.not_modified["/feeds/atom.xml"] == 1
    stored = await store.get(first[0].review_id or 0)
    assert stored is not None and stored.review.reviewer == "Femi Adeyemi"
    assert stored.review.url == site.url("/reviews/the-tin-crown")


# --- dedupe ----------------------------------------------------------------------------------------


async def test_entries_are_not_ingested_again_after_a_restart(
    site: FeedSite, database: Path | str, festivals: FestivalTable, fetch_policy: FetchPolicy
) -> None:
    site.feeds["reviews"] = FeedSpec(
        items=[
            Item("Salt Lanterns", "/articles/salt-lanterns", guid="tw-1"),
            Item("The Copper Hymnal", "/articles/copper-hymnal", guid="tw-2"),
        ]
    )
    db = database
    async with (
        open_store(db) as store,
        FeedPoller(store, table=festivals, limits=LIMITS, policy=fetch_policy) as poller,
    ):
        feed = await add_feed(store, site.url("/feeds/reviews.xml"))
        assert [o.status for o in await poller.poll_feed(feed.id)] == ["added", "added"]

    site.feeds["reviews"].items[0].summary = "A new teaser: the feed body and its ETag change."
    async with (
        open_store(db) as store,
        FeedPoller(store, table=festivals, limits=LIMITS, policy=fetch_policy) as poller,
    ):
        spy = IngestSpy(store)
        assert await poller.poll_feed(feed.id) == []
        assert spy.calls == []
        assert await store.count() == 2
    assert site.not_modified["/feeds/reviews.xml"] == 0  # a full 200 was read, and still nothing new
    assert site.requests["/articles/salt-lanterns"] == 1
    assert site.requests["/articles/copper-hymnal"] == 1


async def test_a_bumped_guid_or_date_or_a_second_url_does_not_repost(
    site: FeedSite, store: Store, poller: FeedPoller
) -> None:
    items = [
        Item("Salt Lanterns", "/articles/salt-lanterns", guid="tw-1", published=ago(hours=5)),
        Item("Winter Apiary", "/articles/winter-apiary", guid="tw-2", published=ago(hours=4)),
    ]
    site.feeds["reviews"] = FeedSpec(items=items)
    site.aliases["winter-apiary-2"] = "winter-apiary"  # same text, no canonical link on that page
    feed = await add_feed(store, site.url("/feeds/reviews.xml"))
    await poller.poll_feed(feed.id)
    spy = IngestSpy(store)

    # The publisher bumps the date and the GUID of both entries, same links.
    items[0].guid, items[0].published = "tw-1-rev2", ago(minutes=1)
    items[1].guid, items[1].published = "tw-2-rev2", ago(minutes=1)
    assert await poller.poll_feed(feed.id) == []
    assert site.requests["/articles/salt-lanterns"] == 1  # not even refetched

    # New GUIDs and new URLs: one page declares the same canonical URL, the other has the same text.
    items[0].guid, items[0].link = "tw-1-rev3", "/articles/salt-lanterns?ref=homepage"
    items[1].guid, items[1].link = "tw-2-rev3", "/articles/winter-apiary-2"
    outcomes = await poller.poll_feed(feed.id)

    assert [o.status for o in outcomes] == ["duplicate", "duplicate"]
    assert spy.calls == []
    assert await store.count() == 2
    # ... and the aliases are remembered, so the next poll does not fetch those pages again.
    items[0].summary = "changed teaser, new ETag"
    assert await poller.poll_feed(feed.id) == []
    assert site.requests["/articles/winter-apiary-2"] == 1


async def test_on_first_fetch_old_entries_are_stored_but_not_announced(
    site: FeedSite, store: Store, poller: FeedPoller
) -> None:
    items = [
        Item("Salt Lanterns", "/articles/salt-lanterns", guid="old", published=ago(days=10)),
        Item("The Copper Hymnal", "/articles/copper-hymnal", guid="new", published=ago(hours=1)),
    ]
    site.feeds["reviews"] = FeedSpec(items=items)
    feed = await add_feed(store, site.url("/feeds/reviews.xml"))
    spy = IngestSpy(store)

    await poller.poll_feed(feed.id)
    items.append(Item("Winter Apiary", "/articles/winter-apiary", guid="later", published=ago(minutes=5)))
    await poller.poll_feed(feed.id)

    assert spy.announce_of("Salt Lanterns") is False
    assert spy.announce_of("The Copper Hymnal") is True
    assert spy.announce_of("Winter Apiary") is True
    assert await store.count() == 3
    flags = {e.entry_key: e.announce for e in await feedstore.entries(store, feed.id)}
    assert flags == {"old": False, "new": True, "later": True}


async def test_a_large_backlog_is_worked_through_over_several_polls(
    site: FeedSite, store: Store, festivals: FestivalTable, fetch_policy: FetchPolicy
) -> None:
    site.feeds["reviews"] = FeedSpec(
        items=[
            Item("Salt Lanterns", "/articles/salt-lanterns", guid="a", published=ago(hours=3)),
            Item("The Copper Hymnal", "/articles/copper-hymnal", guid="b", published=ago(hours=2)),
            Item("Winter Apiary", "/articles/winter-apiary", guid="c", published=ago(hours=1)),
        ]
    )
    feed = await add_feed(store, site.url("/feeds/reviews.xml"))
    async with FeedPoller(store, table=festivals, limits=LIMITS, max_entries_per_poll=2, policy=fetch_policy) as poller:
        first = await poller.poll_feed(feed.id)
        second = await poller.poll_feed(feed.id)
    assert [o.title for o in first] == ["Salt Lanterns", "The Copper Hymnal"]  # oldest first
    assert [o.title for o in second] == ["Winter Apiary"]  # validators were not kept: no 304 hid it
    assert site.not_modified["/feeds/reviews.xml"] == 0


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/feeds/broken.xml", "not well-formed XML"),
        ("/feeds/error500.xml", "HTTP 500"),
        ("/feeds/slow.xml", "timed out after 0.5 s"),
        ("/feeds/huge.xml", "larger than 5,000,000 bytes"),
        ("/feeds/loop.xml", "too many redirects"),
        ("/feeds/image.png", "not a feed (content type image/png)"),
    ],
)
async def test_a_broken_feed_is_logged_once_recorded_and_backed_off(
    site: FeedSite,
    store: Store,
    festivals: FestivalTable,
    caplog: pytest.LogCaptureFixture,
    path: str,
    reason: str,
    fetch_policy: FetchPolicy,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.sources.feeds")
    feed = await add_feed(store, site.url(path), interval=10, min_interval=0.1)
    delays = []
    async with FeedPoller(store, table=festivals, limits=LIMITS, max_backoff=25, policy=fetch_policy) as poller:
        for _ in range(3):
            assert await poller.poll_feed(feed.id) == []
            state = (await list_feeds(store))[0]
            assert state.next_poll_at is not None and state.last_fetch_at is not None
            delays.append((state.next_poll_at - state.last_fetch_at).total_seconds())
    assert state.last_error is not None and reason in state.last_error
    assert state.error_count == 3 and state.last_status == "error"
    assert f"error: {state.last_error}" in state.line()
    assert delays == [10, 20, 25]  # exponential, capped
    logged = warnings_about(caplog, site.url(path))
    assert len(logged) == 1 and reason in logged[0]
    if path == "/feeds/huge.xml":
        assert site.bytes_sent[path] < 20_000_000  # the client hung up early, it did not read 50 MB


async def test_a_feed_logs_again_when_the_reason_changes_or_after_recovery(
    site: FeedSite, store: Store, poller: FeedPoller, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.sources.feeds")
    spec = FeedSpec(items=[Item("Salt Lanterns", "/articles/salt-lanterns", guid="tw-1")], fault="500")
    site.feeds["reviews"] = spec
    feed = await add_feed(store, site.url("/feeds/reviews.xml"), interval=10, min_interval=0.1)
    url = site.url("/feeds/reviews.xml")

    await poller.poll_feed(feed.id)
    await poller.poll_feed(feed.id)
    assert len(warnings_about(caplog, url)) == 1
    spec.fault = "invalid-xml"
    await poller.poll_feed(feed.id)
    assert len(warnings_about(caplog, url)) == 2  # new reason
    spec.fault = None
    outcomes = await poller.poll_feed(feed.id)
    assert [o.status for o in outcomes] == ["added"]
    state = (await list_feeds(store))[0]
    assert (state.last_error, state.error_count) == (None, 0)
    assert (state.next_poll_at - state.last_fetch_at).total_seconds() == 10  # type: ignore[operator]
    assert any("fetched again" in r.getMessage() for r in caplog.records)
    spec.fault = "500"
    await poller.poll_feed(feed.id)
    assert len(warnings_about(caplog, url)) == 3  # failing again after a recovery is news


async def test_bad_entries_are_recorded_once_retried_only_when_it_helps_and_never_block_the_good_one(
    site: FeedSite, store: Store, festivals: FestivalTable, caplog: pytest.LogCaptureFixture, fetch_policy: FetchPolicy
) -> None:
    caplog.set_level(logging.INFO, logger="bot.sources.feeds")
    site.feeds["mixed"] = FeedSpec(
        items=[
            Item("No link at all", None, guid="nolink"),
            Item("A PDF", "/pages/report.pdf", guid="pdf"),
            Item("A picture", "/pages/photo.png", guid="png"),
            Item("50 MB", "/pages/huge", guid="huge"),
            Item("50 MB declared", "/pages/huge-declared", guid="huge-declared"),
            Item("Server error", "/pages/error500", guid="500"),
            Item("Too slow", "/pages/slow", guid="slow"),
            Item("Redirect loop", "/pages/loop", guid="loop"),
            Item("Market report", "/articles/market-report", guid="news"),
            Item("Salt Lanterns", "/articles/salt-lanterns", guid="good"),
        ]
    )
    feed = await add_feed(store, site.url("/feeds/mixed.xml"))
    async with FeedPoller(
        store, table=festivals, limits=LIMITS, max_entry_attempts=3, entry_retry_delay=0, policy=fetch_policy
    ) as poller:
        first = {o.url.rsplit("/", 1)[-1]: o for o in await poller.poll_feed(feed.id)}
        statuses = {e.entry_key: (e.status, e.reason) for e in await feedstore.entries(store, feed.id)}
        assert statuses["good"][0] == "added"
        assert first["salt-lanterns-review"].status == "added"
        expected_rejected = {
            "nolink": "entry has no link",
            "pdf": "not an HTML page (content type application/pdf)",
            "png": "not an HTML page (content type image/png)",
            "huge": "larger than 5,000,000 bytes",
            "huge-declared": "larger than 5,000,000 bytes",
            "news": "not a review: no header line",
        }
        for key, reason in expected_rejected.items():
            assert statuses[key][0] == "rejected" and reason in (statuses[key][1] or ""), key
        assert statuses["500"] == ("failed", "HTTP 500 Internal Server Error")
        assert statuses["slow"] == ("failed", "timed out after 0.5 s")
        assert statuses["loop"][0] == "failed" and "redirects" in (statuses["loop"][1] or "")

        state = (await list_feeds(store))[0]
        assert state.last_error is None  # the feed itself is fine
        assert (state.entries_seen, state.entries_stored, state.entries_rejected, state.entries_failed) == (
            10,
            1,
            6,
            3,
        )
        assert state.last_entry_error and "last entry problem" in state.line()
        logged_once = len(warnings_about(caplog, "entry"))
        assert logged_once == 9

        await poller.poll_feed(feed.id)  # a 304: only the retryable ones are fetched again
        assert site.not_modified["/feeds/mixed.xml"] == 1
        assert site.requests["/pages/report.pdf"] == 1
        assert site.requests["/articles/market-report"] == 1
        assert site.requests["/pages/huge"] == 1
        assert site.requests["/pages/error500"] == 2
        assert len(warnings_about(caplog, "entry")) == logged_once  # same reasons: not logged again

        await poller.poll_feed(feed.id)  # third attempt: give up on them
        await poller.poll_feed(feed.id)
        assert site.requests["/pages/error500"] == 3
    statuses = {e.entry_key: (e.status, e.reason) for e in await feedstore.entries(store, feed.id)}
    assert statuses["500"][0] == "rejected" and "gave up after 3 attempts" in (statuses["500"][1] or "")
    assert await store.count() == 1


async def test_an_unexpected_error_on_one_entry_is_isolated_and_the_entry_tried_again(
    site: FeedSite, store: Store, poller: FeedPoller, caplog: pytest.LogCaptureFixture
) -> None:
    site.feeds["reviews"] = FeedSpec(
        items=[
            Item("Salt Lanterns", "/articles/salt-lanterns", guid="a", published=ago(hours=2)),
            Item("The Copper Hymnal", "/articles/copper-hymnal", guid="b", published=ago(hours=1)),
        ]
    )
    feed = await add_feed(store, site.url("/feeds/reviews.xml"))
    original = store.ingest
    broken = {"Salt Lanterns"}

    async def flaky_ingest(review: Any, **kwargs: Any) -> Any:
        if review.title in broken:
            broken.clear()
            raise RuntimeError("disk on fire")
        return await original(review, **kwargs)

    store.ingest = flaky_ingest  # type: ignore[method-assign]
    first = await poller.poll_feed(feed.id)
    second = await poller.poll_feed(feed.id)

    assert [o.status for o in first] == ["error", "added"]
    assert "disk on fire" in (first[0].reason or "")
    assert any(r.exc_info for r in caplog.records if "failed unexpectedly" in r.getMessage())
    assert [(o.title, o.status) for o in second] == [("Salt Lanterns", "added")]
    assert site.not_modified["/feeds/reviews.xml"] == 0  # validators were not kept after the crash


def test_parse_feed_refuses_what_is_not_a_feed() -> None:
    with pytest.raises(FetchError, match="not well-formed XML"):
        parse_feed(b"<rss version='2.0'><channel><item><title>A & B</title>", url="http://x/feed")
    with pytest.raises(FetchError, match="not an RSS or Atom feed"):
        parse_feed(b"<html><body><p>Hello</p></body></html>", url="http://x/feed")


# --- scheduling ------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def running(poller: FeedPoller) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(poller.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_slow_feed_does_not_delay_a_good_one(
    site: FeedSite, store: Store, festivals: FestivalTable, fetch_policy: FetchPolicy
) -> None:
    site.feeds["reviews"] = FeedSpec(items=[Item("Salt Lanterns", "/articles/salt-lanterns", guid="tw-1")])
    await add_feed(store, site.url("/feeds/slow.xml"))  # first in line, and it hangs for 5 s
    await add_feed(store, site.url("/feeds/reviews.xml"))
    spy = IngestSpy(store)
    limits = FetchLimits(timeout=4.0)
    poller = FeedPoller(store, table=festivals, limits=limits, policy=fetch_policy)
    started = time.monotonic()
    async with running(poller):
        async with asyncio.timeout(3.0):
            await spy.ingested.wait()
        elapsed = time.monotonic() - started
        still_hanging = site.inflight["/feeds/slow.xml"]
    assert spy.calls == [("Salt Lanterns", True, "added")]
    assert still_hanging == 1, "the slow feed's request should still be open"
    assert elapsed < 2.0, f"the good feed waited {elapsed:.2f} s"


async def test_run_keeps_polling_good_feeds_while_broken_ones_fail_and_follows_added_and_removed_feeds(
    site: FeedSite, store: Store, festivals: FestivalTable, fetch_policy: FetchPolicy
) -> None:
    items = [Item("Salt Lanterns", "/articles/salt-lanterns", guid="tw-1")]
    site.feeds["reviews"] = FeedSpec(items=items)
    for path in ("/feeds/broken.xml", "/feeds/error500.xml", "/feeds/image.png", "/feeds/loop.xml"):
        await add_feed(store, site.url(path), interval=0.2, min_interval=0.1)
    spy = IngestSpy(store)
    poller = FeedPoller(store, table=festivals, limits=LIMITS, reload_interval=5.0, policy=fetch_policy)
    async with running(poller):
        good = await add_feed(store, site.url("/feeds/reviews.xml"), interval=0.2, min_interval=0.1)
        poller.wake()  # added while running
        await eventually(lambda: _count(spy, 1))
        items.append(Item("The Copper Hymnal", "/articles/copper-hymnal", guid="tw-2"))
        await eventually(lambda: _count(spy, 2))  # picked up on its own interval
        assert await remove_feed(store, good.id)
        poller.wake()
        await eventually(lambda: _not_polled(poller, good.id))
        requests_after_removal = site.requests["/feeds/reviews.xml"]
        await asyncio.sleep(0.5)
    assert site.requests["/feeds/reviews.xml"] == requests_after_removal
    assert site.requests["/feeds/error500.xml"] >= 2  # broken feeds were retried, with back-off
    assert [title for title, _, _ in spy.calls] == ["Salt Lanterns", "The Copper Hymnal"]


async def _count(spy: IngestSpy, n: int) -> bool:
    return len(spy.calls) >= n


async def _not_polled(poller: FeedPoller, feed_id: int) -> bool:
    return feed_id not in poller._tasks


# --- one URL ----------------------------------------------------------------------------------------


async def test_ingest_url_stores_one_page_and_remembers_it_for_the_feeds(
    site: FeedSite, store: Store, festivals: FestivalTable, poller: FeedPoller, fetch_policy: FetchPolicy
) -> None:
    spy = IngestSpy(store)
    first = await ingest_url(
        store, site.url("/articles/salt-lanterns"), table=festivals, festival="Berlinale 2024", policy=fetch_policy
    )
    again = await ingest_url(
        store, site.url("/articles/salt-lanterns"), table=festivals, festival="Berlinale 2024", policy=fetch_policy
    )
    assert (first.status, first.announce) == ("added", True)
    assert (again.status, again.announce) == ("unchanged", False)
    stored = await store.get(first.review_id or 0)
    assert stored is not None and stored.review.published_at == dt.datetime(2024, 2, 17, 9, 30, tzinfo=dt.UTC)
    assert stored.review.reviewer == "Orla Finnerty"

    site.feeds["reviews"] = FeedSpec(items=[Item("Salt Lanterns", "/articles/salt-lanterns", guid="tw-9")])
    feed = await add_feed(store, site.url("/feeds/reviews.xml"))
    # The feed's entry is the page already ingested: remembered as its duplicate, not fetched or stored again.
    outcomes = await poller.poll_feed(feed.id)
    assert [(o.status, o.review_id) for o in outcomes] == [("duplicate", first.review_id)]
    assert site.requests["/articles/salt-lanterns"] == 2
    assert len(spy.calls) == 2


@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [
        ("/pages/report.pdf", "rejected", "not an HTML page"),
        ("/articles/market-report", "rejected", "not a review"),
        ("/pages/error500", "failed", "HTTP 500"),
        ("/pages/huge", "rejected", "larger than"),
    ],
)
async def test_ingest_url_reports_bad_pages(
    site: FeedSite,
    store: Store,
    festivals: FestivalTable,
    path: str,
    status: str,
    reason: str,
    fetch_policy: FetchPolicy,
) -> None:
    outcome = await ingest_url(store, site.url(path), table=festivals, limits=LIMITS, policy=fetch_policy)
    assert outcome.status == status
    assert outcome.reason and reason in outcome.reason
    assert reason in outcome.line()
    assert await store.count() == 0


async def test_a_failed_read_of_the_feed_list_is_logged_and_the_poller_goes_on(
    store: Store, poller: FeedPoller, caplog: pytest.LogCaptureFixture
) -> None:
    """Either engine's error (here the table is gone) costs one reload, never the poller."""
    await store.write(lambda conn: conn.execute("ALTER TABLE feeds RENAME TO feeds_gone"))
    task = asyncio.create_task(poller.run())
    try:

        async def logged() -> bool:
            return any("cannot read the list of feeds" in r.getMessage() for r in caplog.records)

        await eventually(logged)
        assert not task.done()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
