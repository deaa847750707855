"""The outbox and the delivery worker, with a scripted sender (the Discord path has its own tests)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import sqlite3
import time

import pytest

from bot.announce import worker as announcer_module
from bot.announce.worker import Announcer, Pacer, SendOutcome, SlidingWindow
from bot.domain.criteria import Criteria
from bot.domain.festivals import FestivalTable
from bot.domain.models import DeliveryJob
from bot.health import TaskState
from bot.parsing.parser import parse_review_text
from bot.storage.ledger import Ledger
from bot.storage.store import Store
from tests.conftest import SEED


def review_text(title: str, festival: str = "Berlinale", section: str = "Competition") -> str:
    return (
        f"---\nfestival: {festival}\nsection: {section}\n---\nA fine film\n\n{title}\n\n"
        "Dir: Ana Lima. Portugal. 2023. 98 mins\n\nA farmer returns to a village that has forgotten him.\n"
    )


class ScriptedSender:
    """Records every delivery; outcomes come from a script keyed by channel (default: sent)."""

    def __init__(self) -> None:
        self.sent: list[DeliveryJob] = []
        self.script: dict[int, list[SendOutcome]] = {}
        self._ids = itertools.count(1000)

    async def deliver(self, job: DeliveryJob) -> SendOutcome:
        self.sent.append(job)
        queue = self.script.get(job.subscription.channel_id)
        if queue:
            return queue.pop(0)
        return SendOutcome.sent(next(self._ids))


async def ingest(store: Store, festivals: FestivalTable, text: str, source: str, announce: bool = True) -> int:
    status = await store.ingest(parse_review_text(text, table=festivals), source=source, announce=announce)
    return status.review_id


async def test_new_review_queues_one_delivery_per_matching_subscription(store: Store, festivals: FestivalTable) -> None:
    ledger = Ledger(store)
    await ledger.subscribe(guild_id=1, channel_id=10, festival="Berlinale")
    await ledger.subscribe(guild_id=1, channel_id=11, festival=None)
    await ledger.subscribe(guild_id=1, channel_id=12, festival="Cannes")
    await ledger.subscribe(guild_id=1, channel_id=13, festival="Berlinale", section="Panorama")
    paused, _ = await ledger.subscribe(guild_id=1, channel_id=14, festival="Berlinale")
    await ledger.pause(paused.id, "Missing Access")
    await ingest(store, festivals, review_text("The Long Field"), "a")
    jobs = await ledger.claim_due(100)
    assert sorted(j.subscription.channel_id for j in jobs) == [10, 11]


async def test_follow_modes_pool_gives_each_festival_one_home_channel_and_keeps_it(
    store: Store, festivals: FestivalTable
) -> None:
    ledger = Ledger(store)
    pool = (900, 901, 902)
    assert await ledger.pool_homes(None, pool) == list(pool)  # following every festival: every pool channel
    for channel in pool:
        await ledger.subscribe(guild_id=9, channel_id=channel, festival=None)
    await ledger.subscribe(guild_id=1, channel_id=10, festival=None)  # an ordinary channel: everything
    (cannes_home,) = await ledger.pool_homes("Cannes", pool)  # a follow of Cannes gives it a channel first
    for number, festival in enumerate(("Berlinale", "Cannes", "Berlinale", "Venice", "Cannes")):
        await ingest(store, festivals, review_text(f"Film {number}", festival=festival), f"f{number}")
    jobs = await ledger.claim_due(100)
    assert sum(j.subscription.channel_id == 10 for j in jobs) == 5
    homes: dict[str, set[int]] = {}
    for job in jobs:
        if job.subscription.channel_id in pool:
            stored = await store.get(job.review_id)
            assert stored is not None and stored.review.festival is not None
            homes.setdefault(stored.review.festival.name, set()).add(job.subscription.channel_id)
    assert sum(j.subscription.channel_id in pool for j in jobs) == 5  # each review once in the pool
    assert homes["Cannes"] == {cannes_home}
    assert all(len(channels) == 1 for channels in homes.values())
    assert len(set.union(*homes.values())) == 3  # three festivals at once: three channels
    assert await ledger.pool_homes("Cannes", pool) == [cannes_home]  # kept: its followers follow it
    smaller = tuple(c for c in pool if c != cannes_home)
    (moved,) = await ledger.pool_homes("Cannes", smaller)  # its channel left the pool: given another
    assert moved in smaller


async def test_a_pool_channel_not_followed_by_every_follower_of_all_is_given_no_festival(
    store: Store, festivals: FestivalTable
) -> None:
    ledger = Ledger(store)
    await ledger.pool_homes(None, (900,))
    await ledger.subscribe(guild_id=9, channel_id=900, festival=None)
    await ledger.record_follow(5, 50, None, [900])  # a server following every festival, through 900 alone
    await ingest(store, festivals, review_text("Film A", festival="Cannes"), "a")
    assert await ledger.following_all((900, 901)) == {(5, 50): [900]}  # 901 joins the pool, unfollowed yet
    await ledger.subscribe(guild_id=9, channel_id=901, festival=None)
    await ingest(store, festivals, review_text("Film B", festival="Venice"), "b")  # 901 is idler, yet unfollowed
    assert [j.subscription.channel_id for j in await ledger.claim_due(100)] == [900, 900]
    await ledger.record_follow(5, 50, None, [901])  # now it follows both
    assert await ledger.pool_homes("Berlinale", (900, 901)) == [901]
    await ledger.record_follow(5, 50, "Cannes", [900])
    assert await ledger.follows_of(50, "Cannes") == ([900], [900, 901])  # 900 stays followed: "all" needs it
    assert await ledger.follows_of(50, None) == ([900, 901], [])
    await ledger.forget_follow(50, None)
    assert await ledger.follows_of(50, None) == ([], [])


async def test_a_channel_subscribed_twice_over_gets_one_delivery_with_the_most_specific_settings(
    store: Store, festivals: FestivalTable
) -> None:
    ledger = Ledger(store)
    everything, _ = await ledger.subscribe(guild_id=1, channel_id=10, festival=None, style="compact")
    berlinale, _ = await ledger.subscribe(guild_id=1, channel_id=10, festival="Berlinale", role_id=77)
    section, _ = await ledger.subscribe(guild_id=1, channel_id=11, festival="Berlinale", section="Competition")
    await ledger.subscribe(guild_id=1, channel_id=11, festival="Berlinale")
    await ledger.subscribe(guild_id=1, channel_id=11, festival=None)
    await ingest(store, festivals, review_text("The Twice Told"), "a")
    await ingest(store, festivals, review_text("Far Away", festival="Cannes"), "b")
    jobs = await ledger.claim_due(100)
    by_channel = sorted((j.subscription.channel_id, j.subscription.id) for j in jobs)
    # Channel 10: the Berlinale review under its Berlinale subscription (with the role), the Cannes one under all.
    # Channel 11: the Berlinale review under its Competition subscription, the Cannes one under all.
    assert len(by_channel) == 4
    assert [sub for channel, sub in by_channel if channel == 10] == sorted([berlinale.id, everything.id])
    assert section.id in [sub for channel, sub in by_channel if channel == 11]
    twice_told = [j for j in jobs if j.subscription.channel_id == 10 and j.subscription.festival == "Berlinale"]
    assert twice_told[0].subscription.role_id == 77


async def test_backfill_posts_each_review_once_per_channel(store: Store, festivals: FestivalTable) -> None:
    for i in range(4):
        await ingest(store, festivals, review_text(f"Film {i}"), f"s{i}")
    await ingest(store, festivals, review_text("Elsewhere", festival="Cannes"), "c")
    ledger = Ledger(store)
    everything, _ = await ledger.subscribe(guild_id=1, channel_id=10, festival=None)
    berlinale, _ = await ledger.subscribe(guild_id=1, channel_id=10, festival="Berlinale")
    assert await ledger.backfill([everything, berlinale], 3) == 3  # the newest three of the channel's, once each
    jobs = await ledger.claim_due(100)
    titles = [(await store.get(j.review_id)).review.title for j in jobs]  # type: ignore[union-attr]
    assert titles == ["Film 2", "Film 3", "Elsewhere"]
    assert {j.subscription.id for j in jobs if j.subscription.festival == "Berlinale"} == {berlinale.id}
    assert await ledger.backfill([berlinale], 10) == 2  # Film 0 and 1: the channel had the others already
    assert await ledger.backfill([everything, berlinale], 10) == 0


async def test_subscribing_does_not_backfill_and_backfill_does(store: Store, festivals: FestivalTable) -> None:
    for i in range(5):
        await ingest(store, festivals, review_text(f"Film {i}"), f"s{i}")
    ledger = Ledger(store)
    sub, created = await ledger.subscribe(guild_id=1, channel_id=10, festival="Berlinale")
    assert created
    assert await ledger.claim_due(100) == []
    assert await ledger.backfill([sub], 3) == 3
    jobs = await ledger.claim_due(100)
    titles = [(await store.get(j.review_id)).review.title for j in jobs]  # type: ignore[union-attr]
    assert titles == ["Film 2", "Film 3", "Film 4"]  # the newest three, oldest first
    assert await ledger.backfill([sub], 3) == 2  # only what it has not had


async def test_unsubscribe_removes_one_channels_subscriptions_in_that_guild_only(store: Store) -> None:
    ledger = Ledger(store)
    await ledger.subscribe(guild_id=1, channel_id=10, festival="Berlinale")
    await ledger.subscribe(guild_id=1, channel_id=10, festival="Berlinale", section="Panorama")
    await ledger.subscribe(guild_id=1, channel_id=10, festival="Cannes")
    await ledger.subscribe(guild_id=1, channel_id=10, festival=None)
    await ledger.subscribe(guild_id=1, channel_id=11, festival="Berlinale")
    await ledger.subscribe(guild_id=2, channel_id=20, festival="Berlinale")

    async def left() -> list[tuple[int, int, str | None, str | None]]:
        return [(s.guild_id, s.channel_id, s.festival, s.section) for s in await ledger.subscriptions()]

    assert await ledger.unsubscribe(1, 10, "Berlinale") == 2  # the festival, in every section
    assert await left() == [
        (1, 10, None, None),
        (1, 10, "Cannes", None),
        (1, 11, "Berlinale", None),
        (2, 20, "Berlinale", None),
    ]
    assert await ledger.unsubscribe(1, 10, "Berlinale") == 0
    assert await ledger.unsubscribe(1, 20) == 0  # another guild's channel
    assert await ledger.unsubscribe(2, 10) == 0  # and this channel, named from another guild
    assert await ledger.unsubscribe(1, 10) == 2  # all that is left: Cannes and every festival
    assert await left() == [(1, 11, "Berlinale", None), (2, 20, "Berlinale", None)]


async def delivery_states(store: Store) -> dict[int, list[str]]:
    """Every delivery row's state by subscription id, read from the table (the log joins subscriptions)."""
    rows = await store.reads.fetchall("SELECT subscription_id, state FROM deliveries ORDER BY id")
    states: dict[int, list[str]] = {}
    for subscription_id, state in rows:
        states.setdefault(subscription_id, []).append(state)
    return states


