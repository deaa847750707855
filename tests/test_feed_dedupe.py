"""Dedupe by page only counts pages that were stored: a page refused when fetched is no page at all."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.domain.festivals import FestivalTable
from bot.sources.feeds.feed_list import add_feed
from bot.sources.feeds.guard import FetchPolicy
from bot.sources.feeds.http import FetchLimits
from bot.sources.feeds.pages import ingest_url
from bot.sources.feeds.poller import FeedPoller
from bot.storage import feeds as feedstore
from bot.storage.store import Store
from tests.feedsite import FeedSite, FeedSpec, Item

LIMITS = FetchLimits(timeout=2.0)
#: The salt-lanterns page declares this canonical URL; the site serves nothing there (404).
CANONICAL = "/reviews/salt-lanterns-review"


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    async with FeedSite() as served:
        yield served


async def test_an_entry_whose_page_is_a_url_rejected_before_is_stored_not_a_duplicate(
    site: FeedSite, store: Store, festivals: FestivalTable, fetch_policy: FetchPolicy
) -> None:
    # First entry: the canonical URL itself, which answers 404, so it is rejected and remembered by its URL.
    items = [Item("Salt Lanterns (dead link)", CANONICAL, guid="dead")]
    site.feeds["reviews"] = FeedSpec(items=items)
    feed = await add_feed(store, site.url("/feeds/reviews.xml"))
    async with FeedPoller(store, table=festivals, limits=LIMITS, policy=fetch_policy) as poller:
        assert [o.status for o in await poller.poll_feed(feed.id)] == ["rejected"]
        # Second entry: a working link whose page names that same canonical URL.
        items.append(Item("Salt Lanterns", "/articles/salt-lanterns", guid="good"))
        outcomes = await poller.poll_feed(feed.id)

    assert [(o.status, o.title) for o in outcomes] == [("added", "Salt Lanterns")]
    assert await store.count() == 1
    rows = {e.entry_key: e for e in await feedstore.entries(store, feed.id)}
    assert rows["good"].review_id == outcomes[0].review_id and rows["good"].reason is None


async def test_ingest_url_announces_a_page_whose_url_was_only_ever_rejected(
    site: FeedSite, store: Store, festivals: FestivalTable, fetch_policy: FetchPolicy
) -> None:
    site.feeds["reviews"] = FeedSpec(items=[Item("Salt Lanterns (dead link)", CANONICAL, guid="dead")])
    feed = await add_feed(store, site.url("/feeds/reviews.xml"))
    async with FeedPoller(store, table=festivals, limits=LIMITS, policy=fetch_policy) as poller:
        await poller.poll_feed(feed.id)

    outcome = await ingest_url(store, site.url("/articles/salt-lanterns"), table=festivals, policy=fetch_policy)

    assert (outcome.status, outcome.announce) == ("added", True)
    assert await feedstore.find_page(store, canonical_url=site.url(CANONICAL), digest=None) is not None
