"""What the bot answers, as plain models: cards (embeds), buttons, a select menu and pagination.

Answers are built once here, within Discord's limits and with review text escaped, and then turned
into Discord objects by ``bot/render.py`` or into terminal text by ``bot/console.py``; so the
console shows exactly what Discord would.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.answers.component_ids import Page, PageIndicator, encode
from bot.answers.stamps import unmark
from bot.domain.text import truncate

# Discord's documented limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELDS_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
EMBEDS_LIMIT = 10
CONTENT_LIMIT = 2000
CHOICE_NAME_LIMIT = 100
CHOICES_LIMIT = 25
SELECT_OPTIONS_LIMIT = 25
SELECT_LABEL_LIMIT = 100
BUTTON_LABEL_LIMIT = 80

_MARKDOWN = re.compile(r"([\\*_~`|\[\]<>])")
_LINE_START = re.compile(r"(?m)^(\s*)([#>-]|\d+\.)")


def escape(text: str) -> str:
    """Review text shown as-is: markdown characters escaped so it cannot restyle the answer (nor pose as a date)."""
    return _LINE_START.sub(r"\1\\\2", _MARKDOWN.sub(r"\\\1", unmark(text)))


def fit(text: str, limit: int) -> str:
    """Escaped text already holds backslashes; cut it without leaving a dangling escape."""
    cut = truncate(text, limit)
    if cut.endswith("\\...") or (cut.endswith("\\") and not cut.endswith("\\\\")):
        cut = truncate(text, limit - 2)
    return cut


class CardField(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    value: str
    inline: bool = False


class Card(BaseModel):
    """One embed. Built through :meth:`make`, which enforces every per-part limit."""

    model_config = ConfigDict(frozen=True)

    title: str
    description: str = ""
    url: str | None = None
    fields: list[CardField] = Field(default_factory=list)
    footer: str = ""
    color: int | None = None
    #: The card's moment (a review's publication): Discord shows it by the footer in each reader's time zone.
    timestamp: dt.datetime | None = None

    @classmethod
    def make(
        cls,
        title: str,
        description: str = "",
        *,
        url: str | None = None,
        fields: Sequence[tuple[str, str] | tuple[str, str, bool]] | None = None,
        footer: str = "",
        color: int | None = None,
        timestamp: dt.datetime | None = None,
    ) -> Card:
        made: list[CardField] = []
        for item in (fields or [])[:FIELDS_LIMIT]:
            name, value = item[0], item[1]
            inline = item[2] if len(item) == 3 else False
            if value.strip():
                made.append(
                    CardField(name=fit(name, FIELD_NAME_LIMIT), value=fit(value, FIELD_VALUE_LIMIT), inline=inline)
                )
        card = cls(
            title=fit(title, TITLE_LIMIT),
            description=fit(description, DESCRIPTION_LIMIT),
            url=url if url and url.startswith(("http://", "https://")) else None,
            fields=made,
            footer=fit(footer, FOOTER_LIMIT),
            color=color,
            timestamp=timestamp,
        )
        return card.within(EMBED_TOTAL_LIMIT)

    def size(self) -> int:
        return (
            len(self.title)
            + len(self.description)
            + len(self.footer)
            + sum(len(f.name) + len(f.value) for f in self.fields)
        )

    def within(self, budget: int) -> Card:
        """Shrink the description, then drop trailing fields, until the card fits ``budget`` characters."""
        card = self
        excess = card.size() - budget
        if excess > 0 and card.description:
            keep = max(len(card.description) - excess, 0)
            card = card.model_copy(update={"description": fit(card.description, keep) if keep > 3 else ""})
        while card.size() > budget and card.fields:
            card = card.model_copy(update={"fields": card.fields[:-1]})
        return card


class Button(BaseModel):
    """A button: ``custom_id`` for one the bot answers (stateless, so it survives restarts), or a link."""

    model_config = ConfigDict(frozen=True)

    label: str
    custom_id: str | None = None
    url: str | None = None
    style: Literal["primary", "secondary", "link"] = "secondary"
    disabled: bool = False


class Option(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    value: str
    description: str | None = None


class Select(BaseModel):
    """A menu to pick one of several matching films."""

    model_config = ConfigDict(frozen=True)

    custom_id: str
    placeholder: str
    options: list[Option]


class Attachment(BaseModel):
    """A file sent with an answer (a contact card to save); ``name`` is the file name the reader sees."""

    model_config = ConfigDict(frozen=True)

    name: str
    data: bytes
    content_type: str
    description: str = ""


class Reply(BaseModel):
    """Everything one answer sends: text, cards, buttons, at most one select menu, and files."""

    model_config = ConfigDict(frozen=True)

    content: str = ""
    cards: list[Card] = Field(default_factory=list)
    buttons: list[Button] = Field(default_factory=list)
    select: Select | None = None
    files: list[Attachment] = Field(default_factory=list)
    ephemeral: bool = False

    def with_text(self, change: Callable[[str], str]) -> Reply:
        """The reply with ``change`` applied where Discord renders markdown (and date marks): the
        content, card descriptions and field values; how each renderer writes :mod:`~bot.answers.stamps`."""
        cards = [
            card.model_copy(
                update={
                    "description": change(card.description),
                    "fields": [f.model_copy(update={"value": change(f.value)}) for f in card.fields],
                }
            )
            for card in self.cards
        ]
        return self.model_copy(update={"content": change(self.content), "cards": cards})

    @classmethod
    def notice(cls, text: str) -> Reply:
        """A short private message: not found, bad input, an apology."""
        return cls(content=truncate(text, CONTENT_LIMIT), ephemeral=True)


class Choice(BaseModel):
    """An autocomplete choice: a human label and the review id as value."""

    model_config = ConfigDict(frozen=True)

    name: str
    value: str


PREVIOUS_LABEL = "◀ Previous"
NEXT_LABEL = "Next ▶"


def pager_buttons(page_id: Callable[[int], Page], page: int, pages: int) -> list[Button]:
    """Previous/next buttons whose ids say which page to show (``page_id(n)`` names page ``n``)."""
    if pages <= 1:
        return []
    return [
        Button(label=PREVIOUS_LABEL, custom_id=encode(page_id(max(page - 1, 0))), disabled=page == 0),
        Button(label=f"Page {page + 1}/{pages}", custom_id=encode(PageIndicator(page_id(page))), disabled=True),
        Button(label=NEXT_LABEL, custom_id=encode(page_id(min(page + 1, pages - 1))), disabled=page >= pages - 1),
    ]
