"""A film's cards: its reviews at a glance, one review in full, its credits (paged to fit embeds) and sales contacts."""

from __future__ import annotations

from functools import partial

from bot.answers.cards import (
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    FIELDS_LIMIT,
    SELECT_LABEL_LIMIT,
    SELECT_OPTIONS_LIMIT,
    Attachment,
    Button,
    Card,
    Option,
    Reply,
    Select,
    escape,
    pager_buttons,
)
from bot.answers.component_ids import CreditsPage, FilmReviews, ReviewAction, encode
from bot.answers.contacts import contacts_csv, file_name, vcards
from bot.answers.labels import byline, contact_lines, rating_text, review_value
from bot.answers.links import NO_LINKS, Links
from bot.answers.stamps import date_text, stamp
from bot.domain.models import Film, Review, StoredReview
from bot.domain.text import fold, truncate
from bot.storage.rows import ReviewLine
from bot.summary.summarizer import summarize

REVIEW_COLOR = 0xC8102E


def summary_parts(stored: StoredReview) -> list[tuple[str, str]]:
    """The summary's verdict, story and prospects as the card shows them (unescaped): the web page shows the same.

    A sentence that repeats the standfirst is left out, since the standfirst is shown above them.
    """
    review = stored.review
    # Reviews stored before summaries existed are summarised on the fly (a pure, ~1 ms function).
    summary = stored.summary or summarize(review)
    shown = {fold(review.headline or "")}
    parts = []
    for name, sentences in (
        ("Verdict", summary.verdict),
        ("Story", summary.story),
        ("Prospects", summary.prospects),
    ):
        fresh = [sentence for sentence in sentences if fold(sentence) not in shown]
        if fresh:
            parts.append((name, " ".join(fresh)))
    return parts


def review_card(stored: StoredReview, links: Links = NO_LINKS) -> Reply:
    review = stored.review
    title = _shown_title(review.title, review.original_title)
    parts = []
    if review.headline:
        parts.append(f"*{escape(review.headline)}*")
    parts += [f"**{name}:** {escape(text)}" for name, text in summary_parts(stored)]
    if len(parts) <= 1 and review.body:
        parts.append(escape(truncate(review.body[0], 700)))
    festival = ""
    if review.festival:
        edition = f"{review.festival.name} {review.festival_year}" if review.festival_year else review.festival.name
        festival = f"{edition} · {review.festival.section}" if review.festival.section else edition
    people = "Directors" if len(review.directors) > 1 else "Director"
    fields: list[tuple[str, str] | tuple[str, str, bool]] = [
        ("Rating", escape(rating_text(review.rating)), True),
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
            review.publication or "",
            f"Review by {review.reviewer}" if review.reviewer else "",
        )
        if part
    )
    card = Card.make(
        escape(title),
        "\n\n".join(parts),
        url=review.url,
        fields=fields,
        footer=footer,
        color=REVIEW_COLOR,
        timestamp=review.published_at,
    )
    buttons = [
        Button(label="Credits", custom_id=encode(ReviewAction(stored.id, "credits")), style="primary"),
        Button(label="Sales contact", custom_id=encode(ReviewAction(stored.id, "sales"))),
    ]
    if card.url:
        buttons.append(Button(label="Full review", url=card.url, style="link"))
    return Reply(cards=[card], buttons=buttons + _film_page(links, stored.film_id))


def _film_page(links: Links, film_id: int | None) -> list[Button]:
    """The "Film page" link button, when the web pages have a public address."""
    url = links.film(film_id)
    return [Button(label="Film page", url=url, style="link")] if url else []


