"""Digests, health alerts and their outbox, on both engines, with a scripted sender and an injected clock."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time

import pytest

from bot.announce.notices import NoticeWorker
from bot.announce.worker import Pacer, SendOutcome
from bot.answers.cards import DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT
from bot.answers.delivery_options import delivery_options
from bot.answers.notices import alert_text, digest_reply
from bot.domain.festivals import FestivalTable
from bot.domain.models import AlertFacts, DeliveryOptions, NoticeJob, Subscription
from bot.domain.schedule import digest_moment, zone_problem, zones_matching
from bot.storage import feeds as feedstore
from bot.storage.ledger import Ledger
from bot.storage.store import Store
from tests.test_announcer import ingest, review_text

DAY = 86_400.0


class NoticeSender:
    """Records every notice posted; outcomes come from a script (default: sent)."""

    def __init__(self) -> None:
        self.posted: list[NoticeJob] = []
        self.script: list[SendOutcome] = []
        self._ids = itertools.count(5000)

    async def post_notice(self, job: NoticeJob) -> SendOutcome:
        self.posted.append(job)
        return self.script.pop(0) if self.script else SendOutcome.sent(next(self._ids))


def worker(ledger: Ledger, sender: NoticeSender) -> NoticeWorker:
    return NoticeWorker(ledger, sender, pacer=Pacer((1000, 1.0), (100, 1.0)))


def digest_at(hour: int, zone: str = "UTC", setup: int | None = 99) -> DeliveryOptions:
    return DeliveryOptions(digest_hour=hour, timezone=zone, setup_channel_id=setup)


async def table_count(store: Store, table: str) -> int:
    row = await store.reads.fetchone(f"SELECT count(*) FROM {table}")
    assert row is not None
    return int(row[0])


# ---------------------------------------------------------------------------------- digests


async def test_a_digest_posts_the_days_reviews_once_and_nothing_on_an_empty_day(
    store: Store, festivals: FestivalTable
) -> None:
    ledger = Ledger(store)
    digest, _ = await ledger.subscribe(guild_id=1, channel_id=10, festival="Berlinale", delivery=digest_at(9))
    await ledger.subscribe(guild_id=1, channel_id=11, festival=None)  # an ordinary channel beside it
    assert digest.is_digest and digest.digest_hour == 9 and digest.timezone == "UTC"
    first = await ingest(store, festivals, review_text("The First Light"), "a")
    second = await ingest(store, festivals, review_text("The Second Wind"), "b")
    await ingest(store, festivals, review_text("Elsewhere", festival="Cannes"), "c")
    assert await ledger.counts() == {"queued": 3}  # the ordinary channel's posts; the digest posts none
    sender = NoticeSender()
    tomorrow = time.time() + DAY
    assert await worker(ledger, sender).run_once(tomorrow) == 1
    (job,) = sender.posted
    assert job.kind == "digest" and job.channel_id == 10 and job.subscription_id == digest.id
    assert job.digest is not None and job.digest.review_ids == [first, second]
    assert job.digest.date == digest_moment(9, "UTC", tomorrow)[0]
    # the same day again, and after a restart (a new worker): nothing more
    assert await worker(ledger, sender).run_once(tomorrow) == 0
    assert await worker(ledger, sender).run_once(tomorrow + 3600) == 0
    # the next day had no reviews: recorded as empty, never posted
    assert await worker(ledger, sender).run_once(tomorrow + DAY) == 0
    assert [state for _, _, state, _ in await ledger.notices(1, "digest")] == ["sent", "empty"]
    assert len(sender.posted) == 1
    # a review stored later goes in the next digest, and only it
    third = await ingest(store, festivals, review_text("The Third Man Out"), "d")
    await worker(ledger, sender).run_once(time.time() + 3 * DAY)
    assert sender.posted[-1].digest is not None and sender.posted[-1].digest.review_ids == [third]
    assert await table_count(store, "digest_items") == 0  # what was listed is let go


async def test_a_digest_nobody_could_post_is_retried_then_given_up(store: Store, festivals: FestivalTable) -> None:
    ledger = Ledger(store)
    await ledger.subscribe(guild_id=1, channel_id=10, festival=None, delivery=digest_at(20, "Europe/Berlin"))
    await ingest(store, festivals, review_text("The Late Post"), "a")
    sender = NoticeSender()
    sender.script = [SendOutcome(kind="retry", reason="HTTP 503"), SendOutcome(kind="pause", reason="Missing Access")]
    later = time.time() + DAY
    await worker(ledger, sender).run_once(later)
    assert [state for _, _, state, _ in await ledger.notices(1)] == ["retrying"]
    # the retry is due a few seconds on; the crash-safe nonce is the same for both attempts
    await worker(ledger, sender).run_once(later + 600)
    assert [state for _, _, state, _ in await ledger.notices(1)] == ["failed"]
    assert len({job.nonce for job in sender.posted}) == 1 and [j.attempts for j in sender.posted] == [1, 2]


async def test_a_digest_subscription_collects_reviews_instead_of_posts(store: Store, festivals: FestivalTable) -> None:
    ledger = Ledger(store)
    await ledger.subscribe(guild_id=1, channel_id=10, festival=None, delivery=digest_at(9))
    await ingest(store, festivals, review_text("The Quiet One"), "a")
    await ingest(store, festivals, review_text("The Shipped One"), "b", announce=False)  # never announced
    assert await ledger.counts() == {}
    assert await table_count(store, "digest_items") == 1
    # made an ordinary subscription again, it posts the next review and collects nothing more
    await ledger.subscribe(guild_id=1, channel_id=10, festival=None)
    await ingest(store, festivals, review_text("The Loud One"), "c")
    assert await ledger.counts() == {"queued": 1} and await table_count(store, "digest_items") == 1


def test_digest_moments_follow_the_local_clock_across_daylight_saving() -> None:
    berlin_summer = dt.datetime(2026, 3, 29, 12, 0, tzinfo=dt.UTC).timestamp()  # the day clocks go forward
    day, moment = digest_moment(9, "Europe/Berlin", berlin_summer)
    assert day == dt.date(2026, 3, 29)
    assert dt.datetime.fromtimestamp(moment, dt.UTC).hour == 7  # 09:00 CEST
    _, before = digest_moment(9, "Europe/Berlin", berlin_summer - 86_400)
    assert dt.datetime.fromtimestamp(before, dt.UTC).hour == 8  # 09:00 CET the day before
    assert moment - before == 23 * 3600  # the day the clocks go forward is 23 hours long
    early = dt.datetime(2026, 6, 1, 5, 0, tzinfo=dt.UTC).timestamp()  # 07:00 in Berlin: yesterday's is the latest
    assert digest_moment(9, "Europe/Berlin", early)[0] == dt.date(2026, 5, 31)


def test_time_zones_are_checked_and_offered() -> None:
    assert zone_problem("Europe/Berlin") is None
    problem = zone_problem("Europe/Berln")
    assert problem is not None and "Europe/Berlin" in problem
    assert zones_matching("new york") == ["America/New_York"]
    assert zones_matching("")[0] == "UTC" and len(zones_matching("")) == 25


def test_delivery_options_say_what_is_wrong_in_one_line() -> None:
    ok = delivery_options("digest", None, "Asia/Tokyo", False, forum=False, setup_channel_id=5)
    assert ok == DeliveryOptions(digest_hour=9, timezone="Asia/Tokyo", setup_channel_id=5)
    assert "style:digest" in str(delivery_options("embed", 7, None, False, forum=False, setup_channel_id=5))
    assert "not a time zone" in str(
        delivery_options("digest", 7, "Mars/Olympus", False, forum=False, setup_channel_id=5)
    )
    assert "embed or compact" in str(delivery_options("digest", 7, None, True, forum=False, setup_channel_id=5))
    # a forum already gets a post (a thread) per review
    assert delivery_options("embed", None, None, True, forum=True, setup_channel_id=5) == DeliveryOptions(
        setup_channel_id=5
    )


async def test_a_digest_of_a_busy_day_fits_discords_limits(store: Store, festivals: FestivalTable) -> None:
    ids = [await ingest(store, festivals, review_text(f"Busy Film Number {i} " + "x" * 60), f"r{i}") for i in range(60)]
    reviews = [stored for stored in [await store.get(i) for i in ids] if stored is not None]
    sub = Subscription(id=1, guild_id=1, channel_id=2, festival="Berlinale", digest_hour=9)
    reply = digest_reply(sub, dt.date(2026, 2, 20), reviews)
    (card,) = reply.cards
    assert len(card.description) <= DESCRIPTION_LIMIT and card.size() <= EMBED_TOTAL_LIMIT
    assert card.title == "Berlinale: 60 new reviews"
    listed = card.description.count("Busy Film Number")
    assert 0 < listed < 60
    assert card.description.endswith(f"… and {60 - listed} more (see /festival)")
    assert card.footer == "Digest for Friday 20 February 2026"


# ---------------------------------------------------------------------------------- health alerts


async def test_a_paused_subscription_alerts_once_and_recovers_once(store: Store) -> None:
    ledger = Ledger(store)
    sub, _ = await ledger.subscribe(
        guild_id=1, channel_id=10, festival="Berlinale", delivery=DeliveryOptions(setup_channel_id=99)
    )
    await ledger.pause(sub.id, "Discord refused: Missing Permissions")
    await ledger.pause(sub.id, "Discord refused: Missing Permissions")  # still broken: no second alert
    sender = NoticeSender()
    assert await worker(ledger, sender).run_once() == 1
    (broken,) = sender.posted
    assert broken.channel_id == 99 and broken.alert is not None
    assert broken.alert.event == "broken" and broken.alert.what == "Berlinale" and broken.alert.channel_id == 10
    assert "Missing Permissions" in alert_text(broken.alert) and "/announce subscribe" in alert_text(broken.alert)
    await ledger.subscribe(guild_id=1, channel_id=10, festival="Berlinale")  # resumed
    await ledger.subscribe(guild_id=1, channel_id=10, festival="Berlinale")  # already running: nothing to say
    assert await worker(ledger, sender).run_once() == 1
    recovered = sender.posted[-1]
    assert recovered.alert is not None and recovered.alert.event == "recovered" and recovered.channel_id == 99
    assert "running again" in alert_text(recovered.alert)
    # broken again later: a new episode, told again
    await ledger.pause(sub.id, "the channel is gone")
    assert await worker(ledger, sender).run_once() == 1
    assert len(sender.posted) == 3


async def test_alerts_go_to_the_servers_alert_channel_when_one_is_set(store: Store) -> None:
    ledger = Ledger(store)
    sub, _ = await ledger.subscribe(
        guild_id=1, channel_id=10, festival=None, delivery=DeliveryOptions(setup_channel_id=99)
    )
    await ledger.set_alert_channel(1, 77)
    assert await ledger.alert_channel(1) == 77
    await ledger.pause(sub.id, "Missing Access")
    sender = NoticeSender()
    await worker(ledger, sender).run_once()
    assert [job.channel_id for job in sender.posted] == [77]
    await ledger.set_alert_channel(1, None)
    assert await ledger.alert_channel(1) is None


async def test_a_subscription_from_before_alerts_has_nowhere_to_say_it(store: Store) -> None:
    ledger = Ledger(store)
    sub, _ = await ledger.subscribe(guild_id=1, channel_id=10, festival=None)  # no set-up channel known
    await ledger.pause(sub.id, "Missing Access")
    sender = NoticeSender()
    assert await worker(ledger, sender).run_once() == 0
    assert sender.posted == [] and [s for _, _, s, _ in await ledger.notices(1)] == ["failed"]


async def test_an_unsubscribed_problem_is_forgotten(store: Store) -> None:
    ledger = Ledger(store)
    sub, _ = await ledger.subscribe(
        guild_id=1, channel_id=10, festival=None, delivery=DeliveryOptions(setup_channel_id=9)
    )
    await ledger.pause(sub.id, "Missing Access")
    assert await table_count(store, "open_problems") == 1
    await ledger.unsubscribe(1, 10)
    assert await table_count(store, "open_problems") == 0


async def test_a_servers_feed_failing_for_an_hour_alerts_once_and_recovers_once(store: Store) -> None:
    t0 = dt.datetime(2026, 2, 20, 10, 0, tzinfo=dt.UTC)
    feed = await feedstore.insert_feed(
        store,
        "https://feeds.example.com/rss",
        guild_id=1,
        festival=None,
        interval_seconds=300,
        now=t0,
        setup_channel_id=42,
    )
    operators = await feedstore.insert_feed(
        store, "https://ops.example.com/rss", guild_id=None, festival=None, interval_seconds=300, now=t0
    )
    assert feed is not None and operators is not None
    ledger = Ledger(store)
    sender = NoticeSender()
    for minutes in (0, 30, 59, 61, 90, 180):
        when = t0 + dt.timedelta(minutes=minutes)
        for f in (feed, operators):
            await feedstore.record_failure(
                store, f.id, now=when, reason="HTTP 500", error_count=minutes, next_poll_at=when
            )
        await worker(ledger, sender).run_once()
    (broken,) = sender.posted  # after an hour, once; the operator's feed has no server to tell
    assert broken.channel_id == 42 and broken.alert is not None and broken.alert.kind == "feed"
    assert "https://feeds.example.com/rss" in alert_text(broken.alert) and "HTTP 500" in alert_text(broken.alert)
    for _ in range(2):
        for f in (feed, operators):
            later = t0 + dt.timedelta(hours=4)
            await feedstore.record_success(
                store, f.id, now=later, status="200", etag=None, last_modified=None, next_poll_at=later
            )
        await worker(ledger, sender).run_once()
    assert len(sender.posted) == 2
    recovered = sender.posted[-1]
    assert recovered.alert is not None and recovered.alert.event == "recovered" and recovered.channel_id == 42
    # a short failure after recovering says nothing
    await feedstore.record_failure(
        store, feed.id, now=t0 + dt.timedelta(hours=5), reason="x", error_count=1, next_poll_at=t0
    )
    await worker(ledger, sender).run_once()
    assert len(sender.posted) == 2


async def test_claimed_notices_are_not_sent_twice_by_a_second_worker(store: Store) -> None:
    ledger = Ledger(store)
    sub, _ = await ledger.subscribe(
        guild_id=1, channel_id=10, festival=None, delivery=DeliveryOptions(setup_channel_id=9)
    )
    await ledger.pause(sub.id, "Missing Access")
    now = time.time()
    (job,) = await ledger.claim_notices(10, now)
    assert await ledger.claim_notices(10, now) == []  # leased
    (again,) = await ledger.claim_notices(10, now + 61)  # a crash left it: due again after the lease
    assert again.id == job.id and again.nonce == job.nonce and again.attempts == 2
    body = await store.reads.fetchone("SELECT body FROM notices WHERE id = ?", (job.id,))
    assert body is not None and AlertFacts.model_validate(json.loads(body[0])).subject_id == sub.id


@pytest.mark.parametrize("hour", [0, 23])
async def test_digest_hours_at_the_ends_of_the_day(store: Store, hour: int) -> None:
    ledger = Ledger(store)
    sub, _ = await ledger.subscribe(guild_id=1, channel_id=10, festival=None, delivery=digest_at(hour, "Asia/Tokyo"))
    assert sub.digest_hour == hour and sub.timezone == "Asia/Tokyo"
    assert await ledger.plan_digests(time.time()) == 1
    assert await ledger.plan_digests(time.time()) == 0
