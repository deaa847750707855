"""Dates inside answers' text, as marks each renderer formats its own way.

Answers say *when* (a datetime and a style: a date, or "3 hours ago") and never how it reads:
Discord renders ``<t:UNIX:D>`` in each reader's own language and time zone, while the console and
the web pages show a readable UTC date. So the answers put a mark of exactly the length of Discord's
markup (limits are counted on what Discord gets) between two private-use characters that review
text cannot carry (:func:`~bot.answers.cards.escape` drops them), and each renderer turns the marks
into its own text: :func:`discord_text` or :func:`plain_text`.

Discord renders timestamps only in message content, embed descriptions and field values, so
answers put marks only there; a card's own date travels as :attr:`~bot.answers.cards.Card.timestamp`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

OPEN, CLOSE = "\ue000", "\ue001"
#: ``D``: a date (3 February 2024); ``f``: a date and time; ``R``: relative (3 hours ago).
Style = Literal["D", "f", "R"]

_MARK = re.compile(OPEN + r"t:(-?\d{1,12}):([DfR])" + CLOSE)
_MARK_CHARS = re.compile(f"[{OPEN}{CLOSE}]")


def stamp(when: dt.datetime, style: Style = "D") -> str:
    """The mark for ``when`` (a naive datetime is taken as UTC), as long as Discord's ``<t:UNIX:STYLE>``."""
    return f"{OPEN}t:{int(_utc(when).timestamp())}:{style}{CLOSE}"


def unmark(text: str) -> str:
    """Untrusted text with any mark characters removed, so it can never pose as a date."""
    return _MARK_CHARS.sub("", text)


def discord_text(text: str) -> str:
    """Marks as Discord's timestamp markup, which each reader sees in their own time zone."""
    return _MARK.sub(r"<t:\1:\2>", text)


def plain_text(text: str, now: dt.datetime | None = None) -> str:
    """Marks as readable UTC dates (``3 Feb 2024``, ``3 Feb 2024 14:05 UTC``, ``3 hours ago``)."""
    moment = _utc(now or dt.datetime.now(dt.UTC))

    def readable(match: re.Match[str]) -> str:
        when = dt.datetime.fromtimestamp(int(match[1]), dt.UTC)
        if match[2] == "R":
            return relative(when, moment)
        return date_text(when) + (when.strftime(" %H:%M UTC") if match[2] == "f" else "")

    return _MARK.sub(readable, text)


def date_text(value: dt.datetime | None) -> str:
    """A date as plain text, where Discord renders no timestamps (titles, footers, menus): ``3 Feb 2024``."""
    return value.strftime("%-d %b %Y") if value else ""


def relative(when: dt.datetime, now: dt.datetime) -> str:
    """``5 minutes ago`` / ``in 2 hours``, in the largest whole unit, as Discord's ``:R`` reads."""
    seconds = (_utc(now) - _utc(when)).total_seconds()
    size = abs(seconds)
    units = (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))
    unit, length = next(((name, length) for name, length in units if size >= length), ("", 0))
    if not unit:
        return "just now"
    count = int(size // length)
    amount = f"{count} {unit}" + ("s" if count != 1 else "")
    return f"{amount} ago" if seconds >= 0 else f"in {amount}"


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
