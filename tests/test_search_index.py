"""The in-memory word index behind search, and how the searcher keeps it in step with the store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import bot.search.index
import bot.search.searcher
from bot.answers.service import Answers
from bot.domain.festivals import FestivalTable
from bot.parsing.parser import parse_review_text
from bot.search.index import WordIndex
from bot.search.searcher import Searcher
from bot.storage import review_writes
from bot.storage.rows import IndexMarks
from bot.storage.store import Store, open_store
from tests.conftest import Databases, postgres_only, sqlite_only

TITLES = {
    1: ("the long day closes",),
    2: ("the day",),
    3: ("return to dust", "yin ru chen yan"),
    4: ("a dusty road to nowhere in particular",),
    5: ("day for night", "la nuit americaine"),
}


@pytest.fixture
def index() -> WordIndex:
    built = WordIndex()
    for key, variants in TITLES.items():
        built.stage(key, variants, float(key))
    return built.seal()


def keys(index: WordIndex, positions: list[int]) -> list[int]:
    return [index.keys[p] for p in positions]


def test_every_word_must_begin_a_word_of_some_variant(index: WordIndex) -> None:
    assert sorted(keys(index, index.matching([["day"]], 10))) == [1, 2, 5]
    assert keys(index, index.matching([["dust"]], 10)) == [3, 4]  # "dusty" begins with "dust"
    assert keys(index, index.matching([["ust"]], 10)) == []  # inside a word is not a beginning
    assert keys(index, index.matching([["day"], ["nuit"]], 10)) == [5]  # across title and original title
    assert keys(index, index.matching([["day"], ["zebra"]], 10)) == []


def test_shortest_entries_come_first_and_cap_holds(index: WordIndex) -> None:
    assert keys(index, index.matching([["the"]], 10)) == [2, 1]
    assert keys(index, index.matching([["d"]], 2)) == [2, 1]  # entries with "day", "dust", ...: two shortest


def test_alternatives_are_any_of(index: WordIndex) -> None:
    assert sorted(keys(index, index.matching([["retun", "return"], ["dsut", "dust"]], 10))) == [3]


def test_replacing_an_entry_forgets_its_old_words(index: WordIndex) -> None:
    index.put(2, ("the night",), 9.0)
    assert 2 not in keys(index, index.matching([["day"]], 10))
    assert 2 in keys(index, index.matching([["night"]], 10))
    assert keys(index, index.matching([["the"], ["ni"]], 10)) == [2]
    position = index.position(2)
    assert position is not None and index.rank[position] == 9.0
    index.put(6, ("nightfall",))
    assert sorted(keys(index, index.matching([["night"]], 10))) == [2, 5, 6]
    assert index.close("nigthfall", 2) == ["nightfall"]


def test_typos_are_corrected_from_the_vocabulary(index: WordIndex) -> None:
    assert index.close("retrun", 2)[0] == "return"
    assert index.close("dsut", 1) == ["dust"]
    assert index.close("zzzzzz", 2) == []
    assert index.knows_prefix("americ") and not index.knows_prefix("amerik")


def test_a_query_of_common_words_reads_a_bounded_number_of_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.search.index, "_SCAN_BUDGET", 1_024)
    monkeypatch.setattr(bot.search.index, "_SET_UP_TO", 0)  # force reading entries, as with huge postings
    big = WordIndex()
    # 5,001 entries have "alpha", 5,000 have "beta"; only the last has both.
    for i in range(5_001):
        big.stage(i, (f"alpha {i}",))
    big.seal()
    for i in range(5_001, 10_000):
        big.put(i, (f"beta {i}",))
    big.put(10_000, ("alpha beta",))
    assert keys(big, big.matching([["beta"], ["alpha"]], 5)) == []  # gave up within the budget
    monkeypatch.setattr(bot.search.index, "_SCAN_BUDGET", 1 << 20)
    assert keys(big, big.matching([["beta"], ["alpha"]], 5)) == [10_000]


# -- the searcher and the store -------------------------------------------------------------------------

TEMPLATE = (
    "A standfirst.\n\n{title}\n\nDir: {director}. France. 2024. 90 mins\n\nA review of {title}, written with care.\n"
)


async def _add(store: Store, festivals: FestivalTable, title: str, source: str, director: str = "Ana Lopez") -> int:
    review = parse_review_text(TEMPLATE.format(title=title, director=director), table=festivals)
    return (await store.ingest(review, source=source)).review_id


async def test_writes_in_this_process_are_searchable_at_once(store: Store, festivals: FestivalTable) -> None:
    searcher = Searcher(store)
    first = await _add(store, festivals, "The Quiet Orchard", "a.txt")
    assert [h.review_id for h in await searcher.search("quiet orchard")] == [first]
    second = await _add(store, festivals, "Orchard of Glass", "b.txt", director="Marek Novak")
    assert (await searcher.search("orchard of gl"))[0].review_id == second
    assert (await searcher.search("marek novak"))[0].name == "Marek Novak"
    # A corrected title updates the same review: found by its new title, no longer by the old one.
    assert await _add(store, festivals, "The Silent Orchard", "a.txt") == first
    assert (await searcher.search("silent orchard"))[0].review_id == first
    assert first not in [h.review_id for h in await searcher.search("quiet")]


@sqlite_only  # PostgreSQL tells the store at once instead (the tests below)
async def test_writes_of_another_process_are_seen_within_the_recheck_interval(
    database: Path | str, festivals: FestivalTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with open_store(database) as bot_store, open_store(database) as cli_store:
        searcher = Searcher(bot_store)
        await _add(cli_store, festivals, "Winter Harbour", "w.txt")
        assert (await searcher.search("winter harbour"))[0].title == "Winter Harbour"
        review_id = await _add(cli_store, festivals, "Summer Lantern", "s.txt", director="Ines Costa")
        assert await searcher.search("summer lantern") == []  # checked less than a second ago
        monkeypatch.setattr(bot.search.searcher, "_RECHECK_SECONDS", 0.0)
        assert [h.review_id for h in await searcher.search("summer lantern")] == [review_id]
        assert (await searcher.search("ines costa"))[0].matched == "person"


async def test_an_update_elsewhere_within_the_same_second_is_seen(
    database: Path | str, festivals: FestivalTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No id grows and ``updated_at`` keeps its second: only the engine's commit mark tells the index."""
    monkeypatch.setattr(bot.search.searcher, "_RECHECK_SECONDS", 0.0)
    monkeypatch.setattr(review_writes, "now_iso", lambda: "2026-02-12T10:00:00+00:00")
    async with open_store(database) as bot_store, open_store(database) as cli_store:
        searcher = Searcher(bot_store)
        review_id = await _add(cli_store, festivals, "Winter Harbour", "w.txt")
        assert [h.review_id for h in await searcher.search("winter harbour")] == [review_id]
        assert await _add(cli_store, festivals, "Winter Lighthouse", "w.txt") == review_id  # updated in place
        assert [h.review_id for h in await searcher.search("winter lighthouse")] == [review_id]


