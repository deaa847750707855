"""Article HTML -> review text in the trade layout that :func:`bot.parser.parse_review_text` reads.

Pure functions, no network: the feed poller fetches the page and hands the HTML in, so extraction is
testable on fixture pages. The main text comes from trafilatura (a maintained boilerplate remover);
what trafilatura deliberately drops because it sits in the article *header* -- the standfirst, the
title and the image credit -- is read from the page here, because the parser needs the title above
the ``Dir:`` line. Cloudflare's e-mail obfuscation is undone *before* extraction, so the sales
contact in the credits keeps its address instead of ``[email protected]``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

import lxml.etree
import lxml.html
import trafilatura

from bot.domain.text import fold
from bot.parsing.fields import parse_festival_option

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
# Only a cheap filter: which block is the ``Dir: Name. Country. 2024. 98 mins`` line. The parser decides for real.
_HEADER_LINE = re.compile(r"^(?:dirs?|directors?|directed by)\.?(?:\s*/\s*[A-Za-z]{2,14}\.?)*\s*:", re.IGNORECASE)
_HEADER_FACT = re.compile(r"(?<!\d)(?:18[89]\d|19\d\d|20\d\d)(?!\d)|\d\s*(?:mins?|minutes)\b", re.IGNORECASE)
_CREDIT_PREFIX = re.compile(r"^(?:source|image|photo|picture|credit|image credit|photo credit)\s*:\s*", re.IGNORECASE)
_STANDFIRST_CLASS = re.compile(r"standfirst|\bdek\b|strap|subhead|sub-?title|summary|intro|lede", re.IGNORECASE)
_CAPTION_SEPARATOR = re.compile(r"\s+[·|•]\s+")
_BYLINE = re.compile(r"^by\s+\S", re.IGNORECASE)
_CF_HREF = "/cdn-cgi/l/email-protection"


class ExtractError(ValueError):
    """A page with no article text to extract (empty, not HTML, or all boilerplate)."""


@dataclass(frozen=True)
class PageMeta:
    """What the page says about itself: the canonical URL, title, author and publication time."""

    canonical_url: str | None = None
    title: str | None = None
    author: str | None = None
    published_at: dt.datetime | None = None


# --- Cloudflare e-mail obfuscation ---------------------------------------------------------------


def decode_cfemail(encoded: str) -> str:
    """Decode Cloudflare's ``data-cfemail`` hex: the first byte is the XOR key for the bytes that follow."""
    try:
        data = bytes.fromhex(encoded.strip())
    except ValueError as exc:
        raise ValueError(f"not a Cloudflare e-mail code: {encoded[:40]!r}") from exc
    if len(data) < 2:
        raise ValueError(f"not a Cloudflare e-mail code: {encoded[:40]!r}")
    key = data[0]
    try:
        return bytes(byte ^ key for byte in data[1:]).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not a Cloudflare e-mail code: {encoded[:40]!r}") from exc


def _replace_with_text(element: lxml.html.HtmlElement, text: str) -> None:
    """Put ``text`` (and the element's tail) where ``element`` was, keeping the surrounding text intact."""
    parent = element.getparent()
    if parent is None:
        return
    joined = text + (element.tail or "")
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + joined
    else:
        parent.text = (parent.text or "") + joined
    parent.remove(element)


def _deobfuscate_tree(root: lxml.html.HtmlElement) -> int:
    """Replace every obfuscated address in ``root`` by the plain address; returns how many were decoded."""
    decoded = 0
    # Links of the form /cdn-cgi/l/email-protection#HEX (the text may be anything, or a __cf_email__ span).
    for link in root.xpath(f"//a[contains(@href, '{_CF_HREF}#')]"):
        try:
            address = decode_cfemail(link.get("href", "").rpartition("#")[2])
        except ValueError:
            continue
        for inner in link.xpath(".//*[@data-cfemail]"):
            _replace_with_text(inner, address)
        label = _SPACES.sub(" ", link.text_content()).strip()
        if not label or "protected" in label or address in label:
            _replace_with_text(link, address)
        else:
            _replace_with_text(link, f"{label} ({address})")
        decoded += 1
    for element in root.xpath("//*[@data-cfemail]"):
        try:
            address = decode_cfemail(element.get("data-cfemail", ""))
        except ValueError:
            continue
        _replace_with_text(element, address)
        decoded += 1
    return decoded


