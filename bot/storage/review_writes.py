"""Writing one review: its film, its text, its credits and sales contacts, and its announcements.

Each function runs inside a write transaction (see :mod:`bot.storage.connection`); :func:`store_review`
is one review's whole transaction body, so a review is stored whole or not at all, together with the
deliveries that announce it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from typing import Literal

from bot.domain.models import IngestStatus, Review, Summary
from bot.domain.text import fold
from bot.storage import deliveries
from bot.storage.connection import Connection

_COMPANY_LABEL = re.compile(r"compan|sales|distribut|studio|contact|financ|presenter|co_production", re.IGNORECASE)


def is_company_label(label: str) -> bool:
    """Credit labels whose names are organisations rather than people."""
    return bool(_COMPANY_LABEL.search(label))


#: Fields added after reviews were first stored: left out of the hash while empty, so a review stored
#: before they existed hashes the same and is ``unchanged``, not ``updated``, when it comes again.
_LATER_FIELDS = ("publication", "rating", "image_url")


def content_hash(review: Review) -> str:
    empty = {name for name in _LATER_FIELDS if getattr(review, name) is None}
    return hashlib.sha256(review.model_dump_json(exclude=empty).encode()).hexdigest()


def film_key(review: Review) -> str:
    director = fold(review.directors[0]) if review.directors else ""
    return f"{fold(review.title)}|{review.year or ''}|{director}"


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def inserted_id(conn: Connection, sql: str, params: Sequence[object]) -> int:
    """The id an ``INSERT ... RETURNING id`` gave (every row fetched, so the statement is finished)."""
    return int(conn.execute(sql, params).fetchall()[0][0])


def store_review(
    conn: Connection,
    review: Review,
    *,
    source: str | None = None,
    summary: Summary | None = None,
    announce: bool = True,
    audience: int | None = None,
) -> IngestStatus:
    """Store ``review``: ``added``, ``updated`` in place, or ``unchanged``.

    A review is the same one when it has the same URL, the same source (an edited file), or the
    same film key (title, year and director) with neither URL nor source telling otherwise.
    A new review queues its announcements (unless ``announce`` is false, as for a feed's back
    catalogue) to the subscriptions of ``audience`` (a server, for its own feed; None: every one);
    an updated one queues edits of what was announced.
    """
    digest = content_hash(review)
    existing = find_existing(conn, review, source)
    if existing is not None:
        review_id, old_hash = existing
        if old_hash == digest:
            if source is not None:
                conn.execute("UPDATE reviews SET source = ? WHERE id = ? AND source IS NULL", (source, review_id))
            return IngestStatus(status="unchanged", review_id=review_id, title=review.title)
        write_review(conn, review, digest, source, summary, review_id)
        deliveries.requeue_edits(conn, review_id)
        return IngestStatus(status="updated", review_id=review_id, title=review.title)
    review_id = write_review(conn, review, digest, source, summary, None)
    if announce:
        deliveries.enqueue_for_review(conn, review_id, review.festival, guild_id=audience)
    return IngestStatus(status="added", review_id=review_id, title=review.title)


def find_existing(conn: Connection, review: Review, source: str | None) -> tuple[int, str] | None:
    probes: list[tuple[str, tuple[object, ...]]] = []
    if review.url:
        probes.append(("SELECT id, content_hash FROM reviews WHERE url = ?", (review.url,)))
    if source:
        probes.append(("SELECT id, content_hash FROM reviews WHERE source = ?", (source,)))
    probes.append(
        (
            "SELECT r.id, r.content_hash FROM reviews r JOIN films f ON f.id = r.film_id "
            "WHERE f.film_key = ? AND (r.url IS NULL OR ? IS NULL) ORDER BY r.id LIMIT 1",
            (film_key(review), review.url),
        )
    )
    for sql, params in probes:
        row = conn.execute(sql, params).fetchone()
        if row:
            return int(row[0]), str(row[1])
    return None


def write_review(
    conn: Connection,
    review: Review,
    digest: str,
    source: str | None,
    summary: Summary | None,
    review_id: int | None,
) -> int:
    film_id = upsert_film(conn, review)
    festival = review.festival
    values = (
        film_id,
        review.url,
        digest,
        review.headline,
        review.pull_quote,
        review.image_credit,
        json.dumps(review.body, ensure_ascii=False),
        festival.name if festival else None,
        festival.section if festival else None,
        review.festival_year,
        review.published_at.astimezone(dt.UTC).isoformat() if review.published_at else None,
        review.reviewer,
        summary.model_dump_json() if summary else None,
    )
    now = now_iso()
    if review_id is None:
        review_id = inserted_id(
            conn,
            "INSERT INTO reviews(film_id, url, content_hash, headline, pull_quote, image_credit, body, festival,"
            " section, festival_year, published_at, reviewer, summary, source, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (*values, source, now, now),
        )
    else:
        previous = conn.execute("SELECT film_id FROM reviews WHERE id = ?", (review_id,)).fetchone()
        conn.execute(
            "UPDATE reviews SET film_id = ?, url = ?, content_hash = ?, headline = ?, pull_quote = ?,"
            " image_credit = ?, body = ?, festival = ?, section = ?, festival_year = ?, published_at = ?,"
            " reviewer = ?, summary = ?, source = COALESCE(?, source), updated_at = ? WHERE id = ?",
            (*values, source, now, review_id),
        )
        conn.execute("DELETE FROM credits WHERE review_id = ?", (review_id,))
        conn.execute("DELETE FROM sales_contacts WHERE review_id = ?", (review_id,))
        if previous is not None and previous[0] != film_id:
            # A corrected title moves the review to another film; drop the old one if nothing else uses it
            # (one indexed lookup, rather than scanning every film on every update).
            conn.execute(
                "DELETE FROM films WHERE id = ? AND NOT EXISTS (SELECT 1 FROM reviews WHERE film_id = ?)",
                (previous[0], previous[0]),
            )
    write_credits(conn, review_id, review)
    return review_id


def upsert_film(conn: Connection, review: Review) -> int:
    key = film_key(review)
    row = conn.execute("SELECT id FROM films WHERE film_key = ?", (key,)).fetchone()
    if row:
        film_id = int(row[0])
        conn.execute(
            "UPDATE films SET title = ?, original_title = ?, year = ?, runtime_minutes = ? WHERE id = ?",
            (review.title, review.original_title, review.year, review.runtime_minutes, film_id),
        )
        conn.execute("DELETE FROM film_countries WHERE film_id = ?", (film_id,))
    else:
        film_id = inserted_id(
            conn,
            "INSERT INTO films(title, original_title, year, runtime_minutes, film_key) VALUES (?, ?, ?, ?, ?)"
            " RETURNING id",
            (review.title, review.original_title, review.year, review.runtime_minutes, key),
        )
    conn.executemany(
        "INSERT INTO film_countries(film_id, position, name) VALUES (?, ?, ?)",
        [(film_id, i, name) for i, name in enumerate(review.countries)],
    )
    return film_id


_Table = Literal["people", "companies"]
#: The two tables are literals chosen here, never user input.
_INSERT_NAMES = {t: f"INSERT OR IGNORE INTO {t}(name, folded) VALUES (?, ?)" for t in ("people", "companies")}  # noqa: S608
_KNOWN_NAMES = {
    t: f"SELECT name, id FROM {t} WHERE name IN (SELECT value FROM json_each(?))"  # noqa: S608
    for t in ("people", "companies")
}


def entity_ids(conn: Connection, table: _Table, names: Iterable[str]) -> dict[str, int]:
    """Ids of these people (or companies), adding the ones not seen before.

    Most of a review's names are known already, so all are looked up first and only the new
    ones are folded and inserted: three statements at most, and no insert attempted in vain.
    """
    unique = list(dict.fromkeys(names))
    if not unique:
        return {}
    ids = _known_ids(conn, table, unique)
    new = [name for name in unique if name not in ids]
    if new:
        conn.executemany(_INSERT_NAMES[table], [(name, fold(name)) for name in new])
        ids.update(_known_ids(conn, table, new))
    return ids


def _known_ids(conn: Connection, table: _Table, names: list[str]) -> dict[str, int]:
    rows = conn.execute(_KNOWN_NAMES[table], (json.dumps(names, ensure_ascii=False),)).fetchall()
    return {str(row[0]): int(row[1]) for row in rows}


def write_credits(conn: Connection, review_id: int, review: Review) -> None:
    groups: list[tuple[str, str, list[str]]] = [
        ("director", "director", review.directors),
        ("screenwriter", "screenwriter", review.screenwriters),
        ("cast", "cast", review.cast),
        *(("credit", label, names) for label, names in review.credits.items()),
    ]
    credited = [(kind, label, kind == "credit" and is_company_label(label), names) for kind, label, names in groups]
    people = entity_ids(conn, "people", (n for _, _, company, names in credited if not company for n in names))
    companies = entity_ids(
        conn,
        "companies",
        [*(n for _, _, company, names in credited if company for n in names), *(s.company for s in review.sales)],
    )
    rows: list[tuple[int, str, str, int, int | None, int | None]] = []
    for kind, label, company, names in credited:
        for position, name in enumerate(names):
            entity = companies[name] if company else people[name]
            rows.append((review_id, kind, label, position, None if company else entity, entity if company else None))
    conn.executemany(
        "INSERT INTO credits(review_id, kind, label, position, person_id, company_id) VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.executemany(
        "INSERT INTO sales_contacts(review_id, position, company_id, emails, phones, urls) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                review_id,
                position,
                companies[contact.company],
                json.dumps(contact.emails),
                json.dumps(contact.phones),
                json.dumps(contact.urls),
            )
            for position, contact in enumerate(review.sales)
        ],
    )


def set_summary(conn: Connection, review_id: int, summary: Summary) -> None:
    conn.execute("UPDATE reviews SET summary = ? WHERE id = ?", (summary.model_dump_json(), review_id))
