"""The article's main text via trafilatura, as paragraph-level blocks in document order.

trafilatura (a maintained boilerplate remover) drops navigation, related links, cookie banners and
the like. Its XML output keeps the structure the parser needs: ``<lb/>`` line breaks inside a block
(credits are often one ``<p>`` split by ``<br>``), lists and tables.
"""

from __future__ import annotations

from collections.abc import Iterable

import trafilatura

from bot.sources.article.tree import HtmlElement, XmlElement, clean, parse_xml


def main_blocks(root: HtmlElement, url: str) -> list[str]:
    """One string per block of the main text; empty when trafilatura finds none. It may prune ``root``."""
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
    document = parse_xml(extracted.encode("utf-8"))
    main = document.find("main")
    return list(_blocks(main if main is not None else document))


def _text_with_breaks(element: XmlElement) -> str:
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
    lines = (clean(line) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _table_lines(table: XmlElement) -> str:
    """A table row per line; a two-cell row as ``Label: value`` unless the label has its colon already."""
    rows = []
    for row in table.iter("row"):
        cells = [clean(" ".join(cell.itertext())) for cell in row.iter("cell")]
        cells = [cell for cell in cells if cell]
        if len(cells) == 2 and not cells[0].endswith(":"):
            rows.append(f"{cells[0]}: {cells[1]}")
        elif cells:
            rows.append(" ".join(cells))
    return "\n".join(rows)


def _blocks(element: XmlElement) -> Iterable[str]:
    """One string per paragraph-level block, in document order; a list or table row per line."""
    for child in element:
        tag = child.tag
        if tag in ("list",):
            items = [_block_lines(_text_with_breaks(item)) for item in child.iter("item")]
            text = "\n".join(item for item in items if item)
        elif tag == "table":
            text = _table_lines(child)
        elif tag in ("quote", "div") and len(child):
            yield from _blocks(child)
            continue
        else:
            text = _block_lines(_text_with_breaks(child))
        if text:
            yield text
