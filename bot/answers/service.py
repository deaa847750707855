"""The bot's answers, without Discord: each command's arguments in, a :class:`~bot.cards.Reply` out.

Cogs and the console both call these, so what a person sees in the terminal is what Discord shows.
Domain failures (unknown title, unknown festival) are ordinary replies with suggestions, never
exceptions. A title names a film (:mod:`~bot.answers.resolving`); /review shows all of its reviews.
"""

from __future__ import annotations

import logging
from functools import partial

from rapidfuzz import fuzz, process

from bot.answers.cards import (
    CHOICES_LIMIT,
    SELECT_LABEL_LIMIT,
    SELECT_OPTIONS_LIMIT,
    Choice,
    Option,
    Reply,
    Select,
    escape,
)
from bot.answers.component_ids import FestivalPage, ListPage, Pick, PickAction, encode
from bot.answers.film_cards import credits_card, film_card, most_credits, names_sales, review_card, sales_card
from bot.answers.labels import contact_lines, film_value, hit_label, parse_value, why
from bot.answers.links import NO_LINKS, Links
from bot.answers.listings import by_film, company_lines, festival_lines, listing, person_lines
from bot.answers.resolving import Resolver
from bot.domain.festivals import FestivalTable
from bot.domain.models import SearchHit, StoredReview
from bot.domain.text import fold, truncate
from bot.parsing.fields import parse_festival_option
from bot.search.searcher import Searcher
from bot.storage.store import Store

log = logging.getLogger(__name__)


