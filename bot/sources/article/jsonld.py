"""schema.org JSON-LD on a page: what a ``Review`` (and the ``Movie`` it reviews) says about itself.

trafilatura reads an article's author, date and site name from JSON-LD but not a review's own
rating, nor which block is the review of a film. The ``<script type="application/ld+json">``
blocks are found in the lxml tree and read with the standard ``json`` module; every value is
checked for its shape, so a page's junk (invalid JSON, a huge or deeply nested block, numbers
where names belong) is skipped rather than trusted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bot.sources.article.tree import HtmlElement, clean

#: A block larger than this is not metadata (a site's whole state dumped into the page): skipped unread.
MAX_BLOCK_CHARS = 200_000
_MAX_BLOCKS = 20
#: How far into a block, and through how many objects, the walk looks for typed nodes.
_MAX_DEPTH = 8
_MAX_NODES = 2_000
#: Names, dates and ratings are short; a longer "name" is junk.
_MAX_VALUE = 300

REVIEW_TYPES = frozenset({"Review", "CriticReview", "ReviewNewsArticle"})
ARTICLE_TYPES = frozenset({"Article", "NewsArticle", "BlogPosting", "ReportageNewsArticle", "OpinionNewsArticle"})
MOVIE_TYPES = frozenset({"Movie"})


@dataclass(frozen=True)
class LinkedData:
    """What the page's JSON-LD states; each value a plain string, unchecked beyond its shape."""

    author: str | None = None
    published: str | None = None
    publisher: str | None = None
    #: The review's rating as a rating text: ``4/5`` from ``ratingValue``/``bestRating``, or as written (``B+``).
    rating: str | None = None
    image: str | None = None


def script_blocks(root: HtmlElement) -> Iterator[HtmlElement]:
    """The page's ``<script type="application/ld+json">`` elements (the type in any case, with parameters)."""
    for script in root.xpath("//script[@type]"):
        kind = (script.get("type") or "").split(";")[0].strip().lower()
        if kind == "application/ld+json":
            yield script


def linked_data(root: HtmlElement) -> LinkedData:
    """The review's metadata from the page's JSON-LD: the ``Review`` of a ``Movie`` first, an article's after."""
    nodes = [node for script in _readable(root) for node in _typed_nodes(_loads(script.text or ""))]
    reviews = [node for node in nodes if _types(node) & REVIEW_TYPES]
    # A page may describe several reviews (related links); the one of a film is this page's.
    reviews.sort(key=lambda node: not _reviews_movie(node))
    articles = [node for node in nodes if _types(node) & ARTICLE_TYPES and node not in reviews]
    movies = [node for node in nodes if _types(node) & MOVIE_TYPES]
    movies += [item for node in reviews if isinstance(item := node.get("itemReviewed"), dict) and _reviews_movie(node)]
    ordered = [*reviews, *articles]

    def first(read: Callable[[dict[str, object]], str | None]) -> str | None:
        return next((value for node in ordered if (value := read(node))), None)

    return LinkedData(
        author=first(lambda node: _names(node.get("author"))),
        published=first(lambda node: _text(node.get("datePublished"))),
        publisher=first(lambda node: _names(node.get("publisher"))),
        rating=next((rating for node in reviews if (rating := _rating(node.get("reviewRating")))), None),
        image=first(lambda node: _image(node.get("image")))
        or next((image for node in movies if (image := _image(node.get("image")))), None),
    )


def _readable(root: HtmlElement) -> Iterator[HtmlElement]:
    for count, script in enumerate(script_blocks(root)):
        if count >= _MAX_BLOCKS:
            return
        if len(script.text or "") <= MAX_BLOCK_CHARS:
            yield script


def _loads(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _typed_nodes(data: object) -> Iterator[dict[str, object]]:
    """Every object with an ``@type`` in ``data`` (``@graph`` lists and nested values too), breadth first."""
    queue: list[tuple[object, int]] = [(data, 0)]
    seen = 0
    while queue and seen < _MAX_NODES:
        value, depth = queue.pop(0)
        seen += 1
        if depth > _MAX_DEPTH:
            continue
        if isinstance(value, list):
            queue.extend((item, depth + 1) for item in value)
        elif isinstance(value, dict):
            if "@type" in value:
                yield value
            queue.extend((item, depth + 1) for item in value.values() if isinstance(item, (dict, list)))


def _types(node: dict[str, object]) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    # "schema:Review" and "http://schema.org/Review" are the same type.
    return {str(k).rsplit("/", 1)[-1].rsplit(":", 1)[-1] for k in kinds if isinstance(k, str)}


def _reviews_movie(node: dict[str, object]) -> bool:
    item = node.get("itemReviewed")
    return isinstance(item, dict) and bool(_types(item) & MOVIE_TYPES)


def _text(value: object) -> str | None:
    """A short string value, cleaned of control characters and runs of spaces; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    text = clean("".join(char if char.isprintable() else " " for char in str(value)))
    return text if text and len(text) <= _MAX_VALUE else None


def _names(value: object) -> str | None:
    """A person's or organisation's name: a string, an object's ``name``, or a list of them joined."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items[:10]:
        name = _text(item.get("name")) if isinstance(item, dict) else _text(item) if isinstance(item, str) else None
        if name and "://" not in name and name not in names:
            names.append(name)
    return ", ".join(names) if names else None


def _image(value: object) -> str | None:
    """The first image address: a string, an ``ImageObject``'s ``url`` / ``contentUrl``, or a list's first."""
    for item in (value if isinstance(value, list) else [value])[:10]:
        if isinstance(item, dict):
            item = item.get("url") or item.get("contentUrl")
        if isinstance(item, str) and (text := _text(item)) and " " not in text:
            return text
    return None


def _number(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return f"{value:g}"
    text = _text(value)
    return text.replace(",", ".") if text else None


def _rating(value: object) -> str | None:
    """A ``Rating`` object as rating text: ``ratingValue/bestRating`` (best 5 when unstated, as schema.org has it)."""
    if not isinstance(value, dict):
        return None
    score = _number(value.get("ratingValue"))
    if score is None:
        return None
    if not score.replace(".", "", 1).isdigit():
        return score  # written, e.g. "B+" or "★★★★☆": the rating parser decides
    best = _number(value.get("bestRating")) or "5"
    return f"{score}/{best}"
