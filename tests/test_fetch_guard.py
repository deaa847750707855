"""Fetching cannot be turned against the host: non-public addresses are refused, at every hop, unless allowed."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.config import Settings
from bot.domain.festivals import FestivalTable
from bot.services import fetch_policy
from bot.sources.feeds.feed_list import FeedError, add_feed, list_feeds
from bot.sources.feeds.guard import AddressRefused, FetchPolicy, GuardedResolver, address_refusal, guarded_session
from bot.sources.feeds.http import FetchError, FetchLimits, client_session, fetch
from bot.sources.feeds.pages import ingest_url
from bot.sources.feeds.poller import FeedPoller
from bot.storage import feeds as feedstore
from bot.storage.store import Store
from tests.conftest import ROOT
from tests.feedsite import FeedSite, FeedSpec, Item

STRICT = FetchPolicy()
LIMITS = FetchLimits(timeout=5.0)


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    async with FeedSite() as served:
        yield served


def by_name(site: FeedSite, path: str) -> str:
    """The site's URL with the host name ``localhost`` instead of its address (asked of the resolver)."""
    return site.url(path).replace("127.0.0.1", "localhost", 1)


class Answers(AbstractResolver):
    """DNS answers chosen by the test: a name with public and private addresses cannot be had offline."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses
        self.questions: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.questions.append(host)
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self.addresses
        ]

    async def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"),  # the cloud metadata service
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),  # carrier-grade NAT
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped: judged as the IPv4 address it carries
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
    ],
)
def test_every_kind_of_non_public_address_is_named(address: str, kind: str) -> None:
    assert address_refusal(address) == kind


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:93.184.216.34"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_refusal(address) is None
    assert STRICT.refusal("feeds.example", address) is None


async def test_a_feed_on_a_loopback_address_is_refused_before_any_request(
    site: FeedSite, store: Store, festivals: FestivalTable
) -> None:
    site.feeds["reviews"] = FeedSpec(items=[Item("Salt Lanterns", "/articles/salt-lanterns", guid="tw-1")])
    feed = await add_feed(store, site.url("/feeds/reviews.xml"))
    async with FeedPoller(store, table=festivals, limits=LIMITS, policy=STRICT) as poller:
        assert await poller.poll_feed(feed.id) == []
    state = (await list_feeds(store))[0]
    assert state.last_error == "refused: 127.0.0.1 is a loopback address"
    assert sum(site.requests.values()) == 0


async def test_the_default_policy_is_the_strict_one(site: FeedSite, store: Store, festivals: FestivalTable) -> None:
    feed = await add_feed(store, site.url("/feeds/reviews.xml"))
    async with FeedPoller(store, table=festivals, limits=LIMITS) as poller:
        await poller.poll_feed(feed.id)
    outcome = await ingest_url(store, site.url("/articles/salt-lanterns"), table=festivals)
    assert (outcome.status, outcome.reason) == ("rejected", "refused: 127.0.0.1 is a loopback address")
    assert (await list_feeds(store))[0].last_error == "refused: 127.0.0.1 is a loopback address"
    assert sum(site.requests.values()) == 0 and await store.count() == 0


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.7/feed.xml", "refused: 10.0.0.7 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254 is a link-local address"),
        ("http://[::1]:8080/feed", "refused: ::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/feed", "refused: ::ffff:127.0.0.1 is a loopback address"),
        ("HTTP://0.0.0.0/feed", "refused: 0.0.0.0 is an unspecified address"),
    ],
)
async def test_adding_a_feed_on_a_private_ip_address_is_refused_at_once(store: Store, url: str, reason: str) -> None:
    with pytest.raises(FeedError) as refused:
        await add_feed(store, url, policy=STRICT)
    assert str(refused.value) == reason
    assert await list_feeds(store) == []


async def test_a_host_name_that_resolves_to_loopback_is_refused(site: FeedSite) -> None:
    async with client_session(STRICT) as session:
        with pytest.raises(
            FetchError, match=r"^refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address$"
        ):
            await fetch(session, by_name(site, "/articles/salt-lanterns"), limits=LIMITS, kind="page")
    assert sum(site.requests.values()) == 0


async def test_every_redirect_hop_is_checked(site: FeedSite) -> None:
    # The first hop is allowed by name; its redirect goes to an address that is not.
    site.redirects["inside"] = site.url("/articles/salt-lanterns")
    site.redirects["by-name"] = by_name(site, "/articles/salt-lanterns")
    async with client_session(FetchPolicy(allow_hosts=frozenset({"localhost"}))) as session:
        with pytest.raises(FetchError, match=r"^refused: 127\.0\.0\.1 is a loopback address$") as refused:
            await fetch(session, by_name(site, "/go/inside"), limits=LIMITS, kind="page")
        assert not refused.value.retryable
        assert (site.requests["/go/inside"], site.requests["/articles/salt-lanterns"]) == (1, 0)
        fetched = await fetch(session, by_name(site, "/go/by-name"), limits=LIMITS, kind="page")
    assert fetched.status == 200 and site.requests["/articles/salt-lanterns"] == 1


@pytest.mark.parametrize(
    ("policy", "path_host"),
    [
        (FetchPolicy(allow_hosts=frozenset({"localhost"})), "localhost"),
        (FetchPolicy(allow_hosts=frozenset({"LocalHost."})), "localhost"),
        (FetchPolicy(allow_hosts=frozenset({"127.0.0.1"})), "127.0.0.1"),
        (FetchPolicy(allow_private=True), "localhost"),
        (FetchPolicy(allow_private=True), "127.0.0.1"),
    ],
)
async def test_what_the_operator_allows_is_fetched(site: FeedSite, policy: FetchPolicy, path_host: str) -> None:
    url = site.url("/articles/salt-lanterns").replace("127.0.0.1", path_host, 1)
    async with client_session(policy) as session:
        assert (await fetch(session, url, limits=LIMITS, kind="page")).status == 200


async def test_a_name_is_refused_if_any_of_its_addresses_is_not_public() -> None:
    mixed = GuardedResolver(STRICT, Answers("93.184.216.34", "10.1.2.3"))
    with pytest.raises(AddressRefused, match=r"^refused: feeds\.example resolves to 10\.1\.2\.3, a private address$"):
        await mixed.resolve("feeds.example", 443)
    mapped = GuardedResolver(STRICT, Answers("2606:4700::1111", "::ffff:127.0.0.1"))
    with pytest.raises(AddressRefused, match=r"resolves to ::ffff:127\.0\.0\.1, a loopback address"):
        await mapped.resolve("feeds.example", 443)
    public = GuardedResolver(STRICT, Answers("93.184.216.34", "2606:4700::1111"))
    assert [a["host"] for a in await public.resolve("feeds.example", 443)] == ["93.184.216.34", "2606:4700::1111"]


async def test_the_connection_goes_to_the_address_that_was_checked(site: FeedSite) -> None:
    """The resolver's checked answer is what the connector uses: no second lookup to rebind."""
    port = site.base.rsplit(":", 1)[1]
    url = f"http://reviews.test:{port}/articles/salt-lanterns"  # a name only the test's resolver knows
    answers = Answers("127.0.0.1")
    async with guarded_session(STRICT, resolver=answers) as session:
        with pytest.raises(FetchError, match=r"^refused: reviews\.test resolves to 127\.0\.0\.1, a loopback address$"):
            await fetch(session, url, limits=LIMITS, kind="page")
    assert sum(site.requests.values()) == 0
    async with guarded_session(FetchPolicy(allow_hosts=frozenset({"reviews.test"})), resolver=answers) as session:
        assert (await fetch(session, url, limits=LIMITS, kind="page")).status == 200
    assert answers.questions == ["reviews.test", "reviews.test"]  # one lookup per session, nothing else asked
    assert site.request_headers["/articles/salt-lanterns"]["Host"] == f"reviews.test:{port}"


