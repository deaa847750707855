"""The bot's answers, without Discord: each command's arguments in, a :class:`~bot.cards.Reply` out.

Cogs and the console both call these, so what a person sees in the terminal is what Discord shows.
Domain failures (unknown title, unknown festival) are ordinary replies with suggestions, never
exceptions.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections.abc import Callable
from functools import partial

from rapidfuzz import fuzz, process

from bot.answers.cards import (
    CHOICE_NAME_LIMIT,
    CHOICES_LIMIT,
    EMBED_TOTAL_LIMIT,
    FIELDS_LIMIT,
    SELECT_LABEL_LIMIT,
    SELECT_OPTIONS_LIMIT,
    Button,
    Card,
    Choice,
    Option,
    Reply,
    Select,
    escape,
    pager_buttons,
)
from bot.answers.component_ids import (
    CreditsPage,
    FestivalPage,
    ListPage,
    Page,
    Pick,
    PickAction,
    ReviewAction,
    encode,
)
from bot.domain.festivals import FestivalTable
from bot.domain.models import SearchHit, StoredReview
from bot.domain.text import fold, truncate
from bot.parsing.fields import parse_festival_option
from bot.search.searcher import Searcher
from bot.storage.rows import ReviewRef
from bot.storage.store import Store
from bot.summary.summarizer import summarize

log = logging.getLogger(__name__)

REVIEW_COLOR = 0xC8102E
LIST_PAGE_SIZE = 10
_ID_VALUE = re.compile(r"^#(\d{1,18})$")
#: A top hit this much better than the next is taken without asking which film was meant.
_CLEAR_MARGIN = 6.0
#: Below this, the best hit is a suggestion, not an answer.
CONFIDENT = 80.0


def review_value(review_id: int) -> str:
    """The autocomplete value that names one review unambiguously."""
    return f"#{review_id}"


def hit_label(hit: SearchHit | ReviewRef, limit: int = CHOICE_NAME_LIMIT) -> str:
    """``Title (year) - director - festival``, cut to fit a choice name or select label.

    When it is too long the directors shrink first, then the title; the festival is always kept.
    """
    title = hit.title
    if hit.original_title and fold(hit.original_title) != fold(hit.title):
        title = f"{title} ({hit.original_title})"
    year = f" ({hit.year})" if hit.year else ""
    festival = f" - {hit.festival}" if hit.festival else ""
    for directors in (
        ", ".join(hit.directors[:2]),
        ", ".join(hit.directors[:1]),
        truncate(", ".join(hit.directors[:1]), 24),
    ):
        people = f" - {directors}" if directors else ""
        label = f"{title}{year}{people}{festival}"
        if len(label) <= limit:
            return label
    room = limit - len(year) - len(people) - len(festival)
    return f"{truncate(title, max(room, 10))}{year}{people}{festival}"[:limit]


def _date(value: dt.datetime | None) -> str:
    return value.strftime("%-d %b %Y") if value else ""


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
            Option(label=hit_label(h, SELECT_LABEL_LIMIT), value=review_value(h.review_id), description=_why(h))
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
        return self.review_card(found)

    def review_card(self, stored: StoredReview) -> Reply:
        review = stored.review
        title = review.title
        if review.original_title and fold(review.original_title) != fold(review.title):
            title = f"{title} ({review.original_title})"
        parts = []
        if review.headline:
            parts.append(f"*{escape(review.headline)}*")
        # Reviews stored before summaries existed are summarised on the fly (a pure, ~1 ms function).
        summary = stored.summary or summarize(review)
        shown = {fold(review.headline or "")}  # the standfirst is already the card's first line
        for name, sentences in (
            ("Verdict", summary.verdict),
            ("Story", summary.story),
            ("Prospects", summary.prospects),
        ):
            fresh = [sentence for sentence in sentences if fold(sentence) not in shown]
            if fresh:
                parts.append(f"**{name}:** {escape(' '.join(fresh))}")
        if len(parts) <= 1 and review.body:
            parts.append(escape(truncate(review.body[0], 700)))
        festival = ""
        if review.festival:
            edition = f"{review.festival.name} {review.festival_year}" if review.festival_year else review.festival.name
            festival = f"{edition} · {review.festival.section}" if review.festival.section else edition
        people = "Directors" if len(review.directors) > 1 else "Director"
        fields: list[tuple[str, str] | tuple[str, str, bool]] = [
            (people, escape(", ".join(review.directors)), True),
            ("Country" if len(review.countries) == 1 else "Countries", escape(", ".join(review.countries)), True),
            ("Year", str(review.year or ""), True),
            ("Runtime", f"{review.runtime_minutes} mins" if review.runtime_minutes else "", True),
            ("Festival", escape(festival), True),
            ("Pull quote", f"“{escape(review.pull_quote)}”" if review.pull_quote else ""),
        ]
        footer = " · ".join(
            part
            for part in (
                f"Image: {review.image_credit}" if review.image_credit else "",
                f"Review by {review.reviewer}" if review.reviewer else "",
                _date(review.published_at),
            )
            if part
        )
        card = Card.make(
            escape(title), "\n\n".join(parts), url=review.url, fields=fields, footer=footer, color=REVIEW_COLOR
        )
        buttons = [
            Button(label="Credits", custom_id=encode(ReviewAction(stored.id, "credits")), style="primary"),
            Button(label="Sales contact", custom_id=encode(ReviewAction(stored.id, "sales"))),
        ]
        if card.url:
            buttons.append(Button(label="Full review", url=card.url, style="link"))
        return Reply(cards=[card], buttons=buttons)

    # -- /credits -------------------------------------------------------------------------------------

    async def credits(self, query: str, page: int = 0) -> Reply:
        found = await self.resolve(query)
        if isinstance(found, list):
            return self._pick(found, "credits", query) if found else await self._not_found("credits", query)
        return self.credits_card(found, page)

    def credits_card(self, stored: StoredReview, page: int = 0) -> Reply:
        review = stored.review
        groups: list[tuple[str, list[str]]] = [
            ("Director" if len(review.directors) == 1 else "Directors", review.directors),
            ("Screenplay", review.screenwriters),
        ]
        groups += [(label.replace("_", " ").capitalize(), names) for label, names in review.credits.items()]
        if review.cast and not any(label in review.credits for label in ("main_cast", "cast")):
            groups.append(("Cast", review.cast))
        title = f"Credits: {escape(review.display_title)}"
        pages = _pages(
            _chunked_fields([(name, names) for name, names in groups if names]), EMBED_TOTAL_LIMIT - len(title) - 40
        )
        if not pages:
            return Reply.notice(f"No credits are listed in the review of {escape(review.title)}.")
        page = min(max(page, 0), len(pages) - 1)
        footer = f"Page {page + 1} of {len(pages)}" if len(pages) > 1 else ""
        card = Card.make(title, fields=list(pages[page]), footer=footer, color=REVIEW_COLOR)
        return Reply(
            cards=[card], buttons=pager_buttons(partial(CreditsPage, stored.id), page, len(pages)), ephemeral=True
        )

    # -- /sales ---------------------------------------------------------------------------------------

    async def sales(self, title: str | None = None, company: str | None = None, page: int = 0) -> Reply:
        if company and company.strip():
            return await self.company_films(company, page)
        if not title or not title.strip():
            return Reply.notice("Give a film title (`title:`) or a sales company (`company:`).")
        found = await self.resolve(title)
        if isinstance(found, list):
            return self._pick(found, "sales", title) if found else await self._not_found("sales", title)
        return self.sales_card(found)

    def sales_card(self, stored: StoredReview) -> Reply:
        review = stored.review
        if not review.sales:
            return Reply.notice(f"The review of {escape(review.display_title)} lists no sales contact.")
        fields = [
            (escape(agent.company), _contact_lines(agent.emails, agent.phones, agent.urls)) for agent in review.sales
        ]
        card = Card.make(f"Sales: {escape(review.display_title)}", fields=fields, color=REVIEW_COLOR)
        return Reply(cards=[card], ephemeral=True)

    async def company_films(self, company: str, page: int = 0) -> Reply:
        name = await self._resolve_name("companies", company)
        if name is None:
            return Reply.notice(f"No sales company matches “{escape(truncate(company.strip(), 80))}”.")
        refs = await self.store.reviews_selling_company(fold(name))
        contact = await self.store.latest_contact(fold(name))
        lines = [
            f"• {escape(hit_label(r, 200))}" + (f" — {_date(r.published_at)}" if r.published_at else "") for r in refs
        ]
        description = _contact_lines(contact.emails, contact.phones, contact.urls) if contact else ""
        listed = partial(ListPage, "company", fold(name)[:60])
        return self._listing(f"Films handled by {escape(name)}", description, lines, listed, page)

    # -- /person --------------------------------------------------------------------------------------

    async def person(self, name: str, page: int = 0) -> Reply:
        resolved = await self._resolve_name("people", name)
        if resolved is None:
            return Reply.notice(f"Nobody credited matches “{escape(truncate(name.strip(), 80))}”.")
        refs = await self.store.reviews_crediting_person(fold(resolved))
        lines = [f"• {escape(hit_label(r, 200))} — {escape(_roles(r.role))}" for r in refs]
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


def _why(hit: SearchHit) -> str | None:
    if hit.matched != "title" and hit.name:
        return truncate(f"{hit.name} ({hit.role})" if hit.role else hit.name, 100)
    return None


def _roles(role: str | None) -> str:
    return ", ".join(part.replace("_", " ") for part in (role or "").split(",") if part)


def _contact_lines(emails: list[str], phones: list[str], urls: list[str]) -> str:
    lines = [f"✉ {e}" for e in emails] + [f"☎ {p}" for p in phones] + [f"🌐 {escape(u)}" for u in urls]
    return "\n".join(lines) or "No contact details given."


def _pages(fields: list[tuple[str, str]], budget: int) -> list[list[tuple[str, str]]]:
    """Fields packed into pages that each fit one embed (size and field count), in order."""
    pages: list[list[tuple[str, str]]] = []
    size = 0
    for field in fields:
        length = len(field[0]) + len(field[1])
        if not pages or size + length > budget or len(pages[-1]) >= FIELDS_LIMIT:
            pages.append([])
            size = 0
        pages[-1].append(field)
        size += length
    return pages


def _chunked_fields(groups: list[tuple[str, list[str]]]) -> list[tuple[str, str]]:
    """One field per credit label, split over several fields when the names exceed a field's 1,024 characters."""
    fields: list[tuple[str, str]] = []
    for label, names in groups:
        chunk: list[str] = []
        size = 0
        part = 0
        for name in names:
            name = escape(name)
            if chunk and size + len(name) + 2 > 1000:
                fields.append((label if part == 0 else f"{label} (cont.)", ", ".join(chunk)))
                chunk, size, part = [], 0, part + 1
            chunk.append(name)
            size += len(name) + 2
        if chunk:
            fields.append((label if part == 0 else f"{label} (cont.)", ", ".join(chunk)))
    return fields
