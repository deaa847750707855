"""Reads behind the web pages (:mod:`bot.web`): a festival edition's critics' grid, its editions, and what
the pages' ETags are made from.

Each is one statement, like every read (see :class:`bot.storage.connection.Reads`).
"""

from __future__ import annotations

import datetime as dt
import json

from bot.domain.models import Rating
from bot.storage.connection import Reads
from bot.storage.dialect import compose
from bot.storage.review_reads import VERDICT
from bot.storage.rows import ChangeMark, Edition, GridEntry

#: Parameters: the festival and the year, twice (once for each half of the edition match below).
_GRID = compose(
    "WITH chosen(id) AS ("
    "  SELECT id FROM reviews WHERE festival = ? AND festival_year = ?"
    "  UNION ALL SELECT r.id FROM reviews r JOIN films f ON f.id = r.film_id"
    "  WHERE r.festival = ? AND r.festival_year IS NULL AND f.year = ?)"
    " SELECT r.id, r.film_id, f.title, f.original_title, f.year, f.directors, r.section, r.publication,"
    " r.reviewer, r.rating_text, r.rating_score, {verdict}, r.published_at"
    " FROM chosen c JOIN reviews r ON r.id = c.id JOIN films f ON f.id = r.film_id"
    " ORDER BY COALESCE(r.published_at, r.created_at) DESC, r.id DESC",
    verdict=VERDICT,
)


async def festival_grid(reads: Reads, festival: str, year: int) -> list[GridEntry]:
    """Every review at one festival edition with its film, newest first: films x publications in one query.

    The edition is matched as ``/festival`` matches it: the year the review names, else its film's
    year. Each half of that is its own seek of the ``reviews_festival`` index; written as one ``OR``,
    SQLite reads every review of the festival instead (all its editions), and a review's later columns
    sit behind its long body on overflow pages: 35-55 ms at 100,000 reviews against 2 ms.
    """
    rows = await reads.fetchall(_GRID, (festival, year, festival, year))
    return [
        GridEntry(
            review_id=r[0],
            film_id=r[1],
            title=r[2],
            original_title=r[3],
            year=r[4],
            directors=json.loads(r[5]),
            section=r[6],
            publication=r[7],
            reviewer=r[8],
            rating=Rating(text=r[9], score=r[10]) if r[9] and r[10] is not None else None,
            verdict=r[11],
            published_at=dt.datetime.fromisoformat(r[12]) if r[12] else None,
        )
        for r in rows
    ]


async def festival_editions(reads: Reads, festival: str) -> list[Edition]:
    """The festival's editions that have reviews, newest first, with their number of reviews.

    The years reviews name come from the ``reviews_festival`` index alone; only reviews that name none
    (rare: the parser names one whenever it knows the film's year) are joined to their film.
    """
    rows = await reads.fetchall(
        "SELECT e.edition, count(*) FROM ("
        "  SELECT festival_year AS edition FROM reviews WHERE festival = ? AND festival_year IS NOT NULL"
        "  UNION ALL SELECT f.year FROM reviews r JOIN films f ON f.id = r.film_id"
        "  WHERE r.festival = ? AND r.festival_year IS NULL AND f.year IS NOT NULL"
        ") e GROUP BY e.edition ORDER BY e.edition DESC",
        (festival, festival),
    )
    return [Edition(int(r[0]), int(r[1])) for r in rows]


async def change_mark(reads: Reads) -> ChangeMark:
    """The newest review and the latest update: a page made from the reviews is unchanged while these are.

    Both are index look-ups. Reviews are never deleted, and a review whose film changes is updated,
    so a film's page, a review's and a grid change only when one of these does.
    """
    row = await reads.fetchone("SELECT (SELECT max(id) FROM reviews), (SELECT max(updated_at) FROM reviews)")
    return ChangeMark(int(row[0] or 0), str(row[1] or "")) if row else ChangeMark(0, "")
