"""Filtered subscriptions and watchlists in the store, on both engines: what a new review queues, and erasure."""

from __future__ import annotations

from bot.announce.direct import DirectMessenger, DmOutcome
from bot.domain.criteria import Criteria
from bot.domain.festivals import FestivalTable
from bot.domain.models import WatchJob
from bot.parsing.parser import parse_review_text
from bot.storage import watches
from bot.storage.ledger import Ledger
from bot.storage.store import Store
from bot.storage.watchlist import Watchlist


def review_text(title: str, director: str = "Ana Lima", country: str = "Portugal", festival: str = "Berlinale") -> str:
    return (
        f"---\nfestival: {festival}\nsection: Competition\n---\nA fine debut\n\n{title}\n\n"
        f"Dir: {director}. {country}. 2023. 98 mins\n\nA farmer returns to a village that has forgotten him.\n"
    )


async def ingest(store: Store, festivals: FestivalTable, text: str, announce: bool = True) -> int:
    review = parse_review_text(text, table=festivals)
    return (await store.ingest(review, source=f"test:{review.title}", announce=announce)).review_id


async def queued(store: Store, review_id: int) -> set[int]:
    rows = await store.reads.fetchall("SELECT channel_id FROM deliveries WHERE review_id = ?", (review_id,))
    return {int(r[0]) for r in rows}


async def test_filters_decide_which_channels_queue_a_review(store: Store, festivals: FestivalTable) -> None:
    ledger = Ledger(store)
    await ledger.subscribe(guild_id=1, channel_id=10, festival="Berlinale", filters=Criteria(countries=["Chile"]))
    await ledger.subscribe(guild_id=1, channel_id=11, festival=None, filters=Criteria(people=["ana lima"]))
    await ledger.subscribe(guild_id=1, channel_id=12, festival=None, filters=Criteria(words=["debut"], min_rating=1))
    portuguese = await ingest(store, festivals, review_text("The Salt Orchard"))
    chilean = await ingest(store, festivals, review_text("Copper Dust", director="Tomás Rojas", country="Chile"))
    assert await queued(store, portuguese) == {11}  # channel 12 wants a rating, and the review has none
    assert await queued(store, chilean) == {10}
    (sub,) = [s for s in await ledger.subscriptions() if s.channel_id == 10]
    assert sub.filters == Criteria(countries=["Chile"])  # read back whole
    # Subscribing again replaces the filters; a backfill and the preview follow them.
    again, created = await ledger.subscribe(guild_id=1, channel_id=10, festival="Berlinale", filters=Criteria())
    assert not created and again.filters.empty
    assert await ledger.latest_matching(sub) == chilean
    assert await ledger.backfill([sub], 5) == 0  # the channel has had the one review its filter lets through
    assert await ledger.newest_of_festival(sub) == chilean


async def test_a_review_queues_one_dm_per_member_whose_watch_matches(store: Store, festivals: FestivalTable) -> None:
    watchlist = Watchlist(store)
    assert await watchlist.add(user_id=7, guild_id=1, channel_id=10, kind="person", value="Ana Lima") == "added"
    assert await watchlist.add(user_id=7, guild_id=1, channel_id=10, kind="word", value="Farmer") == "added"
    assert await watchlist.add(user_id=7, guild_id=1, channel_id=10, kind="word", value="farmer") == "exists"
    await watchlist.add(user_id=8, guild_id=1, channel_id=10, kind="country", value="Chile")
    await watchlist.add(user_id=9, guild_id=2, channel_id=20, kind="festival", value="berlinale")
    first = await ingest(store, festivals, review_text("The Salt Orchard"))
    second = await ingest(store, festivals, review_text("Copper Dust", director="Tomás Rojas", country="Chile"))
    await ingest(store, festivals, review_text("Old Stock"), announce=False)  # a back catalogue: no DMs
    assert await watchlist.deliveries(7) == [
        (first, "queued", "your watch on person “Ana Lima”"),  # once, though two watches match
        (second, "queued", "your watch on word “Farmer”"),
    ]
    assert [d[0] for d in await watchlist.deliveries(8)] == [second]
    assert [d[0] for d in await watchlist.deliveries(9)] == [first, second]
    # Stored again unchanged, a review queues nothing more.
    await ingest(store, festivals, review_text("The Salt Orchard"))
    assert len(await watchlist.deliveries(7)) == 2


