"""Bad input to feeds and ingest gets one clear line and loses nothing: URLs, intervals, entries, sizes."""

from __future__ import annotations

import asyncio
import math
import os
import resource
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.festivals import FestivalTable
from bot.sources.feeds.entries import MAX_ENTRIES, MAX_KEY, MAX_TEXT, parse_feed
from bot.sources.feeds.feed_list import FeedError, add_feed, list_feeds, remove_feed
from bot.sources.feeds.guard import FetchPolicy
from bot.sources.feeds.http import FetchLimits, http_url, url_problem
from bot.sources.feeds.pages import ingest_url
from bot.sources.feeds.poller import FeedPoller
from bot.sources.ingest import MAX_FILE_BYTES, ingest_paths
from bot.storage import feeds as feedstore
from bot.storage.store import Store
from tests.conftest import ROOT, SEED
from tests.feedsite import FeedSite, FeedSpec, Item

LIMITS = FetchLimits(timeout=2.0)
BAD_URLS = ["http://[::1", "http://host:99999/feed", "http://exa mple.com/", "http://", "http:///feed", "javascript:x"]


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    async with FeedSite() as served:
        yield served


# --- URLs -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_malformed_url_is_no_url_and_says_why(url: str) -> None:
    assert http_url(url) is None
    problem = url_problem(url)
    assert problem and "\n" not in problem


def test_schemes_are_case_insensitive() -> None:
    assert http_url("HTTP://Trade.Example/Feed#top") == "http://Trade.Example/Feed"
    assert http_url("hTtPs://trade.example/") == "https://trade.example/"


@pytest.mark.parametrize("url", BAD_URLS)
async def test_feeds_add_and_remove_refuse_a_malformed_url_in_one_line(store: Store, url: str) -> None:
    with pytest.raises(FeedError) as refused:
        await add_feed(store, url)
    assert "\n" not in str(refused.value) and repr(url) in str(refused.value)
    assert await remove_feed(store, url) is False
    assert await list_feeds(store) == []


async def test_ingest_url_rejects_a_malformed_url(store: Store, festivals: FestivalTable) -> None:
    outcome = await ingest_url(store, "http://[::1", table=festivals)
    assert (outcome.status, outcome.reason) == ("rejected", "not a valid URL (Invalid IPv6 URL)")
    assert outcome.line() == "rejected   http://[::1: not a valid URL (Invalid IPv6 URL)"


async def test_a_feed_entry_whose_link_is_not_a_url_is_skipped_with_the_reason(
    site: FeedSite, store: Store, festivals: FestivalTable, fetch_policy: FetchPolicy
) -> None:
    # feedparser resolves "No link" against the feed's URL: http://127.0.0.1:PORT/No link.
    site.feeds["reviews"] = FeedSpec(
        items=[Item("Broken", "/No link", guid="bad"), Item("Salt Lanterns", "/articles/salt-lanterns", guid="good")]
    )
    feed = await add_feed(store, site.url("/feeds/reviews.xml"))
    async with FeedPoller(store, table=festivals, limits=LIMITS, policy=fetch_policy) as poller:
        outcomes = await poller.poll_feed(feed.id)
    by_title = {o.url: o for o in outcomes}
    assert by_title["Broken"].status == "rejected"
    assert by_title["Broken"].reason == (
        f"the entry's link is not a valid URL (it contains spaces or control characters): {site.url('/No link')!r}"
    )
    assert [o.status for o in outcomes if o.url != "Broken"] == ["added"]
    assert site.requests["/No link"] == 0 and site.requests["/No%20link"] == 0
    assert {e.entry_key: e.status for e in await feedstore.entries(store, feed.id)} == {
        "bad": "rejected",
        "good": "added",
    }


# --- poll intervals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("every", [1e300, math.inf, math.nan, -5.0, 0.0, 30.0, 86_401.0])
async def test_a_poll_interval_outside_a_minute_to_a_day_is_refused(store: Store, every: float) -> None:
    with pytest.raises(FeedError, match=r"^the poll interval must be from 60 to 86,400 seconds \(1 day\), not "):
        await add_feed(store, "https://trade.example/feed.xml", interval=every)
    assert await list_feeds(store) == []


async def test_the_bounds_themselves_and_a_lower_floor_for_tests_are_accepted(store: Store) -> None:
    assert (await add_feed(store, "https://a.example/1", interval=60)).interval_seconds == 60
    assert (await add_feed(store, "https://a.example/2", interval=86_400)).interval_seconds == 86_400
    assert (await add_feed(store, "https://a.example/3", interval=0.2, min_interval=0.1)).interval_seconds == 0.2
    with pytest.raises(FeedError, match="interval"):
        await add_feed(store, "https://a.example/4", interval=0, min_interval=0)


