"""/review, /credits and /sales, and the buttons and menus on their answers."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.answers.component_ids import ComponentId, CreditsPage, FilmReviews, Pick, ReviewAction, encode
from bot.answers.labels import review_value
from bot.client.render import answer
from cogs._shared import Name, Title, choices, guarded, named

if TYPE_CHECKING:
    from bot.client.bot import FestivalBot

log = logging.getLogger(__name__)


class Reviews(commands.Cog):
    """Looking up one film's review, credits and sales contacts."""

    def __init__(self, bot: FestivalBot) -> None:
        self.answers = bot.services.answers
        self.store = bot.services.store
        self.festivals = bot.services.festivals

    @app_commands.command(name="review")
    @app_commands.describe(
        title="Film title; original titles, directors and sales companies find films too",
        festival="Only reviews from this festival",
    )
    async def review(self, interaction: discord.Interaction[Any], title: Title, festival: Name | None = None) -> None:
        """A festival review in ten seconds: verdict, story, prospects and the film's facts."""
        await answer(interaction, self.answers.review(title, festival))

    @app_commands.command(name="credits")
    @app_commands.describe(title="Film title")
    async def credits(self, interaction: discord.Interaction[Any], title: Title) -> None:
        """The film's full credits as the review lists them."""
        await answer(interaction, self.answers.credits(title))

    @app_commands.command(name="sales")
    @app_commands.describe(title="Film title: its sales agents", company="Sales company: every film it handles")
    async def sales(
        self, interaction: discord.Interaction[Any], title: Title | None = None, company: Name | None = None
    ) -> None:
        """Who sells a film, with contacts to save (vCard, CSV); or every film a sales company handles."""
        await answer(interaction, self.answers.sales(title, company, owner=interaction.user.id))

    @review.autocomplete("title")
    @credits.autocomplete("title")
    @sales.autocomplete("title")
    async def title_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        festival = getattr(interaction.namespace, "festival", None)
        return await choices(self.answers.autocomplete(current, festival), "title")

    @review.autocomplete("festival")
    async def festival_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await choices(named(lambda: self.festivals.matching(current)), "festival")

    @sales.autocomplete("company")
    async def company_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await choices(named(lambda: self.answers.company_names(current)), "company")

    @commands.Cog.listener()
    async def on_festbot_action(
        self, interaction: discord.Interaction[Any], component: ComponentId, values: list[str]
    ) -> None:
        if not isinstance(component, ReviewAction | CreditsPage | Pick | FilmReviews):
            return
        started = time.perf_counter()
        what = f"component {encode(component)}"
        await guarded(interaction, self._act(interaction, component, values), what)
        log.info("%s guild=%s latency=%.0fms", what, interaction.guild_id, (time.perf_counter() - started) * 1000)

    async def _act(
        self,
        interaction: discord.Interaction[Any],
        component: ReviewAction | CreditsPage | Pick | FilmReviews,
        values: list[str],
    ) -> None:
        match component:
            case ReviewAction(review_id, "credits"):
                await answer(interaction, self.answers.credits(review_value(review_id)))
            case ReviewAction(review_id, "sales"):
                await answer(interaction, self.answers.sales(title=review_value(review_id)))
            case CreditsPage(review_id, page):
                await answer(interaction, self.answers.credits(review_value(review_id), page), edit=True)
            case Pick("review") if values:
                await answer(interaction, self.answers.review(values[0]))
            case Pick("credits") if values:
                await answer(interaction, self.answers.credits(values[0]))
            case Pick("sales") if values:
                await answer(interaction, self.answers.sales(title=values[0]))
            case FilmReviews() if values:
                await answer(interaction, self.answers.open_review(values[0]))


async def setup(bot: FestivalBot) -> None:
    await bot.add_cog(Reviews(bot))