async def test_a_feed_entry_linking_to_a_private_address_is_rejected_not_retried(
    site: FeedSite, store: Store, festivals: FestivalTable
) -> None:
    # The feed is allowed by name; its entry links to the site by address, which is not.
    site.feeds["reviews"] = FeedSpec(items=[Item("Salt Lanterns", "/articles/salt-lanterns", guid="tw-1")])
    feed = await add_feed(store, by_name(site, "/feeds/reviews.xml"))
    policy = FetchPolicy(allow_hosts=frozenset({"localhost"}))
    async with FeedPoller(store, table=festivals, limits=LIMITS, policy=policy) as poller:
        outcomes = await poller.poll_feed(feed.id)
    assert [(o.status, o.reason) for o in outcomes] == [("rejected", "refused: 127.0.0.1 is a loopback address")]
    assert [e.status for e in await feedstore.entries(store, feed.id)] == ["rejected"]
    assert site.requests["/articles/salt-lanterns"] == 0


def test_settings_read_the_operators_allowances(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FESTBOT_FETCH_ALLOW_PRIVATE", "")
    monkeypatch.setenv("FESTBOT_FETCH_ALLOW_HOSTS", " Feeds.Example., 10.0.0.5 ,, ")
    policy = fetch_policy(Settings())
    assert policy == FetchPolicy(allow_private=False, allow_hosts=frozenset({"feeds.example", "10.0.0.5"}))
    monkeypatch.setenv("FESTBOT_FETCH_ALLOW_PRIVATE", "1")
    monkeypatch.delenv("FESTBOT_FETCH_ALLOW_HOSTS")
    assert fetch_policy(Settings()) == FetchPolicy(allow_private=True)


def test_festbot_ingest_refuses_loopback_unless_the_operator_allows_it(cli_env: dict[str, str]) -> None:
    strict = {k: v for k, v in cli_env.items() if not k.startswith("FESTBOT_FETCH_")}

    async def run() -> list[subprocess.CompletedProcess[str]]:
        async with FeedSite() as served:

            async def festbot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot.cli", *args, cwd=ROOT, env=env,
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                )  # fmt: skip
                out, err = await asyncio.wait_for(process.communicate(), 60)
                return subprocess.CompletedProcess(args, process.returncode or 0, out.decode(), err.decode())

            url = served.url("/articles/salt-lanterns")
            return [
                await festbot(strict, "ingest", url),
                await festbot(strict, "feeds", "add", served.url("/feeds/reviews.xml")),
                await festbot({**strict, "FESTBOT_FETCH_ALLOW_HOSTS": "127.0.0.1"}, "ingest", url),
            ]

    refused, feed, allowed = asyncio.run(run())
    assert refused.returncode == 1 and refused.stdout.strip() == (
        f"rejected   {url_of(refused)}: refused: 127.0.0.1 is a loopback address"
    )
    assert feed.returncode == 1 and feed.stderr.strip() == "festbot: refused: 127.0.0.1 is a loopback address"
    assert allowed.returncode == 0 and allowed.stdout.startswith("added") and "Salt Lanterns" in allowed.stdout


def url_of(result: subprocess.CompletedProcess[str]) -> str:
    return str(result.args[-1])
