"""Small readings of single lines that several layouts share: bylines, a labelled prefix, the top lines."""

from __future__ import annotations


def filled(lines: list[str]) -> list[int]:
    """Indexes of the non-empty lines."""
    return [i for i, line in enumerate(lines) if line]


def byline(line: str) -> str | None:
    """``By Jonah Treadwell-Ames`` / ``by Teodor Ulvang`` -> the name; None for any other line."""
    if line[:3].lower() != "by " or len(line) > 120:
        return None
    name = line[3:].strip()
    words = name.split()
    if not words or len(words) > 8 or not all(w[0].isupper() or w.lower() in _NAME_JOINERS for w in words):
        return None
    return name


_NAME_JOINERS = frozenset({"van", "von", "de", "da", "del", "della", "di", "du", "der", "den", "la", "le", "and", "&"})


def after_prefix(line: str, prefix: str) -> str | None:
    """The rest of ``line`` after ``prefix`` (case-insensitive), or None when it does not start with it."""
    if line[: len(prefix)].lower() == prefix.lower():
        return line[len(prefix) :].strip()
    return None


def is_language_line(line: str) -> bool:
    """Variety's ``(Arabic, French dialogue)`` and THR's ``In German and Polish``: no field."""
    stripped = line.strip()
    if stripped.startswith("(") and stripped.endswith(")") and stripped[1:-1].rstrip(".").endswith("dialogue"):
        return True
    words = stripped.split()
    return (
        1 < len(words) <= 8
        and words[0] == "In"
        and all(w[0].isupper() or w in ("and", "with") for w in words[1:])
        and not stripped.endswith(".")
    )


def ends_sentence(line: str) -> bool:
    return line.rstrip("’”'\")").endswith((".", "!", "?", "…"))


def reviewed_at(line: str) -> tuple[str, str | None, int | None] | None:
    """``Reviewed at Berlin Film Festival (Panorama), Feb 17, 2028`` -> (festival, section, year).

    Variety's line goes on with ``. Running time: 113 MIN.``; only the part before it is read here.
    """
    rest = after_prefix(line, "Reviewed at ")
    if rest is None:
        return None
    rest = rest.split("Running time", 1)[0].strip()
    section = None
    opening = rest.find("(")
    comma = rest.find(",")
    if opening > 0 and (comma < 0 or opening < comma) and (closing := rest.find(")", opening)) > opening:
        name, section = rest[:opening].strip(), rest[opening + 1 : closing].strip() or None
        date = rest[closing + 1 :]
    else:
        name, date = (rest[:comma], rest[comma + 1 :]) if comma > 0 else (rest, "")
    years = [w for w in date.replace(",", " ").replace(".", " ").split() if len(w) == 4 and w.isdigit()]
    year = int(years[-1]) if years and years[-1][:2] in ("19", "20") else None
    return name.strip(), section, year
