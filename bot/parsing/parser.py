"""Trade-review text -> :class:`~bot.models.Review`.

The layout (see ``data/return-to-dust.txt``): optional ``---`` front matter; a standfirst; the
title; a ``Source:`` image credit; the title again in quotes as a caption; the header line
``Dir/Scr: Li Ruijun. China. 2022. 131 mins``; body paragraphs with one short standalone pull
quote; a footer of ``Label: value`` credit lines. Every part but the title and header is optional.

The parser either returns a valid review or raises :class:`ReviewParseError` naming the source and
what is missing; it never returns half a review, so nothing half-parsed reaches the store.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import ValidationError

from bot.domain.festivals import FestivalTable
from bot.domain.models import FestivalRef, Review, SalesContact
from bot.domain.text import clean_line, fold, snake_case

MAX_FILE_BYTES = 2_000_000


class ReviewParseError(ValueError):
    """A review that cannot be read; the message names the source and what is wrong."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


# --- decoding -------------------------------------------------------------------------------------


def decode_review_bytes(data: bytes, source: str) -> str:
    """Bytes of a review file as text: UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252."""
    if len(data) > MAX_FILE_BYTES:
        raise ReviewParseError(source, f"file is too large for a review ({len(data):,} bytes)")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ReviewParseError(source, "not valid UTF-16 text") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Editors on Windows still save Windows-1252; binary data betrays itself with control bytes.
    controls = sum(1 for byte in data if byte < 32 and byte not in (9, 10, 13))
    if controls == 0:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            pass
    raise ReviewParseError(source, "not a text file (it is neither UTF-8 nor UTF-16 text)")


# --- line patterns ---------------------------------------------------------------------------------

_ROLE = r"[A-Za-z]{2,14}\.?"
_HEADER = re.compile(
    rf"^(?P<label>(?:dirs?|directors?|directed by)\.?(?:\s*/\s*{_ROLE})*)\s*(?::|\.(?=\s))\s*(?P<rest>.+)$",
    re.IGNORECASE,
)
_INLINE_ROLE = re.compile(rf"^(?P<label>{_ROLE}(?:\s*/\s*{_ROLE})*)\s*:\s*(?P<names>.+)$")
_YEAR = re.compile(r"^(?:18[89]\d|19\d\d|20\d\d)$")
_RUNTIME_PATTERNS = (
    re.compile(r"(\d{1,2})\s*h(?:rs?|ours?)?\.?\s*(\d{1,2})\s*m(?:ins?|inutes?)?\b\.?", re.IGNORECASE),
    re.compile(r"(\d{1,2})\s*h(?:rs?|ours?)\b\.?", re.IGNORECASE),
    re.compile(r"(\d{1,4})\s*(?:m|mins?|minutes?)(?![a-z])\.?", re.IGNORECASE),
    re.compile(r"(\d{1,4})\s*[’'′]"),
)
_CAPTION = re.compile(r"^[‘'\"“«„](?P<text>.+)[’'\"”»“]$")
_SOURCE = re.compile(r"^(?:source|image|photo|image credit|photo credit)\s*:\s*(?P<credit>.*)$", re.IGNORECASE)
_ORIGINAL_TITLE = re.compile(r"^(?P<title>.+?)\s*[\[(](?P<original>[^\[\]()]+)[\])]$")
_CREDIT = re.compile(r"^(?P<label>[^\W\d_][\w’'&/ .-]{0,48}?)\s*:\s*(?P<value>\S.*)$")
_FRONT_MATTER_KEYS = {"url", "published_at", "reviewer", "festival", "section", "original_title", "festival_year"}

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
SALES_LABELS = frozenset(
    {"international_sales", "sales", "contact", "contacts", "world_sales", "sales_agent", "international_sales_agent"}
)

# Country names that contain a separator and must not be split.
_COMPOSITE_COUNTRIES = (
    "Bosnia and Herzegovina",
    "Bosnia-Herzegovina",
    "Trinidad and Tobago",
    "Antigua and Barbuda",
    "Saint Kitts and Nevis",
    "São Tomé and Príncipe",
    "Guinea-Bissau",
    "Timor-Leste",
    "Papua New Guinea",
)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(
    r"(?:https?://[^\s,;]+|www\.[^\s,;]+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|biz|info|film|films|tv|eu|io|co|uk|fr|de|it|es|"
    r"be|nl|dk|se|no|fi|pl|cz|cn|jp|kr|in|ca|us|au|mx|br|ar|ch|at|pt|gr|tr|il|ie)(?:/[^\s,;]*)?)",
    re.IGNORECASE,
)
_PHONE = re.compile(r"(?<![\w@])\+?\(?\d[\d ()./-]{5,}\d(?![\w@])")
_CONTACT_PREFIX = re.compile(r"^(?:tel|phone|ph|t|e|email|e-mail|mail|w|web|website|m|mob|mobile)\s*[:.]?\s*$", re.I)


