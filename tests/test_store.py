"""The store, on both engines: migrations, whole-or-nothing ingest, idempotence, round trips."""

from __future__ import annotations

import asyncio
import errno
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.festivals import FestivalTable
from bot.domain.models import Rating
from bot.parsing.parser import parse_review_text
from bot.sources.ingest import ensure_seeded, ingest_file, ingest_paths
from bot.storage import review_writes
from bot.storage.connection import Connection, StoreError, is_transient
from bot.storage.store import Store, open_store
from tests.conftest import FIXTURES, SEED, row_counts, second_critic, sqlite_only

SEED_FIRST_PARAGRAPH = parse_review_text(SEED.read_text(encoding="utf-8")).body[0]


@sqlite_only
async def test_schema_is_migrated_with_wal_and_user_version(store: Store) -> None:
    assert isinstance(store.location, Path)
    with sqlite3.connect(store.location) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= 1
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"films", "reviews", "people", "companies", "credits", "sales_contacts"} <= tables
    assert "search_index" not in tables  # dropped by V004: search is in memory


async def test_reopening_does_not_migrate_again(database: Path | str) -> None:
    async with open_store(database) as first:
        await first.set_meta("marker", "kept")
        await first.set_meta("marker", "kept again")
    async with open_store(database) as second:
        assert await second.get_meta("marker") == "kept again"
        await second.set_meta("marker", "kept")
        assert await second.get_meta("marker") == "kept"


async def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    """SQLite only: a file that is no database (PostgreSQL's clear errors are in tests/test_postgres.py)."""
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"junk\.db"):
        async with open_store(path):
            pass


async def test_round_trip_is_exact(store: Store, festivals: FestivalTable) -> None:
    review = parse_review_text(SEED.read_text(encoding="utf-8"), table=festivals)
    status = await store.ingest(review, source="seed")
    stored = await store.get(status.review_id)
    assert stored is not None
    assert stored.review == review


async def test_every_fixture_round_trips(store: Store, festivals: FestivalTable) -> None:
    outcomes = await ingest_paths(store, [FIXTURES / "reviews"], table=festivals)
    assert outcomes and all(o.status == "added" for o in outcomes), [o.line() for o in outcomes]
    for outcome in outcomes:
        stored = await store.get(outcome.review_id or 0)
        assert stored is not None
        text = outcome.path.read_bytes()
        from bot.parsing.text_file import decode_review_bytes

        assert stored.review == parse_review_text(decode_review_bytes(text, "x"), table=festivals)


async def test_reingest_unchanged_then_edited_updates_in_place(
    store: Store, festivals: FestivalTable, tmp_path: Path
) -> None:
    path = tmp_path / "dust.txt"
    path.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    first = await ingest_file(store, path, table=festivals)
    before = await row_counts(store)
    again = await ingest_file(store, path, table=festivals)
    assert (first.status, again.status) == ("added", "unchanged")
    assert again.review_id == first.review_id
    assert await row_counts(store) == before

    path.write_text(
        path.read_text(encoding="utf-8").replace("131 mins", "132 mins").replace("Music:", "Score:"), encoding="utf-8"
    )
    edited = await ingest_file(store, path, table=festivals)
    assert edited.status == "updated" and edited.review_id == first.review_id
    stored = await store.get(first.review_id or 0)
    assert stored is not None
    assert stored.review.runtime_minutes == 132
    assert "score" in stored.review.credits and "music" not in stored.review.credits
    assert await store.count() == 1


