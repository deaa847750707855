"""The Hollywood Reporter layout (spec §2.3).

``‘Title’ Review: headline``; a dek; ``By Reviewer``; ``THE BOTTOM LINE: ...`` at the top or just
before ``Venue:``; the body; then the credit block: ``Venue: Festival (Section)``, ``Cast:``,
``Director:`` (or ``Director-screenwriter:``), ``Screenwriter(s):``, other roles, ``Sales:``, the
language line (``In English``) and the runtime line (``1 hour 29 minutes``). No country or year.
"""

from __future__ import annotations

from bot.parsing.credits import add_credit, credit_key, note_makers, split_label
from bot.parsing.headline import quoted_title_review
from bot.parsing.layout import Layout
from bot.parsing.lines import after_prefix, byline, filled, is_language_line
from bot.parsing.names import split_names
from bot.parsing.reading import FestivalClues, Reading
from bot.parsing.runtime import parse_runtime
from bot.parsing.sales import SALES_LABELS, parse_sales
from bot.parsing.text_file import ReviewParseError, prose_paragraphs

PUBLICATION = "The Hollywood Reporter"
_BOTTOM_LINE = "THE BOTTOM LINE:"
_CAST_KEYS = ("cast", "main_cast", "starring")


def looks_like(lines: list[str]) -> bool:
    top = [lines[i] for i in filled(lines)[:1]]
    if not top or quoted_title_review(top[0]) is None:
        return False
    return any(line.startswith(("Venue:", _BOTTOM_LINE)) for line in lines)


def read(lines: list[str], source: str) -> Reading:
    indexes = filled(lines)
    headline = lines[indexes[0]]
    title = quoted_title_review(headline)
    if title is None:
        raise ReviewParseError(source, "no title: the first line is not ‘Title’ Review: ...")
    reviewer = None
    pull_quote = None
    # The dek, then the byline and a top bottom line in either order: none of them is body.
    top = indexes[1:4]
    if top and byline(lines[top[0]]) is None and after_prefix(lines[top[0]], _BOTTOM_LINE) is None:
        top = top[1:]
    start = top[0] if top else len(lines)
    for i in top:
        if (name := byline(lines[i])) is not None:
            reviewer = name
        elif (quote := after_prefix(lines[i], _BOTTOM_LINE)) is not None:
            pull_quote = quote
        else:
            break
        start = i + 1
    venue_at = next((i for i in range(start, len(lines)) if lines[i].startswith("Venue:")), len(lines))
    end = venue_at
    for i in range(start, venue_at):
        if (quote := after_prefix(lines[i], _BOTTOM_LINE)) is not None:
            pull_quote, end = quote, min(end, i)
    body = prose_paragraphs(lines[start:end])
    if not body:
        raise ReviewParseError(source, "no review text between the byline and the Venue: line")

    clues = FestivalClues(texts=[headline, *body])
    credits: dict[str, list[str]] = {}
    sales = []
    runtime = None
    # Ordered sets: a name credited twice is listed once, and a long list stays linear.
    directors: dict[str, None] = {}
    writers: dict[str, None] = {}
    for line in lines[venue_at:]:
        if not line or after_prefix(line, _BOTTOM_LINE) is not None:
            continue
        pair = split_label(line)
        if pair is None:
            if runtime is None and not is_language_line(line):
                runtime = parse_runtime(line)
            continue
        label, value = pair
        key = credit_key(label)
        if key == "venue":
            clues.label, clues.section = _venue(value)
            continue
        if key in SALES_LABELS:
            agents = parse_sales(value)
            sales.extend(agents)
            add_credit(credits, label, [a.company for a in agents])
            continue
        add_credit(credits, label, split_names(value))
        note_makers(key, value, directors, writers)
    cast = next((credits[key] for key in _CAST_KEYS if key in credits), [])
    return Reading(
        title=title,
        headline=headline,
        pull_quote=pull_quote,
        directors=list(directors),
        screenwriters=list(writers),
        runtime_minutes=runtime,
        sales=sales,
        cast=list(cast),
        credits=credits,
        body=body,
        reviewer=reviewer,
        publication=PUBLICATION,
        festival=clues,
        year_from_festival=False,
    )


def _venue(value: str) -> tuple[str, str | None]:
    """``Berlin International Film Festival (Panorama)`` -> (festival, section)."""
    opening = value.find("(")
    if opening > 0 and value.endswith(")"):
        return value[:opening].strip(), value[opening + 1 : -1].strip() or None
    return value.strip(), None


LAYOUT = Layout(
    name="thr",
    looked_for="a THR/IndieWire ‘Title’ Review: headline",
    looks_like=looks_like,
    read=read,
)