async def _until_found(searcher: Searcher, query: str, timeout: float = 5.0) -> list[int]:
    """The review ids ``query`` finds, as soon as it finds any (the notification travels on its own connection)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (hits := await searcher.search(query)) and loop.time() < deadline:
        await asyncio.sleep(0.02)
    return [h.review_id for h in hits]


@postgres_only
async def test_postgres_tells_every_process_of_new_reviews_without_polling(
    database: Path | str, festivals: FestivalTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With LISTEN/NOTIFY the searcher never asks whether anything changed: only a notification refreshes it."""
    monkeypatch.setattr(bot.search.searcher, "_RECHECK_SECONDS", 1e9)
    async with open_store(database) as bot_store, open_store(database) as cli_store:
        searcher = Searcher(bot_store)
        await _add(cli_store, festivals, "Winter Harbour", "w.txt")
        assert await _until_found(searcher, "winter harbour")
        assert bot_store.watching
        await asyncio.sleep(0.3)  # the write's notification may come after the search that found it
        await searcher.search("winter harbour")
        reads = 0
        marks = bot_store.index_marks

        async def counted() -> IndexMarks:
            nonlocal reads
            reads += 1
            return await marks()

        monkeypatch.setattr(bot_store, "index_marks", counted)
        for _ in range(20):
            await searcher.search("winter harbour")
        assert reads == 0  # nothing changed, nothing asked
        review_id = await _add(cli_store, festivals, "Summer Lantern", "s.txt", director="Ines Costa")
        assert await _until_found(searcher, "summer lantern", timeout=2.0) == [review_id]
        assert reads == 1
        assert await _add(cli_store, festivals, "Summer Lighthouse", "s.txt") == review_id  # an update, too
        assert await _until_found(searcher, "summer lighthouse", timeout=2.0) == [review_id]


