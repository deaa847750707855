"""Replies -> Discord: embeds, persistent components, and one safe way to answer an interaction.

Buttons and menus carry everything they need in their ``custom_id`` (built and parsed by
:mod:`bot.answers.component_ids`), so they keep working after a restart. Their clicks are turned
into a ``festbot_action`` event carrying the decoded id, which the cogs listen for; this module
only knows how to draw and send.

Dates in answers are marks (:mod:`bot.answers.stamps`); here they become Discord's timestamps, which
each reader sees in their own time zone, and a card's own date becomes the embed's timestamp.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import re
from collections.abc import Awaitable, Mapping
from typing import Any, cast

import discord

from bot.answers.cards import Attachment, Button, Card, Reply
from bot.answers.component_ids import BUTTON_TEMPLATE, SELECT_TEMPLATE, decode
from bot.answers.stamps import discord_text

log = logging.getLogger(__name__)

#: Review text may hold ``@everyone`` or role mentions; nothing the bot sends pings anyone by default.
NO_MENTIONS = discord.AllowedMentions.none()
#: Answer directly when the work is this quick, defer (show "thinking") when it is not.
DEFER_AFTER = 1.2
ACTION_EVENT = "festbot_action"

_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "link": discord.ButtonStyle.link,
}


def embed(card: Card) -> discord.Embed:
    made = discord.Embed(
        title=card.title,
        description=card.description or None,
        url=card.url,
        color=card.color,
        # discord.py reads a naive datetime as local time; the stored ones are UTC.
        timestamp=card.timestamp.replace(tzinfo=card.timestamp.tzinfo or dt.UTC) if card.timestamp else None,
    )
    for field in card.fields:
        made.add_field(name=field.name, value=field.value, inline=field.inline)
    if card.footer:
        made.set_footer(text=card.footer)
    return made


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=BUTTON_TEMPLATE):
    """Any of the bot's buttons; a click becomes a ``festbot_action`` event with the custom id."""

    def __init__(self, button: Button) -> None:
        super().__init__(
            discord.ui.Button(
                label=button.label,
                custom_id=button.custom_id,
                style=_STYLES[button.style],
                disabled=button.disabled,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ActionButton:
        label = getattr(item, "label", None) or "…"
        return cls(Button(label=label, custom_id=match.string))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _dispatch(interaction, self.item.custom_id, [])


class ActionSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=SELECT_TEMPLATE):
    """The "which film did you mean?" menu; the choice becomes a ``festbot_action`` event."""

    def __init__(
        self, custom_id: str, options: list[discord.SelectOption] | None = None, placeholder: str = ""
    ) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=custom_id,
                placeholder=placeholder or None,
                options=options or [discord.SelectOption(label="…", value="none")],
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ActionSelect:
        return cls(match.string)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        values = list(self.item.values) if self.item.values else _selected_values(interaction)
        await _dispatch(interaction, self.item.custom_id, values)


async def _dispatch(interaction: discord.Interaction[Any], custom_id: str | None, values: list[str]) -> None:
    """Hand a click to the cogs as the component it names; an id this bot does not send gets a private notice."""
    component = decode(custom_id or "")
    if component is None:
        log.warning("a component with an unknown id %r was used", custom_id)
        await apologise(interaction, "That button no longer works. Please run the command again.")
        return
    interaction.client.dispatch(ACTION_EVENT, interaction, component, values)


def _selected_values(interaction: discord.Interaction[Any]) -> list[str]:
    values = interaction_data(interaction).get("values")
    return [str(v) for v in values] if isinstance(values, list) else []


def interaction_data(interaction: discord.Interaction[Any]) -> Mapping[str, object]:
    """The interaction's raw data; discord.py types it as a union of TypedDicts, read here as a plain mapping."""
    return cast("Mapping[str, object]", interaction.data or {})


def view(reply: Reply) -> discord.ui.View | None:
    """The reply's buttons and menu; ``None`` when it has none."""
    if not reply.buttons and reply.select is None:
        return None
    made = discord.ui.View(timeout=None)
    if reply.select is not None:
        options = [
            discord.SelectOption(label=o.label, value=o.value, description=o.description) for o in reply.select.options
        ]
        made.add_item(ActionSelect(reply.select.custom_id, options, reply.select.placeholder))
    for button in reply.buttons[:20]:
        if button.url:
            made.add_item(discord.ui.Button(label=button.label, url=button.url, style=discord.ButtonStyle.link))
        elif button.custom_id:
            made.add_item(ActionButton(button))
    return made


def file(attachment: Attachment) -> discord.File:
    return discord.File(
        io.BytesIO(attachment.data), filename=attachment.name, description=attachment.description or None
    )


def message_kwargs(reply: Reply) -> dict[str, Any]:
    """Keyword arguments for ``send_message``/``followup.send`` (and, with ``files`` as ``attachments``, edits)."""
    reply = reply.with_text(discord_text)
    kwargs: dict[str, Any] = {
        "content": reply.content or None,
        "embeds": [embed(card) for card in reply.cards],
        "allowed_mentions": NO_MENTIONS,
    }
    made = view(reply)
    if made is not None:
        kwargs["view"] = made
    if reply.files:
        kwargs["files"] = [file(attachment) for attachment in reply.files]
    return kwargs


async def send_reply(interaction: discord.Interaction[Any], reply: Reply) -> None:
    """Answer once: the first response, or a followup when the interaction was already answered or deferred."""
    kwargs = message_kwargs(reply)
    if interaction.response.is_done():
        await interaction.followup.send(ephemeral=reply.ephemeral, wait=False, **kwargs)
    else:
        await interaction.response.send_message(ephemeral=reply.ephemeral, **kwargs)


async def edit_reply(interaction: discord.Interaction[Any], reply: Reply) -> None:
    """Replace the message a component sits on (pagination); a notice goes out as its own private message."""
    if interaction.message is None or (reply.ephemeral and not reply.cards):
        await send_reply(interaction, reply)
        return
    kwargs = message_kwargs(reply)
    kwargs.setdefault("view", None)
    # An edit names the message's whole set of files: this reply's, or none.
    kwargs["attachments"] = kwargs.pop("files", [])
    if interaction.response.is_done():
        # Deferred as an update: the original response is the message the button sits on.
        await interaction.edit_original_response(**kwargs)
    else:
        await interaction.response.edit_message(**kwargs)


async def answer(
    interaction: discord.Interaction[Any], work: Awaitable[Reply], *, edit: bool = False, private: bool = False
) -> None:
    """Run ``work`` and send its reply within Discord's 3-second deadline, deferring only when it is slow.

    ``private``: the reply will be ephemeral, so a deferral must be too (a deferred answer keeps the
    visibility its "thinking" message had).
    """
    task: asyncio.Future[Reply] = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER)
    if not done and not interaction.response.is_done():
        if edit:
            await interaction.response.defer()
        else:
            await interaction.response.defer(thinking=True, ephemeral=private)
    reply = await task
    if edit:
        await edit_reply(interaction, reply)
    else:
        await send_reply(interaction, reply)


async def apologise(interaction: discord.Interaction[Any], text: str) -> None:
    """Best-effort private apology; never raises, since it runs when something already went wrong."""
    try:
        await send_reply(interaction, Reply.notice(text))
    except discord.HTTPException:
        log.warning("could not send the apology for interaction %s", interaction.id, exc_info=True)