def film_card(film: Film, lines: list[ReviewLine], links: Links = NO_LINKS) -> Reply:
    """A film with several reviews: each outlet's verdict and rating, newest first, and a menu to open one.

    The Credits and Sales buttons open the review that lists the most credits and the newest that
    names a sales agent (``lines`` come newest first).
    """
    budget = max(_VERDICT_MIN, (DESCRIPTION_LIMIT - 200) // max(len(lines), 1) - 60)
    entries = []
    for line in lines:
        head = f"**{escape(byline(line.publication, line.reviewer))}**"
        if line.rating:
            head += f" — {escape(rating_text(line.rating))}"
        if line.published_at:
            head += f" · {stamp(line.published_at)}"
        entries.append(f"{head}\n{escape(truncate(line.verdict, budget))}" if line.verdict else head)
    festivals = _editions(lines)
    countries = next((line.countries for line in lines if line.countries), [])
    fields: list[tuple[str, str] | tuple[str, str, bool]] = [
        ("Directors" if len(film.directors) > 1 else "Director", escape(", ".join(film.directors)), True),
        ("Country" if len(countries) == 1 else "Countries", escape(", ".join(countries)), True),
        ("Year", str(film.year or ""), True),
        ("Runtime", f"{film.runtime_minutes} mins" if film.runtime_minutes else "", True),
        ("Festival" if len(festivals) == 1 else "Festivals", escape(", ".join(festivals)), True),
    ]
    card = Card.make(
        escape(_shown_title(film.title, film.original_title)),
        "\n\n".join(entries),
        fields=fields,
        footer=f"{len(lines)} reviews · choose one below to read it in full"
        + (
            f" (the {SELECT_OPTIONS_LIMIT} newest; /review #number opens any)"
            if len(lines) > SELECT_OPTIONS_LIMIT
            else ""
        ),
        color=REVIEW_COLOR,
    )
    options = [
        Option(
            label=truncate(byline(line.publication, line.reviewer), SELECT_LABEL_LIMIT),
            value=review_value(line.review_id),
            description=truncate(
                " · ".join(p for p in (rating_text(line.rating), date_text(line.published_at)) if p), 100
            )
            or None,
        )
        for line in lines[:SELECT_OPTIONS_LIMIT]
    ]
    menu = Select(custom_id=encode(FilmReviews(film.id)), placeholder="Read one review in full", options=options)
    buttons = [
        Button(
            label="Credits", custom_id=encode(ReviewAction(most_credits(lines).review_id, "credits")), style="primary"
        ),
        Button(label="Sales contact", custom_id=encode(ReviewAction(names_sales(lines).review_id, "sales"))),
        *_film_page(links, film.id),
    ]
    return Reply(cards=[card], buttons=buttons, select=menu)


def newest(lines: list[ReviewLine]) -> ReviewLine:
    return lines[0]


def most_credits(lines: list[ReviewLine]) -> ReviewLine:
    """The review listing the most credits (the newest of those tied): what the film's /credits shows."""
    return max(lines, key=lambda line: line.credits)


def names_sales(lines: list[ReviewLine]) -> ReviewLine:
    """The newest review naming a sales agent, else the newest: what the film's /sales shows."""
    return next((line for line in lines if line.sales), lines[0])


#: The fewest characters of each review's verdict a film's card shows, however many reviews it lists.
_VERDICT_MIN = 90


def _editions(lines: list[ReviewLine]) -> list[str]:
    """Where the film's reviews came from, each festival and section once (with its year when any review knows it)."""
    years: dict[tuple[str, str | None], int | None] = {}
    for line in lines:
        if line.festival:
            key = (line.festival, line.section)
            years[key] = years.get(key) or line.festival_year
    return [
        " · ".join(part for part in (f"{name} {year}" if year else name, section) if part)
        for (name, section), year in years.items()
    ]


def _shown_title(title: str, original: str | None) -> str:
    return f"{title} ({original})" if original and fold(original) != fold(title) else title


def credit_groups(review: Review) -> list[tuple[str, list[str]]]:
    """The credits as /credits lists them (unescaped): directors, screenplay, each credit line, the cast."""
    groups: list[tuple[str, list[str]]] = [
        ("Director" if len(review.directors) == 1 else "Directors", review.directors),
        ("Screenplay", review.screenwriters),
    ]
    groups += [(label.replace("_", " ").capitalize(), names) for label, names in review.credits.items()]
    if review.cast and not any(label in review.credits for label in ("main_cast", "cast")):
        groups.append(("Cast", review.cast))
    return [(name, names) for name, names in groups if names]


def credits_card(stored: StoredReview, page: int = 0) -> Reply:
    review = stored.review
    title = f"Credits: {escape(review.display_title)}"
    pages = _pages(_chunked_fields(credit_groups(review)), EMBED_TOTAL_LIMIT - len(title) - 40)
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
    card = Card.make(
        f"Sales: {escape(review.display_title)}",
        fields=fields,
        footer="The contacts are attached: a vCard for your address book and a CSV for spreadsheets.",
        color=REVIEW_COLOR,
    )
    return Reply(cards=[card], files=contact_files(stored), ephemeral=True)


def contact_files(stored: StoredReview) -> list[Attachment]:
    """A film's sales agents as a ``.vcf`` (every agent's card in one file) and a ``.csv``, named after the film."""
    review = stored.review
    title = review.display_title
    note = f"Sales agent for {title}"
    return [
        Attachment(
            name=file_name(review.title, "-sales.vcf"),
            data=vcards(review.sales, note).encode(),
            content_type="text/vcard; charset=utf-8",
            description=truncate(f"Sales contacts for {title} (vCard)", 1024),
        ),
        Attachment(
            name=file_name(review.title, "-sales.csv"),
            data=contacts_csv(review.sales, title).encode(),
            content_type="text/csv; charset=utf-8",
            description=truncate(f"Sales contacts for {title} (CSV)", 1024),
        ),
    ]


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
