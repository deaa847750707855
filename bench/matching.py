"""``--only matching``: one new review against 1,000 matching watches (among 10,000) and 500 filtered
subscriptions, and the time its sends take against the rate-limit bound.

Matching is timed where it runs, in the write transaction that queues a new review's announcements and
direct messages (:func:`bot.storage.deliveries.enqueue_for_review`, on a SQLite file), commit included.
Baseline, in the same run: the same review queued to 500 subscriptions with no filters and no watches
(what the store did before filters and watchlists). The pure matcher (folding the review once, then 500
filters and the 1,000 watches the index finds) is timed alone too.

Delivery: the 500 posts and 1,000 direct messages that review sets off go through the real workers (the
:class:`~bot.announce.worker.Announcer` and :class:`~bot.announce.direct.DirectMessenger` on one
:class:`~bot.announce.worker.Pacer`), with senders that only note the time of each request: 500 posts,
1,000 DM-channel opens and 1,000 messages. The bound is the pacer's budget: 49 requests per second, spaced
(1 s + margin) / 49 apart, so n requests need at least (n - 1) x that.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from pathlib import Path

from bench.report import Section, summary_ms, verdict
from bot.announce.direct import DirectMessenger, DmOutcome
from bot.announce.worker import GLOBAL_LIMIT, GLOBAL_MARGIN, Announcer, Pacer, SendOutcome
from bot.domain.criteria import WATCH_FIELDS, Criteria
from bot.domain.models import DeliveryJob, FestivalRef, Rating, Review, SalesContact, WatchJob
from bot.matching.matcher import ReviewFacts, matches_value, passes
from bot.storage import deliveries, watches
from bot.storage.connection import Connection
from bot.storage.ledger import Ledger
from bot.storage.store import Store, open_store
from bot.storage.watchlist import Watchlist

TARGET_MS = 50.0
SUBSCRIPTIONS = 500
MATCHING_WATCHES = 1_000
NOISE_WATCHES = 9_000


def the_review(rng: random.Random, n: int) -> Review:
    """A review of about 700 words, with the facts the watches and filters look for."""
    words = random.Random(7)  # the same text each time: the word watches are drawn from it
    vocabulary = [f"w{i}" for i in range(3_000)]
    body = [" ".join(words.choice(vocabulary) for _ in range(100)) for _ in range(7)]
    del rng
    return Review(
        title=f"Copper Dust {n}",
        original_title="Polvo de Cobre",
        headline="A ferryman carries strangers across a drying river",
        directors=["Tomás Rojas"],
        cast=["Inés Vidal", "Pablo Soto"],
        countries=["Chile", "Argentina"],
        festival=FestivalRef(name="Berlinale", section="Competition"),
        sales=[SalesContact(company="Lumen Sales International")],
        body=["A patient first feature about a ferryman.", *body],
        publication="Screen International",
        rating=Rating(text="4/5", score=80),
    )


def matching_values(review: Review) -> list[tuple[str, str]]:
    """(kind, value) pairs the review matches: 1,000 of them, across every kind."""
    words = sorted({w for part in review.body for w in part.split()})
    fixed = [
        ("person", "Tomás Rojas"),
        ("person", "rojas"),
        ("person", "Inés Vidal"),
        ("company", "Lumen"),
        ("company", "Lumen Sales International"),
        ("festival", "Berlinale"),
        ("country", "Chile"),
        ("country", "argentina"),
        ("word", "ferryman"),
        ("word", "first feature"),
    ]
    return [fixed[i % len(fixed)] if i % 2 else ("word", words[i % len(words)]) for i in range(MATCHING_WATCHES)]


def filters(i: int) -> Criteria:
    """500 subscriptions' filters, of every kind, all letting the review through."""
    kinds = [
        Criteria(words=["ferryman", "salt"]),
        Criteria(countries=["Peru", "Chile"]),
        Criteria(people=["tomas rojas"]),
        Criteria(companies=["Lumen"]),
        Criteria(min_rating=70),
        Criteria(publications=["Screen"]),
        Criteria(words=["drying river"], countries=["Argentina"], min_rating=60),
    ]
    return kinds[i % len(kinds)]


