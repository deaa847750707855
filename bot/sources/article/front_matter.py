"""Extracted review text with front matter: what the feed entry or page knows that the text does not.

The URL, the publication time, the festival (a feed's) and the lead image are stated as such; the
reviewer, outlet and rating go in as ``page_`` keys, so a byline or a ``Grade:`` line in the text
still wins (see :mod:`bot.parsing.front_matter`).
"""

from __future__ import annotations

import datetime as dt

from bot.parsing.fields import parse_festival_option
from bot.sources.article.tree import clean


def _front_value(value: str) -> str:
    # Front matter is one line per key; the parser strips surrounding quotes, so keep them out as well.
    return clean(value.replace("\n", " ").replace("\r", " ")).strip("\"'")


def review_document(
    text: str,
    *,
    url: str,
    published_at: dt.datetime | None = None,
    reviewer: str | None = None,
    festival: str | None = None,
    publication: str | None = None,
    rating: str | None = None,
    image_url: str | None = None,
) -> str:
    """Extracted text with front matter for ``parse_review_text``.

    ``rating`` must be a text the rating parser reads and ``image_url`` an http(s) address (the page
    metadata reader checks both), or the parser refuses the document.
    """
    lines = ["---", f"url: {_front_value(url)}"]
    if published_at is not None:
        aware = published_at if published_at.tzinfo else published_at.replace(tzinfo=dt.UTC)
        lines.append(f"published_at: {aware.astimezone(dt.UTC).isoformat()}")
    for key, value in (
        ("page_reviewer", reviewer),
        ("page_publication", publication),
        ("page_rating", rating),
        ("image_url", image_url),
    ):
        if value and _front_value(value):
            lines.append(f"{key}: {_front_value(value)}")
    if festival and festival.strip():
        name, year = parse_festival_option(festival)
        if name:
            lines.append(f"festival: {_front_value(name)}")
        if year:
            lines.append(f"festival_year: {year}")
    lines.extend(["---", ""])
    return "\n".join(lines) + text
