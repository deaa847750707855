"""Reading reviews: one review whole, a film with its reviews, and listings (the search indexes' reads are
in :mod:`bot.storage.search_reads`).

Each read is one statement (see :class:`bot.storage.connection.Reads`), so it sees one consistent
snapshot; lists come back as JSON arrays, each in its stored order.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from bot.domain.models import FestivalRef, Film, Rating, Review, SalesContact, StoredReview, Summary
from bot.storage.connection import Connection, Reads
from bot.storage.dialect import compose, variant
from bot.storage.rows import ReviewLine, ReviewRef


async def count(reads: Reads) -> int:
    row = await reads.fetchone("SELECT count(*) FROM reviews")
    return int(row[0]) if row else 0


async def get(reads: Reads, review_id: int) -> StoredReview | None:
    # One statement, so one consistent snapshot and one hand-over to the reader's thread; the
    # lists come back as JSON, each in its stored order.
    row = await reads.fetchone(_GET, (review_id,))
    return None if row is None else _stored(row)


def get_in(conn: Connection, review_id: int) -> StoredReview | None:
    """:func:`get` inside a write transaction (a feed entry's review, matched as it is queued)."""
    row = conn.execute(_GET, (review_id,)).fetchone()
    return None if row is None else _stored(row)


def _stored(row: Any) -> StoredReview:
    credit_rows = json.loads(row[21])
    sales = [
        SalesContact(company=name, emails=emails, phones=phones, urls=urls)
        for name, emails, phones, urls in json.loads(row[22])
    ]
    people: dict[str, list[str]] = {"director": [], "screenwriter": [], "cast": []}
    credits: dict[str, list[str]] = {}
    for kind, label, name in credit_rows:
        (credits.setdefault(label, []) if kind == "credit" else people[kind]).append(name)
    review = Review(
        title=row[1],
        original_title=row[2],
        year=row[3],
        runtime_minutes=row[4],
        headline=row[5],
        pull_quote=row[6],
        image_credit=row[7],
        body=json.loads(row[8]),
        festival=FestivalRef(name=row[9], section=row[10]) if row[9] else None,
        festival_year=row[11],
        url=row[12],
        published_at=_time(row[13]),
        reviewer=row[14],
        publication=row[23],
        rating=_rating(row[24], row[25]),
        image_url=row[26],
        directors=people["director"],
        screenwriters=people["screenwriter"],
        cast=people["cast"],
        countries=json.loads(row[20]),
        credits=credits,
        sales=sales,
    )
    return StoredReview(
        id=row[0],
        review=review,
        film_id=row[27],
        summary=Summary.model_validate_json(row[15]) if row[15] else None,
        source=row[16],
        content_hash=row[17],
        created_at=dt.datetime.fromisoformat(row[18]),
        updated_at=dt.datetime.fromisoformat(row[19]),
    )


_GET = compose(
    "SELECT r.id, r.title, r.original_title, r.year, r.runtime_minutes, r.headline, r.pull_quote,"
    " r.image_credit, r.body, r.festival, r.section, r.festival_year, r.url, r.published_at, r.reviewer,"
    " r.summary, r.source, r.content_hash, r.created_at, r.updated_at, r.countries, {credits}, {sales},"
    " r.publication, r.rating_text, r.rating_score, r.image_url, r.film_id"
    " FROM reviews r WHERE r.id = ?",
    credits=variant(
        "(SELECT json_group_array(json_array(kind, label, name)) FROM"
        " (SELECT c.kind, c.label, COALESCE(p.name, co.name) AS name FROM credits c"
        "  LEFT JOIN people p ON p.id = c.person_id LEFT JOIN companies co ON co.id = c.company_id"
        "  WHERE c.review_id = r.id ORDER BY c.rowid))",
        postgres="(SELECT COALESCE(json_agg(json_build_array(c.kind, c.label, COALESCE(p.name, co.name))"
        " ORDER BY c.rowid), '[]')::text FROM credits c"
        " LEFT JOIN people p ON p.id = c.person_id LEFT JOIN companies co ON co.id = c.company_id"
        " WHERE c.review_id = r.id)",
    ),
    sales=variant(
        "(SELECT json_group_array(json_array(name, json(emails), json(phones), json(urls))) FROM"
        " (SELECT co.name, s.emails, s.phones, s.urls FROM sales_contacts s"
        "  JOIN companies co ON co.id = s.company_id WHERE s.review_id = r.id ORDER BY s.position))",
        postgres="(SELECT COALESCE(json_agg(json_build_array(co.name, s.emails::json, s.phones::json, s.urls::json)"
        " ORDER BY s.position), '[]')::text FROM sales_contacts s"
        " JOIN companies co ON co.id = s.company_id WHERE s.review_id = r.id)",
    ),
)


async def film(reads: Reads, film_id: int) -> Film | None:
    row = await reads.fetchone(
        "SELECT id, title, original_title, year, runtime_minutes, directors FROM films WHERE id = ?", (film_id,)
    )
    if row is None:
        return None
    return Film(
        id=row[0],
        title=row[1],
        original_title=row[2],
        year=row[3],
        runtime_minutes=row[4],
        directors=json.loads(row[5]),
    )


async def film_reviews(reads: Reads, film_id: int) -> list[ReviewLine]:
    """The film's reviews, newest first, as its card lists them."""
    rows = await reads.fetchall(_FILM_REVIEWS, (film_id,))
    return [
        ReviewLine(
            review_id=r[0],
            publication=r[1],
            reviewer=r[2],
            rating=_rating(r[3], r[4]),
            verdict=r[5],
            published_at=_time(r[6]),
            url=r[7],
            festival=r[8],
            section=r[9],
            festival_year=r[10],
            countries=json.loads(r[11]),
            credits=r[12],
            sales=r[13],
        )
        for r in rows
    ]


#: A review's one-line verdict: its summary's first verdict sentence, else its pull quote, standfirst or first
#: paragraph (a film's card and the web pages' grid show it). A fragment for :func:`compose`.
VERDICT = variant(
    "COALESCE(json_extract(r.summary, '$.verdict[0]'), r.pull_quote, r.headline, json_extract(r.body, '$[0]'), '')",
    postgres="COALESCE(r.summary::json -> 'verdict' ->> 0, r.pull_quote, r.headline, r.body::json ->> 0, '')",
)
_FILM_REVIEWS = compose(
    "SELECT r.id, r.publication, r.reviewer, r.rating_text, r.rating_score, {verdict},"
    " r.published_at, r.url, r.festival, r.section, r.festival_year, r.countries,"
    " (SELECT count(*) FROM credits c WHERE c.review_id = r.id),"
    " (SELECT count(*) FROM sales_contacts s WHERE s.review_id = r.id)"
    " FROM reviews r WHERE r.film_id = ? ORDER BY {newest_first}",
    verdict=VERDICT,
    newest_first="COALESCE(r.published_at, r.created_at) DESC, r.id DESC",
)


def _refs_sql(where: str, role: str = "NULL", limit: bool = False) -> str:
    """A listing of reviews with their films' facts, newest first (``role``: a column of roles, per review)."""
    return compose(
        "SELECT r.id, r.film_id, f.title, f.original_title, f.year, f.directors, r.festival,"  # noqa: S608 - fixed SQL
        " r.section, r.festival_year, r.published_at, r.publication, r.rating_text, r.rating_score, {role}"
        f" FROM reviews r JOIN films f ON f.id = r.film_id {where}"
        # Newest first: by publication time, else the time it was stored (the ``reviews_recency`` index).
        " ORDER BY COALESCE(r.published_at, r.created_at) DESC, f.year DESC NULLS LAST, r.id DESC"
        + (" LIMIT ?" if limit else ""),
        role=role,
    )


async def _refs(reads: Reads, sql: str, params: Sequence[object]) -> list[ReviewRef]:
    rows = await reads.fetchall(sql, params)
    return [
        ReviewRef(
            review_id=r[0],
            film_id=r[1],
            title=r[2],
            original_title=r[3],
            year=r[4],
            directors=json.loads(r[5]),
            festival=r[6],
            section=r[7],
            festival_year=r[8],
            published_at=_time(r[9]),
            publication=r[10],
            rating=_rating(r[11], r[12]),
            role=r[13],
        )
        for r in rows
    ]


def _roles(expression: str) -> str:
    """The distinct values of ``expression`` over a review's group, comma-separated."""
    return variant(f"group_concat(DISTINCT {expression})", postgres=f"string_agg(DISTINCT {expression}, ',')")


_CREDITING_PERSON = _refs_sql(
    "JOIN credits c ON c.review_id = r.id JOIN people p ON p.id = c.person_id WHERE p.folded = ? GROUP BY r.id, f.id",
    _roles("CASE c.kind WHEN 'credit' THEN c.label ELSE c.kind END"),
)
_SELLING_COMPANY = _refs_sql(
    "JOIN credits c ON c.review_id = r.id JOIN companies co ON co.id = c.company_id WHERE co.folded = ?"
    " GROUP BY r.id, f.id",
    _roles("c.label"),
)
_AT_FESTIVAL = _refs_sql(
    "WHERE r.festival = ? AND (? IS NULL OR r.festival_year = ? OR (r.festival_year IS NULL AND f.year = ?))"
    " AND (? IS NULL OR lower(r.section) = lower(?))"
)
_RECENT = _refs_sql("", limit=True)


async def reviews_crediting_person(reads: Reads, folded_name: str) -> list[ReviewRef]:
    """Reviews where a person (matched by folded name) is credited, newest first, with the roles."""
    return await _refs(reads, _CREDITING_PERSON, (folded_name,))


async def reviews_selling_company(reads: Reads, folded_name: str) -> list[ReviewRef]:
    """Reviews whose sales agent (or credited company) is this company, newest first."""
    return await _refs(reads, _SELLING_COMPANY, (folded_name,))


async def reviews_at_festival(reads: Reads, festival: str, year: int | None, section: str | None) -> list[ReviewRef]:
    """Reviews from one festival (and edition year and section, when given), newest first."""
    return await _refs(reads, _AT_FESTIVAL, (festival, year, year, year, section, section))


async def recent_reviews(reads: Reads, limit: int) -> list[ReviewRef]:
    """The newest reviews, for autocomplete before anything is typed."""
    return await _refs(reads, _RECENT, (limit,)) if limit > 0 else []


async def latest_contact(reads: Reads, folded_company: str) -> SalesContact | None:
    """A company's contact details as its newest review gives them."""
    row = await reads.fetchone(
        "SELECT co.name, s.emails, s.phones, s.urls FROM sales_contacts s JOIN companies co ON co.id = s.company_id"
        " JOIN reviews r ON r.id = s.review_id WHERE co.folded = ?"
        " ORDER BY COALESCE(r.published_at, r.created_at) DESC, r.id DESC LIMIT 1",
        (folded_company,),
    )
    if row is None:
        return None
    return SalesContact(company=row[0], emails=json.loads(row[1]), phones=json.loads(row[2]), urls=json.loads(row[3]))


def _time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _rating(text: str | None, score: float | None) -> Rating | None:
    return Rating(text=text, score=score) if text and score is not None else None