async def test_same_review_from_another_path_is_unchanged(
    store: Store, festivals: FestivalTable, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.txt"
    copy.write_bytes(SEED.read_bytes())
    assert (await ingest_file(store, SEED, table=festivals)).status == "added"
    assert (await ingest_file(store, copy, table=festivals)).status == "unchanged"
    assert await store.count() == 1


async def test_rejected_file_writes_nothing(store: Store, festivals: FestivalTable, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("Producers: Ana Lima\n\nMain cast: Eva Moss\n", encoding="utf-8")
    before = await row_counts(store)
    outcome = await ingest_file(store, bad, table=festivals)
    assert outcome.status == "rejected" and "no header line" in (outcome.reason or "")
    assert await row_counts(store) == before


async def test_failure_inside_a_transaction_leaves_nothing(
    store: Store, festivals: FestivalTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    review = parse_review_text(SEED.read_text(encoding="utf-8"), table=festivals)

    def explode(*_args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(review_writes, "write_credits", explode)
    with pytest.raises(RuntimeError):
        await store.ingest(review, source="seed")
    counts = await row_counts(store)
    assert counts["reviews"] == counts["films"] == counts["people"] == 0


async def test_seed_loads_once(store: Store, festivals: FestivalTable, tmp_path: Path) -> None:
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "dust.txt").write_bytes(SEED.read_bytes())
    await ensure_seeded(store, shipped, festivals)
    assert await store.count() == 1
    (shipped / "dust.txt").unlink()
    await ensure_seeded(store, shipped, festivals)  # already seeded: a user's deletions are respected
    assert await store.count() == 1


async def test_person_company_and_festival_listings(store: Store, festivals: FestivalTable) -> None:
    await ingest_paths(store, [FIXTURES / "reviews"], table=festivals)
    refs = await store.reviews_crediting_person("li ruijun")
    assert [r.title for r in refs] == ["Return To Dust"]
    assert refs[0].role is not None and {"director", "screenwriter", "editing"} <= set(refs[0].role.split(","))
    assert [r.title for r in await store.reviews_selling_company("m appeal")] == ["Return To Dust"]
    assert "Return To Dust" in [r.title for r in await store.reviews_at_festival("Berlinale", None, None)]
    assert "Return To Dust" in [r.title for r in await store.reviews_at_festival("Berlinale", 2022, "competition")]
    assert await store.reviews_at_festival("Berlinale", 1999, None) == []


async def test_reads_see_every_commit_while_other_tasks_keep_reading(store: Store, festivals: FestivalTable) -> None:
    """A statement left open by one reader must not pin an old snapshot for the others."""
    import asyncio

    stop = asyncio.Event()

    async def busy_reader() -> None:
        while not stop.is_set():
            await store.count()
            await store.recent_reviews(5)

    readers = [asyncio.create_task(busy_reader()) for _ in range(8)]
    try:
        await asyncio.sleep(0.05)
        for n in range(5):
            text = SEED.read_text(encoding="utf-8").replace("Return To Dust", f"Return To Dust {n}")
            await store.ingest(parse_review_text(text, table=festivals), source=f"s{n}")
            assert await store.count() == n + 1  # read right after the commit, amid the others
    finally:
        stop.set()
        await asyncio.gather(*readers)


async def test_corrected_title_leaves_no_orphan_film(store: Store, festivals: FestivalTable, tmp_path: Path) -> None:
    path = tmp_path / "dust.txt"
    path.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    await ingest_file(store, path, table=festivals)
    path.write_text(path.read_text(encoding="utf-8").replace("Return To Dust", "Return To The Dust"), encoding="utf-8")
    assert (await ingest_file(store, path, table=festivals)).status == "updated"
    assert [tuple(row) for row in await store.reads.fetchall("SELECT title FROM films")] == [("Return To The Dust",)]


def test_a_reviews_hash_is_what_it_was_before_publication_rating_and_image(
    festivals: FestivalTable,
) -> None:
    """Reviews stored by earlier versions must come back ``unchanged``, not ``updated`` (and re-announced)."""
    # The parser now names the seed's publication (its layout is Screen's): a fact earlier versions did not
    # read, so such a review is ``updated`` once. Without it the hash must be what it always was.
    parsed = parse_review_text(SEED.read_text(encoding="utf-8"), table=festivals)
    assert parsed.publication == "Screen International"
    review = parsed.model_copy(update={"publication": None})
    assert review_writes.content_hash(review) == "e246d7f067fcd25344f6654470b198b920ca044e32871a72733cc1a7310e0361"
    rated = review.model_copy(update={"rating": Rating(text="★★★★☆", score=80)})
    assert review_writes.content_hash(rated) != review_writes.content_hash(review)


# -- one film, many reviews -------------------------------------------------------------------------------


async def test_a_second_critics_review_survives_opening_the_store_with_the_seed(
    store: Store, festivals: FestivalTable, tmp_path: Path
) -> None:
    """The reported defect: the shipped seed, loaded on the next start, overwrote review #1."""
    path = tmp_path / "jane.txt"
    path.write_text(second_critic(), encoding="utf-8")
    first = await ingest_file(store, path, table=festivals)
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "return-to-dust.txt").write_bytes(SEED.read_bytes())
    await ensure_seeded(store, shipped, festivals)  # what `festbot ask` does on opening the store
    stored = await store.get(first.review_id or 0)
    assert stored is not None
    assert stored.review.reviewer == "Jane Critic"
    assert stored.review.body[0].startswith("A farmer and his bride build a house of mud bricks")
    assert await store.count() == 1  # the seed goes only into an empty database


async def test_two_critics_reviews_of_one_film_from_files_without_urls_both_survive(
    store: Store, festivals: FestivalTable, tmp_path: Path
) -> None:
    jane, omar = tmp_path / "jane.txt", tmp_path / "omar.txt"
    jane.write_text(second_critic("Jane Critic", url=None), encoding="utf-8")
    omar.write_text(second_critic("Omar Writer", url=None), encoding="utf-8")
    outcomes = [await ingest_file(store, path, table=festivals) for path in (jane, omar, jane, omar)]
    assert [o.status for o in outcomes] == ["added", "added", "unchanged", "unchanged"]
    assert outcomes[0].review_id != outcomes[1].review_id
    for outcome, reviewer in zip(outcomes[:2], ["Jane Critic", "Omar Writer"], strict=True):
        stored = await store.get(outcome.review_id or 0)
        assert stored is not None and stored.review.reviewer == reviewer
        assert reviewer in stored.review.body[0]


#: Three critics' reviews of the seed's film: one with a URL, one without, one without a year (as THR writes it).
CRITICS: dict[str, tuple[str | None, bool]] = {  # reviewer: (URL, whether the header gives the year)
    "Jane Critic": ("https://example.com/jane/return-to-dust", True),
    "Omar Writer": (None, True),
    "Tom Hale": (None, False),
}
_steps = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["file", "drop"]), st.sampled_from(sorted(CRITICS)), st.integers(0, 2)),
        st.just(("restart", "", 0)),
        st.just(("seed", "", 0)),
    ),
    max_size=12,
)


