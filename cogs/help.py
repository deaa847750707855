"""/help: every command the bot has registered, one line each, read from its own command tree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.answers.help import CommandHelp, help_reply
from bot.client.render import send_reply

if TYPE_CHECKING:
    from bot.client.bot import FestivalBot

FOOTER = "Titles forgive typos, and autocomplete offers films as you type."


def command_help(tree: app_commands.CommandTree[Any]) -> list[CommandHelp]:
    """The tree's commands as ``/help`` lists them: each subcommand of a group as ``/group sub``, in tree order."""
    found = []
    for command in tree.walk_commands():
        if isinstance(command, app_commands.Group):
            continue
        root = command.root_parent or command
        permissions = root.default_permissions
        found.append(
            CommandHelp(
                name=command.qualified_name,
                description=command.description,
                managers_only=bool(permissions and permissions.manage_guild),
            )
        )
    return found


class Help(commands.Cog):
    def __init__(self, bot: FestivalBot) -> None:
        self.bot = bot

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        """Every command with what it does, in one line each."""
        await send_reply(interaction, help_reply(command_help(self.bot.tree), FOOTER))


async def setup(bot: FestivalBot) -> None:
    await bot.add_cog(Help(bot))