async def test_unsubscribe_hands_deliveries_to_what_the_channel_keeps(store: Store, festivals: FestivalTable) -> None:
    ledger = Ledger(store)
    gone, _ = await ledger.subscribe(guild_id=1, channel_id=10, festival="Berlinale")
    kept, _ = await ledger.subscribe(guild_id=1, channel_id=10, festival=None)
    lone, _ = await ledger.subscribe(guild_id=1, channel_id=11, festival="Berlinale")
    await ingest(store, festivals, review_text("Announced"), "a")
    for job in await ledger.claim_due(100):
        await ledger.record_sent(job.id, message_id=5000 + job.id)
    await ingest(store, festivals, review_text("Waiting"), "b")
    jobs = await ledger.claim_due(100)
    await ledger.record_retry(next(j.id for j in jobs if j.subscription.id == gone.id), 60.0, "503")
    await ingest(store, festivals, review_text("Queued"), "c")
    assert await delivery_states(store) == {
        gone.id: ["sent", "retrying", "queued"],  # channel 10's, under its most specific subscription
        lone.id: ["sent", "sending", "queued"],
    }

    assert await ledger.unsubscribe(1, 10, "Berlinale") == 1
    # The channel still follows every festival: what it was sent and what it is due stay with it.
    assert await delivery_states(store) == {
        kept.id: ["sent", "retrying", "queued"],
        lone.id: ["sent", "sending", "queued"],
    }
    assert await ledger.backfill([kept], 10) == 0  # so nothing it was sent comes again
    assert await ledger.unsubscribe(1, 11) == 1
    # Nothing else of channel 11's matches: unsent deliveries are dropped, and the history (ON DELETE CASCADE).
    assert await delivery_states(store) == {kept.id: ["sent", "retrying", "queued"]}
    assert {j.subscription.id for j in await ledger.claim_due(100, now=time.time() + 3600)} == {kept.id}


