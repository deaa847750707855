"""Feeds belong to a server: seen, removed and announced there alone; the operator's feeds reach everyone."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.festivals import FestivalTable
from bot.sources.feeds.feed_list import FeedError, add_feed, list_feeds, remove_feed
from bot.sources.feeds.guard import FetchPolicy
from bot.sources.feeds.http import FetchLimits
from bot.sources.feeds.poller import FeedPoller
from bot.storage.ledger import Ledger
from bot.storage.migrations import migrations
from bot.storage.store import Store, open_store
from tests.feedsite import FeedSite, FeedSpec, Item

LIMITS = FetchLimits(timeout=2.0)
ONE, TWO = 1001, 2002  # two servers
URL = "https://trade.example/feeds/reviews.xml"


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    async with FeedSite() as served:
        yield served


async def subscribe_both(store: Store) -> Ledger:
    """One channel in each server, subscribed to every festival."""
    ledger = Ledger(store)
    await ledger.subscribe(guild_id=ONE, channel_id=11, festival=None)
    await ledger.subscribe(guild_id=TWO, channel_id=22, festival=None)
    return ledger


async def delivered(ledger: Ledger) -> dict[int, list[int]]:
    """Channel -> the reviews queued for it, one entry per delivery."""
    found: dict[int, list[int]] = {}
    for guild in (ONE, TWO):
        for record in await ledger.log(guild, limit=100):
            found.setdefault(record.channel_id, []).append(record.review_id)
    return {channel: sorted(reviews) for channel, reviews in sorted(found.items())}


async def test_a_server_sees_and_removes_only_its_own_feeds_and_the_operator_sees_all(store: Store) -> None:
    ones = await add_feed(store, URL, guild_id=ONE)
    twos = await add_feed(store, URL, guild_id=TWO)  # the same URL, another server's own feed
    operators = await add_feed(store, URL)
    with pytest.raises(FeedError, match="already subscribed"):
        await add_feed(store, URL, guild_id=ONE)

    assert [f.id for f in await list_feeds(store, guild_id=ONE)] == [ones.id]
    assert [f.id for f in await list_feeds(store)] == [ones.id, twos.id, operators.id]
    assert [f.line(owner=True).split(" | ")[0] for f in await list_feeds(store)] == [
        f"#{ones.id} {URL} (server {ONE})",
        f"#{twos.id} {URL} (server {TWO})",
        f"#{operators.id} {URL} (operator)",
    ]

    # Server one can name server two's feed by number or by URL: it is not one's to remove.
    assert not await remove_feed(store, str(twos.id), guild_id=ONE)
    assert not await remove_feed(store, operators.id, guild_id=ONE)
    assert await remove_feed(store, URL, guild_id=ONE)
    assert [f.id for f in await list_feeds(store)] == [twos.id, operators.id]
    # The operator removes any feed, but a URL two owners share must be named by number.
    with pytest.raises(FeedError, match=rf"2 feeds read {URL} \(#{twos.id}, #{operators.id}\)"):
        await remove_feed(store, URL)
    assert await remove_feed(store, twos.id)
    assert [f.id for f in await list_feeds(store)] == [operators.id]


@pytest.mark.parametrize(("owner", "told"), [(ONE, [11]), (TWO, [22]), (None, [11, 22])])
async def test_a_feeds_new_review_is_announced_to_its_owners_subscriptions_only(
    site: FeedSite,
    store: Store,
    festivals: FestivalTable,
    fetch_policy: FetchPolicy,
    owner: int | None,
    told: list[int],
) -> None:
    ledger = await subscribe_both(store)
    site.feeds["reviews"] = FeedSpec(items=[Item("Salt Lanterns", "/articles/salt-lanterns", guid="tw-1")])
    feed = await add_feed(store, site.url("/feeds/reviews.xml"), guild_id=owner)
    async with FeedPoller(store, table=festivals, limits=LIMITS, policy=fetch_policy) as poller:
        (outcome,) = await poller.poll_feed(feed.id)
    assert outcome.status == "added"
    assert await delivered(ledger) == {channel: [outcome.review_id] for channel in told}
    # Reviews themselves stay shared: the store holds one, whoever's feed brought it.
    assert await store.count() == 1


@pytest.mark.parametrize(
    "owners",
    [
        (ONE, None, TWO),  # a server's feed first, then the operator's, then the other server's
        (None, ONE, TWO),  # the operator's first: nothing more to tell anyone
        (ONE, TWO, None),
        (ONE, ONE),  # two feeds of one server (say, a publisher's "all" and "Berlinale" feeds)
    ],
)
async def test_a_review_from_several_feeds_reaches_every_entitled_channel_exactly_once(
    site: FeedSite,
    store: Store,
    festivals: FestivalTable,
    fetch_policy: FetchPolicy,
    owners: tuple[int | None, ...],
) -> None:
    ledger = await subscribe_both(store)
    feeds = []
    for n, owner in enumerate(owners):
        site.feeds[f"f{n}"] = FeedSpec(items=[Item("Salt Lanterns", "/articles/salt-lanterns", guid=f"feed{n}-1")])
        feeds.append(await add_feed(store, site.url(f"/feeds/f{n}.xml"), guild_id=owner))
    statuses = []
    async with FeedPoller(store, table=festivals, limits=LIMITS, policy=fetch_policy) as poller:
        for feed in feeds:
            statuses += [o.status for o in await poller.poll_feed(feed.id)]
            await poller.poll_feed(feed.id)  # and polling again changes nothing

    assert statuses == ["added"] + ["duplicate"] * (len(owners) - 1)
    assert site.requests["/articles/salt-lanterns"] == 1  # the page is fetched once, whoever's feed it is in
    channels = {ONE: 11, TWO: 22}
    entitled = sorted({channel for owner in owners for channel in ([11, 22] if owner is None else [channels[owner]])})
    review_id = (await ledger.log(ONE, limit=1) or await ledger.log(TWO, limit=1))[0].review_id
    assert await delivered(ledger) == {channel: [review_id] for channel in entitled}


async def test_a_servers_back_catalogue_is_not_announced_through_a_duplicate(
    site: FeedSite, store: Store, festivals: FestivalTable, fetch_policy: FetchPolicy
) -> None:
    """The first-fetch rule holds for duplicates too: a new server's feed does not announce old reviews."""
    import datetime as dt

    ledger = await subscribe_both(store)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    for name in ("a", "b"):
        site.feeds[name] = FeedSpec(items=[Item("Salt Lanterns", "/articles/salt-lanterns", guid=name, published=old)])
    first = await add_feed(store, site.url("/feeds/a.xml"), guild_id=ONE)
    second = await add_feed(store, site.url("/feeds/b.xml"), guild_id=TWO)
    async with FeedPoller(store, table=festivals, limits=LIMITS, policy=fetch_policy) as poller:
        await poller.poll_feed(first.id)
        assert [o.status for o in await poller.poll_feed(second.id)] == ["duplicate"]
    assert await delivered(ledger) == {}


