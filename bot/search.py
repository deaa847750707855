"""Resolve what a person typed to ranked reviews.

Candidates come from the store's FTS5 index (word prefixes on folded text), so exact, prefix and
partial-word queries are one indexed lookup. Words that match nothing are corrected against the
index vocabulary with rapidfuzz (typos such as ``retun to dsut``). Candidates are then ranked by
how closely their title, a credited person or a company matches the whole query; ties go to the
most recent review.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.models import SearchHit
from bot.store import SearchColumn, SearchDoc, Store, is_company_label
from bot.text import fold

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 200
MAX_WORDS = 12
#: A name or company match ranks a little below an equally good title match.
_PERSON_WEIGHT = 0.92
_COMPANY_WEIGHT = 0.9
_MIN_SCORE = 60.0


class _Vocabulary:
    """One column's indexed words, grouped by length for typo scans."""

    def __init__(self, words: list[str]) -> None:
        self.by_length: dict[int, list[tuple[int, str]]] = {}
        for index, word in enumerate(words):
            self.by_length.setdefault(len(word), []).append((index, word))

    def close(self, word: str, limit: int, count: int = 3) -> list[str]:
        """The ``count`` words within ``limit`` edits of ``word``, closest first, ties in vocabulary order.

        The same answer as one rapidfuzz scan of the whole vocabulary, from the words whose length
        can be within ``limit`` edits only.
        """
        found: list[tuple[int, int, str]] = []
        for length in range(len(word) - limit, len(word) + limit + 1):
            bucket = self.by_length.get(length)
            if not bucket:
                continue
            for term, distance, at in process.extract(
                word, [w for _, w in bucket], scorer=OSA.distance, score_cutoff=limit, limit=count
            ):
                found.append((int(distance), bucket[at][0], term))
        return [term for _, _, term in sorted(found)[:count]]


class Searcher:
    """Search over one store; caches the index vocabulary until the store's reviews change."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._vocab: dict[SearchColumn, _Vocabulary] = {}
        self._vocab_generation = -1

    async def _vocabulary(self, column: SearchColumn) -> _Vocabulary:
        # Only a review's write can change the vocabulary; announcement bookkeeping and feeds leave it.
        if self._vocab_generation != self.store.reviews_generation:
            self._vocab.clear()
            self._vocab_generation = self.store.reviews_generation
        if column not in self._vocab:
            self._vocab[column] = _Vocabulary(await self.store.vocabulary(column))
        return self._vocab[column]

    async def _corrected(self, words: Sequence[str], column: SearchColumn) -> list[str]:
        """Each word, or the closest indexed words when it is a typo of them."""
        vocab = await self._vocabulary(column)
        out: list[str] = []
        for word in words:
            if len(word) < 3:
                out.append(word)
                continue
            limit = 1 if len(word) <= 4 else 2
            close = vocab.close(word, limit)
            out.extend(close) if close else out.append(word)
        return out

    async def search(self, query: str, *, limit: int = 10, min_score: float = _MIN_SCORE) -> list[SearchHit]:
        """Ranked reviews for ``query``; never raises on odd input (empty, FTS syntax, emoji, 1 KB)."""
        folded = fold(query[: MAX_QUERY_CHARS * 4])[:MAX_QUERY_CHARS]
        words = folded.split()[:MAX_WORDS]
        if not words:
            return []
        folded = " ".join(words)
        ids: dict[int, SearchColumn] = {}
        by_name: set[int] = set()  # found through a credited person's or company's name
        for column in ("title", "people", "companies"):
            for review_id in await self.store.search_candidates(words, column=column, mode="all"):
                ids.setdefault(review_id, column)
                if column != "title":
                    by_name.add(review_id)
        probes = set(words)
        if not ids:
            # Nothing has every word: correct typos and accept any word. Words under three letters
            # ("to", "la") would match most of the index and only slow the ranking down.
            long_words = [w for w in words if len(w) >= 3] or words
            for column in ("title", "people", "companies"):
                corrected = await self._corrected(long_words, column)
                if column != "title":
                    probes.update(corrected)
                for review_id in await self.store.search_candidates(corrected, column=column, mode="any"):
                    ids.setdefault(review_id, column)
                    if column != "title":
                        by_name.add(review_id)
        if not ids:
            return []
        docs = await self.store.search_docs(ids)
        hits = [self._title_hit(folded, doc) for doc in docs]
        named = await self._name_hits(folded, [doc for doc in docs if doc.review_id in by_name], probes)
        best: dict[int, SearchHit] = {}
        for hit in [*hits, *named]:
            if hit.review_id not in best or hit.score > best[hit.review_id].score:
                best[hit.review_id] = hit
        recency = {doc.review_id: doc.recency for doc in docs}
        ranked = sorted(
            (h for h in best.values() if h.score >= min_score),
            key=lambda h: (round(h.score, 1), recency.get(h.review_id, ""), h.review_id),
            reverse=True,
        )
        return ranked[:limit]

    @staticmethod
    def _title_hit(query: str, doc: SearchDoc) -> SearchHit:
        titles = [fold(doc.title)] + ([fold(doc.original_title)] if doc.original_title else [])
        score = max(_title_score(query, title) for title in titles)
        return _hit(doc, score, "title")

    async def _name_hits(self, query: str, docs: Sequence[SearchDoc], probes: set[str]) -> list[SearchHit]:
        """Credited people and companies of these reviews whose name is close to the query.

        ``docs`` are the reviews the index found through a name. Only names holding one of the query's
        words or their typo corrections are scored: the names by which a review was found hold them
        (the index matched them); a name holding none of them is taken not to be the one meant (it
        could only come close by fuzzy similarity alone). Each distinct name is scored once.
        """
        by_id = {doc.review_id: doc for doc in docs}
        hits: list[SearchHit] = []
        scores: dict[str, float] = {}
        for credit in await self.store.credits_matching(by_id, sorted(p for p in probes if len(p) >= 2)):
            score = scores.get(credit.folded)
            if score is None:
                score = scores[credit.folded] = max(
                    fuzz.token_sort_ratio(query, credit.folded), _title_score(query, credit.folded)
                )
            if score < 75:
                continue
            company = credit.kind == "credit" and is_company_label(credit.label)
            weight = _COMPANY_WEIGHT if company else _PERSON_WEIGHT
            role = credit.kind if credit.kind != "credit" else credit.label.replace("_", " ")
            matched = "company" if company else "person"
            hits.append(_hit(by_id[credit.review_id], score * weight, matched, name=credit.name, role=role))
        return hits


def _coverage(query: str, title: str) -> float:
    """Share of the query's words that the title has (as a prefix, or within one or two typos)."""
    words = query.split()
    title_words = title.split()
    covered = sum(
        1 for w in words if any(t.startswith(w) or OSA.normalized_similarity(w, t) >= 0.7 for t in title_words)
    )
    return covered / len(words) if words else 0.0


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
    words = query.split()
    if all(any(t.startswith(w) for t in title.split()) for w in words):
        return max(ratio, 85.0 + 9.0 * len(query) / len(title))
    return max(ratio, fuzz.token_set_ratio(query, title) * 0.95, fuzz.partial_ratio(query, title) * 0.9)


def _hit(doc: SearchDoc, score: float, matched: str, *, name: str | None = None, role: str | None = None) -> SearchHit:
    return SearchHit(
        review_id=doc.review_id,
        title=doc.title,
        original_title=doc.original_title,
        year=doc.year,
        directors=doc.directors,
        festival=doc.festival,
        score=score,
        matched=matched,
        name=name,
        role=role,
    )
