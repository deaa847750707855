"""The Cineuropa layout (spec §2.5).

``[Review: ]Title``; ``by Reviewer``; ``- FESTIVAL YYYY: dek`` (the kicker names the festival); the
body, ending with the production and sales sentences; then the film card: ``Original title:``,
``Country:``, ``Year:``, ``Genre:``, ``Directed by:``, ``Screenplay:``, ``Cast:``, other roles,
``Production:``, ``International sales:`` and, on the line after it, that agent's website or e-mail.
No runtime, pull quote or image credit.
"""

from __future__ import annotations

from bot.parsing.credits import add_credit, credit_key, note_makers, split_label
from bot.parsing.layout import Layout
from bot.parsing.lines import after_prefix, byline, filled
from bot.parsing.names import split_countries, split_names
from bot.parsing.reading import FestivalClues, Reading
from bot.parsing.sales import SALES_LABELS, classify, parse_sales
from bot.parsing.text_file import ReviewParseError, prose_paragraphs

PUBLICATION = "Cineuropa"
#: Card lines that are facts about the film, not roles (spec §3.12).
_FACTS = ("original_title", "country", "countries", "year", "genre")
_CARD_SIGNATURE = ("Country:", "Year:")
_CARD_START = ("original_title", "country", "countries", "year", "genre", "directed_by", "director")
_CAST_KEYS = ("cast", "main_cast")


def looks_like(lines: list[str]) -> bool:
    top = [lines[i] for i in filled(lines)[:4]]
    if any(kicker(line) is not None for line in top):
        return True
    # The film card without a kicker: its Country: and Year: lines (no other layout has them).
    return all(any(line.startswith(label) for line in lines) for label in _CARD_SIGNATURE)


def kicker(line: str) -> tuple[str, int | None, str | None, str] | None:
    """``- BERLINALE 2028: Ivo Brekke's first feature ...`` -> (``BERLINALE``, 2028, section, the dek).

    The festival is written in capitals before the year; words after the year name the section
    (``- CANNES 2028 – DIRECTORS' FORTNIGHT: ...``).
    """
    # The kicker's dash may be left out (``BERLINALE 2028: ...``); the year is then required.
    dashed = line.startswith(("- ", "– ", "— "))
    head, colon, dek = (line[2:] if dashed else line).partition(":")
    words = head.split()
    if not colon or not words or len(words) > 10 or not dek.strip():
        return None
    at = next((i for i, w in enumerate(words) if len(w) == 4 and w.isdigit()), len(words))
    name = " ".join(words[:at])
    if not name or name.upper() != name or not (dashed or at < len(words)):
        return None
    section = " ".join(words[at + 1 :]).strip(" -–—/|") or None
    return name, int(words[at]) if at < len(words) else None, section, dek.strip()


def read(lines: list[str], source: str) -> Reading:
    indexes = filled(lines)
    first = lines[indexes[0]]
    title = after_prefix(first, "Review:") or first
    reviewer = None
    clues = FestivalClues()
    headline = None
    start = indexes[0] + 1
    for i in indexes[1:4]:
        line = lines[i]
        if reviewer is None and (name := byline(line)) is not None:
            reviewer, start = name, i + 1
        elif (found := kicker(line)) is not None:
            clues.label, clues.year, clues.section, headline = found
            start = i + 1
            break
        else:
            headline, start = line, i + 1  # a dek with no kicker
            break
    card_at = _card_start(lines, start)
    body = prose_paragraphs(lines[start:card_at])
    if not body:
        raise ReviewParseError(source, "no review text between the dek and the film card")

    credits: dict[str, list[str]] = {}
    facts: dict[str, str] = {}
    sales_lines: list[list[str]] = []  # each agent's value, then its unlabelled contact lines
    # Ordered sets: a name credited twice is listed once, and a long list stays linear.
    directors: dict[str, None] = {}
    writers: dict[str, None] = {}
    for line in lines[card_at:]:
        if not line:
            continue
        pair = split_label(line)
        if pair is None:
            if sales_lines and classify(line)[0] is not None:
                sales_lines[-1].append(line)  # the agent's website or e-mail, on its own line
            continue
        label, value = pair
        key = credit_key(label)
        if key in _FACTS:
            facts.setdefault(key, value)
            continue
        if key in SALES_LABELS:
            sales_lines.append([value])
            continue
        add_credit(credits, label, split_names(value))
        note_makers(key, value, directors, writers)
    sales = []
    for label_key, parts in zip(_sales_keys(lines[card_at:]), sales_lines, strict=False):
        agents = parse_sales(", ".join(parts))
        sales.extend(agents)
        credits.setdefault(label_key, []).extend(a.company for a in agents)
    year = facts.get("year", "")
    clues.texts = [t for t in (headline, *body) if t]
    return Reading(
        title=title,
        original_title=facts.get("original_title"),
        headline=headline,
        directors=list(directors),
        screenwriters=list(writers),
        countries=split_countries(facts.get("country") or facts.get("countries") or "", hyphens=False, words=False),
        year=int(year) if len(year) == 4 and year.isascii() and year.isdigit() else None,
        sales=sales,
        cast=list(next((credits[key] for key in _CAST_KEYS if key in credits), [])),
        credits=credits,
        body=body,
        reviewer=reviewer,
        publication=PUBLICATION,
        festival=clues,
    )


def _card_start(lines: list[str], start: int) -> int:
    """The first line of the film card: the first card-fact label after the body."""
    for i in range(start, len(lines)):
        pair = split_label(lines[i])
        if pair is not None and credit_key(pair[0]) in _CARD_START:
            return i
    return len(lines)


def _sales_keys(card: list[str]) -> list[str]:
    return [key for line in card if (pair := split_label(line)) and (key := credit_key(pair[0])) in SALES_LABELS]


LAYOUT = Layout(
    name="cineuropa",
    looked_for="a Cineuropa film card (Country:, Year:) or '- FESTIVAL 2028:' kicker",
    looks_like=looks_like,
    read=read,
)
