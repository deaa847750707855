"""What only the PostgreSQL engine has: its URL and errors, schema_version, several writers racing, the
dialect adapter, and the refusals where SQLite's file operations have no counterpart (festbot backup and
restore). Everything both engines do is tested on both by the other storage tests (``tests/conftest.py``)."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from bot.config import Settings
from bot.domain.festivals import FestivalTable
from bot.parsing.parser import parse_review_text
from bot.sources import ingest
from bot.storage import postgres, search_reads
from bot.storage.connection import StoreError
from bot.storage.dialect import postgres_text, variant
from bot.storage.migrations import ENGINES, latest_version, migrations
from bot.storage.postgres_reads import READ_CONNECTIONS
from bot.storage.store import open_store
from tests.conftest import ROOT, SEED, postgres_only


def test_the_adapter_rewrites_placeholders_and_percent_signs_but_not_quoted_text() -> None:
    sql = "SELECT '?', \"a?b\", x FROM t WHERE y LIKE '50%' AND z = ? AND w = 'it''s ?'"
    assert postgres.translate(sql) == ("SELECT '?', \"a?b\", x FROM t WHERE y LIKE '50%%' AND z = %s AND w = 'it''s ?'")
    both = variant("SELECT json_each(?)", postgres="SELECT json_array_elements_text(?::json)")
    assert both == "SELECT json_each(?)"  # what SQLite runs: the string itself
    assert postgres.translate(both) == "SELECT json_array_elements_text(%s::json)"


def test_every_migration_is_shipped_for_both_engines() -> None:
    """One numbered series: each version is one portable file or a .sqlite/.postgres pair."""
    versions = {engine: [version for version, _, _ in migrations(engine)] for engine in ENGINES}
    assert versions["sqlite"] == versions["postgres"] == list(range(1, latest_version() + 1))
    assert all(sql.strip() for engine in ENGINES for _, _, sql in migrations(engine))


def test_a_database_url_is_a_secret_and_must_be_postgresql() -> None:
    settings = Settings(FESTBOT_DATABASE_URL=" postgresql://bot:hunter2@db.example:5432/festbot ")
    assert settings.database == "postgresql://bot:hunter2@db.example:5432/festbot"
    assert "hunter2" not in repr(settings)
    assert Settings(FESTBOT_DATABASE_URL="").database == Settings().db_path  # blank: the SQLite file
    assert (
        postgres.shown("postgresql://bot:hunter2@db.example:5432/festbot") == "postgresql://bot@db.example:5432/festbot"
    )


def test_a_wrong_database_url_is_one_line_that_never_shows_it(tmp_path: Path) -> None:
    env = {"FESTBOT_DATABASE_URL": "mysql://bot:hunter2@db/festbot", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "/review x"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 1
    assert (
        done.stderr.count("\n") == 1 and "FESTBOT_DATABASE_URL" in done.stderr and "not a PostgreSQL URL" in done.stderr
    )
    assert "hunter2" not in done.stderr


async def test_a_server_out_of_reach_is_a_clear_error_without_the_password() -> None:
    with pytest.raises(StoreError) as raised:
        async with open_store("postgresql://bot:hunter2@127.0.0.1:1/festbot?connect_timeout=5"):
            pass
    message = str(raised.value)
    assert "postgresql://bot@127.0.0.1:1/festbot" in message and "FESTBOT_DATABASE_URL" in message
    assert "hunter2" not in message and "\n" not in message


@postgres_only
async def test_versions_are_tracked_in_schema_version_and_applied_once(database: str) -> None:
    async with open_store(database) as store:
        await store.set_meta("marker", "kept")
    async with open_store(database) as store:  # nothing to apply: the data is as it was
        assert await store.get_meta("marker") == "kept"
        rows = await store.reads.fetchall("SELECT version, name FROM schema_version ORDER BY version")
    assert [tuple(row) for row in rows] == [(version, name) for version, name, _ in migrations("postgres")]


@postgres_only
async def test_processes_starting_together_migrate_once(database: str) -> None:
    async def start() -> int:
        async with open_store(database) as store:
            return await store.count()

    assert await asyncio.gather(*(start() for _ in range(4))) == [0, 0, 0, 0]
    with psycopg.connect(database) as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_version ORDER BY version")]
    assert versions == [version for version, _, _ in migrations("postgres")]


@postgres_only
async def test_a_database_newer_than_the_code_is_refused_and_left_alone(database: str) -> None:
    async with open_store(database) as store:
        await store.set_meta("marker", "kept")
    newer = latest_version() + 1
    with psycopg.connect(database) as conn:
        conn.execute("INSERT INTO schema_version(version, name) VALUES (%s, 'V999__future.sql')", (newer,))
    with pytest.raises(StoreError, match=f"schema version {newer}, newer than this festbot knows"):
        async with open_store(database):
            pass
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT value FROM meta").fetchall() == [("kept",)]


@postgres_only
async def test_an_upgrade_says_the_operators_backups_apply_and_takes_no_copy(
    database: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A database at version 5 (as festbot 5 left it) is migrated in place; the log says no copy was made."""
    with psycopg.connect(database) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                     " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")  # fmt: skip
        for version, name, sql in migrations("postgres")[:5]:
            conn.execute(sql.encode())
            conn.execute("INSERT INTO schema_version(version, name) VALUES (%s, %s)", (version, name))
    with caplog.at_level(logging.WARNING, logger="bot.storage.postgres"):
        async with open_store(database) as store:
            review = parse_review_text(SEED.read_text(encoding="utf-8"), table=FestivalTable.load())
            assert (await store.ingest(review)).status == "added"
    assert any("pg_dump" in record.getMessage() and "from schema version 5" in record.getMessage()
               for record in caplog.records)  # fmt: skip


