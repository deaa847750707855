"""Past one machine: three processes on PostgreSQL (fan-out, takeover), and PostgreSQL against SQLite.

- **Processes**: three ``festbot run`` processes, one shard each, on a PostgreSQL schema, against the fake
  Discord enforcing Discord's limits. A review fans out to 300 channels across six guilds, sent by the
  process holding the delivery lease, at the default pace: the time to the last message against the
  rate-limit bound. A second review; the deliverer is SIGKILLed a third of the way through: how long
  from the kill to the next message (another process taking the lease over), and whether every
  channel still got exactly one copy with no 429 drawn.
- **Engines**: the same reviews in a SQLite file and a PostgreSQL schema: search (the in-memory index,
  built from either) and ``/review`` latency through the fake Discord, with ``/noop`` as the baseline.

PostgreSQL is at ``FESTBOT_BENCH_DATABASE_URL`` (default ``postgresql://127.0.0.1:5432/test``); each run
makes a schema of its own and drops it afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psycopg

from bench import corpus
from bench import discord as through_discord
from bench.queries import Query
from bench.report import Section, summary_ms, verdict
from bot.announce.worker import GLOBAL_LIMIT, GLOBAL_MARGIN
from bot.client.bot import sync
from bot.domain.festivals import FestivalTable
from bot.parsing.parser import parse_review_text
from bot.search.searcher import Searcher
from bot.services import open_services
from bot.sources.ingest import ingest_paths
from bot.storage.store import open_store
from tests.discord_harness import TOKEN, settings_for, until
from tests.fakediscord import FakeDiscord
from tests.test_announce_e2e import new_review
from tests.test_shards_e2e import Festbot, stopped_at_exit

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("FESTBOT_BENCH_DATABASE_URL", "postgresql://127.0.0.1:5432/test")
SHARDS = 3
CHANNELS_PER_GUILD = 50
LEASE = 6.0  # the default FESTBOT_LEASE_SECONDS
FANOUT_RATIO = 1.15
FLOOR_RATIO = 1.10  # what claims, renders, HTTP and records may add to the pacer's own spacing


@contextlib.contextmanager
def schema(name: str) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a new schema, dropped afterwards."""
    made = f"bench_{name}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{made}"')
    parts = urllib.parse.urlsplit(POSTGRES)
    query = [*urllib.parse.parse_qsl(parts.query), ("options", f"-csearch_path={made}")]
    try:
        yield urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{made}" CASCADE')


# ------------------------------------------------------------------------------------------ processes


def _posted(fake: FakeDiscord, channels: list[int]) -> int:
    ids = fake.channel_message_ids
    return sum(len(ids.get(c, [])) for c in channels)


async def _holder(url: str) -> int:
    async with open_store(url) as store:
        row = await store.reads.fetchone("SELECT holder FROM leases WHERE name = 'delivery'")
    assert row is not None
    return int(str(row[0]).split(":")[-2])


@contextlib.asynccontextmanager
async def _three(
    url: str, scratch: Path
) -> AsyncIterator[tuple[FakeDiscord, list[int], list[Festbot], dict[str, str]]]:
    async with FakeDiscord(token=TOKEN, shard_count=SHARDS, identify_window=1.0, default_timeout=60) as fake:
        fake.rate_limits.enabled = True
        guilds = [fake.add_guild(f"Shard {s}.{n}", shard=s) for s in range(SHARDS) for n in range(2)]
        by_guild = {g.id: [fake.add_channel(g.id, f"news-{i}").id for i in range(CHANNELS_PER_GUILD)] for g in guilds}
        (scratch / "corpus").mkdir()
        settings = settings_for(fake, scratch, FESTBOT_DATABASE_URL=url)
        await sync(settings, None)
        async with open_services(settings, seed=False) as services:
            for guild_id, channels in by_guild.items():
                for channel in channels:
                    await services.ledger.subscribe(guild_id=guild_id, channel_id=channel, festival="Berlinale")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FESTBOT_"))}
        env |= {
            "FESTBOT_DATABASE_URL": url,
            "DISCORD_TOKEN": TOKEN,
            "DISCORD_API_BASE_URL": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "FESTBOT_SEED_DIR": str(scratch / "corpus"),
            "FESTBOT_INBOX": str(scratch / "inbox"),
            "FESTBOT_IDENTIFY_WINDOW": "1.0",
            "FESTBOT_LOG_LEVEL": "WARNING",
        }
        bots = await asyncio.gather(
            *(Festbot.start(f"p{s}", env, "--shards", str(s), "--shard-count", str(SHARDS)) for s in range(SHARDS))
        )
        async with stopped_at_exit(list(bots)):
            await until(lambda: len(fake.live_sessions()) == SHARDS, 120, "three processes connected")
            await asyncio.sleep(2.0)  # start-up's REST calls out of the global window, the leases settled
            yield fake, [c for cs in by_guild.values() for c in cs], list(bots), env


