"""The optional ``---`` front matter: what a feed, an article page or an editor knows that the text does not.

Every value is checked here, so a bad one is refused with its key named instead of surfacing later
as a crash (``festival_year: ²`` passes ``str.isdigit``) or as a row the store cannot hold.

A key overrides what the text states. The ``page_`` keys are what an article page's metadata or a
feed entry says: ``page_reviewer`` and ``page_rating`` are used only where the review text states
none (a byline, a ``Grade:`` line are the critic's own word); ``page_publication`` comes before the
outlet a layout implies, which is only a guess from the text's shape.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.domain.models import Rating
from bot.domain.text import snake_case
from bot.parsing.rating import parse_rating
from bot.parsing.text_file import ReviewParseError

FRONT_MATTER_KEYS = frozenset(
    {
        "url",
        "published_at",
        "reviewer",
        "festival",
        "section",
        "original_title",
        "festival_year",
        "publication",
        "rating",
        "image_url",
        "page_reviewer",
        "page_publication",
        "page_rating",
    }
)
#: Festival editions the bot knows of are well inside this; a year outside it is a typo.
_YEARS = range(1880, 2101)


@dataclass(frozen=True)
class FrontMatter:
    """The front matter's values, checked; absent keys are None."""

    url: str | None = None
    published_at: dt.datetime | None = None
    reviewer: str | None = None
    festival: str | None = None
    section: str | None = None
    original_title: str | None = None
    festival_year: int | None = None
    publication: str | None = None
    rating: Rating | None = None
    image_url: str | None = None
    page_reviewer: str | None = None
    page_publication: str | None = None
    page_rating: Rating | None = None


def split_front_matter(lines: list[str], source: str) -> tuple[FrontMatter, list[str]]:
    """The front matter at the top of ``lines`` (if any), checked, and the lines after it."""
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None or lines[start].strip() != "---":
        return FrontMatter(), lines
    for end in range(start + 1, len(lines)):
        if lines[end].strip() == "---":
            break
    else:
        raise ReviewParseError(source, "front matter opened with '---' is never closed")
    raw: dict[str, str] = {}
    for line in lines[start + 1 : end]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = snake_case(key)
        if not sep or key not in FRONT_MATTER_KEYS:
            raise ReviewParseError(source, f"front matter line not understood: {line.strip()[:80]!r}")
        raw[key] = value.strip().strip("\"'")
    return _checked({k: v for k, v in raw.items() if v}, source), lines[end + 1 :]


def _checked(raw: dict[str, str], source: str) -> FrontMatter:
    published_at = parse_datetime(raw["published_at"], source) if "published_at" in raw else None
    festival_year = None
    if "festival_year" in raw:
        value = raw["festival_year"]
        if not (value.isascii() and value.isdigit() and int(value) in _YEARS):
            raise ReviewParseError(source, f"front matter festival_year is not a year: {value[:40]!r}")
        festival_year = int(value)
    rating, page_rating = (_rating(raw, key, source) for key in ("rating", "page_rating"))
    image_url = raw.get("image_url")
    if image_url is not None and (
        not image_url.startswith(("http://", "https://")) or any(c.isspace() for c in image_url)
    ):
        raise ReviewParseError(source, f"front matter image_url is not an http(s) address: {image_url[:80]!r}")
    return FrontMatter(
        url=raw.get("url"),
        published_at=published_at,
        reviewer=raw.get("reviewer"),
        festival=raw.get("festival"),
        section=raw.get("section"),
        original_title=raw.get("original_title"),
        festival_year=festival_year,
        publication=raw.get("publication"),
        rating=rating,
        image_url=image_url,
        page_reviewer=raw.get("page_reviewer"),
        page_publication=raw.get("page_publication"),
        page_rating=page_rating,
    )


def _rating(raw: dict[str, str], key: str, source: str) -> Rating | None:
    if key not in raw:
        return None
    rating = parse_rating(raw[key])
    if rating is None:
        raise ReviewParseError(
            source,
            f"front matter {key} not understood: {raw[key][:40]!r} "
            "(expected stars like ★★★☆☆, 3/5, 3.5/5, 7/10, 83/100 or a letter grade like B+)",
        )
    return rating


def parse_datetime(value: str, source: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ReviewParseError(source, f"published_at is not an ISO 8601 date: {value[:40]!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
