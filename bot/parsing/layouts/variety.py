"""The Variety layout (spec §2.2).

The title; ``Reviewed at <Festival> (<Section>), <Mon. D, YYYY>. Running time: <N> MIN.``; an
optional ``Original title:``; the dek; the body; then three run-on paragraphs: ``Production:
(Country-Country) A ... release of a ... production. (World sales: Company, City.) Producers: ...``,
``Crew: Director: ... Screenplay: ... Camera (color): ...`` and ``With: names. (Language dialogue)``.
"""

from __future__ import annotations

from bot.parsing.credits import (
    TooManyItems,
    add_credit,
    credit_key,
    end_of_item,
    note_makers,
    run_on_items,
)
from bot.parsing.layout import Layout
from bot.parsing.lines import after_prefix, filled, is_language_line, reviewed_at
from bot.parsing.names import split_countries, split_names
from bot.parsing.reading import FestivalClues, Reading
from bot.parsing.runtime import parse_runtime
from bot.parsing.sales import SALES_LABELS, parse_sales
from bot.parsing.text_file import ReviewParseError, paragraphs, prose_paragraphs

PUBLICATION = "Variety"
_TAIL_LABELS = ("Production:", "Crew:", "With:", "Cast:")
#: Groups that only hold the items after them (spec §3.12: "Crew" is no role).
_GROUPS = ("production", "crew")


def looks_like(lines: list[str]) -> bool:
    """A ``Reviewed at`` line and a ``Running time`` (the same line or the next) right under the title."""
    top = [lines[i] for i in filled(lines)[:5]]
    if any(reviewed_at(line) is not None for line in top[:4]) and any("Running time:" in line for line in top):
        return True
    return any(line.startswith("Crew: ") for line in lines) and any(line.startswith("Production: (") for line in lines)


def read(lines: list[str], source: str) -> Reading:
    indexes = filled(lines)
    title = after_prefix(lines[indexes[0]], "Review:") or lines[indexes[0]]
    clues = FestivalClues()
    runtime = None
    original_title = None
    headline = None
    start = indexes[0] + 1
    # Under the title: the Reviewed at / Running time lines, the Original title line, then the dek (the
    # first other line). An Original title line just after the dek is read the same way, not as body.
    tail_at = next((i for i in range(start, len(lines)) if lines[i].startswith(_TAIL_LABELS)), len(lines))
    kept: list[str] = []
    body_started = False
    for line in lines[start:tail_at]:
        if headline is None and line:
            if (reviewed := reviewed_at(line)) is not None:
                clues.label, clues.section, clues.year = reviewed
            elif (value := after_prefix(line, "Original title:")) is not None:
                original_title = value or None
            elif after_prefix(line, "Running time:") is None:
                headline = line
            if "Running time" in line and runtime is None:
                runtime = parse_runtime(line.split("Running time", 1)[1])
        elif headline is not None and not body_started and (value := after_prefix(line, "Original title:")) is not None:
            original_title = value or original_title
        elif headline is not None:
            kept.append(line)
            body_started = body_started or bool(line)
    body = prose_paragraphs(kept)
    if not body:
        raise ReviewParseError(source, "no review text between the dek and the Production: paragraph")

    credits: dict[str, list[str]] = {}
    sales = []
    countries: list[str] = []
    cast: list[str] = []
    # Ordered sets: a name credited twice is listed once, and a long list stays linear.
    directors: dict[str, None] = {}
    writers: dict[str, None] = {}
    for paragraph in paragraphs(line for line in lines[tail_at:] if not is_language_line(line)):
        try:
            items = run_on_items(paragraph)
        except TooManyItems as exc:
            raise ReviewParseError(source, f"credits not understood: {exc}") from exc
        for label, value in items:
            key = credit_key(label)
            if key == "production":
                countries = _countries(value) or countries
                continue
            if key in _GROUPS:
                continue
            if key in ("with", "cast"):
                value = _without_language_note(value)
            if key in SALES_LABELS:
                agents = parse_sales(value)
                sales.extend(agents)
                add_credit(credits, label, [a.company for a in agents])
                continue
            add_credit(credits, label, split_names(value))
            if key in ("with", "cast"):
                cast = cast or split_names(value)
            note_makers(key, value, directors, writers)
    clues.texts = [t for t in (headline, *body) if t]
    return Reading(
        title=title,
        original_title=original_title,
        headline=headline,
        directors=list(directors),
        screenwriters=list(writers),
        countries=countries,
        runtime_minutes=runtime,
        sales=sales,
        cast=cast,
        credits=credits,
        body=body,
        publication=PUBLICATION,
        festival=clues,
    )


def _countries(value: str) -> list[str]:
    """``(France-Tunisia) A ... release of a ... production`` -> the countries of its opening bracket."""
    if not value.startswith("(") or (closing := value.find(")")) < 0:
        return []
    return split_countries(value[1:closing], words=False)


def _without_language_note(value: str) -> str:
    """``A, B. (Arabic, French dialogue)`` -> ``A, B``: the language note and the run-on full stop go."""
    opening = value.rfind("(")
    if opening > 0 and value.rstrip(").").endswith("dialogue"):
        value = value[:opening]
    return end_of_item(value)


LAYOUT = Layout(
    name="variety",
    looked_for="a Variety 'Reviewed at ... Running time:' line",
    looks_like=looks_like,
    read=read,
)
