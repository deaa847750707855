"""What an article page says about itself: canonical URL, title, author, date, rating, outlet and image.

The canonical URL is what dedupes one review reached by several links (tracking parameters, a second
feed). The rest fills the review's fields the text itself leaves empty (see
:func:`bot.sources.article.front_matter.review_document`), and the lead image is shown with the
review. trafilatura's metadata extraction reads the ``<meta>`` tags, Open Graph and an article's
JSON-LD; a review's own ``reviewRating`` and the ``Review`` of a ``Movie`` come from
:mod:`.jsonld`, which trafilatura does not read.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import dataclass

import trafilatura

from bot.parsing.rating import parse_rating
from bot.sources.article.dates import page_date
from bot.sources.article.jsonld import MAX_BLOCK_CHARS, linked_data, script_blocks
from bot.sources.article.tree import HtmlElement, clean, parse_html

#: Longer than any image address a page means; Discord refuses embeds with longer ones too.
_MAX_IMAGE_URL = 2_000
#: A name longer than this is not an author's or an outlet's.
_MAX_NAME = 200


@dataclass(frozen=True)
class PageMeta:
    """What the page says about itself: the canonical URL, title, author and publication time."""

    canonical_url: str | None = None
    title: str | None = None
    author: str | None = None
    published_at: dt.datetime | None = None
    #: The outlet's name (``publisher.name``, ``og:site_name``).
    publication: str | None = None
    #: The review's own rating as a rating text the parser reads (``4/5``, ``B+``); checked by it already.
    rating: str | None = None
    #: The lead image (JSON-LD ``image``, ``og:image``): an absolute http(s) address.
    image_url: str | None = None


def page_metadata(html: str, *, url: str) -> PageMeta:
    """Canonical URL (``<link rel="canonical">``, resolved against ``url``), title, author and date of a page."""
    return _metadata(parse_html(html), url)


def article_root(root: HtmlElement) -> HtmlElement:
    """The element holding the article: ``<article>``, else ``<main>``, else the body."""
    for xpath in ("//article", "//main", "//*[@role='main']", "//body"):
        found = root.xpath(xpath)
        if found:
            return found[0]
    return root


def article_title(root: HtmlElement) -> str | None:
    """The first non-empty ``<h1>``, inside the article if it has one."""
    for scope in (article_root(root), root):
        for heading in scope.xpath(".//h1"):
            text = clean(heading.text_content())
            if text:
                return text
    return None


def meta_content(root: HtmlElement, *names: str) -> str | None:
    """The first non-empty ``<meta content>`` named (``name``, ``property`` or ``itemprop``) by one of ``names``."""
    for name in names:
        for element in root.xpath("//meta[@name=$n or @property=$n or @itemprop=$n]", n=name):
            content = clean(element.get("content"))
            if content:
                return content
    return None


def _absolute_http_url(value: str | None, base: str) -> str | None:
    if not value or not value.strip():
        return None
    absolute = urllib.parse.urljoin(base, value.strip())
    parts = urllib.parse.urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urllib.parse.urlunsplit(parts._replace(fragment=""))


def _name(value: str | None) -> str | None:
    """A person's or outlet's name as metadata gives it; a profile link or an overlong string is not one."""
    text = clean("".join(char if char.isprintable() else " " for char in value or ""))
    if not text or len(text) > _MAX_NAME or "://" in text or text.startswith(("www.", "@")):
        return None
    return text


def _image_url(value: str | None, base: str) -> str | None:
    if not value or len(value) > _MAX_IMAGE_URL or any(char.isspace() for char in value.strip()):
        return None
    return _absolute_http_url(value, base)


def _rating_text(value: str | None) -> str | None:
    """The rating as its text, when the rating parser reads it (so front matter never refuses it)."""
    rating = parse_rating(value) if value else None
    return rating.text if rating is not None else None


def _drop_oversized_scripts(root: HtmlElement) -> None:
    """Remove JSON-LD blocks too large to be metadata, so trafilatura does not read them either."""
    for script in list(script_blocks(root)):
        parent = script.getparent()
        if parent is not None and len(script.text or "") > MAX_BLOCK_CHARS:
            parent.remove(script)


def _metadata(root: HtmlElement, url: str) -> PageMeta:
    canonical = next(
        (
            found
            for link in root.xpath("//link[@href]")
            if "canonical" in (link.get("rel") or "").lower().split()
            and (found := _absolute_http_url(link.get("href"), url)) is not None
        ),
        None,
    )
    _drop_oversized_scripts(root)
    linked = linked_data(root)
    # trafilatura's reading of <meta>, Open Graph and an article's JSON-LD; extensive=False keeps its date
    # search to the markup (a date in the text is not the publication date). It only reads the tree.
    doc = trafilatura.extract_metadata(root, default_url=url, extensive=False)
    times = root.xpath("//time[@datetime]")
    dates = (
        linked.published,
        meta_content(root, "article:published_time", "datePublished", "pubdate", "date", "dc.date", "DC.date"),
        times[0].get("datetime") if times else None,
        doc.date,
    )
    site = doc.sitename if doc.sitename and doc.sitename != doc.hostname else None
    return PageMeta(
        canonical_url=canonical,
        title=article_title(root) or meta_content(root, "og:title", "twitter:title"),
        author=_name(linked.author)
        or _name(doc.author)
        or _name(meta_content(root, "author", "article:author", "parsely-author")),
        published_at=next((parsed for value in dates if (parsed := page_date(value)) is not None), None),
        publication=_name(linked.publisher) or _name(meta_content(root, "og:site_name")) or _name(site),
        rating=_rating_text(linked.rating),
        image_url=_image_url(linked.image, url)
        or _image_url(meta_content(root, "og:image:secure_url", "og:image", "twitter:image"), url)
        or _image_url(doc.image, url),
    )