class Answers:
    """Every command's answer over one store."""

    def __init__(self, store: Store, searcher: Searcher, festivals: FestivalTable, links: Links = NO_LINKS) -> None:
        self.store = store
        self.searcher = searcher
        self.festivals = festivals
        #: The web pages' addresses, for the "Film page" buttons (none unless FESTBOT_PUBLIC_URL is set).
        self.links = links
        self.resolver = Resolver(store, searcher, festivals)

    # -- resolving ------------------------------------------------------------------------------------

    async def resolve(self, query: str, festival: str | None = None) -> StoredReview | list[SearchHit]:
        """The one review meant (a film's newest), or the candidates to choose from (empty when nothing is close)."""
        return await self.resolver.one_review(query, festival)

    async def _not_found(self, action: PickAction, query: str) -> Reply:
        """Private reply naming the nearest films, with a menu to pick one of them."""
        loose = await self.searcher.search(query, limit=5, min_score=40)
        shown = escape(truncate(query.strip(), 80)) or "that"
        if not loose:
            return Reply.notice(f"No review matches “{shown}”. Try a film title, a director or a sales company.")
        suggestions = "\n".join(f"• {escape(hit_label(h))}" for h in loose)
        menu = self._pick(loose, action, query).select
        return Reply(content=f"No review matches “{shown}”. Did you mean:\n{suggestions}", select=menu, ephemeral=True)

    def _pick(self, hits: list[SearchHit], action: PickAction, query: str) -> Reply:
        options = [
            Option(label=hit_label(h, SELECT_LABEL_LIMIT), value=film_value(h.film_id), description=why(h))
            for h in hits[:SELECT_OPTIONS_LIMIT]
        ]
        return Reply(
            content=f"Several films match “{escape(truncate(query.strip(), 80))}”. Pick one:",
            select=Select(custom_id=encode(Pick(action)), placeholder="Choose a film", options=options),
            ephemeral=True,
        )

    async def _candidates(self, found: list[SearchHit], action: PickAction, query: str) -> Reply:
        return self._pick(found, action, query) if found else await self._not_found(action, query)

    # -- /review --------------------------------------------------------------------------------------

    async def autocomplete(self, current: str, festival: str | None = None) -> list[Choice]:
        """Up to 25 films for what has been typed; the films reviewed most recently when nothing has been typed."""
        if not current.strip():
            # The newest reviews' films, each once: a few reviews per film, so four times as many cover 25.
            films = by_film(await self.store.recent_reviews(CHOICES_LIMIT * 4))[:CHOICES_LIMIT]
            return [Choice(name=hit_label(reviews[0]), value=film_value(reviews[0].film_id)) for reviews in films]
        hits = await self.resolver.hits(current, festival, limit=CHOICES_LIMIT)
        return [Choice(name=hit_label(h), value=film_value(h.film_id)) for h in hits]

    async def review(self, query: str, festival: str | None = None) -> Reply:
        """The film's reviews (each outlet's verdict and rating, and a menu), or its one review's card."""
        found = await self.resolver.find(query, festival)
        if isinstance(found, list):
            return await self._candidates(found, "review", query)
        if isinstance(found, StoredReview):
            return review_card(found, self.links)
        if len(found.lines) > 1:
            return film_card(found.film, found.lines, self.links)
        stored = await self.store.get(found.lines[0].review_id)
        return review_card(stored, self.links) if stored is not None else _gone()

    async def open_review(self, value: str) -> Reply:
        """One review in full, privately: what a film card's menu opens (``value`` names the review)."""
        found = await self.resolver.one_review(value) if parse_value(value) else []
        if isinstance(found, list):
            return _gone()
        return review_card(found, self.links).model_copy(update={"ephemeral": True})

    # -- /credits -------------------------------------------------------------------------------------

    async def credits(self, query: str, page: int = 0) -> Reply:
        found = await self.resolver.one_review(query, choose=most_credits)
        if isinstance(found, list):
            return await self._candidates(found, "credits", query)
        return credits_card(found, page)

    # -- /sales ---------------------------------------------------------------------------------------

    async def sales(
        self, title: str | None = None, company: str | None = None, page: int = 0, owner: int | None = None
    ) -> Reply:
        """A film's sales agents (with their contacts attached as vCard and CSV), or a company's films.

        ``owner``, on listings, is the member who asked: only they turn its pages (others get a copy).
        """
        if company and company.strip():
            return await self.company_films(company, page, owner)
        if not title or not title.strip():
            return Reply.notice("Give a film title (`title:`) or a sales company (`company:`).")
        found = await self.resolver.one_review(title, choose=names_sales)
        if isinstance(found, list):
            return await self._candidates(found, "sales", title)
        return sales_card(found)

    async def company_films(self, company: str, page: int = 0, owner: int | None = None) -> Reply:
        name = await self._resolve_name("companies", company)
        if name is None:
            return Reply.notice(f"No sales company matches “{escape(truncate(company.strip(), 80))}”.")
        films = by_film(await self.store.reviews_selling_company(fold(name)))
        contact = await self.store.latest_contact(fold(name))
        description = contact_lines(contact.emails, contact.phones, contact.urls) if contact else ""
        listed = partial(ListPage, "company", fold(name)[:60], owner=owner)
        return listing(f"Films handled by {escape(name)}", description, company_lines(films), listed, page)

    # -- /person --------------------------------------------------------------------------------------

    async def person(self, name: str, page: int = 0, owner: int | None = None) -> Reply:
        resolved = await self._resolve_name("people", name)
        if resolved is None:
            return Reply.notice(f"Nobody credited matches “{escape(truncate(name.strip(), 80))}”.")
        films = by_film(await self.store.reviews_crediting_person(fold(resolved)))
        listed = partial(ListPage, "person", fold(resolved)[:60], owner=owner)
        return listing(f"Films with {escape(resolved)}", "", person_lines(films), listed, page)

    async def person_names(self, typed: str) -> list[str]:
        """Credited people with a word beginning with each typed word, for autocomplete."""
        return await self.searcher.names("people", typed, CHOICES_LIMIT)

    async def company_names(self, typed: str) -> list[str]:
        """Companies with a word beginning with each typed word, for autocomplete."""
        return await self.searcher.names("companies", typed, CHOICES_LIMIT)

    async def _resolve_name(self, table: str, query: str) -> str | None:
        """The credited name closest to ``query`` (accents, case and typos forgiven)."""
        if not fold(query):
            return None
        names = await self.searcher.names("people" if table == "people" else "companies", query, 50)
        if not names:
            matched = "person" if table == "people" else "company"
            hits = [h for h in await self.searcher.search(query, limit=10) if h.matched == matched and h.name]
            names = [h.name for h in hits if h.name]
        if not names:
            return None
        best = process.extractOne(fold(query), {n: fold(n) for n in names}, scorer=fuzz.WRatio)
        return best[2] if best else None

    # -- /festival ------------------------------------------------------------------------------------

    async def festival(
        self, name: str, year: int | None = None, section: str | None = None, page: int = 0, owner: int | None = None
    ) -> Reply:
        """The films reviewed at one festival edition, each with how many reviews it has and their ratings."""
        if year is None:
            name, year = parse_festival_option(name)  # "Berlinale 2022" typed as one name
        festival = self.festivals.find(name)
        if festival is None:
            names = [f.name for f in self.festivals.festivals]
            close = [n for n, _, _ in process.extract(name, names, scorer=fuzz.WRatio, limit=3, score_cutoff=50)]
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            return Reply.notice(f"I don't know a festival called “{escape(truncate(name.strip(), 60))}”.{hint}")
        canonical_section = self.festivals.canonical_section(festival, section) if section else None
        refs = await self.store.reviews_at_festival(festival.name, year, canonical_section)
        edition = " ".join(str(part) for part in (festival.name, year or "") if part)
        title = f"{edition} · {canonical_section}" if canonical_section else edition
        lines = festival_lines(by_film(refs), show_section=not canonical_section)
        listed = partial(FestivalPage, festival.name, year, canonical_section, owner=owner)
        return listing(f"Reviews from {escape(title)}", "", lines, listed, page, reviews=len(refs))


def _gone() -> Reply:
    return Reply.notice("That review is no longer stored. Run /review again.")
