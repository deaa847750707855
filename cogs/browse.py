"""/person and /festival: browsing across reviews, with paginated listings.

A listing is public, and its pager belongs to whoever asked: their presses turn its pages; anyone
else pressing gets that page as a private copy of their own (with a pager of its own), and the
listing everybody sees stays where its owner left it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.answers.cards import Reply
from bot.answers.component_ids import ComponentId, FestivalPage, ListPage, encode
from bot.client.render import answer
from cogs._shared import Name, Year, choices, guarded, named

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
    async def person(self, interaction: discord.Interaction[Any], name: Name) -> None:
        """Every reviewed film where this person is credited, with the role."""
        await answer(interaction, self.answers.person(name, owner=interaction.user.id))

    @app_commands.command(name="festival")
    @app_commands.describe(name="Festival (Berlinale, Cannes, Venice, TIFF...)", year="Edition year", section="Section")
    async def festival(
        self,
        interaction: discord.Interaction[Any],
        name: Name,
        year: Year | None = None,
        section: Name | None = None,
    ) -> None:
        """The reviews from one festival edition."""
        await answer(interaction, self.answers.festival(name, year, section, owner=interaction.user.id))

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
    async def on_festbot_action(
        self, interaction: discord.Interaction[Any], component: ComponentId, values: list[str]
    ) -> None:
        if isinstance(component, ListPage | FestivalPage):
            await guarded(interaction, self._page(interaction, component), f"component {encode(component)}")

    async def _page(self, interaction: discord.Interaction[Any], component: ListPage | FestivalPage) -> None:
        # Listings posted before pagers had owners page for anyone, as they always did.
        mine = component.owner in (None, interaction.user.id)
        owner = component.owner if mine else interaction.user.id
        match component:
            case ListPage("person", name, page):
                work = self.answers.person(name, page, owner)
            case ListPage("company", name, page):
                work = self.answers.company_films(name, page, owner)
            case FestivalPage(name, year, section, page):
                work = self.answers.festival(name, year, section, page, owner)
        if mine:
            await answer(interaction, work, edit=True)
        else:
            await answer(interaction, _private(work), private=True)


async def _private(work: Awaitable[Reply]) -> Reply:
    """The page as a message only the member who pressed sees."""
    return (await work).model_copy(update={"ephemeral": True})


async def setup(bot: FestivalBot) -> None:
    await bot.add_cog(Browse(bot))