async def test_a_watch_is_found_by_its_key_not_by_scanning(store: Store) -> None:
    assert watches.match_key("person", "Inês  Carvalho") == "person:ines"
    watchlist = Watchlist(store)
    for n in range(3):
        await watchlist.add(user_id=n, guild_id=1, channel_id=None, kind="company", value=f"Lumen {n}")
    rows = await store.reads.fetchall("SELECT match_key FROM watches ORDER BY id")
    assert [r[0] for r in rows] == ["company:lumen"] * 3


class ScriptedDms:
    def __init__(self, closed: set[int]) -> None:
        self.closed = closed
        self.opened: list[int] = []
        self.sent: list[tuple[int, int]] = []

    async def open_dm(self, user_id: int) -> DmOutcome:
        self.opened.append(user_id)
        return DmOutcome(kind="sent", id=5000 + user_id)

    async def send_dm(self, job: WatchJob, channel_id: int) -> DmOutcome:
        if job.user_id in self.closed:
            return DmOutcome(kind="closed", reason="DMs closed")
        self.sent.append((job.user_id, job.review_id))
        return DmOutcome(kind="sent", id=len(self.sent))


async def test_the_worker_sends_once_and_pauses_a_member_with_closed_dms(
    store: Store, festivals: FestivalTable
) -> None:
    watchlist = Watchlist(store)
    await watchlist.add(user_id=7, guild_id=1, channel_id=10, kind="person", value="Ana Lima")
    await watchlist.add(user_id=8, guild_id=1, channel_id=10, kind="person", value="Ana Lima")
    ids = [await ingest(store, festivals, review_text(title)) for title in ("One Field", "Two Fields")]
    dms = ScriptedDms(closed={8})
    messenger = DirectMessenger(watchlist, dms)
    assert await messenger.run_once() == 4
    assert await messenger.run_once() == 0
    assert dms.sent == [(7, ids[0]), (7, ids[1])] and dms.opened == [7, 8]  # a DM channel opened once per member
    assert [state for _, state, _ in await watchlist.deliveries(7)] == ["sent", "sent"]
    assert [state for _, state, _ in await watchlist.deliveries(8)] == ["failed", "failed"]
    assert all(w.paused_reason == "DMs closed" for w in await watchlist.watches(8))
    notice = await watchlist.notice(8, 1)
    assert notice is not None and "/watch resume" in notice
    assert await watchlist.notice(8, 2) is None  # told in the server where the watch was set up
    await watchlist.told(8)
    assert await watchlist.notice(8, 1) is None
    # Paused, the member's watches queue nothing; resumed, they do again.
    await ingest(store, festivals, review_text("Three Fields"))
    assert len(await watchlist.deliveries(8)) == 2
    assert await watchlist.resume(8) == 1
    await ingest(store, festivals, review_text("Four Fields"))
    assert len(await watchlist.deliveries(8)) == 3


async def test_clear_erases_everything_kept_about_a_member(store: Store, festivals: FestivalTable) -> None:
    watchlist = Watchlist(store)
    await watchlist.add(user_id=7, guild_id=1, channel_id=10, kind="word", value="farmer")
    await watchlist.add(user_id=8, guild_id=1, channel_id=10, kind="word", value="farmer")
    await ingest(store, festivals, review_text("One Field"))
    await store.write(watches.set_dm_channel, 7, 555)
    assert await watchlist.clear(7) == 1
    for table in ("watches", "watch_deliveries", "watchers"):
        rows = await store.reads.fetchall(f"SELECT count(*) FROM {table} WHERE user_id = ?", (7,))
        assert rows[0][0] == 0, table
    assert len(await watchlist.deliveries(8)) == 1  # another member's data stays
    assert await watchlist.remove(8, "FARMER") == 1 and await watchlist.watches(8) == []
