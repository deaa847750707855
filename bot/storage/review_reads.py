"""Reading reviews: one review whole, listings, and what the in-memory search indexes are built from.

Each read is one statement (see :class:`bot.storage.connection.Reads`), so it sees one consistent
snapshot; lists come back as JSON arrays, each in its stored order.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any, Literal

from bot.domain.models import FestivalRef, Film, Rating, Review, SalesContact, StoredReview, Summary
from bot.storage.connection import Connection, Reads
from bot.storage.dialect import JSON_IDS, compose, variant
from bot.storage.rows import IndexMarks, NamedCredit, ReviewLine, ReviewRef, SearchDoc, TitleRow


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


async def search_docs(reads: Reads, film_ids: Iterable[int]) -> list[SearchDoc]:
    """What a hit shows of each film: its facts, its newest review, its reviews' festivals and count."""
    ids = list(dict.fromkeys(film_ids))
    if not ids:
        return []
    # Per film, its own reviews only (an indexed look-up each): the cost follows the hits, not the store.
    rows = await reads.fetchall(_SEARCH_DOCS, (json.dumps(ids),))
    docs = []
    for r in rows:
        reviews = json.loads(r[5])
        if not reviews:
            continue
        docs.append(
            SearchDoc(
                film_id=r[0],
                review_id=reviews[0][0],
                title=r[1],
                original_title=r[2],
                year=r[3],
                directors=json.loads(r[4]),
                festivals=list(dict.fromkeys(festival for _, festival in reviews if festival)),
                reviews=len(reviews),
            )
        )
    return docs


_SEARCH_DOCS = compose(
    "SELECT f.id, f.title, f.original_title, f.year, f.directors, {reviews} FROM films f"
    " WHERE f.id IN (SELECT j.value FROM {ids} j)",
    reviews=variant(
        "(SELECT json_group_array(json_array(id, festival)) FROM"
        " (SELECT r.id, r.festival FROM reviews r WHERE r.film_id = f.id"
        "  ORDER BY COALESCE(r.published_at, r.created_at) DESC, r.id DESC))",
        postgres="(SELECT COALESCE(json_agg(json_build_array(r.id, r.festival)"
        " ORDER BY COALESCE(r.published_at, r.created_at) DESC, r.id DESC), '[]')::text"
        " FROM reviews r WHERE r.film_id = f.id)",
    ),
    ids=JSON_IDS,
)


async def index_marks(reads: Reads) -> IndexMarks:
    """Where the reviews and names stand, so an in-memory index can tell it is behind (any process).

    The last mark is the database's own count of commits: SQLite's ``data_version`` counts other
    connections' commits to the file. PostgreSQL's closest is the current snapshot (which transactions
    are running or done, cluster-wide): it changes whenever any transaction anywhere begins or ends, so
    it never misses a commit, at the cost of a cheap needless catch-up now and then. While a PostgreSQL
    store listens for the reviews trigger's notifications (``Store.watching``) the searcher does not ask.
    """
    row = await reads.fetchone(_INDEX_MARKS)
    assert row is not None
    return IndexMarks(row[0] or 0, row[1] or "", row[2] or 0, row[3] or 0, row[4])


_INDEX_MARKS = compose(
    "SELECT (SELECT max(id) FROM reviews), (SELECT max(updated_at) FROM reviews),"
    " (SELECT max(id) FROM people), (SELECT max(id) FROM companies), {commits}",
    commits=variant("(SELECT * FROM pragma_data_version())", postgres="pg_current_snapshot()::text"),
)


async def title_rows(reads: Reads, since: IndexMarks) -> list[TitleRow]:
    """The titles of the films whose reviews were added or updated since ``since``."""
    changed = "SELECT film_id FROM reviews WHERE id > ? UNION SELECT film_id FROM reviews WHERE updated_at >= ?"
    rows = await reads.fetchall(f"{_TITLE_ROWS} WHERE f.id IN ({changed})", (since.review_id, since.updated_at))
    return [TitleRow(*row) for row in rows]


async def title_pages(reads: Reads, size: int = 20_000) -> AsyncIterator[list[TitleRow]]:
    """Every film's titles, a page at a time."""
    async for rows in _pages(reads, f"{_TITLE_ROWS} WHERE f.id > ? ORDER BY f.id LIMIT ?", 0, size):
        yield [TitleRow(*row) for row in rows]