@postgres_only
async def test_notifications_stay_within_their_schema(
    databases: Databases, festivals: FestivalTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parallel runs share one PostgreSQL database, one schema each: a write in one wakes nobody in another."""
    monkeypatch.setattr(bot.search.searcher, "_RECHECK_SECONDS", 1e9)
    async with open_store(databases.new("one")) as one, open_store(databases.new("two")) as two:
        searcher = Searcher(two)
        await searcher.refresh()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while not (one.watching and two.watching) and loop.time() < deadline:
            await asyncio.sleep(0.02)
        before = two.reviews_generation
        await _add(one, festivals, "Winter Harbour", "w.txt")
        await asyncio.sleep(0.5)
        assert two.reviews_generation == before


async def test_bulk_loads_elsewhere_are_searchable_once_each(
    database: Path | str, festivals: FestivalTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.search.searcher, "_RECHECK_SECONDS", 0.0)
    async with open_store(database) as bot_store, open_store(database) as cli_store:
        searcher = Searcher(bot_store)
        await _add(cli_store, festivals, "A Very Long Title About Nothing Much", "long.txt")
        await searcher.refresh()
        for n, title in enumerate(["Nothing", "Nothing Else", "Nothing More Than This"]):
            await _add(cli_store, festivals, title, f"{n}.txt")
        hits = await searcher.search("nothing", limit=10)
        # More new reviews than a quarter of the index: rebuilt, each title once, the exact one first.
        assert [h.title for h in hits][:1] == ["Nothing"]
        assert len(hits) == 4


async def test_name_autocomplete_matches_word_beginnings(store: Store, festivals: FestivalTable) -> None:
    searcher = Searcher(store)
    answers = Answers(store, searcher, festivals)
    await _add(store, festivals, "The Quiet Orchard", "a.txt", director="Zoë Kravitz-Lund")
    assert await answers.person_names("zoe kr") == ["Zoë Kravitz-Lund"]
    assert await answers.person_names("lund") == ["Zoë Kravitz-Lund"]
    assert await answers.person_names("und") == []
    assert await answers.person_names("  ") == []


async def test_name_credits_come_best_name_first_newest_first_and_bounded(
    store: Store, festivals: FestivalTable
) -> None:
    ids = [await _add(store, festivals, f"Film {n}", f"{n}.txt", director="Marek Novak") for n in range(4)]
    other = await _add(store, festivals, "Other", "o.txt", director="Ines Costa")
    people = {name: key async for page in store.name_pages("people") for key, name in page}
    credits = await store.name_credits([people["ines costa"], people["marek novak"]], [], per_name=2)
    assert [(c.review_id, c.name) for c in credits] == [
        (other, "Ines Costa"),
        (ids[3], "Marek Novak"),
        (ids[2], "Marek Novak"),
    ]


async def test_pages_cover_every_row_once(store: Store, festivals: FestivalTable) -> None:
    ids = [await _add(store, festivals, f"Paged {n}", f"p{n}.txt", director=f"Director {n}") for n in range(5)]
    films = [(await store.get(review_id)).film_id for review_id in ids]  # type: ignore[union-attr]
    assert [row.film_id async for page in store.title_pages(size=2) for row in page] == films
    names = [name async for page in store.name_pages("people", size=2) for _, name in page]
    assert names == [f"director {n}" for n in range(5)]