def _parse_html(html: str) -> lxml.html.HtmlElement:
    # lxml refuses str input that carries an XML encoding declaration (XHTML pages); the text is decoded already.
    html = _XML_DECLARATION.sub("", html, count=1)
    if not html.strip():
        raise ExtractError("the page is empty")
    try:
        return lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractError(f"the page is not HTML ({exc})") from exc


def deobfuscate_emails(html: str) -> str:
    """The page with each Cloudflare-obfuscated address (``data-cfemail``, ``email-protection#``) in plain text."""
    root = _parse_html(html)
    if not _deobfuscate_tree(root):
        return html
    return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


# --- page metadata ---------------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    return _SPACES.sub(" ", text or "").strip()


def _http_url(value: str | None, base: str) -> str | None:
    if not value or not value.strip():
        return None
    absolute = urllib.parse.urljoin(base, value.strip())
    parts = urllib.parse.urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urllib.parse.urlunsplit(parts._replace(fragment=""))


def _meta(root: lxml.html.HtmlElement, *names: str) -> str | None:
    for name in names:
        for element in root.xpath("//meta[@name=$n or @property=$n or @itemprop=$n]", n=name):
            content = _clean(element.get("content"))
            if content:
                return content
    return None


def _parse_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _metadata(root: lxml.html.HtmlElement, url: str) -> PageMeta:
    canonical = next(
        (
            found
            for link in root.xpath("//link[@href]")
            if "canonical" in (link.get("rel") or "").lower().split()
            and (found := _http_url(link.get("href"), url)) is not None
        ),
        None,
    )
    times = root.xpath("//time/@datetime")
    return PageMeta(
        canonical_url=canonical,
        title=_article_title(root) or _meta(root, "og:title", "twitter:title"),
        author=_meta(root, "author", "article:author", "parsely-author"),
        published_at=_parse_date(
            _meta(root, "article:published_time", "datePublished", "pubdate") or (str(times[0]) if times else None)
        ),
    )


def page_metadata(html: str, *, url: str) -> PageMeta:
    """Canonical URL (``<link rel="canonical">``, resolved against ``url``), title, author and date of a page."""
    return _metadata(_parse_html(html), url)


# --- the article header that trafilatura leaves out -----------------------------------------------


