"""Text normalisation shared by the parser, the store's search index and search itself.

Folding must be identical on the indexing and the querying side, so it lives in one place.
"""

from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
# Letters that do not decompose under NFKD but that people type without their accent.
_EXTRA_FOLDS = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th"})


def clean_line(line: str) -> str:
    """NFC, non-breaking spaces as spaces, runs of spaces collapsed, ends trimmed."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", line)).strip()


def fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form: ``Amélie: Ça va!`` -> ``amelie ca va``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_EXTRA_FOLDS)
    return " ".join(_NON_WORD.sub(" ", stripped).replace("_", " ").split())


def tokens(text: str) -> list[str]:
    """Folded words of ``text``."""
    return fold(text).split()


def snake_case(label: str) -> str:
    """Credit label as a key: ``Production companies`` -> ``production_companies``."""
    return "_".join(fold(label).split())


def truncate(text: str, limit: int, ellipsis: str = "...") -> str:
    """Cut ``text`` to at most ``limit`` characters at a word boundary, marking the cut."""
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return text[:limit]
    cut = text[: limit - len(ellipsis) + 1]
    space = cut.rfind(" ")
    head = cut[:space] if space > limit // 2 else cut[: limit - len(ellipsis)]
    return head.rstrip(" ,;:-") + ellipsis
