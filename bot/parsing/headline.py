"""Headlines that carry the title: THR and IndieWire ``‘Title’ Review: ...``, the Guardian ``Title review – ...``."""

from __future__ import annotations

from bot.parsing.names import closing_quote

_REVIEW_DASHES = (" review – ", " review — ", " review - ")


def quoted_title_review(line: str) -> str | None:
    """``‘Grandpa’s Orrery’ Review: A ...`` -> ``Grandpa’s Orrery`` (the quote before `` Review`` closes it)."""
    close = closing_quote(line, " Review:")
    if close < 0:
        close = closing_quote(line, " review:")
    if close < 0 or not line[close + len(" Review:") + 1 :].strip():
        return None
    return line[1:close].strip() or None


def newspaper_title(line: str) -> str | None:
    """``Marble Hymn review – a stonecutter's stubborn psalm ★★★☆☆`` -> ``Marble Hymn``."""
    for dash in _REVIEW_DASHES:
        at = line.find(dash)
        if at > 0 and line[at + len(dash) :].strip():
            return line[:at].strip()
    return None