Subscriptions = list[tuple[int, int, str | None]]  # guild, channel, festival (None: all)
Feeds = list[tuple[str, str | None, float]]  # URL, festival, interval


def v004_database(path: Path, subscriptions: Subscriptions, feeds: Feeds) -> None:
    """A database as the last release left it (migrations up to V004), with these subscriptions and feeds."""
    conn = sqlite3.connect(path, isolation_level=None)
    for version, _, sql in migrations():
        if version <= 4:
            conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
    now = "2026-02-01T00:00:00+00:00"
    for guild, channel, festival in subscriptions:
        conn.execute(
            "INSERT INTO subscriptions(guild_id, channel_id, festival, created_at) VALUES (?, ?, ?, ?)",
            (guild, channel, festival, now),
        )
    for url, festival, interval in feeds:
        conn.execute(
            "INSERT INTO feeds(url, festival, interval_seconds, added_at) VALUES (?, ?, ?, ?)",
            (url, festival, interval, now),
        )
        conn.execute(
            "INSERT INTO feed_entries(feed_id, entry_key, url, status, first_seen_at, updated_at)"
            " VALUES (last_insert_rowid(), 'tw-1', ?, 'failed', ?, ?)",
            (url + "#entry", now, now),
        )
    conn.close()


async def migrated(path: Path) -> dict[str, tuple[int | None, float, int]]:
    """Feed file name -> (owner, interval, entries to retry) after opening (migrating) the database."""
    async with open_store(path) as store:
        return {
            f.url.rsplit("/", 1)[1]: (f.guild_id, f.interval_seconds, f.entries_failed) for f in await list_feeds(store)
        }