def _critic(n: int) -> str:
    return SEED.read_text(encoding="utf-8").replace("Return To Dust", f"Return To Dust {n}")


@postgres_only
async def test_two_processes_storing_the_same_reviews_at_once_store_each_once(
    database: str, festivals: FestivalTable
) -> None:
    """Two stores (two connections, as two processes have) race on every review: SQLite's one writer lock
    decides such races; on PostgreSQL the loser's transaction runs again and finds the winner's review."""
    reviews = [parse_review_text(_critic(n), table=festivals) for n in range(12)]
    async with open_store(database) as bot, open_store(database) as cli:
        for review in reviews:  # no URL, no source: only the stored text tells the second it is the same
            outcomes = await asyncio.gather(bot.ingest(review), cli.ingest(review))
            assert sorted(o.status for o in outcomes) == ["added", "unchanged"]
            assert outcomes[0].review_id == outcomes[1].review_id
        assert await bot.count() == len(reviews)
        films = await bot.reads.fetchone("SELECT count(*) FROM films")
        assert films is not None and films[0] == len(reviews)


@postgres_only
def test_backup_and_restore_say_to_use_pg_dump(database: str, tmp_path: Path) -> None:
    env = {"FESTBOT_DATABASE_URL": database, "PATH": "/usr/bin:/bin"}
    for args in (["backup", str(tmp_path / "copy.db")], ["restore", str(tmp_path / "copy.db")]):
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
        )
        assert done.returncode == 1
        assert done.stderr.count("\n") == 1 and "pg_dump" in done.stderr and "pg_restore" in done.stderr
        assert not (tmp_path / "copy.db").exists()


@postgres_only
async def test_connections_the_server_dropped_are_replaced_and_nothing_is_lost(
    database: str, festivals: FestivalTable
) -> None:
    """A restarted server, or a firewall closing idle connections: the next read and write connect again."""
    async with open_store(database) as store:
        await store.set_meta("before", "kept")
        reader = await store.reads.fetchone("SELECT pg_backend_pid()")
        writer = await store.write(lambda conn: conn.execute("SELECT pg_backend_pid()").fetchall()[0])
        assert reader is not None
        with psycopg.connect(database, autocommit=True) as admin:
            for pid in (reader[0], writer[0]):  # waits until each is gone
                assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone() == (True,)
        assert await store.get_meta("before") == "kept"
        review = parse_review_text(SEED.read_text(encoding="utf-8"), table=festivals)
        assert (await store.ingest(review)).status == "added"
        assert await store.count() == 1


@postgres_only
async def test_a_read_only_open_reads_never_writes_and_never_migrates(database: str) -> None:
    """``festbot web`` on PostgreSQL: a read-only session on a database of this version; nothing else."""
    with pytest.raises(StoreError, match="empty or not a festbot database"):
        async with open_store(database, read_only=True):
            pass
    async with open_store(database) as primary:  # migrates
        await primary.set_meta("marker", "from the primary")
    async with open_store(database, read_only=True) as replica:
        assert await replica.get_meta("marker") == "from the primary"
        with pytest.raises(StoreError, match="read-only"):
            await replica.set_meta("marker", "from the replica")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):  # the server itself refuses too
            await replica.reads.fetchall("INSERT INTO meta(key, value) VALUES ('sneaky', 'write')")
    async with open_store(database) as primary:
        assert await primary.get_meta("marker") == "from the primary"
        assert await primary.get_meta("sneaky") is None


def test_only_plain_one_row_inserts_are_batched() -> None:
    """``DO UPDATE`` may not touch a row twice in one statement, and ``RETURNING`` needs each row's answer."""
    assert postgres._one_row_insert("INSERT INTO meta(key, value) VALUES (%s, %s)") == (
        "meta(key, value)",
        "(%s, %s)",
        None,
    )
    assert postgres._one_row_insert("INSERT INTO t(a) VALUES (%s) ON CONFLICT DO NOTHING") == (
        "t(a)", "(%s)", "ON CONFLICT DO NOTHING"
    )  # fmt: skip
    for text in (
        "INSERT INTO t(a) VALUES (%s) RETURNING id",
        "INSERT INTO t(a) VALUES (%s) ON CONFLICT (a) DO UPDATE SET a = excluded.a",
        "INSERT INTO t(a, b) VALUES (%s, 'fixed')",
        "UPDATE t SET a = %s WHERE id = %s",
    ):
        assert postgres._one_row_insert(text) is None


