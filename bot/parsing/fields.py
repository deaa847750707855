"""Values every layout writes the same way: name lists, countries, runtimes, a festival option."""

from __future__ import annotations

import re

_RUNTIME_PATTERNS = (
    re.compile(r"(\d{1,2})\s*h(?:rs?|ours?)?\.?\s*(\d{1,2})\s*m(?:ins?|inutes?)?\b\.?", re.IGNORECASE),
    re.compile(r"(\d{1,2})\s*h(?:rs?|ours?)\b\.?", re.IGNORECASE),
    re.compile(r"(\d{1,4})\s*(?:m|mins?|minutes?)(?![a-z])\.?", re.IGNORECASE),
    re.compile(r"(\d{1,4})\s*[’'′]"),
)

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
    """Split a credit value on commas, as written."""
    return [part.strip() for part in value.split(",") if part.strip()]


def split_people(value: str) -> list[str]:
    """Split a list of people on commas, ``and`` and ``&``: ``A and B`` is two people."""
    names: list[str] = []
    for part in split_names(value):
        names.extend(p.strip() for p in re.split(r"\s+(?:and|&)\s+", part) if p.strip())
    return names


def split_countries(value: str) -> list[str]:
    protected: dict[str, str] = {}
    for index, name in enumerate(_COMPOSITE_COUNTRIES):
        if name.casefold() in value.casefold():
            token = f"\x00{index}\x00"
            value = re.sub(re.escape(name), token, value, flags=re.IGNORECASE)
            protected[token] = name
    parts = re.split(r"\s*(?:/|,|;|&|\band\b|(?<=\w)-(?=\w)|\s-\s)\s*", value)
    countries = []
    for part in parts:
        part = part.strip(" .")
        for token, name in protected.items():
            part = part.replace(token, name)
        if part:
            countries.append(part)
    return countries


def parse_runtime(text: str) -> int | None:
    """Minutes from ``131 mins``, ``139mins``, ``1hr 45mins``, ``1h 46m``, ``104 m.``, ``133’``, ``98 MINUTES``."""
    for index, pattern in enumerate(_RUNTIME_PATTERNS):
        match = pattern.search(text)
        if not match:
            continue
        if index == 0:
            return int(match.group(1)) * 60 + int(match.group(2))
        if index == 1:
            return int(match.group(1)) * 60
        return int(match.group(1))
    return None


def parse_festival_option(value: str) -> tuple[str, int | None]:
    """``"Berlinale 2022"`` -> (``"Berlinale"``, 2022); the year is optional."""
    match = re.match(r"^(?P<name>.*?)\s*(?P<year>(?:19|20)\d\d)?$", value.strip())
    name = (match["name"] if match else value).strip()
    year = int(match["year"]) if match and match["year"] else None
    return name, year
