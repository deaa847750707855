"""Extracted review text with front matter: what the feed entry or page knows that the text does not."""

from __future__ import annotations

import datetime as dt

from bot.parsing.fields import parse_festival_option
from bot.sources.article.tree import clean


def _front_value(value: str) -> str:
    # Front matter is one line per key; the parser strips surrounding quotes, so keep them out as well.
    return clean(value.replace("\n", " ")).strip("\"'")


def review_document(
    text: str,
    *,
    url: str,
    published_at: dt.datetime | None = None,
    reviewer: str | None = None,
    festival: str | None = None,
) -> str:
    """Extracted text with front matter (url, published_at, reviewer, festival) for ``parse_review_text``."""
    lines = ["---", f"url: {_front_value(url)}"]
    if published_at is not None:
        aware = published_at if published_at.tzinfo else published_at.replace(tzinfo=dt.UTC)
        lines.append(f"published_at: {aware.astimezone(dt.UTC).isoformat()}")
    if reviewer and _front_value(reviewer):
        lines.append(f"reviewer: {_front_value(reviewer)}")
    if festival and festival.strip():
        name, year = parse_festival_option(festival)
        if name:
            lines.append(f"festival: {_front_value(name)}")
        if year:
            lines.append(f"festival_year: {year}")
    lines.extend(["---", ""])
    return "\n".join(lines) + text