async def test_an_unsent_delivery_is_handed_only_to_a_subscription_whose_filters_let_it_through(
    store: Store, festivals: FestivalTable
) -> None:
    ledger = Ledger(store)
    gone, _ = await ledger.subscribe(guild_id=1, channel_id=10, festival="Berlinale")
    kept, _ = await ledger.subscribe(guild_id=1, channel_id=10, festival=None, filters=Criteria(words=("harvest",)))
    await ingest(store, festivals, review_text("Sent Before"), "a")
    for job in await ledger.claim_due(100):
        await ledger.record_sent(job.id, message_id=5000 + job.id)
    await ingest(store, festivals, review_text("Late Harvest"), "b")
    await ingest(store, festivals, review_text("Winter Garden"), "c")
    assert await delivery_states(store) == {gone.id: ["sent", "queued", "queued"]}
    assert await ledger.unsubscribe(1, 10, "Berlinale") == 1
    # The history stays; of what was due, only what the kept subscription's words let through.
    assert await delivery_states(store) == {kept.id: ["sent", "queued"]}
    (job,) = await ledger.claim_due(100)
    assert (await store.get(job.review_id)).review.title == "Late Harvest"  # type: ignore[union-attr]


async def test_unchanged_and_not_announced(store: Store, festivals: FestivalTable) -> None:
    ledger = Ledger(store)
    await ledger.subscribe(guild_id=1, channel_id=10, festival=None)
    await ingest(store, festivals, review_text("Old"), "a", announce=False)
    await ingest(store, festivals, review_text("Old"), "a")  # unchanged: nothing new
    assert await ledger.claim_due(100) == []