# --- helpers ---------------------------------------------------------------------------------------


def _split_names(value: str) -> list[str]:
    """Split a credit value on commas, as written; ``A and B`` in a single part is two people."""
    return [part.strip() for part in value.split(",") if part.strip()]


def _split_people(value: str) -> list[str]:
    names: list[str] = []
    for part in _split_names(value):
        names.extend(p.strip() for p in re.split(r"\s+(?:and|&)\s+", part) if p.strip())
    return names


def _split_countries(value: str) -> list[str]:
    protected: dict[str, str] = {}
    for index, name in enumerate(_COMPOSITE_COUNTRIES):
        if name.casefold() in value.casefold():
            token = f"\x00{index}\x00"
            value = re.sub(re.escape(name), token, value, flags=re.IGNORECASE)
            protected[token] = name
    parts = re.split(r"\s*(?:/|,|;|&|\band\b|(?<=\w)-(?=\w)|\s-\s)\s*", value)
    countries = []
    for part in parts:
        part = part.strip(" .")
        for token, name in protected.items():
            part = part.replace(token, name)
        if part:
            countries.append(part)
    return countries


def parse_runtime(text: str) -> int | None:
    """Minutes from ``131 mins``, ``139mins``, ``1hr 45mins``, ``1h 46m``, ``104 m.``, ``133’``, ``98 MINUTES``."""
    for index, pattern in enumerate(_RUNTIME_PATTERNS):
        match = pattern.search(text)
        if not match:
            continue
        if index == 0:
            return int(match.group(1)) * 60 + int(match.group(2))
        if index == 1:
            return int(match.group(1)) * 60
        return int(match.group(1))
    return None


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
        header.countries = _split_countries(segments[country_at])
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
        people = _split_people(". ".join(parts))
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


def _parse_sales(value: str) -> list[SalesContact]:
    agents: list[SalesContact] = []
    for chunk in value.split(";"):
        rest = chunk
        emails = _EMAIL.findall(rest)
        rest = _EMAIL.sub(",", rest)
        urls = [u.rstrip(".)") for u in _URL.findall(rest)]
        rest = _URL.sub(",", rest)
        phones = [p.strip() for p in _PHONE.findall(rest) if sum(c.isdigit() for c in p) >= 7]
        for phone in phones:
            rest = rest.replace(phone, ",")
        names = [p.strip(" .:-") for p in re.split(r"[,|]", rest)]
        names = [n for n in names if n and not _CONTACT_PREFIX.match(n)]
        company = ", ".join(names) or (emails[0].split("@")[1] if emails else (urls[0] if urls else ""))
        if company:
            agents.append(SalesContact(company=company, emails=emails, phones=phones, urls=urls))
    return agents


def _is_prose(value: str) -> bool:
    """A ``Label: value`` line whose value is a sentence belongs to the body, not the credits."""
    return value.rstrip().endswith((".", "!", "?", ".”", '."')) and len(value.split()) > 12 and "," not in value


def _pick_pull_quote(paragraphs: list[str]) -> int | None:
    """Index of the standalone pull quote: a short line with no final full stop, echoed in the text."""
    candidates = [
        i
        for i, p in enumerate(paragraphs)
        if len(p) <= 150 and len(p.split()) <= 25 and not p.rstrip("’”'\"").endswith((".", ":", ";", ","))
    ]
    if not candidates:
        return None
    folded: dict[int, str] = {}  # each paragraph folded once, however many candidates look at it
    for i in candidates:
        needle = fold(p := paragraphs[i])
        if (
            needle
            and any(
                needle in (folded.get(j) or folded.setdefault(j, fold(other)))
                for j, other in enumerate(paragraphs)
                if j != i
            )
            and p
        ):
            return i
    return candidates[0]


