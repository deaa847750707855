"""What the in-memory search indexes are built from: titles, names, where names are credited, hits' facts.

Each read is one statement (see :class:`bot.storage.connection.Reads`), so it sees one consistent
snapshot; pages are read by id, so a 100,000-review store is indexed without holding it all in one result.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any, Literal

from bot.storage.connection import Reads
from bot.storage.dialect import JSON_IDS, compose, postgres_text, variant
from bot.storage.rows import IndexMarks, NamedCredit, SearchDoc, TitleRow


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
#: PostgreSQL reads each name's latest credits through ``LATERAL``: given SQLite's ``c.rowid IN (...)``, its
#: planner joins every credit to every name and runs the ``IN`` for each pair (9 s for ten names among
#: 63,000 credits, and growing with the table); ``LATERAL`` reads each name's few rows off its index.
_NAME_CREDITS = variant(
    compose(
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
    ),
    postgres=postgres_text(
        compose(
            "SELECT * FROM (SELECT c.review_id, r.film_id, j.value, p.name, c.kind, c.label FROM {ids} j"
            "  JOIN people p ON p.id = j.value CROSS JOIN LATERAL (SELECT review_id, kind, label, rowid FROM credits"
            "  WHERE person_id = j.value ORDER BY rowid DESC LIMIT ?) c"
            "  JOIN reviews r ON r.id = c.review_id ORDER BY j.key, c.rowid DESC) AS by_person"
            " UNION ALL SELECT * FROM (SELECT c.review_id, r.film_id, -j.value, co.name, c.kind, c.label"
            "  FROM {ids} j JOIN companies co ON co.id = j.value CROSS JOIN LATERAL (SELECT review_id, kind, label,"
            "  rowid FROM credits WHERE company_id = j.value ORDER BY rowid DESC LIMIT ?) c"
            "  JOIN reviews r ON r.id = c.review_id ORDER BY j.key, c.rowid DESC) AS by_company"
            " UNION ALL SELECT * FROM (SELECT s.review_id, r.film_id, -j.value, co.name, 'credit',"
            " 'international_sales' FROM {ids} j JOIN companies co ON co.id = j.value CROSS JOIN LATERAL"
            "  (SELECT review_id, rowid FROM sales_contacts WHERE company_id = j.value ORDER BY rowid DESC LIMIT ?) s"
            "  JOIN reviews r ON r.id = s.review_id ORDER BY j.key, s.rowid DESC) AS by_sales",
            ids=JSON_IDS,
        )
    ),
)


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
