"""The article header that trafilatura deliberately leaves out, read from the page itself.

trafilatura drops the standfirst, the image credit and sometimes the ``Dir:`` line because they sit
in the article *header*; the parser needs them (the title above the ``Dir:`` line, the credit as
``Source:``), so they are found here on the page before extraction.
"""

from __future__ import annotations

import re

from bot.domain.text import fold
from bot.sources.article.metadata import article_root, meta_content
from bot.sources.article.tree import HtmlElement, clean

# Only a cheap filter: which block is the ``Dir: Name. Country. 2024. 98 mins`` line. The parser decides for real.
_HEADER_LINE = re.compile(r"^(?:dirs?|directors?|directed by)\.?(?:\s*/\s*[A-Za-z]{2,14}\.?)*\s*:", re.IGNORECASE)
_HEADER_FACT = re.compile(r"(?<!\d)(?:18[89]\d|19\d\d|20\d\d)(?!\d)|\d\s*(?:mins?|minutes)\b", re.IGNORECASE)
CREDIT_PREFIX = re.compile(r"^(?:source|image|photo|picture|credit|image credit|photo credit)\s*:\s*", re.IGNORECASE)
_STANDFIRST_CLASS = re.compile(r"standfirst|\bdek\b|strap|subhead|sub-?title|summary|intro|lede", re.IGNORECASE)
_CAPTION_SEPARATOR = re.compile(r"\s+[·|•]\s+")
_BYLINE_CLASS = re.compile(r"byline|\bauthor", re.IGNORECASE)
_BYLINE_TEXT = re.compile(r"^by\s+\S", re.IGNORECASE)


def is_header(line: str) -> bool:
    """Whether ``line`` looks like the ``Dir:`` line (a director label and a year or a running time)."""
    return bool(_HEADER_LINE.match(line) and _HEADER_FACT.search(line))


def standfirst(root: HtmlElement, title: str | None) -> str | None:
    """The standfirst (a classed paragraph, else the page description), unless it only repeats the title."""
    article = article_root(root)
    candidates = [
        clean(element.text_content())
        for element in article.xpath(".//*[@class]")
        if element.tag in ("p", "div", "h2", "span") and _STANDFIRST_CLASS.search(element.get("class") or "")
    ]
    candidates.append(meta_content(root, "description", "og:description") or "")
    for text in candidates:
        if text and (title is None or fold(text) != fold(title)) and len(text) <= 400:
            return text
    return None


def image_credit(root: HtmlElement) -> str | None:
    """The credit of the article's lead image, from a ``credit`` element or a ``Source: ...`` caption."""
    for figure in article_root(root).xpath(".//figure")[:1]:
        for credit in figure.xpath(".//*[contains(concat(' ', normalize-space(@class), ' '), ' credit ')]"):
            text = CREDIT_PREFIX.sub("", clean(credit.text_content()))
            if text:
                return text
        for caption in figure.xpath(".//figcaption"):
            text = clean(caption.text_content())
            if CREDIT_PREFIX.match(text):
                # "Source: Studio · 'Caption'": the credit is the part before the caption separator.
                return _CAPTION_SEPARATOR.split(CREDIT_PREFIX.sub("", text))[0].strip() or None
    return None


def header_in_page(root: HtmlElement) -> str | None:
    """The ``Dir:`` line when a site prints it outside the article body, where trafilatura does not look."""
    for element in article_root(root).xpath(".//p | .//div | .//li | .//span | .//h2 | .//h3 | .//dd"):
        text = clean(element.text_content())
        if len(text) <= 300 and is_header(text):
            return text
    return None


def header_lines(root: HtmlElement) -> list[str]:
    """The article header as the page orders it: headline, dek, byline, the lead image's caption.

    The layouts other than Screen's start the way their pages do (IndieWire's headline, dek and
    ``by`` line; a newspaper's headline, standfirst and photo caption), so without a ``Dir:`` line
    the header is kept in page order rather than rebuilt in Screen's.
    """
    lines: list[str] = []
    for element in article_root(root).xpath(".//h1 | .//p | .//div | .//span | .//h2 | .//figcaption"):
        text = clean(element.text_content())
        if not text or len(text) > 400 or text in lines:
            continue
        kind = element.get("class") or ""
        if element.tag == "figcaption":
            if lines and not CREDIT_PREFIX.match(text):
                lines.append(text)
            break  # the lead image closes the header
        if element.tag == "h1" or _STANDFIRST_CLASS.search(kind):
            lines.append(text)
        elif _BYLINE_CLASS.search(kind) and _BYLINE_TEXT.match(text):
            lines.append(_byline_name(element, text))
        elif element.tag == "p" and lines:
            break  # the body's first paragraph
    return lines


def _byline_name(element: HtmlElement, text: str) -> str:
    times = element.xpath(".//time")
    if times:
        stamp = clean(times[0].text_content())
        if stamp and text.endswith(stamp):
            return text[: -len(stamp)].rstrip(" ,·|")
    return text
