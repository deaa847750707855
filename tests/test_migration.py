"""Migrations on databases earlier versions made: V006 keeps every review, on its film, reading back as parsed.

The earlier database is built as the earlier code built it: migrations V001-V004 applied, then each
review written with the statements ``bot/storage/review_writes.py`` used before V006 (a film per
``film_key``, its countries in ``film_countries``, the review's row pointing at the film); credits,
people, companies and sales contacts are written as they still are, since V006 leaves those tables alone.

SQLite only: these databases are SQLite files from before PostgreSQL was supported (no PostgreSQL
database is older than V006; ``tests/test_postgres.py`` upgrades one from V005).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from bot.domain.festivals import FestivalTable
from bot.domain.models import Review
from bot.domain.text import fold
from bot.parsing.parser import parse_review_text
from bot.parsing.text_file import decode_review_bytes
from bot.search.searcher import Searcher
from bot.sources.ingest import ingest_file
from bot.storage import review_writes, sqlite
from bot.storage.connection import StoreError
from bot.storage.migrations import migrations
from bot.storage.store import open_store
from tests.conftest import FIXTURES, second_critic

_NOW = "2024-02-18T09:30:00+00:00"


def _v4_database(path: Path, reviews: list[tuple[Review, str]]) -> list[int]:
    """A database at user_version 4 holding ``reviews`` (with their sources) as the V004-era code stored them."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    for version, _name, sql in migrations():
        if version <= 4:
            conn.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
    conn.execute("BEGIN")
    ids = [_v4_store(conn, review, source) for review, source in reviews]
    conn.execute(
        "INSERT INTO subscriptions(guild_id, channel_id, festival, created_at) VALUES (1, 2, NULL, ?)", (_NOW,)
    )
    conn.executemany(
        "INSERT INTO deliveries(review_id, subscription_id, channel_id, state, message_id, created_at, updated_at)"
        " VALUES (?, 1, 2, 'sent', ?, ?, ?)",
        [(review_id, 9000 + review_id, _NOW, _NOW) for review_id in ids],
    )
    conn.execute("COMMIT")
    conn.close()
    return ids


def _v4_store(conn: sqlite3.Connection, review: Review, source: str) -> int:
    director = fold(review.directors[0]) if review.directors else ""
    key = f"{fold(review.title)}|{review.year or ''}|{director}"
    row = conn.execute("SELECT id FROM films WHERE film_key = ?", (key,)).fetchone()
    if row:
        film_id = int(row[0])
    else:
        film_id = conn.execute(
            "INSERT INTO films(title, original_title, year, runtime_minutes, film_key) VALUES (?, ?, ?, ?, ?)"
            " RETURNING id",
            (review.title, review.original_title, review.year, review.runtime_minutes, key),
        ).fetchall()[0][0]
        conn.executemany(
            "INSERT INTO film_countries(film_id, position, name) VALUES (?, ?, ?)",
            [(film_id, i, name) for i, name in enumerate(review.countries)],
        )
    festival = review.festival
    review_id = int(
        conn.execute(
            "INSERT INTO reviews(film_id, url, content_hash, headline, pull_quote, image_credit, body, festival,"
            " section, festival_year, published_at, reviewer, summary, source, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                film_id,
                review.url,
                review_writes.content_hash(review),
                review.headline,
                review.pull_quote,
                review.image_credit,
                json.dumps(review.body, ensure_ascii=False),
                festival.name if festival else None,
                festival.section if festival else None,
                review.festival_year,
                review.published_at.astimezone(dt.UTC).isoformat() if review.published_at else None,
                review.reviewer,
                None,
                source,
                _NOW,
                _NOW,
            ),
        ).fetchall()[0][0]
    )
    review_writes.write_credits(conn, review_id, review)
    return review_id


#: What a V004 database never stored: V006 adds the columns, empty, for the reviews it keeps.
_NOT_IN_V004: dict[str, object] = {"publication": None, "rating": None, "image_url": None}


@pytest.fixture
def v4_reviews(festivals: FestivalTable, tmp_path: Path) -> list[tuple[Review, str]]:
    """Every parser fixture, and two critics' reviews of one film with URLs (the V004 code kept both on one film)."""
    found = []
    for path in sorted((FIXTURES / "reviews").glob("*.txt")):
        text = decode_review_bytes(path.read_bytes(), str(path))
        found.append((parse_review_text(text, table=festivals), f"file:{path}"))
    for name in ("Jane Critic", "Omar Writer"):
        text = second_critic(name, url=f"https://example.com/{name.split()[0].lower()}/return-to-dust")
        found.append((parse_review_text(text, table=festivals), f"file:{tmp_path / name}.txt"))
    return found


