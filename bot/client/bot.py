"""The Discord client: one ``commands.Bot`` with the services injected, a tree that owns errors,
explicit command sync, and the entry points behind ``festbot run`` and ``festbot sync``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.client.failures import (
    UNREACHABLE,
    FirstConnectionFilter,
    GatewayUnreachable,
    discord_problem,
    has_connected,
    reason,
)
from bot.client.identify_pacing import IdentifyPacer
from bot.client.render import ActionButton, ActionSelect, apologise, interaction_data
from bot.client.sharding import PacedShards
from bot.config import Settings, ShardPlan
from bot.services import Services, open_services
from bot.web.server import web_pages

log = logging.getLogger(__name__)

#: One extension per user-facing area; a load error stops start-up instead of hiding the feature.
EXTENSIONS: tuple[str, ...] = ("cogs.reviews", "cogs.browse", "cogs.announce", "cogs.sources", "cogs.help")

APOLOGY = "Sorry, something went wrong while answering that. It has been logged; please try again."


def point_at(settings: Settings) -> None:
    """Send REST calls and the gateway connection where the settings say (a REST proxy, or a test server)."""
    if settings.discord_api_base_url:
        discord.http.Route.BASE = settings.discord_api_base_url.rstrip("/")
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


class FestivalTree(app_commands.CommandTree["FestivalBot"]):
    """Owns application-command errors: known ones get a short private answer, the rest are logged."""

    async def on_error(
        self, interaction: discord.Interaction[FestivalBot], error: app_commands.AppCommandError
    ) -> None:
        command = interaction.command.qualified_name if interaction.command else "?"
        if isinstance(error, app_commands.CheckFailure):
            text = str(error) or "You can't use this command here."
            await apologise(interaction, text)
            return
        if isinstance(error, app_commands.TransformerError | app_commands.CommandNotFound):
            await apologise(interaction, "I couldn't understand that input. Please check the options and try again.")
            return
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        log.error(
            "command /%s failed (guild=%s channel=%s user=%s options=%s)",
            command,
            interaction.guild_id,
            interaction.channel_id,
            interaction.user.id if interaction.user else None,
            interaction_data(interaction).get("options"),
            exc_info=original,
        )
        await apologise(interaction, APOLOGY)


class FestivalBot(commands.Bot):
    """The bot. Dependencies come in through the constructor; nothing is read from globals."""

    def __init__(self, services: Services, **options: Any) -> None:
        # The bot never joins voice: discord.py's warning on every start that the voice libraries are
        # missing says nothing to act on. Only those two flags are cleared; other warnings still log.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=FestivalTree,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            **options,
        )
        self.services = services

    async def setup_hook(self) -> None:
        # Build the search indexes before connecting, so the first autocomplete does not pay for it.
        await self.services.searcher.refresh()
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        # Buttons and menus parse their state from custom ids, so they work on messages sent before a restart.
        self.add_dynamic_items(ActionButton, ActionSelect)
        guild_id = self.services.settings.dev_guild_id
        if guild_id:
            # A development server gets the commands instantly; global sync stays an explicit `festbot sync`.
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)

    async def on_ready(self) -> None:
        log.info("connected as %s (%s) to %d servers", self.user, self.user.id if self.user else "?", len(self.guilds))

    async def on_app_command_completion(
        self, interaction: discord.Interaction[Any], command: app_commands.Command[Any, ..., Any]
    ) -> None:
        log.info(
            "/%s guild=%s latency=%.0fms",
            command.qualified_name,
            interaction.guild_id,
            (discord.utils.utcnow() - interaction.created_at).total_seconds() * 1000,
        )


class ShardedFestivalBot(FestivalBot, PacedShards):
    """The bot on a range of shards (``festbot run --shards``), taking identify turns with the other processes."""


def festival_bot(services: Services, plan: ShardPlan | None, **options: Any) -> FestivalBot:
    """The bot for the settings' shards: unsharded without a plan, as always; else exactly the plan's shards."""
    if plan is None:
        return FestivalBot(services, **options)
    pacer = IdentifyPacer(services.claim_identify_turn, services.settings.identify_window, plan.count)
    return ShardedFestivalBot(services, shard_ids=list(plan.ids), shard_count=plan.count, pacer=pacer, **options)


async def serve(settings: Settings, *, ready: asyncio.Future[FestivalBot] | None = None, **options: Any) -> None:
    """Open the services and run the bot until it is closed (SIGINT/SIGTERM in ``festbot run``).

    ``ready`` receives the bot once it is connected; ``options`` go to the client (tests shorten
    ``guild_ready_timeout``).
    """
    if settings.discord_token is None:
        raise ValueError("serve() needs DISCORD_TOKEN")
    point_at(settings)
    plan = settings.shard_plan()
    # web_pages: the web companion (bot/web/) beside the bot, over the same services, when FESTBOT_HTTP_PORT is set.
    async with open_services(settings) as services, web_pages(services), festival_bot(services, plan, **options) as bot:
        if ready is not None:

            async def on_ready() -> None:
                if not ready.done():
                    ready.set_result(bot)

            bot.add_listener(on_ready, "on_ready")
        quiet = FirstConnectionFilter(bot)
        logging.getLogger("discord.client").addFilter(quiet)
        try:
            await bot.start(settings.discord_token.get_secret_value())
        except AttributeError as exc:
            # discord.py 2.7 retries a failed first connection by resuming a session it never opened
            # (Client.connect reads self.ws.sequence while ws is None): report what it tripped over.
            cause = exc.__context__
            if has_connected(bot) or not isinstance(cause, UNREACHABLE):
                raise
            url = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
            raise GatewayUnreachable(f"cannot open the Discord gateway at {url}: {reason(cause)}") from cause
        finally:
            logging.getLogger("discord.client").removeFilter(quiet)


def run_bot(settings: Settings) -> int:
    """``festbot run`` with a token: log through discord.py's setup, stop cleanly on SIGTERM.

    Discord's refusals and an unreachable Discord are one line on stderr and exit status 1; any
    other failure (the database, the disk) is raised for the command line to describe.
    """
    discord.utils.setup_logging(level=settings.log_level_number, root=True)

    async def main() -> None:
        task = asyncio.ensure_future(serve(settings))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    try:
        asyncio.run(main())
    except Exception as exc:
        problem = discord_problem(exc)
        if problem is None:
            raise
        print(f"festbot: {problem}", file=sys.stderr)
        return 1
    return 0


async def sync(settings: Settings, guild_id: int | None) -> list[app_commands.AppCommand]:
    """Publish the command tree over REST only (no gateway connection)."""
    if settings.discord_token is None:
        raise ValueError("sync() needs DISCORD_TOKEN")
    point_at(settings)
    async with open_services(settings) as services, FestivalBot(services) as bot:
        await bot.login(settings.discord_token.get_secret_value())
        if guild_id is None:
            return await bot.tree.sync()
        guild = discord.Object(id=guild_id)
        bot.tree.copy_global_to(guild=guild)
        return await bot.tree.sync(guild=guild)


def sync_commands(settings: Settings, guild_id: int | None) -> int:
    """``festbot sync [--guild ID]``: say what was published, or why not."""
    logging.getLogger("discord").setLevel(logging.WARNING)
    started = time.perf_counter()
    try:
        synced = asyncio.run(sync(settings, guild_id))
    except Exception as exc:
        problem = discord_problem(exc)
        if problem is None:
            raise
        if isinstance(exc, discord.HTTPException) and not isinstance(exc, discord.LoginFailure):
            problem = "the commands were not published: " + problem
        print(f"festbot: {problem}", file=sys.stderr)
        return 1
    where = f"server {guild_id}" if guild_id else "all servers (global commands can take up to an hour to appear)"
    names = ", ".join(f"/{c.name}" for c in synced)
    print(f"Published {len(synced)} commands to {where} in {time.perf_counter() - started:.1f}s: {names}")
    return 0