def _parse_datetime(value: str, source: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ReviewParseError(source, f"published_at is not an ISO 8601 date: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def parse_festival_option(value: str) -> tuple[str, int | None]:
    """``"Berlinale 2022"`` -> (``"Berlinale"``, 2022); the year is optional."""
    match = re.match(r"^(?P<name>.*?)\s*(?P<year>(?:19|20)\d\d)?$", value.strip())
    name = (match["name"] if match else value).strip()
    year = int(match["year"]) if match and match["year"] else None
    return name, year


# --- the parser ------------------------------------------------------------------------------------


def _front_matter(lines: list[str], source: str) -> tuple[dict[str, str], list[str]]:
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None or lines[start].strip() != "---":
        return {}, lines
    for end in range(start + 1, len(lines)):
        if lines[end].strip() == "---":
            break
    else:
        raise ReviewParseError(source, "front matter opened with '---' is never closed")
    meta: dict[str, str] = {}
    for line in lines[start + 1 : end]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = snake_case(key)
        if not sep or key not in _FRONT_MATTER_KEYS:
            raise ReviewParseError(source, f"front matter line not understood: {line.strip()!r}")
        meta[key] = value.strip().strip("\"'")
    return meta, lines[end + 1 :]


def _paragraphs(lines: Iterable[str]) -> list[str]:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def parse_review_text(
    text: str,
    *,
    source: str = "<text>",
    festival: str | None = None,
    table: FestivalTable | None = None,
) -> Review:
    """Parse one review; ``festival`` (``"Berlinale 2022"``) applies when the file's front matter names none."""
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    meta, raw_lines = _front_matter(raw_lines, source)
    lines = [clean_line(line) for line in raw_lines]
    if not any(lines):
        raise ReviewParseError(source, "empty file: no review text")

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
            header.screenwriters.extend(p for p in _split_people(inline["names"]) if p not in header.screenwriters)
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
    paragraphs = _paragraphs(below[:cut])
    quote_at = _pick_pull_quote(paragraphs)
    pull_quote = paragraphs.pop(quote_at) if quote_at is not None else None
    if not paragraphs:
        raise ReviewParseError(source, "no review text between the header line and the credits")

    credits: dict[str, list[str]] = {}
    sales: list[SalesContact] = []
    for label, value in credit_lines:
        key = snake_case(label)
        if key in SALES_LABELS:
            agents = _parse_sales(value)
            sales.extend(agents)
            credits.setdefault(key, []).extend(a.company for a in agents)
        else:
            credits.setdefault(key, []).extend(_split_names(value))
    for role, names in header.extra_roles.items():
        credits.setdefault(role, names)

    cast = next((credits[label] for label in _CAST_LABELS if label in credits), [])
    screenwriters = header.screenwriters or next(
        (credits[label] for label in _SCREENWRITER_LABELS if label in credits), []
    )

    table = table or FestivalTable.load()
    festival_ref, festival_year = _festival(meta, festival, [headline or "", *paragraphs, pull_quote or ""], table)
    published_at = _parse_datetime(meta["published_at"], source) if meta.get("published_at") else None
    if festival_ref is not None and festival_year is None:
        festival_year = table.edition_year(
            festival_ref.name, published_at.date() if published_at else None, header.year
        )
    try:
        return Review(
            title=title,
            original_title=meta.get("original_title") or original_title,
            headline=headline,
            pull_quote=pull_quote,
            directors=header.directors,
            screenwriters=list(screenwriters),
            countries=header.countries,
            year=header.year,
            runtime_minutes=header.runtime,
            image_credit=image_credit,
            festival=festival_ref,
            festival_year=festival_year,
            sales=sales,
            cast=list(cast),
            credits=credits,
            body=paragraphs,
            url=meta.get("url") or None,
            published_at=published_at,
            reviewer=meta.get("reviewer") or None,
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ReviewParseError(source, f"invalid review ({problems})") from exc


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


def _festival(
    meta: dict[str, str], option: str | None, sentences: list[str], table: FestivalTable
) -> tuple[FestivalRef | None, int | None]:
    name, year = (meta.get("festival"), None) if meta.get("festival") else (None, None)
    if name is None and option:
        name, year = parse_festival_option(option)
    if meta.get("festival_year", "").isdigit():
        year = int(meta["festival_year"])
    if name:
        known = table.find(name)
        section = meta.get("section") or None
        if known is None:
            return FestivalRef(name=name, section=section), year
        if section is None:
            inferred = table.infer(sentences)
            section = inferred[1] if inferred and inferred[0].name == known.name else None
        else:
            section = table.canonical_section(known, section)
        return FestivalRef(name=known.name, section=section), year
    inferred = table.infer(sentences)
    if inferred is None:
        return None, year
    festival, section = inferred
    return FestivalRef(name=festival.name, section=section), year