async def _ingest(url: str, title: str) -> float:
    """Store a review as another process would (festbot ingest); returns when it committed."""
    async with open_store(url) as store:
        await store.ingest(parse_review_text(new_review(title), table=FestivalTable.load()), source=f"bench:{title}")
        return time.perf_counter()


async def _processes() -> dict[str, Any]:
    result: dict[str, Any]
    with tempfile.TemporaryDirectory() as folder, schema("scale") as url:
        scratch = Path(folder)
        async with _three(url, scratch) as (fake, channels, bots, _env):
            before = len(fake.requests)
            stored = await _ingest(url, "The Wide Net")
            await until(lambda: _posted(fake, channels) >= len(channels), 120, "the first fan-out")
            posts = [r for r in fake.requests[before:] if r.status == 200 and r.method == "POST"]
            first, last = min(r.time for r in posts) - stored, max(r.time for r in posts) - stored
            await asyncio.sleep(1.5)

            deliverer = {b.process.pid: b for b in bots}[await _holder(url)]
            await _ingest(url, "The Hard Stop")
            await until(lambda: _posted(fake, channels) >= len(channels) * 4 // 3, 60, "the second fan-out")
            deliverer.process.send_signal(signal.SIGKILL)
            await deliverer.process.wait()
            killed = time.perf_counter()
            count = _posted(fake, channels)
            await until(lambda: _posted(fake, channels) > count, 60, "a takeover")
            takeover = time.perf_counter() - killed
            await until(lambda: _posted(fake, channels) >= 2 * len(channels), 120, "the second fan-out to finish")
            await asyncio.sleep(1.5)
            counts = [len(fake.channel_message_ids.get(c, [])) for c in channels]
            result = {
                "first": first,
                "last": last,
                "takeover": takeover,
                "channels": len(channels),
                "exactly_two": sum(1 for n in counts if n == 2),
                "rate_limited": sum(1 for r in fake.requests if r.status == 429),
                "limit": fake.rate_limits.global_limit,
                "window": fake.rate_limits.global_window,
            }
    # After the three have stopped, so they do not load the machine it runs on.
    result["baseline"] = await through_discord._fanout(int(result["channels"]))
    return result


def processes(section: Section) -> None:
    r = asyncio.run(_processes())
    channels = int(r["channels"])
    windows = -(-channels // int(r["limit"]))
    bound = (windows - 1) * r["window"] + r["first"]
    ratio = r["last"] / bound
    base = r["baseline"]
    base_bound = (windows - 1) * r["window"] + base["first"]
    section.add(
        f"Three `festbot run` processes (`--shards N --shard-count 3`) on one PostgreSQL schema, the fake Discord "
        f"enforcing Discord's limits ({int(r['limit'])} requests per fixed {r['window']:.0f} s window for the whole "
        f"bot, 5 messages per 5 s per channel); {channels} channels subscribed across six guilds, two per shard; "
        f"the delivery worker at its default pace, lease {LEASE:.0f} s (the defaults)."
    )
    section.add("")
    section.add(
        f"- Fan-out, one review to {channels} channels, stored by another process: first message "
        f"{r['first'] * 1000:.0f} ms after the commit (its NOTIFY wakes the deliverer), last **{r['last']:.2f} s**; "
        f"bound ({windows} windows: {windows - 1} x {r['window']:.0f} s + the first's {r['first']:.2f} s) "
        f"{bound:.2f} s = **{ratio:.3f}x the bound** (target ≤ {FANOUT_RATIO}x: {verdict(ratio <= FANOUT_RATIO)})."
    )
    # The pacer never bursts: 49 requests per (1 s + margin), evenly spaced (bot/announce/worker.py). Against a
    # fixed-window bound that a burst at each window's edge could reach, that is its own floor.
    limit, period = GLOBAL_LIMIT
    floor = (channels - 1) * (period + GLOBAL_MARGIN) / limit + r["first"]
    section.add(
        f"- The pacer's own floor (never a burst: {limit} requests per {period + GLOBAL_MARGIN:.2f} s, evenly "
        f"spaced, one request a second left for the bot's other calls): {floor:.2f} s = {floor / bound:.3f}x the "
        f"bound, so at {channels} channels the target above can only be met by bursting at the fake's window edges, "
        f"which Discord's own limiter does not promise to allow. Measured against that floor: "
        f"**{r['last'] / floor:.3f}x** (target ≤ {FLOOR_RATIO}x: {verdict(r['last'] / floor <= FLOOR_RATIO)})."
    )
    section.add(
        f"- Baseline in the same run: one in-process bot on a SQLite file, the same {channels} channels: first "
        f"{base['first'] * 1000:.0f} ms, last {base['last']:.2f} s = {base['last'] / base_bound:.3f}x its bound; "
        f"three processes on PostgreSQL took {r['last'] / base['last']:.2f}x as long."
    )
    section.add(
        f"- Takeover: the delivering process SIGKILLed a third of the way through a second fan-out; the next "
        f"message came from another process **{r['takeover']:.2f} s** later (the lease running out, at most "
        f"{LEASE:.0f} s, plus a standby's retry, at most {LEASE / 6:.0f} s)."
    )
    section.add(
        f"- Exactly once: {int(r['exactly_two'])} of {channels} channels hold exactly the two announcements; 429 "
        f"responses drawn in the whole run **{int(r['rate_limited'])}** (target 0: {verdict(r['rate_limited'] == 0)})."
    )


# ------------------------------------------------------------------------------------------ engines


async def _search_times(location: Path | str, queries: list[Query]) -> tuple[float, list[float]]:
    async with open_store(location, read_only=isinstance(location, Path)) as store:
        searcher = Searcher(store)
        started = time.perf_counter()
        await searcher.refresh()
        build = time.perf_counter() - started
        for query in queries[:50]:
            await searcher.search(query.text)
        times = []
        for query in queries:
            started = time.perf_counter()
            await searcher.search(query.text)
            times.append(time.perf_counter() - started)
        return build, times


async def _load_postgres(url: str, root: Path, count: int) -> float:
    async with open_store(url) as store:
        started = time.perf_counter()
        await ingest_paths(store, corpus.shards(root, count), table=FestivalTable.load())
        return time.perf_counter() - started


def engines(section: Section, out: Path, db: Path, seed: int, count: int, queries: list[Query], rounds: int) -> None:
    root = corpus.ensure_corpus(out, seed, count)
    with schema("engines") as url:
        loaded = asyncio.run(_load_postgres(url, root, count))
        section.add(
            f"The same {count:,} generated reviews (seed {seed}) in the SQLite file `{db.name}` and in a PostgreSQL "
            f"schema (loaded with `ingest_paths` in {loaded:.0f} s = {count / loaded:,.0f} reviews/s); "
            f"{len(queries)} queries; PostgreSQL on this machine, over loopback."
        )
        section.add("")
        section.add("| engine | index build s | search p50 ms | search p99 ms | /review p50 ms | /review p99 ms |"
                    " /noop p50 ms | /review p50 / noop |")  # fmt: skip
        section.add("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for name, location in (("SQLite", db), ("PostgreSQL", url)):
            build, times = asyncio.run(_search_times(location, queries))
            latency = asyncio.run(through_discord._latency(location, queries, rounds))
            s, review, noop = summary_ms(times), summary_ms(latency["/review"]), summary_ms(latency["noop"])
            section.add(
                f"| {name} | {build:.1f} | {s['p50']:.2f} | {s['p99']:.2f} | {review['p50']:.1f} | {review['p99']:.1f}"
                f" | {noop['p50']:.1f} | {review['p50'] / noop['p50']:.2f} |"
            )