# --- sizes ------------------------------------------------------------------------------------------


async def test_files_too_large_or_not_regular_are_refused_before_they_are_read(
    store: Store, festivals: FestivalTable, tmp_path: Path
) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as file:  # sparse: six megabytes on paper, nothing on disk
        file.truncate(MAX_FILE_BYTES + 1_000_000)
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)  # opening it to read would wait for a writer forever
    good = tmp_path / "dust.txt"
    good.write_bytes(SEED.read_bytes())

    outcomes = await ingest_paths(store, [big, fifo, good], table=festivals, workers=0)

    assert [(o.status, o.reason) for o in outcomes] == [
        ("rejected", f"cannot read the file: larger than 5,000,000 bytes ({MAX_FILE_BYTES + 1_000_000:,})"),
        ("rejected", "cannot read the file: not a regular file"),
        ("added", None),
    ]
    assert await store.count() == 1


def test_parse_feed_takes_the_newest_entries_and_bounds_their_fields() -> None:
    items = "".join(
        f"<item><title>Review {n}</title><link>http://x/r/{n}</link><guid isPermaLink='false'>g{n}</guid>"
        f"<pubDate>Mon, 02 Feb 2026 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d} GMT</pubDate></item>"
        for n in range(MAX_ENTRIES + 100)
    )
    long_title, long_guid = "T" * 100_000, "urn:" + "g" * 10_000
    odd = f"<item><title>{long_title}</title><link>http://x/odd</link><guid>{long_guid}</guid></item>"
    doc = f"<rss version='2.0'><channel><title>t</title>{odd}{items}</channel></rss>".encode()

    infos = parse_feed(doc, url="http://x/feed.xml")

    assert len(infos) == MAX_ENTRIES
    assert [i.key for i in infos[-2:]] == [f"g{MAX_ENTRIES + 98}", f"g{MAX_ENTRIES + 99}"]  # the newest kept
    odd_info = parse_feed(
        f"<rss version='2.0'><channel><title>t</title>{odd}</channel></rss>".encode(), url="http://x/f"
    )
    (info,) = odd_info
    assert info.title is not None and len(info.title) == MAX_TEXT
    assert len(info.key) <= MAX_KEY and info.key.startswith("sha256:")
    assert (
        parse_feed(f"<rss version='2.0'><channel><title>t</title>{odd}</channel></rss>".encode(), url="http://x/f")[
            0
        ].key
        == info.key
    )  # the same entry keeps the same key


# --- the command line --------------------------------------------------------------------------------


def _limit_memory() -> None:
    # Should the size check ever go, reading /dev/zero fails fast with MemoryError instead of eating the machine.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def test_the_command_line_answers_bad_input_in_one_line_and_keeps_the_good(cli_env: dict[str, str]) -> None:
    async def run() -> tuple[str, list[subprocess.CompletedProcess[str]]]:
        async with FeedSite() as served:

            async def festbot(*args: str) -> subprocess.CompletedProcess[str]:
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot.cli", *args, cwd=ROOT, env=cli_env, preexec_fn=_limit_memory,
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                )  # fmt: skip
                out, err = await asyncio.wait_for(process.communicate(), 60)
                return subprocess.CompletedProcess(args, process.returncode or 0, out.decode(), err.decode())

            good = served.url("/articles/salt-lanterns").replace("http://", "HTTP://")
            return good, [
                await festbot("ingest", good, "http://[::1"),
                await festbot("ingest", "/dev/zero"),
                await festbot("feeds", "add", "http://[::1"),
                await festbot("feeds", "remove", "http://[::1"),
                *[
                    await festbot("feeds", "add", served.url("/feeds/r.xml"), "--every", v)
                    for v in ("1e300", "nan", "-5")
                ],
            ]

    _, (ingest, zero, add, remove, *everies) = asyncio.run(run())
    assert ingest.returncode == 1 and "Traceback" not in ingest.stderr
    added, refused = ingest.stdout.splitlines()
    assert added.startswith("added") and "Salt Lanterns" in added
    assert refused == "rejected   http://[::1: not a valid URL (Invalid IPv6 URL)"
    assert (
        zero.returncode == 1 and zero.stdout.strip() == "rejected   /dev/zero: cannot read the file: not a regular file"
    )
    assert add.returncode == 1 and add.stderr == "festbot: not a valid URL (Invalid IPv6 URL): 'http://[::1'\n"
    assert remove.returncode == 1 and remove.stderr == "festbot: no feed 'http://[::1' (see festbot feeds list)\n"
    for value, every in zip(("1e+300", "nan", "-5.0"), everies, strict=True):
        assert every.returncode == 1 and every.stderr == (
            f"festbot: the poll interval must be from 60 to 86,400 seconds (1 day), not {value}\n"
        )
