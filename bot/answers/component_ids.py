"""Every button and menu id the bot sends, built and parsed here and nowhere else.

A component carries its whole state in its ``custom_id`` (at most 100 characters), so a button on
a message posted weeks ago still works after a restart: ``review:12:credits``, ``credits:12:1``,
``list:person:li ruijun:2``, ``list:festival:Berlinale|2022|Competition:0``, ``pick:review``,
``film:7:reviews``. The wire format is kept stable: ids already posted in channels must keep parsing.

A pager on a public listing names who asked for it (``list:person:li ruijun:2@80351110224678912``):
only that member turns the listing's pages; anyone else pressing gets the page as a private copy.
An id without an owner (posted before owners existed, or on a private answer) pages for anyone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

CUSTOM_ID_LIMIT = 100

ReviewTarget = Literal["credits", "sales"]
PickAction = Literal["review", "credits", "sales"]
ListKind = Literal["person", "company"]


@dataclass(frozen=True)
class ReviewAction:
    """A button on a review card: open its credits or its sales contacts."""

    review_id: int
    target: ReviewTarget


@dataclass(frozen=True)
class CreditsPage:
    """A page of a film's credits."""

    review_id: int
    page: int


@dataclass(frozen=True)
class ListPage:
    """A page of the films of one person or company (``value`` is the folded name)."""

    kind: ListKind
    value: str
    page: int
    #: The member who asked for the listing; only they page it in place.
    owner: int | None = None


@dataclass(frozen=True)
class FestivalPage:
    """A page of one festival's reviews (edition year and section when chosen)."""

    name: str
    year: int | None
    section: str | None
    page: int
    #: The member who asked for the listing; only they page it in place.
    owner: int | None = None


Page = CreditsPage | ListPage | FestivalPage


@dataclass(frozen=True)
class PageIndicator:
    """The disabled "Page 2/5" button between a pager's arrows; never clicked, but ids must be unique."""

    of: Page


@dataclass(frozen=True)
class Pick:
    """The "which film did you mean?" menu; the chosen option's value names the review."""

    action: PickAction


@dataclass(frozen=True)
class FilmReviews:
    """The menu on a film's card that opens one of its reviews in full; the chosen option's value names it."""

    film_id: int


ComponentId = ReviewAction | CreditsPage | ListPage | FestivalPage | PageIndicator | Pick | FilmReviews

#: Templates for the persistent components (discord.py's ``DynamicItem``): buttons and the menus.
BUTTON_TEMPLATE = r"^(?:review|credits|list):.+$"
SELECT_TEMPLATE = r"^(?:pick:\w+|film:\d{1,20}:reviews)$"

# The literal values each field may take, as parsed text maps to them.
_TARGETS: dict[str, ReviewTarget] = {"credits": "credits", "sales": "sales"}
_ACTIONS: dict[str, PickAction] = {"review": "review", "credits": "credits", "sales": "sales"}
_KINDS: dict[str, ListKind] = {"person": "person", "company": "company"}

_REVIEW = re.compile(r"^review:(\d{1,20}):(\w+)$")
_CREDITS = re.compile(r"^credits:(\d{1,20}):(\d{1,6})$")
_LIST = re.compile(r"^list:(\w+):(.*):(\d{1,6})(?:@(\d{1,20}))?$", re.DOTALL)
_PICK = re.compile(r"^pick:(\w+)$")
_FILM_REVIEWS = re.compile(r"^film:(\d{1,20}):reviews$")
_NOOP = ":noop"


def encode(component: ComponentId) -> str:
    """The ``custom_id`` of a component; always within Discord's 100 characters (a long name is cut, never the page)."""
    match component:
        case ReviewAction(review_id, target):
            return f"review:{review_id}:{target}"
        case CreditsPage(review_id, page):
            return f"credits:{review_id}:{page}"
        case ListPage(kind, value, page, owner):
            return _list_id(kind, value, page, owner)
        case FestivalPage(name, year, section, page, owner):
            return _list_id("festival", f"{name}|{year or ''}|{section or ''}", page, owner)
        case PageIndicator(of):
            return encode(of)[: CUSTOM_ID_LIMIT - len(_NOOP)] + _NOOP
        case Pick(action):
            return f"pick:{action}"
        case FilmReviews(film_id):
            return f"film:{film_id}:reviews"


def _list_id(kind: str, value: str, page: int, owner: int | None) -> str:
    head, tail = f"list:{kind}:", f":{page}" + (f"@{owner}" if owner is not None else "")
    return head + value[: CUSTOM_ID_LIMIT - len(_NOOP) - len(head) - len(tail)] + tail


def decode(custom_id: str) -> ComponentId | None:
    """The component a ``custom_id`` names, or ``None`` for one this bot never sends."""
    if custom_id.endswith(_NOOP):
        inner = decode(custom_id.removesuffix(_NOOP))
        return PageIndicator(inner) if isinstance(inner, CreditsPage | ListPage | FestivalPage) else None
    if (match := _REVIEW.match(custom_id)) and (target := _TARGETS.get(match[2])):
        return ReviewAction(int(match[1]), target)
    if match := _CREDITS.match(custom_id):
        return CreditsPage(int(match[1]), int(match[2]))
    if match := _LIST.match(custom_id):
        kind, value, page = match[1], match[2], int(match[3])
        owner = int(match[4]) if match[4] else None
        if kind == "festival":
            name, year, section = [*value.split("|"), "", ""][:3]
            return FestivalPage(name, int(year) if year.isdigit() else None, section or None, page, owner)
        list_kind = _KINDS.get(kind)
        return ListPage(list_kind, value, page, owner) if list_kind else None
    if (match := _PICK.match(custom_id)) and (action := _ACTIONS.get(match[1])):
        return Pick(action)
    if match := _FILM_REVIEWS.match(custom_id):
        return FilmReviews(int(match[1]))
    return None
