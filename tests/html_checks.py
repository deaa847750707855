"""What every page must be: valid HTML5 (a strict parser finds no error), accessible tables, nothing active but ours.

Checked offline: html5lib's strict mode raises on any parse error the HTML standard defines, and the
rest are W3C rules a tree can show (a language, a title, unique ids, scoped table headers, labels).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import html5lib

#: The one script a page may load: the grid's, from our own static files.
OUR_SCRIPTS = "/static/"


def parse_strict(text: str) -> ET.Element:
    """The page's tree; any HTML5 parse error (a stray tag, a bad attribute, a control character) raises."""
    assert text.startswith("<!DOCTYPE html>"), "the page must start with the HTML5 doctype"
    tree: ET.Element = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)
    return tree


def text_of(element: ET.Element) -> str:
    return "".join(element.itertext())


def check_page(text: str) -> ET.Element:
    """Parse ``text`` strictly and check the document-level rules; returns the tree."""
    tree = parse_strict(text)
    assert tree.get("lang") == "en"
    title = tree.find("head/title")
    assert title is not None and text_of(title).strip(), "every page has a title"
    ids = [str(element.get("id")) for element in tree.iter() if element.get("id")]
    assert len(ids) == len(set(ids)), f"duplicate ids: {sorted(i for i in ids if ids.count(i) > 1)}"
    assert len(tree.findall(".//main")) == 1 and len(tree.findall(".//h1")) == 1
    for table in tree.iter("table"):
        assert table.find("caption") is not None, "a data table has a caption"
        for th in table.iter("th"):
            assert th.get("scope") in ("col", "row"), "every table header says what it heads"
    labelled = {label.get("for") for label in tree.iter("label")}
    for field in [*tree.iter("input"), *tree.iter("select")]:
        if field.get("type") != "hidden":
            assert field.get("id") in labelled, f"the field {field.get('name')} has a label"
    check_inert(tree)
    return tree


def check_inert(tree: ET.Element) -> None:
    """Nothing in the page can run, load or restyle but our own files: no inline script, handler or style."""
    for element in tree.iter():
        tag = str(element.tag)
        assert tag not in ("iframe", "object", "embed", "img", "svg", "style", "base", "form") or (
            tag == "form" and element.get("action", "").startswith("/")
        ), f"unexpected <{tag}>"
        if tag == "script":
            assert (element.get("src") or "").startswith(OUR_SCRIPTS) and not text_of(element).strip()
        assert not [name for name in element.attrib if name.lower().startswith("on")], f"<{tag}> has a handler"
        assert "style" not in element.attrib
        if tag == "a":
            href = element.get("href") or ""
            scheme = urlsplit(href).scheme
            assert href.startswith(("/", "?", "#")) or scheme in ("http", "https"), f"a link to {href!r}"
        if tag == "link":
            assert (element.get("href") or "").startswith(OUR_SCRIPTS)