async def populate(store: Store, review: Review, *, filtered: bool) -> None:
    ledger = Ledger(store)
    for i in range(SUBSCRIPTIONS):
        await ledger.subscribe(
            guild_id=1 + i // 50,
            channel_id=10_000 + i,
            festival="Berlinale" if i % 2 else None,
            filters=filters(i) if filtered else None,
        )
    if not filtered:
        return
    pairs = matching_values(review) + [("word", f"absent{i}") for i in range(NOISE_WATCHES // 3)]
    pairs += [("person", f"Nobody {i}") for i in range(NOISE_WATCHES // 3)]
    pairs += [("company", f"Other Films {i}") for i in range(NOISE_WATCHES - 2 * (NOISE_WATCHES // 3))]

    def write(conn: Connection) -> None:
        for user, (kind, value) in enumerate(pairs):
            watches.add(conn, user_id=100_000 + user, guild_id=1, channel_id=None, kind=kind, value=value)

    await store.write(write)


def cpu_timed(conn: Connection, review_id: int, review: Review, cpu: list[float]) -> int:
    """:func:`deliveries.enqueue_for_review`, noting the CPU time its thread spent (SQL included, commit not)."""
    started = time.thread_time()
    queued = deliveries.enqueue_for_review(conn, review_id, review)
    cpu.append(time.thread_time() - started)
    return queued


async def time_enqueue(
    db: Path, rng: random.Random, rounds: int, *, filtered: bool
) -> tuple[list[float], list[float], int, int]:
    """Seconds per enqueue transaction (wall, and CPU of the matching and queueing), and the deliveries and
    DMs the last one queued."""
    times: list[float] = []
    cpu: list[float] = []
    async with open_store(db) as store:
        await populate(store, the_review(rng, 0), filtered=filtered)
        posts = dms = 0
        for n in range(rounds):
            review = the_review(rng, n + 1)
            review_id = (await store.ingest(review, source=f"bench:{n}", announce=False)).review_id
            started = time.perf_counter()
            posts = await store.write(cpu_timed, review_id, review, cpu)
            times.append(time.perf_counter() - started)
        rows = await store.reads.fetchall("SELECT count(*) FROM watch_deliveries WHERE review_id = ?", (review_id,))
        dms = int(rows[0][0])
    return times, cpu, posts, dms


def time_pure(rng: random.Random, rounds: int) -> tuple[list[float], list[float]]:
    """The matcher alone: fold the review, 500 filters, the 1,000 watches an index lookup yields."""
    review = the_review(rng, 0)
    criteria = [filters(i) for i in range(SUBSCRIPTIONS)]
    found = matching_values(review)
    times, cpu = [], []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.thread_time()
        facts = ReviewFacts.of(review)
        assert all(passes(facts, c) for c in criteria)
        assert all(matches_value(facts, WATCH_FIELDS[kind], value) for kind, value in found)
        times.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - started_cpu)
    return times, cpu


class Recorder:
    """Both senders: note the time of each request, answer at once."""

    def __init__(self) -> None:
        self.times: list[float] = []

    async def deliver(self, job: DeliveryJob) -> SendOutcome:
        self.times.append(time.monotonic())
        return SendOutcome.sent(job.id)

    async def open_dm(self, user_id: int) -> DmOutcome:
        self.times.append(time.monotonic())
        return DmOutcome(kind="sent", id=user_id + 1)

    async def send_dm(self, job: WatchJob, channel_id: int) -> DmOutcome:
        self.times.append(time.monotonic())
        return DmOutcome(kind="sent", id=job.id)


async def time_delivery(db: Path, rng: random.Random) -> tuple[int, float, float, int]:
    """(requests, seconds from the first to the last, seconds the review's queueing took, most in any 1 s)."""
    async with open_store(db) as store:
        review = the_review(rng, 0)
        await populate(store, review, filtered=True)
        review_id = (await store.ingest(review, source="bench:delivery", announce=False)).review_id
        recorder = Recorder()
        pacer = Pacer()
        announcer = Announcer(Ledger(store), recorder, pacer=pacer)
        messenger = DirectMessenger(Watchlist(store), recorder, pacer=pacer)
        stored_at = time.monotonic()
        posts = await store.write(deliveries.enqueue_for_review, review_id, review)
        rows = await store.reads.fetchall("SELECT count(*) FROM watch_deliveries WHERE review_id = ?", (review_id,))
        expected = posts + 2 * int(rows[0][0])
        tasks = [asyncio.create_task(announcer.run()), asyncio.create_task(messenger.run())]
        while len(recorder.times) < expected:
            await asyncio.sleep(0.2)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    times = sorted(recorder.times)
    busiest = max(sum(1 for t in times[i:] if t - times[i] < 1.0) for i in range(len(times)))
    return len(times), times[-1] - stored_at, times[0] - stored_at, busiest


def run(section: Section, seed: int, rounds: int) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as scratch:
        base, base_cpu, base_posts, _ = asyncio.run(
            time_enqueue(Path(scratch) / "base.db", rng, rounds, filtered=False)
        )
        full, full_cpu, posts, dms = asyncio.run(time_enqueue(Path(scratch) / "full.db", rng, rounds, filtered=True))
        pure, pure_cpu = time_pure(rng, rounds)
        requests, last, first, busiest = asyncio.run(time_delivery(Path(scratch) / "delivery.db", rng))
    b, f, p = summary_ms(base), summary_ms(full), summary_ms(pure)
    bc, fc, pc = summary_ms(base_cpu), summary_ms(full_cpu), summary_ms(pure_cpu)
    section.add(
        f"One new review (about 700 words) against {SUBSCRIPTIONS} subscriptions and {MATCHING_WATCHES:,} matching "
        f"watches among {MATCHING_WATCHES + NOISE_WATCHES:,}, {rounds} rounds, each a new review; SQLite file."
    )
    section.add("")
    section.add(
        "Wall time, and the CPU time of the thread doing the work (what the load of a shared machine does not "
        "add to: the matching and the SQL; the commit is in the wall time only)."
    )
    section.add("")
    section.add("| | p50 ms | p99 ms | max ms | CPU p50 ms | CPU p99 ms | queued |")
    section.add("| --- | --- | --- | --- | --- | --- | --- |")
    section.add(
        f"| baseline: {SUBSCRIPTIONS} unfiltered subscriptions, no watches (enqueue transaction) "
        f"| {b['p50']:.2f} | {b['p99']:.2f} | {b['max']:.2f} | {bc['p50']:.2f} | {bc['p99']:.2f} "
        f"| {base_posts} posts |"
    )
    section.add(
        f"| {SUBSCRIPTIONS} filtered subscriptions + watches (enqueue transaction) "
        f"| {f['p50']:.2f} | {f['p99']:.2f} | {f['max']:.2f} | {fc['p50']:.2f} | {fc['p99']:.2f} "
        f"| {posts} posts, {dms} DMs |"
    )
    section.add(
        f"| the matcher alone (fold once, {SUBSCRIPTIONS} filters, {MATCHING_WATCHES:,} watches) "
        f"| {p['p50']:.2f} | {p['p99']:.2f} | {p['max']:.2f} | {pc['p50']:.2f} | {pc['p99']:.2f} | |"
    )
    section.add("")
    section.add(
        f"- Target: matched in < {TARGET_MS:.0f} ms. The matcher alone: p99 {p['p99']:.2f} ms wall, "
        f"{verdict(p['p99'] < TARGET_MS)}; {pc['p99']:.2f} ms CPU, {verdict(pc['p99'] < TARGET_MS)}. Matched and "
        f"queued (1,500 rows written, commit included): p99 {f['p99']:.2f} ms wall, {verdict(f['p99'] < TARGET_MS)}; "
        f"{fc['p99']:.2f} ms CPU, {verdict(fc['p99'] < TARGET_MS)}. {f['p50'] / b['p50']:.1f}x the unfiltered "
        "baseline at p50 (wall)."
    )
    limit, period = GLOBAL_LIMIT
    spacing = (period + GLOBAL_MARGIN) / limit
    bound = (requests - 1) * spacing
    span = last - first
    section.add(
        f"- Delivery: {requests:,} requests ({posts} posts, {dms:,} DM-channel opens and {dms:,} messages) through "
        f"the real workers on one pacer, the senders answering at once. Bound: the pacer's budget, {limit} requests "
        f"per {period:.0f} s spaced {spacing * 1000:.1f} ms apart, so **{bound:.2f} s** from the first request to the "
        f"last. Measured: first request {first * 1000:.0f} ms after the review was queued, last **{last:.2f} s** "
        f"after = {span:.2f} s from first to last, **{span / bound:.3f}x the bound**; most requests in any 1 s: "
        f"{busiest} (Discord allows 50: {verdict(busiest <= 50)})."
    )
