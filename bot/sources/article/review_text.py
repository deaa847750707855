"""Article HTML -> review text in the trade layout that :func:`bot.parsing.parser.parse_review_text` reads.

Pure functions, no network: the feed poller fetches the page and hands the HTML in, so extraction is
testable on fixture pages. The body comes from trafilatura (:mod:`.main_text`); the header it leaves
out from the page (:mod:`.header`), because the parser needs the title above the ``Dir:`` line; and
obfuscated addresses are decoded first (:mod:`.emails`).
"""

from __future__ import annotations

import hashlib
import re

from bot.domain.text import fold
from bot.sources.article.emails import deobfuscate_tree
from bot.sources.article.header import (
    CREDIT_PREFIX,
    header_in_page,
    header_lines,
    image_credit,
    is_header,
    standfirst,
)
from bot.sources.article.main_text import main_blocks
from bot.sources.article.metadata import article_title
from bot.sources.article.tree import ExtractError, parse_html

_BYLINE = re.compile(r"^by\s+\S", re.IGNORECASE)


def extract_review_text(html: str, *, url: str) -> str:
    """The article as review text: standfirst, title, ``Source:`` credit, ``Dir:`` line, body, credits.

    Paragraphs are separated by blank lines and each credit stays on its own ``Label: value`` line, as
    the parser expects. Raises :class:`ExtractError` when the page has no article text at all; whether
    the text is a review is the parser's decision.
    """
    root = parse_html(html)
    deobfuscate_tree(root)
    # Read the header parts first: trafilatura may prune the tree it is given.
    title = article_title(root)
    lead = standfirst(root, title)
    credit = image_credit(root)
    page_header = header_in_page(root)
    in_page_order = header_lines(root)
    blocks = main_blocks(root, url)
    if not blocks:
        raise ExtractError("no article text found on the page")
    if page_header is None and not any(is_header(block.split("\n", 1)[0]) for block in blocks):
        return _page_order(in_page_order, blocks)

    header_at = next((i for i, block in enumerate(blocks) if is_header(block.split("\n", 1)[0])), None)
    if header_at is not None:
        header = blocks.pop(header_at)
    elif page_header is not None:
        header = page_header
    else:
        header = None

    # Blocks trafilatura kept from the article header duplicate what is rebuilt below; drop them.
    known = {fold(text) for text in (title, lead, credit) if text}
    body = [
        block
        for block in blocks
        if fold(block) not in known
        and not (_BYLINE.match(block) and len(block) < 120)
        and not (credit and fold(CREDIT_PREFIX.sub("", block)) == fold(credit))
    ]
    if title is None and header is not None and header_at:
        # No <h1>: the block right above the header line is the best guess for the title.
        title = blocks[header_at - 1] if blocks[header_at - 1] in body else None
        if title:
            body.remove(title)

    top = [text for text in (lead, title) if text]
    if credit:
        top.append(f"Source: {credit}")
    parts = [*top, *([header] if header else []), *body]
    return "\n\n".join(parts) + "\n"


def _page_order(header: list[str], blocks: list[str]) -> str:
    """A page without Screen's ``Dir:`` line, as the page orders it: its header lines, then the body.

    The other layouts (Variety, THR, IndieWire, Cineuropa, newspapers) are read in the order their
    pages print them, bylines included; whether the text is one of them is the parser's decision.
    """
    known = {fold(line) for line in header}
    body = [block for block in blocks if fold(block) not in known]
    return "\n\n".join([*header, *body]) + "\n"


def text_digest(text: str) -> str:
    """Hash of extracted text with whitespace and case folded, so a re-served page hashes the same."""
    return hashlib.sha256(" ".join(fold(text).split()).encode("utf-8")).hexdigest()
