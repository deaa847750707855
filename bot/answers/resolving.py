"""What a typed title or a chosen value names: one review, one film with its reviews, or candidates.

Search finds films; a film may have many reviews. ``#12`` names review 12 (the values of menus posted
before films had several reviews, and of a film card's menu), ``#f7`` names film 7 with all its
reviews (autocomplete and "which film?" menus), anything else is a title, person or company to search.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.answers.film_cards import newest
from bot.answers.labels import parse_value
from bot.domain.festivals import FestivalTable
from bot.domain.models import Film, SearchHit, StoredReview
from bot.domain.text import fold
from bot.search.searcher import Searcher
from bot.storage.rows import ReviewLine
from bot.storage.store import Store

#: A top hit this much better than the next is taken without asking which film was meant.
_CLEAR_MARGIN = 6.0
#: Below this, the best hit is a suggestion, not an answer.
CONFIDENT = 80.0


@dataclass(frozen=True)
class FilmView:
    """A film and its reviews, newest first (only one festival's, when a festival was asked for)."""

    film: Film
    lines: list[ReviewLine]


#: One review asked for by id, a film, or the candidates to choose from (empty when nothing is close).
Found = StoredReview | FilmView | list[SearchHit]


class Resolver:
    """Finds what a query names, over one store and its searcher."""

    def __init__(self, store: Store, searcher: Searcher, festivals: FestivalTable) -> None:
        self.store = store
        self.searcher = searcher
        self.festivals = festivals

    async def hits(self, query: str, festival: str | None = None, limit: int = 25) -> list[SearchHit]:
        """Ranked films; with ``festival``, only films with a review from that festival."""
        hits = await self.searcher.search(query, limit=limit)
        wanted = self._festival(festival)
        if wanted:
            hits = [h for h in hits if any(fold(f) == wanted for f in h.festivals)]
        return hits

    async def find(self, query: str, festival: str | None = None) -> Found:
        value = parse_value(query)
        if value is not None:
            kind, number = value
            found: Found | None = await (self.store.get(number) if kind == "review" else self.film(number, festival))
            if found is not None:
                return found
        hits = await self.hits(query, festival)
        if not hits or hits[0].score < CONFIDENT:
            return []
        top = hits[0]
        rivals = [h for h in hits[1:] if h.score >= top.score - _CLEAR_MARGIN]
        if rivals:
            # A title typed whole names its film, whatever titles begin with it ("The Lamplighter", not
            # "The Lamplighter's Tax"); two films of that very title (a remake) are still asked about.
            exact = [h for h in (top, *rivals) if fold(query) in (fold(h.title), fold(h.original_title or ""))]
            if len(exact) != 1:
                return [top, *rivals]
            top = exact[0]
        return await self.film(top.film_id, festival) or []

    async def film(self, film_id: int, festival: str | None = None) -> FilmView | None:
        """The film and its reviews; with ``festival``, the reviews from it (all of them if none is)."""
        film = await self.store.film(film_id)
        lines = await self.store.film_reviews(film_id) if film is not None else []
        if film is None or not lines:
            return None
        wanted = self._festival(festival)
        chosen = [line for line in lines if line.festival and fold(line.festival) == wanted] if wanted else []
        return FilmView(film, chosen or lines)

    async def one_review(
        self, query: str, festival: str | None = None, choose: Callable[[list[ReviewLine]], ReviewLine] = newest
    ) -> StoredReview | list[SearchHit]:
        """The one review meant: named by id, or the review ``choose`` takes of the film meant; else candidates."""
        found = await self.find(query, festival)
        if not isinstance(found, FilmView):
            return found
        stored = await self.store.get(choose(found.lines).review_id)
        return stored if stored is not None else []

    def _festival(self, festival: str | None) -> str:
        if not festival:
            return ""
        known = self.festivals.find(festival)
        return fold(known.name if known else festival)
