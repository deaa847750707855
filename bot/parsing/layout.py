"""What every layout module provides, so the parser can detect and dispatch without knowing any layout."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.parsing.reading import Reading


@dataclass(frozen=True)
class Layout:
    """One publication's layout: how to recognise it and how to read it."""

    name: str
    #: What the parser looked for, for the message when no layout is recognised ("a Variety 'Reviewed at' line").
    looked_for: str
    #: Whether cleaned, non-front-matter lines are in this layout (cheap: looks at a few lines).
    looks_like: Callable[[list[str]], bool]
    #: Reads the lines; raises ReviewParseError naming what is missing.
    read: Callable[[list[str], str], Reading]
