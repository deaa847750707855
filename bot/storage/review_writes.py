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
from bot.storage import review_identity as identity
from bot.storage.connection import Connection
from bot.storage.dialect import JSON_TEXTS, compose, variant

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

    Which stored review it is, if any, and which film it is of, is decided by
    :mod:`~bot.storage.review_identity`; a review never takes another's place. A new review queues
    its announcements (unless ``announce`` is false, as for a feed's back catalogue) to the
    subscriptions of ``audience`` (a server, for its own feed; None: every one); an updated one
    queues edits of what was announced.
    """
    digest = content_hash(review)
    films = identity.candidate_films(conn, review)
    same = identity.same_review(conn, review, source, digest, films)
    if same is not None:
        if same.content_hash == digest:
            if source is not None:
                conn.execute(
                    "UPDATE reviews SET source = ? WHERE id = ? AND source IS NULL"
                    " AND NOT EXISTS (SELECT 1 FROM reviews WHERE source = ?)",
                    (source, same.review_id, source),
                )
            return IngestStatus(status="unchanged", review_id=same.review_id, title=review.title)
        film_id = _film_for(conn, review, films, same.film_id)
        write_review(conn, review, digest, source, summary, same.review_id, film_id)
        _settle_films(conn, film_id, same.film_id)
        deliveries.requeue_edits(conn, same.review_id)
        return IngestStatus(status="updated", review_id=same.review_id, title=review.title)
    film_id = _film_for(conn, review, films, None)
    review_id = write_review(conn, review, digest, source, summary, None, film_id)
    _settle_films(conn, film_id, None)
    if announce:
        deliveries.enqueue_for_review(conn, review_id, review, guild_id=audience)
    return IngestStatus(status="added", review_id=review_id, title=review.title)


def _film_for(conn: Connection, review: Review, films: list[identity.FilmRow], current: int | None) -> int:
    """The film a review is stored under: its matching film, else its own film if it has it alone, else a new one."""
    found = identity.best_film(films, review, current)
    if found is not None:
        return found
    if current is not None and _alone_on(conn, current):
        return current  # a corrected title: the film was this review's alone, and follows it
    title, original = identity.folded_titles(review)
    return inserted_id(
        conn,
        "INSERT INTO films(title, original_title, year, runtime_minutes, folded_title, folded_original)"
        " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        (review.title, review.original_title, review.year, review.runtime_minutes, title, original),
    )


def _alone_on(conn: Connection, film_id: int) -> bool:
    """Whether the review being updated is its film's only review."""
    (count,) = conn.execute("SELECT count(*) FROM reviews WHERE film_id = ?", (film_id,)).fetchall()[0]
    return int(count) == 1


def _settle_films(conn: Connection, film_id: int, previous: int | None) -> None:
    """Bring the film's facts up to date with its reviews; drop the film a review left, if now empty."""
    refresh_film(conn, film_id)
    if previous is not None and previous != film_id:
        # One indexed look-up, rather than scanning every film on every update.
        gone = conn.execute(
            "DELETE FROM films WHERE id = ? AND NOT EXISTS (SELECT 1 FROM reviews WHERE film_id = ?)",
            (previous, previous),
        ).rowcount
        if not gone:
            refresh_film(conn, previous)


def refresh_film(conn: Connection, film_id: int) -> None:
    """The film's facts from its reviews: the first review's, gaps filled from the later ones, in id order.

    Id order, not time of writing, so the same reviews give the same film however they were batched.
    The folded titles are the film's own title's (how the next review finds it); the directors are
    every director its reviews credit.
    """
    rows = conn.execute(
        "SELECT title, original_title, year, runtime_minutes FROM reviews WHERE film_id = ? ORDER BY id", (film_id,)
    ).fetchall()
    if not rows:
        return
    title = str(rows[0][0])
    original, year, runtime = (next((row[i] for row in rows if row[i] is not None), None) for i in (1, 2, 3))
    folded, folded_original = identity.folded_titles(Review(title=title, original_title=original))
    original = original if folded_original else None  # "Return to Dust" is no other name for "Return To Dust"
    conn.execute(_REFRESH_FILM, (title, original, year, runtime, folded, folded_original, film_id, film_id))


#: A film's directors: every director its reviews credit, once each, in the order of its first review.
_FILM_DIRECTORS = (
    "SELECT p.name FROM reviews r JOIN credits c ON c.review_id = r.id JOIN people p ON p.id = c.person_id"
    " WHERE r.film_id = ? AND c.kind = 'director' GROUP BY p.id ORDER BY min(r.id), min(c.position)"
)
_REFRESH_FILM = compose(
    "UPDATE films SET title = ?, original_title = ?, year = ?, runtime_minutes = ?, folded_title = ?,"
    " folded_original = ?, directors = {directors} WHERE id = ?",
    directors=variant(
        f"(SELECT json_group_array(name) FROM ({_FILM_DIRECTORS}))",  # noqa: S608 - fixed SQL
        postgres="(SELECT COALESCE(json_agg(d.name ORDER BY d.first_review, d.first_position), '[]')::text FROM"
        " (SELECT p.name, min(r.id) AS first_review, min(c.position) AS first_position FROM reviews r"
        "  JOIN credits c ON c.review_id = r.id JOIN people p ON p.id = c.person_id"
        "  WHERE r.film_id = ? AND c.kind = 'director' GROUP BY p.id) d)",
    ),
)


def write_review(
    conn: Connection,
    review: Review,
    digest: str,
    source: str | None,
    summary: Summary | None,
    review_id: int | None,
    film_id: int,
) -> int:
    festival = review.festival
    rating = review.rating
    values = (
        film_id,
        review.url,
        digest,
        review.title,
        review.original_title,
        review.year,
        review.runtime_minutes,
        json.dumps(review.countries, ensure_ascii=False),
        review.headline,
        review.pull_quote,
        review.image_credit,
        json.dumps(review.body, ensure_ascii=False),
        festival.name if festival else None,
        festival.section if festival else None,
        review.festival_year,
        review.published_at.astimezone(dt.UTC).isoformat() if review.published_at else None,
        review.reviewer,
        review.publication,
        rating.text if rating else None,
        rating.score if rating else None,
        review.image_url,
        summary.model_dump_json() if summary else None,
    )
    now = now_iso()
    if review_id is None:
        review_id = inserted_id(
            conn,
            f"INSERT INTO reviews({_COLUMNS}, source, created_at, updated_at)"  # noqa: S608 - column names, fixed
            f" VALUES ({', '.join('?' * (len(values) + 3))}) RETURNING id",
            (*values, source, now, now),
        )
    else:
        # The source moves with the review unless another review holds it (one found by URL, say).
        conn.execute(
            f"UPDATE reviews SET {_ASSIGN}, updated_at = ?,"  # noqa: S608 - column names, fixed
            " source = CASE WHEN ? IS NULL OR EXISTS (SELECT 1 FROM reviews WHERE source = ? AND id != ?)"
            " THEN source ELSE ? END WHERE id = ?",
            (*values, now, source, source, review_id, source, review_id),
        )
        conn.execute("DELETE FROM credits WHERE review_id = ?", (review_id,))
        conn.execute("DELETE FROM sales_contacts WHERE review_id = ?", (review_id,))
    write_credits(conn, review_id, review)
    return review_id


_COLUMNS = (
    "film_id, url, content_hash, title, original_title, year, runtime_minutes, countries, headline, pull_quote,"
    " image_credit, body, festival, section, festival_year, published_at, reviewer, publication, rating_text,"
    " rating_score, image_url, summary"
)
_ASSIGN = ", ".join(f"{column.strip()} = ?" for column in _COLUMNS.split(","))


_Table = Literal["people", "companies"]
#: The two tables are literals chosen here, never user input.
_INSERT_NAMES = {
    t: f"INSERT INTO {t}(name, folded) VALUES (?, ?) ON CONFLICT DO NOTHING"  # noqa: S608
    for t in ("people", "companies")
}
_KNOWN_NAMES = {
    t: compose(f"SELECT name, id FROM {t} WHERE name IN (SELECT j.value FROM {{names}} j)", names=JSON_TEXTS)  # noqa: S608
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


def set_summaries(conn: Connection, updates: Sequence[tuple[int, Summary]]) -> None:
    """Several reviews' new summaries in one statement batch (``festbot resummarize``)."""
    conn.executemany("UPDATE reviews SET summary = ? WHERE id = ?", [(s.model_dump_json(), i) for i, s in updates])
