"""``/help``: every command with its one line, from whatever lists them (Discord's tree, the console's table)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bot.answers.cards import Card, Reply, escape

HELP_COLOR = 0x5865F2


class CommandHelp(BaseModel):
    """One command as ``/help`` lists it: ``announce list`` and what it does, in one line."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    #: Only members with Manage Server see and run it.
    managers_only: bool = False


def help_reply(commands: list[CommandHelp], footer: str = "") -> Reply:
    """The commands, one line each, in the order given (the tree's: the lookups first, the server settings last)."""
    lines = [
        f"**/{escape(c.name)}** — {escape(c.description)}" + (" *(Manage Server)*" if c.managers_only else "")
        for c in commands
    ]
    card = Card.make("What festbot can do", "\n".join(lines), footer=footer, color=HELP_COLOR)
    return Reply(cards=[card], ephemeral=True)
