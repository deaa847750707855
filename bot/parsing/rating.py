"""A review's own rating, kept as written and scored out of 100 (see :class:`~bot.domain.models.Rating`).

Stars (``★★★☆☆``), fractions (``3/5``, ``3.5/5``, ``7/10``, ``83/100``) and letter grades (``B+``)
all land on one scale so ratings from different outlets compare: stars and fractions in proportion,
letters as the review aggregators convert them.
"""

from __future__ import annotations

from bot.domain.models import Rating

FILLED_STAR = "★"
EMPTY_STAR = "☆"
#: Letter grade -> score, the aggregators' conversion (``A`` 100, ``A-`` 91, ``B+`` 83 ...).
LETTER_SCORES = {
    "A+": 100.0,
    "A": 100.0,
    "A-": 91.0,
    "B+": 83.0,
    "B": 75.0,
    "B-": 67.0,
    "C+": 58.0,
    "C": 50.0,
    "C-": 42.0,
    "D+": 33.0,
    "D": 25.0,
    "D-": 16.0,
    "F": 0.0,
}
_DASHES = str.maketrans({"−": "-", "–": "-", "‐": "-", "‑": "-"})


def parse_rating(text: str) -> Rating | None:
    """The rating ``text`` states, or None when it is not one of the known forms."""
    written = text.strip()
    if not written or len(written) > 20:
        return None
    score = _stars(written)
    if score is None:
        score = LETTER_SCORES.get(written.translate(_DASHES).upper().replace(" ", ""))
    if score is None:
        score = _fraction(written)
    return Rating(text=written, score=score) if score is not None else None


def trailing_stars(line: str) -> tuple[str, Rating] | None:
    """A headline ending in stars (``... ★★★☆☆``): the headline's text before them and the rating."""
    stripped = line.rstrip()
    start = len(stripped)
    while start > 0 and stripped[start - 1] in (FILLED_STAR, EMPTY_STAR):
        start -= 1
    rating = parse_rating(stripped[start:]) if start < len(stripped) else None
    return (stripped[:start].rstrip(), rating) if rating is not None else None


def _stars(text: str) -> float | None:
    if not text or any(char not in (FILLED_STAR, EMPTY_STAR) for char in text):
        return None
    filled = text.count(FILLED_STAR)
    # A run of filled stars alone (``★★★``) is out of five, as critics' stars are.
    out_of = len(text) if EMPTY_STAR in text else max(5, filled)
    return round(100 * filled / out_of, 1)


def _fraction(text: str) -> float | None:
    value, slash, scale = text.replace(" ", "").partition("/")
    if not slash or not _is_number(value) or not scale.isascii() or not scale.isdigit():
        return None
    top, bottom = float(value), int(scale)
    if bottom not in (4, 5, 10, 100) or not 0 <= top <= bottom:
        return None
    return round(100 * top / bottom, 1)


def _is_number(text: str) -> bool:
    whole, _, fraction = text.partition(".")
    return text.isascii() and whole.isdigit() and (fraction == "" or fraction.isdigit()) and len(text) <= 6
