"""Resolve what a person typed to ranked films.

Films' titles and credited names live in in-memory word indexes (:mod:`bot.search.index`), built
from the store on first use and brought up to date after writes, so a query is a few set operations
and no full-text search. A film is one entry however many reviews it has. Every typed word must
begin a word of a title or name; when nothing has them all, words of three letters or more are also
tried as their closest indexed words (typos such as ``retun to dsut``). Candidates are ranked by how
closely their title, a credited person or a company matches the whole query; ties go to the film
reviewed most recently.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Sequence
from typing import Literal

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from bot.domain.models import SearchHit
from bot.domain.text import fold
from bot.search.index import WordIndex
from bot.storage.rows import IndexMarks, SearchDoc, TitleRow
from bot.storage.store import Store

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 200
MAX_WORDS = 12
#: A name or company match ranks a little below an equally good title match.
_PERSON_WEIGHT = 0.92
_COMPANY_WEIGHT = 0.9
_MIN_SCORE = 60.0
_NAME_SCORE = 75.0
#: Candidates scored per index: positions come shortest entry first, which is how prefix matches rank.
_TITLE_CAP = 80
_NAME_CAP = 25
#: Another process (``festbot ingest``) may write: look for its changes at most this often, unless the
#: database tells the store of every change itself (PostgreSQL's LISTEN/NOTIFY: ``Store.watching``).
_RECHECK_SECONDS = 1.0


class Searcher:
    """Search over one store, from indexes kept in memory and refreshed when the reviews change."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._titles = WordIndex()
        self._people = WordIndex()
        self._companies = WordIndex()
        self._marks: IndexMarks | None = None
        self._generation = -1
        self._checked = 0.0
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        """Build the indexes, or add what was written since; cheap when nothing was."""
        if self._current():
            return
        async with self._lock:
            if self._current():
                return
            generation, checked = self.store.reviews_generation, time.monotonic()
            marks = await self.store.index_marks()
            if marks != self._marks:
                await self._load(marks)
            self._marks, self._generation, self._checked = marks, generation, checked

    def _current(self) -> bool:
        return (
            self._marks is not None
            and self._generation == self.store.reviews_generation
            and (self.store.watching or time.monotonic() - self._checked < _RECHECK_SECONDS)
        )

    async def _load(self, marks: IndexMarks) -> None:
        previous = self._marks
        if previous is not None and marks.review_id - previous.review_id > len(self._titles) // 4:
            previous = None  # a bulk load elsewhere: rebuild, so positions run shortest first again
        if previous is None:
            # Built aside and swapped in; pages keep the rows read at once (and memory) small.
            titles = WordIndex()
            async for rows in self.store.title_pages():
                for row in rows:
                    titles.stage(row.film_id, _variants(row), _time(row.recency))
            people, companies = WordIndex(), WordIndex()
            for table, index in (("people", people), ("companies", companies)):
                async for names in self.store.name_pages(table):  # type: ignore[arg-type]
                    for key, name in names:
                        index.stage(key, (name,))
            self._titles, self._people, self._companies = titles.seal(), people.seal(), companies.seal()
        else:
            for row in await self.store.title_rows(previous):
                self._titles.put(row.film_id, _variants(row), _time(row.recency))
            for table, index, after in (
                ("people", self._people, previous.person_id),
                ("companies", self._companies, previous.company_id),
            ):
                async for names in self.store.name_pages(table, after):  # type: ignore[arg-type]
                    for key, name in names:
                        index.put(key, (name,))
        log.debug(
            "search index: %d titles, %d people, %d companies",
            len(self._titles),
            len(self._people),
            len(self._companies),
        )

    async def search(self, query: str, *, limit: int = 10, min_score: float = _MIN_SCORE) -> list[SearchHit]:
        """Ranked films for ``query``, one hit each; never raises on odd input (empty, emoji, 1 KB)."""
        folded = fold(query[: MAX_QUERY_CHARS * 4])[:MAX_QUERY_CHARS]
        words = folded.split()[:MAX_WORDS]
        if not words:
            return []
        folded = " ".join(words)
        await self.refresh()
        exact = [[w] for w in words]
        titles = self._titles.matching(exact, _TITLE_CAP)
        people = self._people.matching(exact, _NAME_CAP)
        companies = self._companies.matching(exact, _NAME_CAP)
        if not (titles or people or companies):
            # Nothing has every word: try typo corrections. Words under three letters ("to", "la")
            # would match most of the index and only slow the ranking down.
            long_words = [w for w in words if len(w) >= 3] or words
            titles = _loose(self._titles, long_words, _TITLE_CAP)
            people = _loose(self._people, long_words, _NAME_CAP)
            companies = _loose(self._companies, long_words, _NAME_CAP)
        scored: dict[int, tuple[float, str, str | None, str | None]] = {}
        for position in titles:
            scored[self._titles.keys[position]] = (self._title_score(folded, position), "title", None, None)
        wanted = self._names_wanted(folded, people, companies)
        if wanted:
            # Name hits rank at most the best name's score times its weight: when enough titles rank
            # above that, the credits need not be read at all.
            ceiling = round(max(wanted.values()) * _PERSON_WEIGHT, 1)
            if sum(1 for score, *_ in scored.values() if round(score, 1) > ceiling) >= limit:
                wanted = {}
        for film_id, hit in (await self._name_hits(wanted, limit)).items():
            # A film found only through a name keeps its name's score: its title lacks a typed word.
            if film_id not in scored or hit[0] > scored[film_id][0]:
                scored[film_id] = hit
        ranked = sorted(
            ((score, self._recency(film_id), film_id) for film_id, (score, *_) in scored.items() if score >= min_score),
            key=lambda item: (round(item[0], 1), item[1], item[2]),
            reverse=True,
        )[:limit]
        docs = {doc.film_id: doc for doc in await self.store.search_docs(f for _, _, f in ranked)}
        for _, _, film_id in ranked:
            if film_id not in docs:
                # A film whose last review moved to another film (a corrected title) is gone: blank its entry.
                self._titles.put(film_id, ())
        return [_hit(docs[film_id], *scored[film_id]) for _, _, film_id in ranked if film_id in docs]

    async def names(self, table: Literal["people", "companies"], typed: str, limit: int = 25) -> list[str]:
        """Credited people or companies with a word beginning with each typed word, shortest first."""
        words = fold(typed[: MAX_QUERY_CHARS * 4])[:MAX_QUERY_CHARS].split()[:MAX_WORDS]
        if not words:
            return []
        await self.refresh()
        index = self._people if table == "people" else self._companies
        positions = index.matching([[w] for w in words], limit)
        return await self.store.names_by_id(table, [index.keys[p] for p in positions])

    def _recency(self, film_id: int) -> float:
        position = self._titles.position(film_id)
        return self._titles.rank[position] if position is not None else 0.0

    def _title_score(self, query: str, position: int) -> float:
        return max(_title_score(query, title) for title in self._titles.variants(position))

    def _names_wanted(self, query: str, people: list[int], companies: list[int]) -> dict[int, float]:
        """Matching names scoring at least 75, by entity (people positive, companies negative); each once."""
        wanted: dict[int, float] = {}
        for index, positions, sign in ((self._people, people, 1), (self._companies, companies, -1)):
            for position in positions:
                name = index.variants(position)[0]
                score = max(fuzz.token_sort_ratio(query, name), _title_score(query, name))
                if score >= _NAME_SCORE:
                    wanted[sign * index.keys[position]] = score
        return wanted

    async def _name_hits(
        self, wanted: dict[int, float], limit: int
    ) -> dict[int, tuple[float, str, str | None, str | None]]:
        """The best credited-name match of each film whose reviews credit one of the ``wanted`` names."""
        if not wanted:
            return {}
        best_first = sorted(wanted, key=wanted.__getitem__, reverse=True)
        credits = await self.store.name_credits(
            [k for k in best_first if k > 0], [-k for k in best_first if k < 0], per_name=limit
        )
        hits: dict[int, tuple[float, str, str | None, str | None]] = {}
        for credit in credits:
            company = credit.entity < 0
            score = wanted[credit.entity] * (_COMPANY_WEIGHT if company else _PERSON_WEIGHT)
            if credit.film_id in hits and hits[credit.film_id][0] >= score:
                continue
            role = credit.kind if credit.kind != "credit" else credit.label.replace("_", " ")
            hits[credit.film_id] = (score, "company" if company else "person", credit.name, role)
        return hits


