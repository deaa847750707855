"""A film's cards: the review card, its credits (paged to fit embeds) and its sales contacts."""

from __future__ import annotations

from functools import partial

from bot.answers.cards import EMBED_TOTAL_LIMIT, FIELDS_LIMIT, Button, Card, Reply, escape, pager_buttons
from bot.answers.component_ids import CreditsPage, ReviewAction, encode
from bot.answers.labels import contact_lines, date_text
from bot.domain.models import StoredReview
from bot.domain.text import fold, truncate
from bot.summary.summarizer import summarize

REVIEW_COLOR = 0xC8102E


def review_card(stored: StoredReview) -> Reply:
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
            date_text(review.published_at),
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


def credits_card(stored: StoredReview, page: int = 0) -> Reply:
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
    return Reply(cards=[card], buttons=pager_buttons(partial(CreditsPage, stored.id), page, len(pages)), ephemeral=True)


def sales_card(stored: StoredReview) -> Reply:
    review = stored.review
    if not review.sales:
        return Reply.notice(f"The review of {escape(review.display_title)} lists no sales contact.")
    fields = [(escape(agent.company), contact_lines(agent.emails, agent.phones, agent.urls)) for agent in review.sales]
    card = Card.make(f"Sales: {escape(review.display_title)}", fields=fields, color=REVIEW_COLOR)
    return Reply(cards=[card], ephemeral=True)


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
