"""The ``--festival`` option's value (also how feeds and the answers read a festival with its year)."""

from __future__ import annotations


def parse_festival_option(value: str) -> tuple[str, int | None]:
    """``"Berlinale 2022"`` -> (``"Berlinale"``, 2022); the year is optional."""
    value = value.strip()
    year = value[-4:]
    if year.isascii() and year.isdigit() and year[:2] in ("19", "20") and not value[-5:-4].isdigit():
        return value[:-4].strip(), int(year)
    return value, None
