"""Text normalisation shared by the parser, the store's search index and search itself.

Folding must be identical on the indexing and the querying side, so it lives in one place.
"""

from __future__ import annotations

import re
import unicodedata

_OTHER_SPACES = "\t\u00a0\u2000-\u200b\u202f\u205f\u3000"
#: A run of spaces that is not one plain space already: two or more, or one that starts with another kind.
#: (Matching single plain spaces too would give the same text, with a match and a copy at every word.)
_WHITESPACE = re.compile(rf" [ {_OTHER_SPACES}]+|[{_OTHER_SPACES}][ {_OTHER_SPACES}]*")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
#: A folded word: a run of letters and digits (``\w`` without the underscore).
_WORD = re.compile(r"[^\W_]+")
# Letters that do not decompose under NFKD but that people type without their accent.
_EXTRA_FOLDS = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th"})


def clean_line(line: str) -> str:
    """NFC, non-breaking spaces as spaces, runs of spaces collapsed, ends trimmed."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", line)).strip()


class _FoldChars(dict[int, int | str | None]):
    """``str.translate`` table doing all of :func:`fold`'s per-character work in one pass.

    Combining marks are dropped, the letters of ``_EXTRA_FOLDS`` folded, letters and digits kept,
    and everything else (punctuation, spaces, the underscore) becomes a space, so that splitting
    the result gives the words (runs of letters and digits) a regex scan found, in a third of the
    time. Filled lazily, one entry per distinct character ever folded, so the per-character work
    runs in C (a dictionary lookup) instead of a Python-level call per character.
    """

    def __missing__(self, key: int) -> int | str | None:
        char = chr(key)
        value: int | str | None
        if unicodedata.combining(char):
            value = None
        elif key in _EXTRA_FOLDS:
            value = _EXTRA_FOLDS[key]
        else:
            value = key if _WORD.match(char) else " "
        if len(self) < 20_000:  # bounded: text full of rare characters cannot grow it without limit
            self[key] = value
        return value


_FOLD_CHARS = _FoldChars()


def fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form: ``Amélie: Ça va!`` -> ``amelie ca va``."""
    # casefold, NFKD and the extra folds leave ASCII as lower() does
    stripped = text.lower() if text.isascii() else unicodedata.normalize("NFKD", text.casefold())
    return " ".join(stripped.translate(_FOLD_CHARS).split())


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
