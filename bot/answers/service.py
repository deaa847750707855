"""The bot's answers, without Discord: each command's arguments in, a :class:`~bot.cards.Reply` out.

Cogs and the console both call these, so what a person sees in the terminal is what Discord shows.
Domain failures (unknown title, unknown festival) are ordinary replies with suggestions, never
exceptions.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from functools import partial

from rapidfuzz import fuzz, process

from bot.answers.cards import (
    CHOICES_LIMIT,
    SELECT_LABEL_LIMIT,
    SELECT_OPTIONS_LIMIT,
    Card,
    Choice,
    Option,
    Reply,
    Select,
    escape,
    pager_buttons,
)
from bot.answers.component_ids import (
    FestivalPage,
    ListPage,
    Page,
    Pick,
    PickAction,
    encode,
)
from bot.answers.film_cards import REVIEW_COLOR, credits_card, review_card, sales_card
from bot.answers.labels import contact_lines, date_text, hit_label, review_value, roles, why
from bot.domain.festivals import FestivalTable
from bot.domain.models import SearchHit, StoredReview
from bot.domain.text import fold, truncate
from bot.parsing.fields import parse_festival_option
from bot.search.searcher import Searcher
from bot.storage.store import Store

log = logging.getLogger(__name__)

LIST_PAGE_SIZE = 10
_ID_VALUE = re.compile(r"^#(\d{1,18})$")
#: A top hit this much better than the next is taken without asking which film was meant.
_CLEAR_MARGIN = 6.0
#: Below this, the best hit is a suggestion, not an answer.
CONFIDENT = 80.0


class Answers:
    """Every command's answer over one store."""

    def __init__(self, store: Store, searcher: Searcher, festivals: FestivalTable) -> None:
        self.store = store
        self.searcher = searcher
        self.festivals = festivals

    # -- resolving ------------------------------------------------------------------------------------

    async def _hits(self, query: str, festival: str | None = None, limit: int = 25) -> list[SearchHit]:
        hits = await self.searcher.search(query, limit=limit)
        if festival:
            known = self.festivals.find(festival)
            wanted = fold(known.name if known else festival)
            hits = [h for h in hits if h.festival and fold(h.festival) == wanted]
        return hits

    async def resolve(self, query: str, festival: str | None = None) -> StoredReview | list[SearchHit]:
        """The one review meant, or the candidates to choose from (empty when nothing is close)."""
        match = _ID_VALUE.match(query.strip())
        if match:
            stored = await self.store.get(int(match[1]))
            if stored is not None:
                return stored
        hits = await self._hits(query, festival)
        if not hits or hits[0].score < CONFIDENT:
            return []
        top = hits[0]
        rivals = [h for h in hits[1:] if h.score >= top.score - _CLEAR_MARGIN]
        if not rivals:
            stored = await self.store.get(top.review_id)
            return stored if stored is not None else []
        return [top, *rivals]

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
            Option(label=hit_label(h, SELECT_LABEL_LIMIT), value=review_value(h.review_id), description=why(h))
            for h in hits[:SELECT_OPTIONS_LIMIT]
        ]
        return Reply(
            content=f"Several films match “{escape(truncate(query.strip(), 80))}”. Pick one:",
            select=Select(custom_id=encode(Pick(action)), placeholder="Choose a film", options=options),
            ephemeral=True,
        )

    # -- /review --------------------------------------------------------------------------------------

    async def autocomplete(self, current: str, festival: str | None = None) -> list[Choice]:
        """Up to 25 choices for what has been typed; the newest reviews when nothing has been typed."""
        if not current.strip():
            refs = await self.store.recent_reviews(CHOICES_LIMIT)
            return [Choice(name=hit_label(r), value=review_value(r.review_id)) for r in refs]
        hits = await self._hits(current, festival, limit=CHOICES_LIMIT)
        return [Choice(name=hit_label(h), value=review_value(h.review_id)) for h in hits]

    async def review(self, query: str, festival: str | None = None) -> Reply:
        found = await self.resolve(query, festival)
        if isinstance(found, list):
            return self._pick(found, "review", query) if found else await self._not_found("review", query)
        return review_card(found)

    # -- /credits -------------------------------------------------------------------------------------

    async def credits(self, query: str, page: int = 0) -> Reply:
        found = await self.resolve(query)
        if isinstance(found, list):
            return self._pick(found, "credits", query) if found else await self._not_found("credits", query)
        return credits_card(found, page)

    # -- /sales ---------------------------------------------------------------------------------------

    async def sales(self, title: str | None = None, company: str | None = None, page: int = 0) -> Reply:
        if company and company.strip():
            return await self.company_films(company, page)
        if not title or not title.strip():
            return Reply.notice("Give a film title (`title:`) or a sales company (`company:`).")
        found = await self.resolve(title)
        if isinstance(found, list):
            return self._pick(found, "sales", title) if found else await self._not_found("sales", title)
        return sales_card(found)

    async def company_films(self, company: str, page: int = 0) -> Reply:
        name = await self._resolve_name("companies", company)
        if name is None:
            return Reply.notice(f"No sales company matches “{escape(truncate(company.strip(), 80))}”.")
        refs = await self.store.reviews_selling_company(fold(name))
        contact = await self.store.latest_contact(fold(name))
        lines = [
            f"• {escape(hit_label(r, 200))}" + (f" — {date_text(r.published_at)}" if r.published_at else "")
            for r in refs
        ]
        description = contact_lines(contact.emails, contact.phones, contact.urls) if contact else ""
        listed = partial(ListPage, "company", fold(name)[:60])
        return self._listing(f"Films handled by {escape(name)}", description, lines, listed, page)

    # -- /person --------------------------------------------------------------------------------------

    async def person(self, name: str, page: int = 0) -> Reply:
        resolved = await self._resolve_name("people", name)
        if resolved is None:
            return Reply.notice(f"Nobody credited matches “{escape(truncate(name.strip(), 80))}”.")
        refs = await self.store.reviews_crediting_person(fold(resolved))
        lines = [f"• {escape(hit_label(r, 200))} — {escape(roles(r.role))}" for r in refs]
        listed = partial(ListPage, "person", fold(resolved)[:60])
        return self._listing(f"Films with {escape(resolved)}", "", lines, listed, page)

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

    async def festival(self, name: str, year: int | None = None, section: str | None = None, page: int = 0) -> Reply:
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
        lines = [
            f"• {escape(hit_label(r, 200))}"
            + (f" — {escape(r.section)}" if r.section and not canonical_section else "")
            for r in refs
        ]
        listed = partial(FestivalPage, festival.name, year, canonical_section)
        return self._listing(f"Reviews from {escape(title)}", "", lines, listed, page)

    def _listing(
        self, title: str, description: str, lines: list[str], page_id: Callable[[int], Page], page: int
    ) -> Reply:
        if not lines:
            return Reply.notice(f"{title}: no reviews yet.")
        pages = math.ceil(len(lines) / LIST_PAGE_SIZE)
        page = min(max(page, 0), pages - 1)
        body = "\n".join(lines[page * LIST_PAGE_SIZE : (page + 1) * LIST_PAGE_SIZE])
        text = f"{description}\n\n{body}" if description else body
        count = f"{len(lines)} review" + ("s" if len(lines) != 1 else "")
        footer = f"{count} · page {page + 1} of {pages}" if pages > 1 else count
        card = Card.make(title, text, footer=footer, color=REVIEW_COLOR)
        return Reply(cards=[card], buttons=pager_buttons(page_id, page, pages))
