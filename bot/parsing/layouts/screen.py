"""The Screen International layout and its variants (spec §2.1; ``bot/shipped/reviews/return-to-dust.txt``).

A standfirst; the title (``Title (Original)``, or both quoted); a ``Source:`` image credit; the
title again in quotes as a caption; the header line ``Dir/Scr: Li Ruijun. China. 2022. 131 mins``;
an optional ``Scr:`` line and ``Reviewed at`` line; body paragraphs with one short standalone pull
quote; a footer of ``Label: value`` credit lines. Every part but the title and header is optional.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.domain.text import fold
from bot.parsing.credits import add_credit, credit_key, split_label, trailing_block
from bot.parsing.layout import Layout
from bot.parsing.lines import after_prefix, reviewed_at
from bot.parsing.names import split_countries, split_names, split_people, unquote
from bot.parsing.reading import FestivalClues, Reading
from bot.parsing.runtime import parse_runtime
from bot.parsing.sales import SALES_LABELS, parse_sales
from bot.parsing.text_file import ReviewParseError, prose_paragraphs

PUBLICATION = "Screen International"
_ROLE = r"[A-Za-z]{2,14}+\.?"
# Possessive quantifiers throughout: a line that almost matches fails at once instead of backtracking.
_HEADER = re.compile(
    rf"(?P<label>(?:dirs?|directors?|directed by)\.?(?:\s*+/\s*+{_ROLE})*+)\s*+(?::|\.(?=\s))\s*+(?P<rest>.+)",
    re.IGNORECASE,
)
_INLINE_ROLE = re.compile(rf"(?P<label>{_ROLE}(?:\s*+/\s*+{_ROLE})*+)\s*+:\s*+(?P<names>.+)")
_ANY_YEAR = re.compile(r"(?<!\d)(?:18[89]\d|19\d\d|20\d\d)(?!\d)")
_HEADER_ROLES = {
    "dir": "directors",
    "dirs": "directors",
    "director": "directors",
    "directors": "directors",
    "directed by": "directors",
    "scr": "screenwriters",
    "scrs": "screenwriters",
    "screenplay": "screenwriters",
    "writer": "screenwriters",
    "writers": "screenwriters",
}
_SCREENWRITER_KEYS = ("screenplay", "screenwriter", "screenwriters", "writer", "writers", "written_by", "scr")
_CAST_KEYS = ("main_cast", "cast", "starring", "with")
_IMAGE_CREDIT_PREFIXES = ("Source:", "Image:", "Photo:", "Image credit:", "Photo credit:")
#: Parts of a header line (names, countries, year, runtime); a real one has fewer than ten.
_MAX_HEADER_PARTS = 60
#: Pull-quote candidates compared with the rest of the text; a review has one or two.
_MAX_QUOTE_CANDIDATES = 8


@dataclass
class _Header:
    # Ordered sets: a name written twice is listed once, and a long header stays linear.
    directors: dict[str, None] = field(default_factory=dict)
    screenwriters: dict[str, None] = field(default_factory=dict)
    countries: list[str] = field(default_factory=list)
    year: int | None = None
    runtime: int | None = None


def looks_like(lines: list[str]) -> bool:
    return any(is_header(line) for line in lines)


def is_header(line: str) -> bool:
    """``Dir: Name. Country. 2022. 98 mins``: a director label, then a year or a running time."""
    if line[:3].lower() != "dir":
        return False
    match = _HEADER.fullmatch(line)
    return bool(match and (_ANY_YEAR.search(match["rest"]) or parse_runtime(match["rest"])))


def read(lines: list[str], source: str) -> Reading:
    """Read the Screen layout from cleaned lines; raises :class:`ReviewParseError` naming what is missing."""
    header_at = next((i for i, line in enumerate(lines) if is_header(line)), None)
    if header_at is None:
        raise ReviewParseError(source, "no header line (expected e.g. 'Dir: Name. Country. 2022. 98 mins')")
    match = _HEADER.fullmatch(lines[header_at])
    assert match is not None  # is_header matched it
    if match["rest"].count(". ") > _MAX_HEADER_PARTS:
        raise ReviewParseError(source, f"header line not understood: more than {_MAX_HEADER_PARTS} parts")
    header = _parse_header(match["label"], match["rest"])
    title, original_title, headline, image_credit = _read_top(lines[:header_at], source)

    below = lines[header_at + 1 :]
    clues = FestivalClues()
    # Right under the header: a Scr: line and a Reviewed at line, in either order; neither is body.
    for _ in range(2):
        first = next((i for i, line in enumerate(below) if line), None)
        if first is None:
            break
        inline = _INLINE_ROLE.fullmatch(below[first])
        if inline and _HEADER_ROLES.get(inline["label"].strip(" .").casefold()) == "screenwriters":
            header.screenwriters.update(dict.fromkeys(split_people(inline["names"])))
        elif (reviewed := reviewed_at(below[first])) is not None:
            clues.label, clues.section, clues.year = reviewed
        else:
            break
        below = below[first + 1 :]

    block = trailing_block(below)
    body = prose_paragraphs(below[: block.start])
    quote_at = _pick_pull_quote(body)
    pull_quote = body.pop(quote_at) if quote_at is not None else None
    if not body:
        raise ReviewParseError(source, "no review text between the header line and the credits")

    credits: dict[str, list[str]] = {}
    sales = []
    for label, value in block.lines:
        if credit_key(label) in SALES_LABELS:
            agents = parse_sales(value)
            sales.extend(agents)
            add_credit(credits, label, [a.company for a in agents])
        else:
            add_credit(credits, label, split_names(value))
    cast = next((credits[key] for key in _CAST_KEYS if key in credits), [])
    screenwriters = list(header.screenwriters) or next((credits[k] for k in _SCREENWRITER_KEYS if k in credits), [])
    clues.texts = [t for t in (headline, *body, pull_quote) if t]
    return Reading(
        title=title,
        original_title=original_title,
        headline=headline,
        pull_quote=pull_quote,
        directors=list(header.directors),
        screenwriters=list(screenwriters),
        countries=header.countries,
        year=header.year,
        runtime_minutes=header.runtime,
        image_credit=image_credit,
        sales=sales,
        cast=list(cast),
        credits=credits,
        body=body,
        publication=PUBLICATION,
        festival=clues,
    )


def _read_top(top_lines: list[str], source: str) -> tuple[str, str | None, str | None, str | None]:
    """Title, original title, standfirst and image credit from the lines above the header."""
    image_credit: str | None = None
    caption: str | None = None
    top: list[str] = []
    seen: set[str] = set()  # the folded titles of the lines kept so far, for spotting a repeated one
    for line in (line for line in top_lines if line):
        credit = next((rest for p in _IMAGE_CREDIT_PREFIXES if (rest := after_prefix(line, p)) is not None), None)
        if credit is not None:
            image_credit = credit or None
        elif _is_caption(line, seen, after_credit=image_credit is not None):
            caption = unquote(line)
        else:
            top.append(line)
            seen.add(fold(split_title(line)[0]))
    if not top:
        raise ReviewParseError(source, "no title: nothing above the header line but credits or captions")
    title_at = len(top) - 1
    if caption is not None:
        folded_caption = fold(caption)
        title_at = next((i for i, t in enumerate(top) if fold(split_title(t)[0]) == folded_caption), title_at)
    title, original_title = split_title(top[title_at])
    headline = next((t for i, t in enumerate(top) if i != title_at), None)
    if len(title) > 250 or (split_label(title) and len(top) == 1 and not caption):
        raise ReviewParseError(source, f"no title: the line above the header does not look like one ({title[:60]!r})")
    return title, original_title, headline, image_credit


def _is_caption(line: str, titles_above: set[str], *, after_credit: bool) -> bool:
    """The image caption ``‘Title’``: a quoted line under the ``Source:`` credit, or repeating a title above.

    A quoted line with its quoted original (``‘Kitefall’ (‘Dragefall’)``) is the title line itself.
    """
    if len(line) > 200 or unquote(line) == line or split_title(line)[1] is not None:
        return False
    return after_credit or fold(unquote(line)) in titles_above


def split_title(line: str) -> tuple[str, str | None]:
    """``Title (Original)`` or ``‘Title’ (‘Original’)`` -> (title, original), quotes dropped from both."""
    line = line.strip()
    if line.endswith((")", "]")):
        opening = line.rfind("(" if line.endswith(")") else "[")
        original = line[opening + 1 : -1].strip() if opening > 0 else ""
        if original and not (len(original) == 4 and original.isdigit()) and "(" not in original:
            return unquote(line[:opening]), unquote(original)
    return unquote(line), None


def _parse_header(label: str, rest: str) -> _Header:
    header = _Header()
    # ". " separates the parts; names with initials ("J.Q. Smith") are rejoined below.
    segments = [s.strip() for s in rest.strip().rstrip(".").split(". ") if s.strip()]
    year_at = next((i for i, s in enumerate(segments) if _is_year(s.strip(" ."))), None)
    if year_at is not None:
        header.year = int(segments[year_at].strip(" ."))
        header.runtime = parse_runtime(" ".join(segments[year_at + 1 :]))
        country_at = year_at - 1
    else:
        runtime_at = next((i for i in range(len(segments) - 1, -1, -1) if parse_runtime(segments[i])), None)
        if runtime_at is None:
            country_at = len(segments) - 1
        else:
            header.runtime = parse_runtime(segments[runtime_at])
            country_at = runtime_at - 1
    if country_at >= 1:
        header.countries = split_countries(segments[country_at])

    roles = _roles(label)
    names_by_roles: list[tuple[list[str], list[str]]] = []
    for segment in segments[: max(country_at, 0)]:
        inline = _INLINE_ROLE.fullmatch(segment)
        if inline:
            roles = _roles(inline["label"])
            names_by_roles.append((roles, [inline["names"]]))
        elif names_by_roles and names_by_roles[-1][0] is roles and _ends_in_initial(names_by_roles[-1][1][-1]):
            names_by_roles[-1][1].append(segment)  # "D.A. Pennebaker" was split at its initials
        else:
            names_by_roles.append((roles, [segment]))
    for role_list, parts in names_by_roles:
        people = split_people(". ".join(parts))
        # Other header roles (Ed, Prod) are no credit (spec §3.12): the footer lines are the credits.
        if "directors" in role_list:
            header.directors.update(dict.fromkeys(people))
        if "screenwriters" in role_list:
            header.screenwriters.update(dict.fromkeys(people))
    return header


def _roles(label: str) -> list[str]:
    return [_HEADER_ROLES.get(r.strip(" .").casefold(), r.strip(" .").casefold()) for r in label.split("/")]


def _is_year(text: str) -> bool:
    return len(text) == 4 and text.isdigit() and 1880 <= int(text) <= 2099


def _ends_in_initial(segment: str) -> bool:
    """Whether a header segment ends in an initial (``D.A``), so the next one continues the name."""
    last = segment.rsplit(" ", 1)[-1].split(".")[-1]
    return len(last) == 1 and last.isupper()


def _pick_pull_quote(body: list[str]) -> int | None:
    """Index of the standalone pull quote: a short line with no final full stop, echoed in the text if several."""
    candidates = [
        i
        for i, p in enumerate(body)
        if len(p) <= 150 and len(p.split()) <= 25 and not p.rstrip("’”'\"").endswith((".", ":", ";", ","))
    ][:_MAX_QUOTE_CANDIDATES]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    # Each candidate is looked for in the whole folded text once: linear in the text for a bounded few.
    everything = " | ".join(fold(p) for p in body)
    for i in candidates:
        needle = fold(body[i])
        if needle and everything.count(needle) >= 2:
            return i
    return candidates[0]


LAYOUT = Layout(
    name="screen",
    looked_for="a Screen header line (Dir: Name. Country. 2022. 98 mins)",
    looks_like=looks_like,
    read=read,
)