async def name_pages(
    reads: Reads, table: Literal["people", "companies"], after: int = 0, size: int = 50_000
) -> AsyncIterator[list[tuple[int, str]]]:
    """(id, folded name) of the people or companies after ``after``, a page at a time."""
    async for rows in _pages(reads, _NAME_ROWS[table], after, size):
        yield [(int(row[0]), str(row[1])) for row in rows]


async def _pages(reads: Reads, sql: str, after: int, size: int) -> AsyncIterator[list[Any]]:
    """Rows of ``sql`` (ids above ``?``, ``?`` at most, id first, in id order), one buffered read a page."""
    while True:
        rows = await reads.fetchall(sql, (after, size))
        if not rows:
            return
        yield rows
        after = rows[-1][0]


async def name_credits(
    reads: Reads, person_ids: Sequence[int], company_ids: Sequence[int], per_name: int = 25
) -> list[NamedCredit]:
    """Where these people and companies are credited (sales agents included).

    Names in the order given (best match first), each with its ``per_name`` latest credits, newest
    first: a name credited on thousands of films costs no more than one credited once.
    """
    people, companies = json.dumps(list(person_ids)), json.dumps(list(company_ids))
    rows = await reads.fetchall(_NAME_CREDITS, (people, per_name, companies, per_name, companies, per_name))
    return [NamedCredit(*row) for row in rows]


#: ``rowid`` is the order credits were written in (a column of that name on PostgreSQL, see V001).
_NAME_CREDITS = compose(
    "SELECT * FROM (SELECT c.review_id, r.film_id, j.value, p.name, c.kind, c.label FROM {ids} j"
    "  JOIN people p ON p.id = j.value JOIN credits c ON c.rowid IN"
    "  (SELECT rowid FROM credits WHERE person_id = j.value ORDER BY rowid DESC LIMIT ?)"
    "  JOIN reviews r ON r.id = c.review_id ORDER BY j.key, c.rowid DESC) AS by_person"
    " UNION ALL SELECT * FROM (SELECT c.review_id, r.film_id, -j.value, co.name, c.kind, c.label"
    "  FROM {ids} j JOIN companies co ON co.id = j.value JOIN credits c ON c.rowid IN"
    "  (SELECT rowid FROM credits WHERE company_id = j.value ORDER BY rowid DESC LIMIT ?)"
    "  JOIN reviews r ON r.id = c.review_id ORDER BY j.key, c.rowid DESC) AS by_company"
    " UNION ALL SELECT * FROM (SELECT s.review_id, r.film_id, -j.value, co.name, 'credit', 'international_sales'"
    "  FROM {ids} j JOIN companies co ON co.id = j.value JOIN sales_contacts s ON s.rowid IN"
    "  (SELECT rowid FROM sales_contacts WHERE company_id = j.value ORDER BY rowid DESC LIMIT ?)"
    "  JOIN reviews r ON r.id = s.review_id ORDER BY j.key, s.rowid DESC) AS by_sales",
    ids=JSON_IDS,
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


async def names_by_id(reads: Reads, table: Literal["people", "companies"], ids: Sequence[int]) -> list[str]:
    """The display names of these people or companies, in the order given."""
    rows = await reads.fetchall(_NAMES_BY_ID[table], (json.dumps(list(ids)),))
    return [str(row[0]) for row in rows]


_NAMES_BY_ID = {
    table: compose(f"SELECT t.name FROM {{ids}} j JOIN {table} t ON t.id = j.value ORDER BY j.key", ids=JSON_IDS)  # noqa: S608
    for table in ("people", "companies")
}
_NAME_ROWS = {
    table: f"SELECT id, folded FROM {table} WHERE id > ? ORDER BY id LIMIT ?"  # noqa: S608
    for table in ("people", "companies")
}
_TITLE_ROWS = (
    "SELECT f.id, f.title, f.original_title, f.folded_title,"
    " (SELECT max(COALESCE(r.published_at, r.created_at)) FROM reviews r WHERE r.film_id = f.id) FROM films f"
)


def _time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _rating(text: str | None, score: float | None) -> Rating | None:
    return Rating(text=text, score=score) if text and score is not None else None
