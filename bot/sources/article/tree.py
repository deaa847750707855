"""Article HTML (and the extractor's XML) as element trees, behind a typed boundary.

lxml ships no type information, so this is the one module that imports it: the readers see the
element API through the two protocols below, which name exactly the calls they make. What lxml
returns is cast to them here and nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Protocol, Self, cast

import lxml.etree  # type: ignore[import-untyped]  # untyped: see the module docstring
import lxml.html  # type: ignore[import-untyped]

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


class ExtractError(ValueError):
    """A page with no article text to extract (empty, not HTML, or all boilerplate)."""


class XmlElement(Protocol):
    """The calls made on an element of the extractor's XML (``lxml.etree._Element``)."""

    text: str | None
    tail: str | None

    @property
    def tag(self) -> object:
        """A ``str`` for an element; lxml's ``Comment`` or ``ProcessingInstruction`` factory for those nodes."""
        ...

    def __iter__(self) -> Iterator[Self]: ...

    def __len__(self) -> int: ...

    def iter(self, tag: str) -> Iterator[Self]: ...

    def itertext(self) -> Iterator[str]: ...

    def find(self, path: str) -> Self | None: ...


class HtmlElement(XmlElement, Protocol):
    """The calls made on an element of a page (``lxml.html.HtmlElement``)."""

    def get(self, key: str) -> str | None: ...

    def getparent(self) -> Self | None: ...

    def getprevious(self) -> Self | None: ...

    def remove(self, element: Self) -> None: ...

    def text_content(self) -> str: ...

    def xpath(self, path: str, **variables: str) -> list[Self]:
        """Only paths that select elements are used (no ``@attr`` or ``text()`` steps)."""
        ...


def clean(text: str | None) -> str:
    """Text with every run of spaces (tabs, no-break and other wide spaces too) made one space, stripped."""
    return _SPACES.sub(" ", text or "").strip()


def parse_html(html: str) -> HtmlElement:
    """The page as a tree; raises :class:`ExtractError` when it is empty or not HTML."""
    # lxml refuses str input that carries an XML encoding declaration (XHTML pages); the text is decoded already.
    html = _XML_DECLARATION.sub("", html, count=1)
    if not html.strip():
        raise ExtractError("the page is empty")
    try:
        return cast(HtmlElement, lxml.html.document_fromstring(html))
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractError(f"the page is not HTML ({exc})") from exc


def to_html(root: HtmlElement) -> str:
    """A (changed) page tree serialised back to HTML with an HTML5 doctype."""
    return cast(str, lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>"))


def parse_xml(data: bytes) -> XmlElement:
    """The extractor's XML output as a tree; raises :class:`ExtractError` when it is not well-formed."""
    try:
        return cast(XmlElement, lxml.etree.fromstring(data))
    except lxml.etree.XMLSyntaxError as exc:
        raise ExtractError(f"the extractor returned unreadable output ({exc})") from exc
