"""Credit lines: ``Label: value`` splitting, the snake_case key of a label, and a review's trailing credit block.

Keys are the label as written (spec §3.12): lower-cased, spaces and hyphens as ``_``, a bracketed
note dropped, no synonym mapping, so ``Cinematographer`` stays ``cinematographer`` and ``Main cast``
``main_cast``. Values are split on commas only. String scanning and two single-class patterns: no
line, however hostile, makes them backtrack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.parsing.names import split_people

#: A label is short: a role, a few words at most.
MAX_LABEL_CHARS = 50
MAX_LABEL_WORDS = 6
# A letter, then letters and the punctuation of role names; possessive, so it never backtracks.
_LABEL = re.compile(r"[^\W\d_](?:[^\W\d_]|[ ’'&/.()-])*+")
# Runs of anything but letters and digits: one character class, so a run is matched once.
_NOT_WORD = re.compile(r"[\W_]+")


def split_label(line: str) -> tuple[str, str] | None:
    """``Main cast: A, B`` -> (``Main cast``, ``A, B``); None when the line is not a label and a value."""
    colon = line.find(":", 0, MAX_LABEL_CHARS + 1)
    if colon <= 0:
        return None
    label, value = line[:colon].strip(), line[colon + 1 :].strip()
    if not value or value.startswith("//") or not is_label(label):
        return None
    return label, value


def is_label(label: str) -> bool:
    """A role label: starts with a letter, no digits, a few words (``Camera (b&w, 35mm)`` and its note too)."""
    bare = drop_note(label)
    return bool(_LABEL.fullmatch(bare)) and len(bare.split()) <= MAX_LABEL_WORDS


def drop_note(label: str) -> str:
    """``Camera (color, widescreen)`` -> ``Camera``: a bracketed note is not part of the role."""
    if label.endswith(")") and (opening := label.find("(")) > 0:
        return label[:opening].strip()
    return label.strip()


def credit_key(label: str) -> str:
    """The credits key of a label, as written: ``Director of photography`` -> ``director_of_photography``."""
    return "_".join(_NOT_WORD.sub(" ", drop_note(label).lower()).split())


def is_prose(value: str) -> bool:
    """A ``Label: value`` whose value is a sentence belongs to the body, not the credits.

    Credit values are names: they start with a capital (or a digit). A value that starts in lower case
    and ends a sentence (``The verdict: a small triumph.``) is prose, as is a long one with no comma.
    """
    value = value.rstrip()
    ends_sentence = value.endswith((".", "!", "?", ".”", '."', "!”", "?”"))
    return ends_sentence and (value[:1].islower() or (len(value.split()) > 12 and "," not in value))


@dataclass
class CreditBlock:
    """A run of credit lines: the roles in order, and the index of its first line in the lines read."""

    start: int
    lines: list[tuple[str, str]] = field(default_factory=list)


def trailing_block(lines: list[str]) -> CreditBlock:
    """The credit lines at the end of ``lines`` (blank lines allowed between them), scanning up from the
    bottom to the first line that is not a credit."""
    block = CreditBlock(start=len(lines))
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        if not line:
            continue
        pair = split_label(line)
        if pair is None or is_prose(pair[1]):
            break
        block.lines.append(pair)
        block.start = i
    block.lines.reverse()
    return block


#: Credit keys whose names are the film's directors, and its screenwriters (a writer-director is both).
DIRECTOR_KEYS = frozenset(
    {
        "director",
        "directors",
        "directed_by",
        "director_screenwriter",
        "director_screenwriters",
        "writer_director",
        "writer_directors",
        "director_writer",
        "director_writers",
    }
)
WRITER_KEYS = frozenset(
    {
        "screenplay",
        "screenwriter",
        "screenwriters",
        "writer",
        "writers",
        "written_by",
        "director_screenwriter",
        "director_screenwriters",
        "writer_director",
        "writer_directors",
        "director_writer",
        "director_writers",
    }
)


def note_makers(key: str, value: str, directors: dict[str, None], writers: dict[str, None]) -> None:
    """Add a credit line's people to the film's directors and screenwriters (ordered sets), as its key says."""
    if key in DIRECTOR_KEYS:
        directors.update(dict.fromkeys(split_people(value)))
    if key in WRITER_KEYS:
        writers.update(dict.fromkeys(split_people(value)))


def add_credit(credits: dict[str, list[str]], label: str, names: list[str]) -> None:
    """Append ``names`` under the label's key, keeping the order written."""
    if names:
        credits.setdefault(credit_key(label), []).extend(names)


