"""Glue shared by the cogs: safe autocomplete and guarded component handling."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from bot.answers.cards import CHOICE_NAME_LIMIT, CHOICES_LIMIT, Choice
from bot.client.bot import APOLOGY
from bot.client.render import apologise
from bot.domain.festivals import FIRST_YEAR, LAST_YEAR

log = logging.getLogger(__name__)

# Typed options are bounded where Discord checks them, so it refuses a bad value before the bot sees
# it: its own limit for text is 6,000 characters, far past any title (the longest film titles run
# to some 230), and a year must be one an edition can have (a 20-digit year overflows the database).
TITLE_LENGTH = 300
Title = app_commands.Range[str, 1, TITLE_LENGTH]
Name = app_commands.Range[str, 1, 100]
Link = app_commands.Range[str, 1, 2048]
Year = app_commands.Range[int, FIRST_YEAR, LAST_YEAR]

#: Autocomplete cannot be deferred; answer something (possibly nothing) well inside the 3 s deadline.
AUTOCOMPLETE_TIMEOUT = 2.0


async def choices(work: Awaitable[list[Choice]], what: str) -> list[app_commands.Choice[str]]:
    """Autocomplete results, or ``[]`` when the work fails or is slow; never raises."""
    try:
        # asyncio.timeout, not wait_for: on 3.11 wait_for can drop a cancel that arrives as the work ends.
        async with asyncio.timeout(AUTOCOMPLETE_TIMEOUT):
            found = await work
    except Exception:
        log.exception("autocomplete for %s failed; answering with no choices", what)
        return []
    return [app_commands.Choice(name=c.name[:CHOICE_NAME_LIMIT], value=c.value[:100]) for c in found[:CHOICES_LIMIT]]


async def named(get: Callable[[], Awaitable[list[str]] | list[str]]) -> list[Choice]:
    """Names as choices; ``get`` runs inside :func:`choices`, so its failure is caught there too."""
    found = get()
    names = await found if inspect.isawaitable(found) else found
    return [Choice(name=n[:CHOICE_NAME_LIMIT], value=n[:100]) for n in names[:CHOICES_LIMIT]]


def require_manage_guild(interaction: discord.Interaction[Any], where: str) -> bool:
    """Server settings: ``default_permissions`` hides them, and this holds even if a server overrides that."""
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage(f"{where} are managed per server.")
    if not interaction.permissions.manage_guild:
        raise app_commands.MissingPermissions(["manage_guild"])
    return True


async def guarded(interaction: discord.Interaction[Any], work: Awaitable[None], what: str) -> None:
    """Run a component handler; an unexpected error is logged with context and the user gets an apology."""
    try:
        await work
    except Exception:
        log.exception(
            "%s failed (guild=%s channel=%s user=%s)",
            what,
            interaction.guild_id,
            interaction.channel_id,
            interaction.user.id if interaction.user else None,
        )
        await apologise(interaction, APOLOGY)