def _critic_text(reviewer: str, version: int) -> str:
    url, year = CRITICS[reviewer]
    text = second_critic(reviewer, url=url, year=year)
    return text.replace("unshowy and true", f"unshowy and true (take {version})") if version else text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_steps)
def test_every_critics_review_survives_any_sequence_of_ingests_and_restarts(
    steps: list[tuple[str, str, int]],
) -> None:
    """Files given by path, inbox drops (a reused name), restarts that may load the seed, the seed by hand:
    each critic keeps exactly one review, with the text last given, and the seed's text is never touched.
    On SQLite files alone (a database per example); the identity rules are the same SQL on both engines,
    and tests/test_review_identity.py runs them on each."""
    asyncio.run(_run_steps(steps))


async def _run_steps(steps: list[tuple[str, str, int]]) -> None:
    festivals = FestivalTable.load()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        shipped = root / "shipped"
        shipped.mkdir()
        (shipped / "return-to-dust.txt").write_bytes(SEED.read_bytes())
        latest: dict[str, str] = {}  # reviewer -> the first paragraph of the text last given
        seeded = seed_stored = False
        store_cm = open_store(root / "festival.db")
        store = await store_cm.__aenter__()
        try:
            for action, reviewer, version in steps:
                if action == "restart":
                    await store_cm.__aexit__(None, None, None)
                    store_cm = open_store(root / "festival.db")
                    store = await store_cm.__aenter__()
                    seed_stored |= not seeded and not latest and not seed_stored
                    seeded = True
                    await ensure_seeded(store, shipped, festivals)
                elif action == "seed":
                    seed_stored = True
                    await ingest_file(store, shipped / "return-to-dust.txt", table=festivals)
                else:
                    path = root / (f"{reviewer}.txt" if action == "file" else "review.txt")
                    path.write_text(_critic_text(reviewer, version), encoding="utf-8")
                    outcome = await ingest_file(store, path, table=festivals, by_path=action == "file")
                    assert outcome.status != "rejected", outcome.reason
                    latest[reviewer] = parse_review_text(_critic_text(reviewer, version), table=festivals).body[0]
                await _assert_kept(store, latest, seed_stored)
        finally:
            await store_cm.__aexit__(None, None, None)


async def _assert_kept(store: Store, latest: dict[str, str], seed_stored: bool) -> None:
    rows = await store.reads.fetchall("SELECT id FROM reviews ORDER BY id")
    stored = [await store.get(int(row[0])) for row in rows]
    by_reviewer = [(s.review.reviewer, s.review.body[0], s.film_id) for s in stored if s is not None]
    expected = sorted([*latest.items(), *([(None, SEED_FIRST_PARAGRAPH)] if seed_stored else [])], key=str)
    assert sorted(((r, b) for r, b, _ in by_reviewer), key=str) == expected
    assert len({film for _, _, film in by_reviewer}) <= 1  # one film, however its reviews arrived


async def test_a_commit_that_fails_is_rolled_back_and_the_next_write_works(tmp_path: Path) -> None:
    """SQLite only: a deferred foreign key makes the COMMIT itself fail (PostgreSQL rolls back on its own)."""

    def orphan_delivery(conn: Connection) -> None:
        conn.execute("PRAGMA defer_foreign_keys = ON")  # checked at COMMIT, which then fails
        conn.execute(
            "INSERT INTO deliveries(review_id, subscription_id, channel_id, created_at, updated_at)"
            " VALUES (999, 999, 1, 'now', 'now')"
        )

    async with open_store(tmp_path / "commit.db") as store:
        with pytest.raises(sqlite3.IntegrityError):
            await store.write(orphan_delivery)
        await store.set_meta("after", "written")  # not "cannot start a transaction within a transaction"
        assert await store.get_meta("after") == "written"
        assert (await row_counts(store))["deliveries"] == 0


async def test_transient_errors_are_told_from_the_rest(tmp_path: Path) -> None:
    db = tmp_path / "locked.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(db, isolation_level=None, timeout=0)
    try:
        with pytest.raises(sqlite3.OperationalError) as locked:
            other.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError) as missing:
            other.execute("SELECT * FROM no_such_table")
    finally:
        holder.close()
        other.close()
    assert is_transient(locked.value)  # "database is locked"
    assert not is_transient(missing.value)
    assert is_transient(OSError(errno.ENOSPC, "No space left on device"))
    assert not is_transient(PermissionError(errno.EACCES, "Permission denied"))
    assert not is_transient(ValueError("bad"))