def _loose(index: WordIndex, words: Sequence[str], cap: int) -> list[int]:
    """Entries matching every word or one of its typo corrections; failing that, any of them.

    Words the index knows are tried as they are first: correcting "the" to "she" and "thy" too
    would only widen the search. Then every word is also tried as its corrections.
    """
    corrections = {word: index.close(word, 1 if len(word) <= 4 else 2) for word in words}
    unknown = [[word] if index.knows_prefix(word) else [word, *corrections[word]] for word in words]
    found = index.matching(unknown, cap)
    groups = [[word, *corrections[word]] for word in words]
    if not found and groups != unknown:
        found = index.matching(groups, cap)
    if found or len(groups) == 1:
        return found
    anyof: dict[int, None] = {}
    for group in groups:
        anyof.update(dict.fromkeys(index.matching([group], cap)))
    return sorted(anyof)[:cap]


def _variants(row: TitleRow) -> tuple[str, ...]:
    return (row.folded, fold(row.original_title)) if row.original_title else (row.folded,)


def _time(iso: str) -> float:
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return 0.0
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def _coverage(query: str, title: str) -> float:
    """Share of the query's words that the title has (as a prefix, or within one or two typos)."""
    words = query.split()
    spaced = f" {title}"
    begun = [w for w in words if f" {w}" in spaced]  # begins a word of the title: the common case
    if len(begun) == len(words):
        return 1.0 if words else 0.0
    title_words = title.split()
    covered = len(begun) + sum(
        1 for w in words if f" {w}" not in spaced and any(OSA.normalized_similarity(w, t) >= 0.7 for t in title_words)
    )
    return covered / len(words)


def _title_score(query: str, title: str) -> float:
    """Whole-title similarity; words the title does not have pull the score down."""
    return _similarity(query, title) * (0.6 + 0.4 * _coverage(query, title))


def _similarity(query: str, title: str) -> float:
    """Whole-title similarity, with prefixes and contained words counting as strong matches."""
    if query == title:
        return 100.0
    ratio = fuzz.ratio(query, title)
    if title.startswith(query):
        # "return" for "return to dust": a prefix is almost as good as the whole title.
        return max(ratio, 90.0 + 9.0 * len(query) / len(title))
    spaced = f" {title}"
    if all(f" {w}" in spaced for w in query.split()):
        return max(ratio, 85.0 + 9.0 * len(query) / len(title))
    return max(ratio, fuzz.token_set_ratio(query, title) * 0.95, fuzz.partial_ratio(query, title) * 0.9)


def _hit(doc: SearchDoc, score: float, matched: str, name: str | None, role: str | None) -> SearchHit:
    return SearchHit(
        film_id=doc.film_id,
        review_id=doc.review_id,
        title=doc.title,
        original_title=doc.original_title,
        year=doc.year,
        directors=doc.directors,
        festival=doc.festivals[0] if doc.festivals else None,
        festivals=doc.festivals,
        reviews=doc.reviews,
        score=score,
        matched=matched,
        name=name,
        role=role,
    )
