"""Which film an incoming review is of, and which stored review (if any) it is.

A film is matched tolerantly, since outlets write its facts differently: the same folded title or
original title, directors overlapping (in any name order) or unknown on one side, and years equal or
unknown on one side (THR and the Guardian give no year). A review is the same one by its URL, else by
its source file (an edited file updates the review it gave before), else by its content: the very
same text, or the same critic (reviewer) at the same publication on the same film. Two different URLs
are never one review, and an unsigned review is the same as another only when the text is identical:
the publication alone does not say (the parser gives every Screen-layout file "Screen International",
whoever wrote it), and with nothing to tell two unsigned reviews apart, keeping both loses nothing,
while taking one for the other would overwrite a critic's text.

Functions run inside the write transaction (see :mod:`bot.storage.connection`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.models import Review
from bot.domain.text import fold
from bot.storage.connection import Connection
from bot.storage.dialect import JSON_IDS, compose


@dataclass(frozen=True)
class FilmRow:
    """A stored film as matching sees it."""

    id: int
    titles: frozenset[str]  # folded title and original title
    year: int | None
    directors: frozenset[str]  # director keys


@dataclass(frozen=True)
class SameReview:
    """The stored review an incoming one turned out to be."""

    review_id: int
    content_hash: str
    film_id: int


def director_key(name: str) -> str:
    """A director's name, folded, in any word order ("Li Ruijun" is "Ruijun Li")."""
    return " ".join(sorted(fold(name).split()))


def folded_titles(review: Review) -> tuple[str, str | None]:
    """The review's folded title and, when it differs, its folded original title."""
    title = fold(review.title)
    original = fold(review.original_title) if review.original_title else None
    return title, (original if original and original != title else None)


def candidate_films(conn: Connection, review: Review) -> list[FilmRow]:
    """The stored films this review may be of: one indexed look-up by folded title or original title."""
    title, original = folded_titles(review)
    names = (title, original or title)
    rows = conn.execute(
        "SELECT id, folded_title, folded_original, year, directors FROM films"
        " WHERE folded_title IN (?, ?) OR folded_original IN (?, ?) ORDER BY id",
        (*names, *names),
    ).fetchall()
    films = [
        FilmRow(
            int(row[0]),
            frozenset(t for t in (row[1], row[2]) if t),
            row[3],
            frozenset(director_key(name) for name in json.loads(row[4])),
        )
        for row in rows
    ]
    return [film for film in films if _same_film(film, review)]


def _same_film(film: FilmRow, review: Review) -> bool:
    if not film.titles & {t for t in folded_titles(review) if t}:
        return False
    if film.year is not None and review.year is not None and film.year != review.year:
        return False
    directors = {director_key(name) for name in review.directors}
    return not (film.directors and directors) or bool(film.directors & directors)


def best_film(films: Sequence[FilmRow], review: Review, current: int | None = None) -> int | None:
    """The film the review belongs to among ``films`` (its current one first, then the closest match)."""
    if not films:
        return None
    if any(film.id == current for film in films):
        return current
    directors = {director_key(name) for name in review.directors}
    title = folded_titles(review)[0]

    def closeness(film: FilmRow) -> tuple[bool, int, bool, int]:
        same_year = film.year is not None and film.year == review.year
        return same_year, len(film.directors & directors), title in film.titles, -film.id

    return max(films, key=closeness).id


def same_review(
    conn: Connection, review: Review, source: str | None, digest: str, films: Sequence[FilmRow]
) -> SameReview | None:
    """The stored review ``review`` is another version of, if any (see the module's rules)."""
    probes: list[tuple[str, Sequence[object]]] = []
    if review.url:
        probes.append(("SELECT id, content_hash, film_id FROM reviews WHERE url = ?", (review.url,)))
    if source:
        probes.append(("SELECT id, content_hash, film_id FROM reviews WHERE source = ?", (source,)))
    for sql, params in probes:
        row = conn.execute(sql, params).fetchone()
        if row:
            return SameReview(int(row[0]), str(row[1]), int(row[2]))
    if not films:
        return None
    # A film has a handful of reviews: reading them all is one indexed look-up.
    rows = conn.execute(_REVIEWS_OF_FILMS, (json.dumps([film.id for film in films]),)).fetchall()
    for row in rows:
        if row[1] == digest:
            return SameReview(int(row[0]), str(row[1]), int(row[2]))
    outlet, critic = fold(review.publication or ""), fold(review.reviewer or "")
    if not critic:
        return None
    for row in rows:
        other_url = row[3] is not None and review.url is not None  # both known and, as probed, different
        if not other_url and fold(row[4] or "") == outlet and fold(row[5] or "") == critic:
            return SameReview(int(row[0]), str(row[1]), int(row[2]))
    return None


_REVIEWS_OF_FILMS = compose(
    "SELECT id, content_hash, film_id, url, publication, reviewer FROM reviews"
    " WHERE film_id IN (SELECT j.value FROM {ids} j) ORDER BY id",
    ids=JSON_IDS,
)