async def test_worker_sends_each_once_and_records_message_ids(store: Store, festivals: FestivalTable) -> None:
    ledger = Ledger(store)
    for channel in range(30):
        await ledger.subscribe(guild_id=1, channel_id=100 + channel, festival=None)
    await ingest(store, festivals, review_text("The Long Field"), "a")
    sender = ScriptedSender()
    announcer = Announcer(ledger, sender, pacer=Pacer((1000, 1.0), (5, 5.0)))
    assert await announcer.run_once() == 30
    await announcer.drain()
    assert sorted(j.subscription.channel_id for j in sender.sent) == list(range(100, 130))
    assert await ledger.counts() == {"sent": 30}
    assert await announcer.run_once() == 0
    assert len({j.nonce for j in sender.sent}) == 30


async def test_worker_claims_in_chunks_woken_by_each_finished_channel(
    store: Store, festivals: FestivalTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(announcer_module, "POLL_INTERVAL", 60.0)  # a lost wake-up would stall the test
    ledger = Ledger(store)
    for channel in range(40):
        await ledger.subscribe(guild_id=1, channel_id=100 + channel, festival=None)
    await ingest(store, festivals, review_text("The Long Field"), "a")
    claimed: list[int] = []
    claim_due = ledger.claim_due

    async def counting_claim_due(limit: int, **kwargs: object) -> list[DeliveryJob]:
        jobs = await claim_due(limit, **kwargs)  # type: ignore[arg-type]
        claimed.append(len(jobs))
        return jobs

    monkeypatch.setattr(ledger, "claim_due", counting_claim_due)
    sender = ScriptedSender()
    announcer = Announcer(ledger, sender, pacer=Pacer((1000, 1.0), (5, 5.0)), batch=8)
    worker = asyncio.create_task(announcer.run())
    try:
        async with asyncio.timeout(30):
            while len(sender.sent) < 40:
                await asyncio.sleep(0.01)
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    assert len([n for n in claimed if n]) <= 1 + 32 // 4  # 8, then at least half a batch at a time
    assert len({j.subscription.channel_id for j in sender.sent}) == 40


async def test_forbidden_pauses_only_that_subscription(store: Store, festivals: FestivalTable) -> None:
    ledger = Ledger(store)
    bad, _ = await ledger.subscribe(guild_id=1, channel_id=10, festival=None)
    await ledger.subscribe(guild_id=1, channel_id=11, festival=None)
    sender = ScriptedSender()
    sender.script[10] = [SendOutcome(kind="pause", reason="Missing Permissions: Send Messages")]
    await ingest(store, festivals, review_text("One"), "a")
    announcer = Announcer(ledger, sender, pacer=Pacer((1000, 1.0), (5, 5.0)))
    await announcer.run_once()
    await announcer.drain()
    subs = {s.channel_id: s for s in await ledger.subscriptions(1)}
    assert subs[10].paused_reason == "Missing Permissions: Send Messages"
    assert subs[11].active
    await ingest(store, festivals, review_text("Two"), "b")  # a paused subscription gets nothing new
    await announcer.run_once()
    await announcer.drain()
    assert [j.subscription.channel_id for j in sender.sent].count(10) == 1
    await ledger.subscribe(guild_id=1, channel_id=10, festival=None)  # subscribing again resumes it
    assert (await ledger.subscription(bad.id)).active  # type: ignore[union-attr]
    await announcer.run_once()
    await announcer.drain()
    assert [j.subscription.channel_id for j in sender.sent].count(10) == 2


async def test_retry_then_success_and_give_up(store: Store, festivals: FestivalTable) -> None:
    ledger = Ledger(store)
    await ledger.subscribe(guild_id=1, channel_id=10, festival=None)
    await ledger.subscribe(guild_id=1, channel_id=11, festival=None)
    sender = ScriptedSender()
    sender.script[10] = [SendOutcome(kind="retry", retry_after=0.0, reason="503")]
    sender.script[11] = [SendOutcome(kind="fail", reason="400 Invalid Form Body")]
    await ingest(store, festivals, review_text("One"), "a")
    announcer = Announcer(ledger, sender, pacer=Pacer((1000, 1.0), (5, 5.0)))
    await announcer.run_once()
    await announcer.drain()
    await announcer.run_once()
    await announcer.drain()
    assert await ledger.counts() == {"sent": 1, "failed": 1}
    assert [j.attempts for j in sender.sent if j.subscription.channel_id == 10] == [1, 2]


async def test_crash_between_claim_and_record_resends_with_the_same_nonce(
    store: Store, festivals: FestivalTable
) -> None:
    ledger = Ledger(store)
    await ledger.subscribe(guild_id=1, channel_id=10, festival=None)
    await ingest(store, festivals, review_text("One"), "a")
    first = await ledger.claim_due(10)  # claimed, then the process dies before recording
    again = await Ledger(store).claim_due(10)  # a new process finds it still due
    assert [j.nonce for j in again] == [j.nonce for j in first]
    assert again[0].attempts == 2


async def test_update_edits_what_was_announced(store: Store, festivals: FestivalTable) -> None:
    ledger = Ledger(store)
    await ledger.subscribe(guild_id=1, channel_id=10, festival=None)
    review_id = await ingest(store, festivals, review_text("One"), "a")
    sender = ScriptedSender()
    announcer = Announcer(ledger, sender, pacer=Pacer((1000, 1.0), (5, 5.0)))
    await announcer.run_once()
    await announcer.drain()
    await ingest(store, festivals, review_text("One").replace("98 mins", "99 mins"), "a")
    await announcer.run_once()
    await announcer.drain()
    assert [(j.review_id, j.action) for j in sender.sent] == [(review_id, "post"), (review_id, "edit")]
    assert sender.sent[1].message_id == 1000


def test_sliding_window() -> None:
    window = SlidingWindow(2, 1.0, margin=0)
    window.record(0.0)
    window.record(0.1)
    assert window.delay(0.5) == pytest.approx(0.5)
    assert window.delay(1.0) == 0.0


def most_in_any_window(times: list[float], period: float) -> int:
    """The most events in any window [t, t + period), at any offset t."""
    times = sorted(times)
    first = most = 0
    for last, at in enumerate(times):
        while at - times[first] >= period:
            first += 1
        most = max(most, last - first + 1)
    return most


class LateClock:
    """A fake clock moved only by sleeps, which wake up late as in a busy event loop (seeded)."""

    def __init__(self, late: float, stall_at: int = -1, stall: float = 0.0) -> None:
        self.now = 0.0
        self.sleeps = 0
        self._late = late
        self._stall_at, self._stall = stall_at, stall
        self._rng = random.Random(7)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + self._rng.uniform(0, self._late) + (self._stall if self.sleeps == self._stall_at else 0)
        self.sleeps += 1


@pytest.mark.parametrize(
    ("late", "stall"),
    [(0.0, 0.0), (0.01, 0.0), (0.02, 0.5)],
    ids=["on time", "up to the margin late", "up to twice the margin late, one stall"],
)
async def test_pacer_never_exceeds_the_global_limit_in_any_second(
    monkeypatch: pytest.MonkeyPatch, late: float, stall: float
) -> None:
    clock = LateClock(late=late, stall_at=100, stall=stall)
    monkeypatch.setattr(asyncio, "sleep", clock.sleep)
    pacer = Pacer((49, 1.0), (5, 5.0), clock=clock, margin=0.01)
    sent = []
    for channel in range(500):
        await pacer.acquire(channel)
        sent.append(clock())
    assert most_in_any_window(sent, 1.0) <= 49  # so in every fixed 1 s window of a server, whatever its phase
    assert most_in_any_window(sent, 0.1) <= 6  # 4.85 per 0.1 s on average: no bursts, not even after the stall


async def test_pacer_keeps_pace_through_late_wake_ups_and_late_callers(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = LateClock(late=0.005)  # every wake-up up to half the margin late
    monkeypatch.setattr(asyncio, "sleep", clock.sleep)
    pacer = Pacer((49, 1.0), (5, 5.0), clock=clock, margin=0.01)
    interval = 1.01 / 49
    for channel in range(500):
        if channel % 2:
            clock.now += interval + 0.005  # every other caller comes back up to half the margin after its slot
        await pacer.acquire(channel)
    assert 499 * interval <= clock() <= 499 * interval + 0.01  # on its slots: lateness does not add up


async def test_pacer_holds_each_channels_window(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = LateClock(late=0.0)
    monkeypatch.setattr(asyncio, "sleep", clock.sleep)
    pacer = Pacer((49, 1.0), (5, 5.0), clock=clock)
    sent = []
    for _ in range(11):
        await pacer.acquire(7)
        sent.append(clock())
    assert most_in_any_window(sent, 5.0) <= 5
    assert sent[-1] == pytest.approx(2 * 5.02, abs=0.01)  # the 6th and the 11th wait for the window, no longer


async def test_a_channel_waiting_for_its_window_holds_up_no_other() -> None:
    pacer = Pacer((1000, 1.0), (1, 5.0))
    await pacer.acquire(7)
    second = asyncio.create_task(pacer.acquire(7))  # channel 7's next slot is 5 s away
    await asyncio.sleep(0)
    await asyncio.wait_for(pacer.acquire(8), 1.0)
    assert not second.done()
    second.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await second


async def test_seed_ingest_for_announcements(store: Store, festivals: FestivalTable) -> None:
    ledger = Ledger(store)
    await ledger.subscribe(guild_id=1, channel_id=10, festival="Berlinale", section="Competition")
    await store.ingest(parse_review_text(SEED.read_text(encoding="utf-8"), table=festivals), source="seed")
    assert len(await ledger.claim_due(10)) == 1


async def test_shipped_reviews_are_never_announced(store: Store, festivals: FestivalTable, tmp_path) -> None:
    from bot.sources.ingest import ensure_seeded

    ledger = Ledger(store)
    await ledger.subscribe(guild_id=1, channel_id=10, festival=None)
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "dust.txt").write_bytes(SEED.read_bytes())
    await ensure_seeded(store, shipped, festivals)
    assert await store.count() == 1
    assert await ledger.claim_due(10) == []


async def test_cancelling_the_worker_as_it_is_woken_stops_it(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cancel that arrives with a wake-up must not be lost: that is what hung the chunked-claims test under load.

    Python 3.11's ``asyncio.wait_for`` returns the inner result when the inner wait finished in the same loop
    iteration as the cancel, swallowing the cancellation; the worker then slept on for ``POLL_INTERVAL``.
    """
    monkeypatch.setattr(announcer_module, "POLL_INTERVAL", 60.0)
    ledger = Ledger(store)
    sleeping = asyncio.Event()
    next_due_at = ledger.next_due_at

    async def noting_next_due_at() -> float | None:
        sleeping.set()  # asked just before the worker goes to sleep
        return await next_due_at()

    monkeypatch.setattr(ledger, "next_due_at", noting_next_due_at)
    announcer = Announcer(ledger, ScriptedSender())
    worker = asyncio.create_task(announcer.run())
    try:
        async with asyncio.timeout(10):
            await sleeping.wait()
        await asyncio.sleep(0.05)  # into the wait for a wake-up
        announcer.wake()
        worker.cancel()
        with pytest.raises(asyncio.CancelledError):  # outside the timeout, which would raise TimeoutError
            async with asyncio.timeout(5):
                await worker
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker


def state(announcer: Announcer) -> TaskState:
    return announcer.status.current.state


async def test_the_worker_rides_out_a_locked_database_and_delivers_afterwards(
    impatient_store: Store, festivals: FestivalTable
) -> None:
    store = impatient_store
    ledger = Ledger(store)
    await ledger.subscribe(guild_id=1, channel_id=10, festival=None)
    await ingest(store, festivals, review_text("Held Up"), "a")
    holder = sqlite3.connect(store.location, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock longer than the busy timeout
    sender = ScriptedSender()
    announcer = Announcer(ledger, sender, pacer=Pacer((1000, 1.0), (5, 5.0)))
    worker = asyncio.create_task(announcer.run())
    try:
        async with asyncio.timeout(10):
            while state(announcer) != TaskState.RETRYING:
                assert not worker.done(), worker
                await asyncio.sleep(0.01)
        assert announcer.status.current.problem == "the database is unavailable (database is locked)"
        holder.execute("COMMIT")
        async with asyncio.timeout(10):
            while not sender.sent or await ledger.counts() != {"sent": 1}:
                assert not worker.done(), worker
                await asyncio.sleep(0.01)
        assert state(announcer) == TaskState.RUNNING
    finally:
        holder.close()
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    assert [j.subscription.channel_id for j in sender.sent] == [10]


async def test_a_send_recorded_while_the_database_is_locked_is_recorded_once_it_is_free(
    impatient_store: Store, festivals: FestivalTable
) -> None:
    store = impatient_store
    ledger = Ledger(store)
    await ledger.subscribe(guild_id=1, channel_id=10, festival=None)
    await ingest(store, festivals, review_text("Sent Then Locked"), "a")
    holder = sqlite3.connect(store.location, isolation_level=None)
    sender = ScriptedSender()
    deliver = sender.deliver

    async def deliver_then_lock(job: DeliveryJob) -> SendOutcome:
        outcome = await deliver(job)
        holder.execute("BEGIN IMMEDIATE")  # the database locks between the send and its record
        return outcome

    sender.deliver = deliver_then_lock  # type: ignore[method-assign]
    announcer = Announcer(ledger, sender, pacer=Pacer((1000, 1.0), (5, 5.0)))
    try:
        assert await announcer.run_once() == 1
        async with asyncio.timeout(10):
            while state(announcer) != TaskState.RETRYING:
                await asyncio.sleep(0.01)
        holder.execute("COMMIT")
        async with asyncio.timeout(10):
            await announcer.drain()
    finally:
        holder.close()
    assert await ledger.counts() == {"sent": 1}
    assert len(sender.sent) == 1