async def test_v006_keeps_every_review_on_its_film_as_it_was_parsed(
    tmp_path: Path, v4_reviews: list[tuple[Review, str]]
) -> None:
    db = tmp_path / "v4.db"
    ids = _v4_database(db, v4_reviews)
    with sqlite3.connect(db) as conn:
        films_before = dict(conn.execute("SELECT id, film_id FROM reviews").fetchall())
    async with open_store(db) as store:
        assert await store.count() == len(v4_reviews)
        for review_id, (review, source) in zip(ids, v4_reviews, strict=True):
            stored = await store.get(review_id)
            assert stored is not None
            # title, year, countries and all: exactly as parsed, but for what V004 had no column for
            assert stored.review == review.model_copy(update=_NOT_IN_V004)
            assert (stored.source, stored.film_id) == (source, films_before[review_id])
        # The seed and the two critics: one film key, so one film before V006 and after.
        dust = [i for i, (review, _) in zip(ids, v4_reviews, strict=True) if review.title == "Return To Dust"]
        assert len(dust) == 3 and len({films_before[i] for i in dust}) == 1
        film = await store.film(films_before[dust[0]])
        assert film is not None and (film.title, film.year, film.directors) == ("Return To Dust", 2022, ["Li Ruijun"])
        assert [line.review_id for line in await store.film_reviews(film.id)] == sorted(dust, reverse=True)
        # Seen again, each review is the one stored (the hash of a V004 review has not changed).
        for review, source in v4_reviews:
            assert (await store.ingest(review, source=source)).status == "unchanged"
        hits = await Searcher(store).search("return to dust")
        assert [(h.film_id, h.reviews) for h in hits] == [(film.id, 3)]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == max(v for v, _, _ in migrations())
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM deliveries WHERE state = 'sent'").fetchone()[0] == len(ids)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "film_countries" not in tables
        assert "film_key" not in {r[1] for r in conn.execute("PRAGMA table_info(films)")}


async def test_after_v006_new_reviews_find_the_migrated_films(
    tmp_path: Path, v4_reviews: list[tuple[Review, str]], festivals: FestivalTable
) -> None:
    """The folded titles V006 writes are the ones the store computes (``Vokterens øy`` folds to ``vokterens oy``)."""
    db = tmp_path / "v4.db"
    ids = _v4_database(db, v4_reviews)
    keeper = next(i for i, (review, _) in zip(ids, v4_reviews, strict=True) if review.original_title == "Vokterens øy")
    async with open_store(db) as store:
        film_id = (await store.get(keeper)).film_id  # type: ignore[union-attr]
        original = (await store.get(keeper)).review.model_copy(  # type: ignore[union-attr]
            update={"title": "Vokterens øy", "original_title": None, "url": "https://example.com/keeper", "body": ["x"]}
        )
        added = await store.ingest(original, source=None)
        third = tmp_path / "third.txt"
        third.write_text(second_critic("Ana Third", url=None, year=False), encoding="utf-8")
        outcome = await ingest_file(store, third, table=festivals)
        assert added.status == outcome.status == "added"
        assert (await store.get(added.review_id)).film_id == film_id  # type: ignore[union-attr]
        dust = (await store.get(ids[-1])).film_id  # type: ignore[union-attr]
        assert (await store.get(outcome.review_id or 0)).film_id == dust  # type: ignore[union-attr]


async def test_a_migration_that_would_break_references_leaves_the_database_as_it_was(
    tmp_path: Path, v4_reviews: list[tuple[Review, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "v4.db"
    _v4_database(db, v4_reviews[:2])
    shipped = migrations()
    broken = [*[m for m in shipped if m[0] <= 4], (5, "V005__orphans.sql", "DELETE FROM films;")]
    monkeypatch.setattr(sqlite, "migrations", lambda: broken)
    with pytest.raises(StoreError, match="broken references"):
        async with open_store(db):
            pass
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
        assert conn.execute("SELECT count(*) FROM films").fetchone()[0] == 2
    monkeypatch.setattr(sqlite, "migrations", lambda: shipped)
    async with open_store(db) as store:  # and the shipped migrations still apply
        assert await store.count() == 2