#: Values COPY's text format must escape: tabs, newlines, backslashes, its NULL marker as text, a quote.
_AWKWARD = ["tab\there", "two\nlines", "back\\slash", "\\N", "it's 100% ?", "Ñoño 北京", ""]


@postgres_only
async def test_many_rows_go_in_whole_with_every_value_intact(database: str) -> None:
    """``executemany`` of an INSERT is one COPY or a few multi-row INSERTs: same rows as one by one."""
    rows = [(f"k{i}", _AWKWARD[i % len(_AWKWARD)]) for i in range(1_234)]
    names = [(f"Name {i % 700}", f"name {i % 700}") for i in range(1_300)]  # 600 of them twice
    async with open_store(database) as store:
        copied = await store.write(lambda conn: conn.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", rows))
        skipped = await store.write(
            lambda conn: conn.executemany(
                "INSERT INTO people(name, folded) VALUES (?, ?) ON CONFLICT DO NOTHING", names
            )
        )
        assert (copied.rowcount, skipped.rowcount) == (1_234, 700)
        stored = await store.reads.fetchall("SELECT key, value FROM meta WHERE key LIKE 'k%' ORDER BY key")
        assert sorted(tuple(row) for row in stored) == sorted(rows)
        counted = await store.reads.fetchone("SELECT count(*) FROM people")
        assert counted is not None and counted[0] == 700

        with pytest.raises(psycopg.errors.UniqueViolation):  # the transaction is undone whole, COPY included
            await store.write(
                lambda conn: (
                    conn.execute("INSERT INTO meta(key, value) VALUES ('fresh', 'x')"),
                    conn.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", [("k9999", "a"), ("k1", "b")]),
                )
            )
        assert await store.get_meta("fresh") is None and await store.get_meta("k9999") is None


@postgres_only
async def test_a_names_credits_are_read_off_its_index_and_statistics_follow_a_bulk_load(
    database: str, festivals: FestivalTable
) -> None:
    """The plan, not a timing: SQLite's ``c.rowid IN (...)`` made PostgreSQL run the ``IN`` for every credit
    and name pair (a ``SubPlan`` in a join filter: seconds at 1,000 reviews). And without statistics
    (a server with autovacuum off) the planner never learns the tables' sizes until a bulk load says so."""
    async with open_store(database) as store:
        for n in range(6):
            await store.ingest(parse_review_text(_critic(n), table=festivals))
        tuples = "SELECT reltuples FROM pg_class WHERE oid = 'credits'::regclass"
        before = await store.reads.fetchone(tuples)
        await store.refresh_statistics()
        after = await store.reads.fetchone(tuples)
        assert before is not None and after is not None and before[0] < 0 < after[0]  # -1: never analysed

        people = [row[0] for row in await store.reads.fetchall("SELECT id FROM people ORDER BY id LIMIT 3")]
        found = await store.name_credits(people, [], per_name=2)
        assert {credit[2] for credit in found} == set(people) and len(found) <= 2 * len(people)
        plan = await store.reads.fetchall(
            "EXPLAIN " + postgres_text(search_reads._NAME_CREDITS),
            (json.dumps(people), 2, "[]", 2, "[]", 2),
        )
        text = "\n".join(row[0] for row in plan)
        assert "SubPlan" not in text and "credits_person" in text, text


@postgres_only
async def test_a_bulk_load_gathers_statistics_as_the_tables_double(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Planned for empty tables, a growing load slows to a crawl (a film's refresh reads every credit) when the
    server never analyses them itself: the load analyses at 2, 4, 8... batches, and once at its end."""
    monkeypatch.setattr(ingest, "BATCH", 2)
    for n in range(18):
        (tmp_path / f"critic-{n:02}.txt").write_text(_critic(n), encoding="utf-8")
    async with open_store(database) as store:
        outcomes = await ingest.ingest_paths(store, [tmp_path], workers=0)
        assert [o.status for o in outcomes] == ["added"] * 18
        row = await store.reads.fetchone(
            "SELECT analyze_count FROM pg_stat_user_tables WHERE relid = 'reviews'::regclass"
        )
    assert row is not None and row[0] == 4  # at 4, 8 and 16 of the 18 files stored, and at the end


@postgres_only
async def test_reads_in_flight_together_run_on_connections_of_their_own(database: str) -> None:
    """One slow read (a festival's grid) holds up no other: each read in flight has its own connection, up to
    ``READ_CONNECTIONS``, and a connection is kept for the next read rather than opened again."""
    async with open_store(database) as store:
        together = await asyncio.gather(
            *(store.reads.fetchone("SELECT pg_backend_pid(), pg_sleep(0.2)") for _ in range(READ_CONNECTIONS + 2))
        )
        pids = [row[0] for row in together if row is not None]
        assert len(set(pids)) == READ_CONNECTIONS  # the two beyond waited for a connection, not opened a fifth
        again = await store.reads.fetchone("SELECT pg_backend_pid()")
        assert again is not None and again[0] in pids