def _article_root(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    for xpath in ("//article", "//main", "//*[@role='main']", "//body"):
        found = root.xpath(xpath)
        if found:
            return found[0]
    return root


def _article_title(root: lxml.html.HtmlElement) -> str | None:
    for scope in (_article_root(root), root):
        for heading in scope.xpath(".//h1"):
            text = _clean(heading.text_content())
            if text:
                return text
    return None


def _standfirst(root: lxml.html.HtmlElement, title: str | None) -> str | None:
    article = _article_root(root)
    candidates = [
        _clean(element.text_content())
        for element in article.xpath(".//*[@class]")
        if element.tag in ("p", "div", "h2", "span") and _STANDFIRST_CLASS.search(element.get("class", ""))
    ]
    candidates.append(_meta(root, "description", "og:description") or "")
    for text in candidates:
        if text and (title is None or fold(text) != fold(title)) and len(text) <= 400:
            return text
    return None


def _image_credit(root: lxml.html.HtmlElement) -> str | None:
    for figure in _article_root(root).xpath(".//figure")[:1]:
        for credit in figure.xpath(".//*[contains(concat(' ', normalize-space(@class), ' '), ' credit ')]"):
            text = _CREDIT_PREFIX.sub("", _clean(credit.text_content()))
            if text:
                return text
        for caption in figure.xpath(".//figcaption"):
            text = _clean(caption.text_content())
            if _CREDIT_PREFIX.match(text):
                # "Source: Studio · 'Caption'": the credit is the part before the caption separator.
                return _CAPTION_SEPARATOR.split(_CREDIT_PREFIX.sub("", text))[0].strip() or None
    return None


def _header_in_page(root: lxml.html.HtmlElement) -> str | None:
    """The ``Dir:`` line when a site prints it outside the article body, where trafilatura does not look."""
    for element in _article_root(root).xpath(".//p | .//div | .//li | .//span | .//h2 | .//h3 | .//dd"):
        text = _clean(element.text_content())
        if len(text) <= 300 and _is_header(text):
            return text
    return None


# --- trafilatura's XML -> blocks ----------------------------------------------------------------


def _is_header(line: str) -> bool:
    return bool(_HEADER_LINE.match(line) and _HEADER_FACT.search(line))


def _text_with_breaks(element: lxml.etree._Element) -> str:
    """Text of one block with ``<lb/>`` kept as line breaks (credits are often one ``<p>`` split by ``<br>``)."""
    parts: list[str] = [element.text or ""]
    for child in element:
        if child.tag == "lb":
            parts.append("\n")
        else:
            parts.append(_text_with_breaks(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _block_lines(text: str) -> str:
    lines = (_clean(line) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _blocks(element: lxml.etree._Element) -> Iterable[str]:
    """One string per paragraph-level block, in document order; a list or table row per line."""
    for child in element:
        tag = child.tag
        if tag in ("list",):
            items = [_block_lines(_text_with_breaks(item)) for item in child.iter("item")]
            text = "\n".join(item for item in items if item)
        elif tag == "table":
            rows = []
            for row in child.iter("row"):
                cells = [_clean(" ".join(cell.itertext())) for cell in row.iter("cell")]
                cells = [cell for cell in cells if cell]
                if len(cells) == 2 and not cells[0].endswith(":"):
                    rows.append(f"{cells[0]}: {cells[1]}")
                elif cells:
                    rows.append(" ".join(cells))
            text = "\n".join(rows)
        elif tag in ("quote", "div") and len(child):
            yield from _blocks(child)
            continue
        else:
            text = _block_lines(_text_with_breaks(child))
        if text:
            yield text


def _main_blocks(root: lxml.html.HtmlElement, url: str) -> list[str]:
    extracted = trafilatura.extract(
        root,
        url=url,
        output_format="xml",
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        include_formatting=False,
        deduplicate=False,
    )
    if not extracted:
        return []
    try:
        document = lxml.etree.fromstring(extracted.encode("utf-8"))
    except lxml.etree.XMLSyntaxError as exc:
        raise ExtractError(f"the extractor returned unreadable output ({exc})") from exc
    main = document.find("main")
    return list(_blocks(main if main is not None else document))


# --- assembling the trade layout -----------------------------------------------------------------


def extract_review_text(html: str, *, url: str) -> str:
    """The article as review text: standfirst, title, ``Source:`` credit, ``Dir:`` line, body, credits.

    Paragraphs are separated by blank lines and each credit stays on its own ``Label: value`` line, as
    the parser expects. Raises :class:`ExtractError` when the page has no article text at all; whether
    the text is a review is the parser's decision.
    """
    root = _parse_html(html)
    _deobfuscate_tree(root)
    # Read the header parts first: trafilatura may prune the tree it is given.
    title = _article_title(root)
    standfirst = _standfirst(root, title)
    credit = _image_credit(root)
    page_header = _header_in_page(root)
    blocks = _main_blocks(root, url)
    if not blocks:
        raise ExtractError("no article text found on the page")

    header_at = next((i for i, block in enumerate(blocks) if _is_header(block.split("\n", 1)[0])), None)
    if header_at is not None:
        header = blocks.pop(header_at)
    elif page_header is not None:
        header = page_header
    else:
        header = None

    # Blocks trafilatura kept from the article header duplicate what is rebuilt below; drop them.
    known = {fold(text) for text in (title, standfirst, credit) if text}
    body = [
        block
        for block in blocks
        if fold(block) not in known
        and not (_BYLINE.match(block) and len(block) < 120)
        and not (credit and fold(_CREDIT_PREFIX.sub("", block)) == fold(credit))
    ]
    if title is None and header is not None and header_at:
        # No <h1>: the block right above the header line is the best guess for the title.
        title = blocks[header_at - 1] if blocks[header_at - 1] in body else None
        if title:
            body.remove(title)

    top = [text for text in (standfirst, title) if text]
    if credit:
        top.append(f"Source: {credit}")
    parts = [*top, *([header] if header else []), *body]
    return "\n\n".join(parts) + "\n"


def text_digest(text: str) -> str:
    """Hash of extracted text with whitespace and case folded, so a re-served page hashes the same."""
    return hashlib.sha256(" ".join(fold(text).split()).encode("utf-8")).hexdigest()


def _front_value(value: str) -> str:
    # Front matter is one line per key; the parser strips surrounding quotes, so keep them out as well.
    return _clean(value.replace("\n", " ")).strip("\"'")


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
