"""Lists as the layouts write them: credit values, people, countries; and titles in quotes.

Plain string scanning (and one pattern that looks one character either side): these run on every
credit line and header of every review, hostile ones included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Opening quote -> the closing quotes that may end it (curly, straight, guillemets, low-9).
_QUOTES = {"‘": "’'", "'": "'’", "“": '”"', '"': '"”', "«": "»", "„": "“”", "‚": "’‘"}

# A hyphen between two countries (``Tun-Belg-Fr``, ``U.K.-Ireland``); one character either side, so linear.
_JOINING_HYPHEN = re.compile(r"(?<=\S)-(?=\S)")
# Country names that contain a separator and must not be split.
_COMPOSITE_COUNTRIES = (
    "Bosnia and Herzegovina",
    "Bosnia-Herzegovina",
    "Trinidad and Tobago",
    "Antigua and Barbuda",
    "Saint Kitts and Nevis",
    "São Tomé and Príncipe",
    "Guinea-Bissau",
    "Timor-Leste",
    "Papua New Guinea",
)


def split_names(value: str) -> list[str]:
    """A credit value's items: split on commas only and kept as written (``Oda Brekke & The Lowland Tapes``)."""
    return [part.strip() for part in value.split(",") if part.strip()]


def split_people(value: str) -> list[str]:
    """People in a header or director credit: commas, `` and `` and `` & `` all separate (``A and B`` is two)."""
    people = (person.strip() for part in split_names(value) for person in part.replace(" & ", " and ").split(" and "))
    return unique(person for person in people if person)


def unique(items: Iterable[str]) -> list[str]:
    """``items`` in order without repeats (a set, not a list scan, so a long list stays linear)."""
    return list(dict.fromkeys(items))


def split_countries(value: str, *, hyphens: bool = True, words: bool = True) -> list[str]:
    """Countries as written: split on ``/``, ``,``, ``;`` and, optionally, ``-`` and ``and`` / ``&``.

    ``Bosnia and Herzegovina`` and ``Guinea-Bissau`` stay whole; ``Tun-Belg-Fr`` keeps its abbreviations.
    """
    protected: dict[str, str] = {}
    for index, name in enumerate(_COMPOSITE_COUNTRIES):
        lowered = value.lower()
        at = lowered.find(name.lower()) if len(lowered) == len(value) else value.find(name)
        if at >= 0:
            token = f"\x00{index}\x00"
            protected[token] = value[at : at + len(name)]
            value = value[:at] + token + value[at + len(name) :]
    for separator in (",", ";", " / "):
        value = value.replace(separator, "/")
    if words:
        value = value.replace(" & ", "/").replace(" and ", "/")
    if hyphens:
        value = value.replace(" - ", "/").replace(" – ", "/")
        value = _JOINING_HYPHEN.sub("/", value)
    countries = []
    for part in [p.strip() for p in value.split("/")]:
        if not part:
            continue
        if part.endswith(".") and "." not in part[:-1]:
            part = part[:-1].strip()  # "China." ends a header segment; "U.K." keeps its full stops
        for token, name in protected.items():
            part = part.replace(token, name)
        if part:
            countries.append(part)
    return countries


def unquote(text: str) -> str:
    """``‘Kitefall’`` -> ``Kitefall``: one pair of quotes around the whole text, if there is one."""
    text = text.strip()
    if len(text) >= 3 and text[0] in _QUOTES and text[-1] in _QUOTES[text[0]]:
        return text[1:-1].strip()
    return text


def closing_quote(text: str, before: str) -> int:
    """Where the quote that opens ``text`` closes, when it is followed by ``before`` (-1 if it is not).

    ``‘Grandpa’s Orrery’ Review: ...`` closes at the quote before `` Review``, not at the apostrophe.
    """
    if not text or text[0] not in _QUOTES:
        return -1
    for close in _QUOTES[text[0]]:
        at = text.find(close + before, 1)
        if at > 1:
            return at
    return -1
