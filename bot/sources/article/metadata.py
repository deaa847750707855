"""What an article page says about itself: canonical URL, title, author and publication time.

The canonical URL is what dedupes one review reached by several links (tracking parameters, a second
feed); the author and date fill the review's front matter when no feed entry supplies them.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import dataclass

from bot.sources.article.tree import HtmlElement, clean, parse_html


@dataclass(frozen=True)
class PageMeta:
    """What the page says about itself: the canonical URL, title, author and publication time."""

    canonical_url: str | None = None
    title: str | None = None
    author: str | None = None
    published_at: dt.datetime | None = None


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


def _parse_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


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
    # The first <time datetime>, when no <meta> names the publication time.
    times = root.xpath("//time[@datetime]")
    return PageMeta(
        canonical_url=canonical,
        title=article_title(root) or meta_content(root, "og:title", "twitter:title"),
        author=meta_content(root, "author", "article:author", "parsely-author"),
        published_at=_parse_date(
            meta_content(root, "article:published_time", "datePublished", "pubdate")
            or (times[0].get("datetime") if times else None)
        ),
    )