# The V005 tests below migrate SQLite files that V004 built: no PostgreSQL database predates V006.


async def test_v005_gives_each_feed_to_the_one_server_using_it_else_to_the_operator(tmp_path: Path) -> None:
    subscriptions: Subscriptions = [
        (ONE, 11, "Berlinale"),
        (TWO, 22, "Cannes"),
        (TWO, 23, "Berlinale"),
        (3003, 33, "Venice"),
        (3003, 34, "Venice"),
    ]
    feeds: Feeds = [
        ("https://a.example/berlinale.xml", "Berlinale 2026", 300.0),  # used by one and two: the operator's
        ("https://a.example/venice.xml", "venice 2026", 1e300),  # three's alone (any case); clamped to a day
        ("https://a.example/cannes.xml", "Cannes", 0.5),  # two's alone; raised to a minute
        ("https://a.example/sundance.xml", "Sundance 2026", 600.0),  # no one's: the operator's
        ("https://a.example/any.xml", None, 600.0),  # no festival, and no subscription to all: the operator's
        ("https://a.example/berlin.xml", "Berlinalex", 600.0),  # a longer word is not the festival
    ]
    v004_database(tmp_path / "festival.db", subscriptions, feeds)
    assert await migrated(tmp_path / "festival.db") == {
        "berlinale.xml": (None, 300.0, 1),
        "venice.xml": (3003, 86400.0, 1),  # entries kept their feed: dropping the old table did not cut them loose
        "cannes.xml": (TWO, 60.0, 1),
        "sundance.xml": (None, 600.0, 1),
        "any.xml": (None, 600.0, 1),
        "berlin.xml": (None, 600.0, 1),
    }


async def test_v005_counts_a_subscription_to_all_festivals_as_using_every_feed(tmp_path: Path) -> None:
    feeds: Feeds = [("https://a.example/any.xml", None, 300.0), ("https://a.example/venice.xml", "Venice 2026", 300.0)]
    v004_database(tmp_path / "one.db", [(ONE, 11, None)], feeds)
    assert await migrated(tmp_path / "one.db") == {"any.xml": (ONE, 300.0, 1), "venice.xml": (ONE, 300.0, 1)}
    v004_database(tmp_path / "two.db", [(ONE, 11, None), (TWO, 22, "Venice")], feeds)
    assert await migrated(tmp_path / "two.db") == {"any.xml": (ONE, 300.0, 1), "venice.xml": (None, 300.0, 1)}


async def test_after_v005_a_url_is_unique_per_owner(tmp_path: Path) -> None:
    v004_database(tmp_path / "festival.db", [(3003, 33, "Venice")], [("https://a.example/venice.xml", "Venice", 300.0)])
    async with open_store(tmp_path / "festival.db") as store:
        await add_feed(store, "https://a.example/venice.xml", guild_id=ONE)
        await add_feed(store, "https://a.example/venice.xml")
        with pytest.raises(FeedError, match="already subscribed"):
            await add_feed(store, "https://a.example/venice.xml", guild_id=3003)
        with pytest.raises(FeedError, match="already subscribed"):
            await add_feed(store, "https://a.example/venice.xml")
