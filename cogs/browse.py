"""/person and /festival: browsing across reviews, with paginated listings."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client.render import answer
from cogs._shared import choices, guarded, named

if TYPE_CHECKING:
    from bot.client.bot import FestivalBot

log = logging.getLogger(__name__)


class Browse(commands.Cog):
    """Everything one person worked on; everything reviewed at one festival."""

    def __init__(self, bot: FestivalBot) -> None:
        self.answers = bot.services.answers
        self.festivals = bot.services.festivals

    @app_commands.command(name="person")
    @app_commands.describe(name="A director, writer, actor or crew member")
    async def person(self, interaction: discord.Interaction[Any], name: str) -> None:
        """Every reviewed film where this person is credited, with the role."""
        await answer(interaction, self.answers.person(name))

    @app_commands.command(name="festival")
    @app_commands.describe(name="Festival (Berlinale, Cannes, Venice, TIFF...)", year="Edition year", section="Section")
    async def festival(
        self,
        interaction: discord.Interaction[Any],
        name: str,
        year: app_commands.Range[int, 1900, 2100] | None = None,
        section: str | None = None,
    ) -> None:
        """The reviews from one festival edition."""
        await answer(interaction, self.answers.festival(name, year, section))

    @person.autocomplete("name")
    async def person_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await choices(named(lambda: self.answers.person_names(current)), "person")

    @festival.autocomplete("name")
    async def festival_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await choices(named(lambda: self.festivals.matching(current)), "festival")

    @festival.autocomplete("section")
    async def section_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        festival = getattr(interaction.namespace, "name", "") or ""
        return await choices(named(lambda: self.festivals.sections_matching(festival, current)), "section")

    @commands.Cog.listener()
    async def on_festbot_action(self, interaction: discord.Interaction[Any], custom_id: str, values: list[str]) -> None:
        if custom_id.startswith("list:"):
            await guarded(interaction, self._page(interaction, custom_id), f"component {custom_id}")

    async def _page(self, interaction: discord.Interaction[Any], custom_id: str) -> None:
        key, _, page_text = custom_id.removeprefix("list:").rpartition(":")
        kind, _, value = key.partition(":")
        page = int(page_text) if page_text.isdigit() else 0
        if kind == "person":
            await answer(interaction, self.answers.person(value, page), edit=True)
        elif kind == "company":
            await answer(interaction, self.answers.company_films(value, page), edit=True)
        elif kind == "festival":
            name, year, section = [*value.split("|"), "", ""][:3]
            work = self.answers.festival(name, int(year) if year.isdigit() else None, section or None, page)
            await answer(interaction, work, edit=True)


async def setup(bot: FestivalBot) -> None:
    await bot.add_cog(Browse(bot))