# Words whose full stop is their own, not the one that ends a run-on item: ``Co.``, ``Ltd.``, ``Jr.``.
_ABBREVIATIONS = frozenset({"co", "cos", "ltd", "inc", "corp", "jr", "sr", "bros", "cie", "ltda", "lda", "esq", "st"})


#: Labelled items in one run-on paragraph: a full crew list has a few dozen.
MAX_RUN_ON_ITEMS = 200


class TooManyItems(ValueError):
    """A run-on paragraph with more labels than any credits paragraph has."""


def run_on_items(paragraph: str) -> list[tuple[str, str]]:
    """The ``Label: names.`` items of a run-on paragraph (Variety's ``Crew:`` and ``Production:``).

    An item ends at the full stop (or closing bracket) before the next label, so initials inside names
    (``Mathieu K. Desrosiers``) and bracketed notes (``Camera (color, 16mm):``) stay where they belong.
    Raises :class:`TooManyItems` beyond :data:`MAX_RUN_ON_ITEMS` colons, before reading any.
    """
    if paragraph.count(":") > MAX_RUN_ON_ITEMS:
        raise TooManyItems(f"more than {MAX_RUN_ON_ITEMS} labels in one credits paragraph")
    starts: list[tuple[int, int]] = []  # (label start, colon)
    colon = paragraph.find(":")
    while colon > 0:
        start = _label_start(paragraph, colon)
        if start is not None:
            starts.append((start, colon))
        colon = paragraph.find(":", colon + 1)
    items = []
    for n, (start, colon) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(paragraph)
        value = paragraph[colon + 1 : end].strip().removesuffix("(").strip()
        items.append((paragraph[start:colon].strip(), end_of_item(value)))
    return items


def _label_start(text: str, colon: int) -> int | None:
    """Where the label before ``colon`` starts: after ``. ``, ``) ``, a group's ``: ``, ``(``, or at the start.

    A few ``rfind`` calls over at most :data:`MAX_LABEL_CHARS` characters: a paragraph of thousands of
    colons costs thousands of short scans, never a walk back over the whole paragraph.
    """
    lo = max(0, colon - MAX_LABEL_CHARS)
    end = colon
    if text[colon - 1] == ")":  # a bracketed note belongs to the label: ``Camera (color, 16mm):``
        end = text.rfind("(", lo, colon)
        if end <= lo:
            return None
    cut = max(text.rfind(". ", lo, end), text.rfind(") ", lo, end), text.rfind(": ", lo, end))
    bracket = text.rfind("(", lo, end)
    if bracket > cut:
        start = bracket + 1
    elif cut >= 0:
        start = cut + 2
    elif lo == 0:
        start = 0
    else:
        return None
    return _checked_label(text, start, colon)


def _checked_label(text: str, start: int, colon: int) -> int | None:
    label = text[start:colon].strip()
    # Two roles may share one label: ``Director, writer:``.
    return start if label and label[0].isupper() and is_label(label.replace(", ", " ", 1)) else None


def end_of_item(value: str) -> str:
    """A run-on item without the full stop and bracket that end it: ``Bellwether Sales, Tallinn.)`` ->
    ``Bellwether Sales, Tallinn``, while ``Quillon Media Co.`` keeps the full stop that is its own."""
    value = value.strip()
    if value.endswith(")") and value.count(")") > value.count("("):
        value = value[:-1].rstrip()
    if value.endswith(".") and not _ends_in_abbreviation(value):
        value = value[:-1].rstrip()
    return value


def _ends_in_abbreviation(value: str) -> bool:
    word = value.rsplit(" ", 1)[-1][:-1]  # the last word without its full stop
    return "." in word or word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper())
