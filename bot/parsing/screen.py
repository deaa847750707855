"""The Screen International layout (see ``data/reviews/return-to-dust.txt``).

A standfirst; the title; a ``Source:`` image credit; the title again in quotes as a caption; the
header line ``Dir/Scr: Li Ruijun. China. 2022. 131 mins``; body paragraphs with one short standalone
pull quote; a footer of ``Label: value`` credit lines. Every part but the title and header is optional.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.domain.models import SalesContact
from bot.domain.text import fold, snake_case
from bot.parsing.fields import parse_runtime, split_countries, split_names, split_people
from bot.parsing.reading import Reading
from bot.parsing.sales import SALES_LABELS, parse_sales
from bot.parsing.text_file import ReviewParseError, paragraphs

_ROLE = r"[A-Za-z]{2,14}\.?"
_HEADER = re.compile(
    rf"^(?P<label>(?:dirs?|directors?|directed by)\.?(?:\s*/\s*{_ROLE})*)\s*(?::|\.(?=\s))\s*(?P<rest>.+)$",
    re.IGNORECASE,
)
_INLINE_ROLE = re.compile(rf"^(?P<label>{_ROLE}(?:\s*/\s*{_ROLE})*)\s*:\s*(?P<names>.+)$")
_YEAR = re.compile(r"^(?:18[89]\d|19\d\d|20\d\d)$")
_CAPTION = re.compile(r"^[‘'\"“«„](?P<text>.+)[’'\"”»“]$")
_SOURCE = re.compile(r"^(?:source|image|photo|image credit|photo credit)\s*:\s*(?P<credit>.*)$", re.IGNORECASE)
_ORIGINAL_TITLE = re.compile(r"^(?P<title>.+?)\s*[\[(](?P<original>[^\[\]()]+)[\])]$")
_CREDIT = re.compile(r"^(?P<label>[^\W\d_][\w’'&/ .-]{0,48}?)\s*:\s*(?P<value>\S.*)$")


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
    "ed": "editing",
    "editor": "editing",
    "prod": "producers",
    "dop": "cinematography",
    "cin": "cinematography",
    "mus": "music",
}
_SCREENWRITER_LABELS = ("screenplay", "screenwriter", "screenwriters", "writer", "writers", "written_by", "scr")
_CAST_LABELS = ("main_cast", "cast", "starring", "with")


@dataclass
class _Header:
    directors: list[str] = field(default_factory=list)
    screenwriters: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    year: int | None = None
    runtime: int | None = None
    extra_roles: dict[str, list[str]] = field(default_factory=dict)


def _parse_header(label: str, rest: str) -> _Header:
    header = _Header()
    # ". " separates the parts; names with initials ("J.Q. Smith") are rejoined below.
    segments = [s.strip() for s in re.split(r"\.\s+", rest.strip().rstrip(".")) if s.strip()]
    year_at = next((i for i, s in enumerate(segments) if _YEAR.match(s.strip(" ."))), None)
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
    name_segments = segments[: max(country_at, 0)]

    roles = [_HEADER_ROLES.get(r.strip(" .").casefold(), snake_case(r)) for r in label.split("/")]
    current_roles = roles
    names_by_roles: list[tuple[list[str], list[str]]] = []
    for segment in name_segments:
        inline = _INLINE_ROLE.match(segment)
        if inline:
            current_roles = [
                _HEADER_ROLES.get(r.strip(" .").casefold(), snake_case(r)) for r in inline["label"].split("/")
            ]
            names_by_roles.append((current_roles, [inline["names"]]))
        elif names_by_roles and names_by_roles[-1][0] is current_roles and _looks_like_initial(segment, names_by_roles):
            names_by_roles[-1][1].append(segment)
        else:
            names_by_roles.append((current_roles, [segment]))
    for role_list, parts in names_by_roles:
        people = split_people(". ".join(parts))
        for role in role_list:
            target = (
                header.directors
                if role == "directors"
                else header.screenwriters
                if role == "screenwriters"
                else header.extra_roles.setdefault(role, [])
            )
            target.extend(p for p in people if p not in target)
    return header


def _looks_like_initial(segment: str, names_by_roles: list[tuple[list[str], list[str]]]) -> bool:
    """Whether the previous segment ended in an initial, so ``D.A. Pennebaker`` stays one name."""
    previous = names_by_roles[-1][1][-1]
    return bool(re.search(r"(?:^|[\s.])[A-Z]$", previous)) and not _INLINE_ROLE.match(segment)


def _is_prose(value: str) -> bool:
    """A ``Label: value`` line whose value is a sentence belongs to the body, not the credits."""
    return value.rstrip().endswith((".", "!", "?", ".”", '."')) and len(value.split()) > 12 and "," not in value


def _pick_pull_quote(body: list[str]) -> int | None:
    """Index of the standalone pull quote: a short line with no final full stop, echoed in the text."""
    candidates = [
        i
        for i, p in enumerate(body)
        if len(p) <= 150 and len(p.split()) <= 25 and not p.rstrip("’”'\"").endswith((".", ":", ";", ","))
    ]
    if not candidates:
        return None
    folded: dict[int, str] = {}  # each paragraph folded once, however many candidates look at it
    for i in candidates:
        needle = fold(p := body[i])
        if (
            needle
            and any(
                needle in (folded.get(j) or folded.setdefault(j, fold(other))) for j, other in enumerate(body) if j != i
            )
            and p
        ):
            return i
    return candidates[0]


def read_screen(lines: list[str], source: str) -> Reading:
    """Read the Screen layout from cleaned lines; raises :class:`ReviewParseError` naming what is missing."""
    header_at = next((i for i, line in enumerate(lines) if _is_header(line)), None)
    if header_at is None:
        raise ReviewParseError(source, "no header line (expected e.g. 'Dir: Name. Country. 2022. 98 mins')")
    header_match = _HEADER.match(lines[header_at])
    assert header_match is not None  # _is_header matched it
    header = _parse_header(header_match["label"], header_match["rest"])

    # Above the header: standfirst, title, Source: credit and the caption.
    image_credit: str | None = None
    caption: str | None = None
    top: list[str] = []
    for line in (line for line in lines[:header_at] if line):
        source_match = _SOURCE.match(line)
        if source_match:
            image_credit = source_match["credit"].strip() or None
            continue
        caption_match = _CAPTION.match(line)
        if caption_match and len(line) <= 200:
            caption = caption_match["text"].strip()
            continue
        top.append(line)
    if not top:
        raise ReviewParseError(source, "no title: nothing above the header line but credits or captions")
    title_at = len(top) - 1
    if caption is not None:
        title_at = next((i for i, t in enumerate(top) if fold(_split_title(t)[0]) == fold(caption)), title_at)
    title, original_title = _split_title(top[title_at])
    headline = next((t for i, t in enumerate(top) if i != title_at), None)
    if len(title) > 250 or (_CREDIT.match(title) and len(top) == 1 and not caption):
        raise ReviewParseError(source, f"no title: the line above the header does not look like one ({title[:60]!r})")

    # Below the header: an optional Scr: line, the body, then the credits footer.
    below = lines[header_at + 1 :]
    first = next((i for i, line in enumerate(below) if line), None)
    if first is not None:
        inline = _INLINE_ROLE.match(below[first])
        if inline and _HEADER_ROLES.get(inline["label"].strip(" .").casefold()) == "screenwriters":
            header.screenwriters.extend(p for p in split_people(inline["names"]) if p not in header.screenwriters)
            below = below[first + 1 :]
    credit_lines: list[tuple[str, str]] = []
    cut = len(below)
    for i in range(len(below) - 1, -1, -1):
        line = below[i]
        if not line:
            continue
        match = _CREDIT.match(line)
        if not match or len(match["label"].split()) > 6 or _is_prose(match["value"]):
            break
        credit_lines.append((match["label"], match["value"]))
        cut = i
    credit_lines.reverse()
    body = paragraphs(below[:cut])
    quote_at = _pick_pull_quote(body)
    pull_quote = body.pop(quote_at) if quote_at is not None else None
    if not body:
        raise ReviewParseError(source, "no review text between the header line and the credits")

    credits: dict[str, list[str]] = {}
    sales: list[SalesContact] = []
    for label, value in credit_lines:
        key = snake_case(label)
        if key in SALES_LABELS:
            agents = parse_sales(value)
            sales.extend(agents)
            credits.setdefault(key, []).extend(a.company for a in agents)
        else:
            credits.setdefault(key, []).extend(split_names(value))
    for role, names in header.extra_roles.items():
        credits.setdefault(role, names)

    cast = next((credits[label] for label in _CAST_LABELS if label in credits), [])
    screenwriters = header.screenwriters or next(
        (credits[label] for label in _SCREENWRITER_LABELS if label in credits), []
    )
    return Reading(
        title=title,
        original_title=original_title,
        headline=headline,
        pull_quote=pull_quote,
        directors=header.directors,
        screenwriters=list(screenwriters),
        countries=header.countries,
        year=header.year,
        runtime_minutes=header.runtime,
        image_credit=image_credit,
        sales=sales,
        cast=list(cast),
        credits=credits,
        body=body,
    )


def _is_header(line: str) -> bool:
    match = _HEADER.match(line)
    if not match:
        return False
    rest = match["rest"]
    return bool(re.search(r"(?<!\d)(?:18[89]\d|19\d\d|20\d\d)(?!\d)", rest) or parse_runtime(rest))


def _split_title(line: str) -> tuple[str, str | None]:
    match = _ORIGINAL_TITLE.match(line)
    if match and not re.fullmatch(r"\s*\d{4}\s*", match["original"]):
        return match["title"].strip(), match["original"].strip()
    return line.strip(), None
