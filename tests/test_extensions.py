"""Every extension loads, has setup(), and no two commands share a name."""

from __future__ import annotations

import importlib
import inspect

from bot.client.bot import EXTENSIONS


def test_extensions_have_setup_and_unique_commands() -> None:
    from discord import app_commands
    from discord.ext import commands

    names: list[str] = []
    for name in EXTENSIONS:
        module = importlib.import_module(name)
        assert inspect.iscoroutinefunction(getattr(module, "setup", None)), name
        for _, cog in inspect.getmembers(module, lambda m: inspect.isclass(m) and issubclass(m, commands.Cog)):
            group = getattr(cog, "__cog_group_name__", None) if issubclass(cog, commands.GroupCog) else None
            for attr in vars(cog).values():
                if isinstance(attr, app_commands.Command | app_commands.Group):
                    names.append(f"{group} {attr.name}" if group else attr.name)
                    assert attr.description and attr.description != "…", attr.name
    assert sorted(names) == sorted(set(names))
    assert {"review", "credits", "sales", "person", "festival", "announce subscribe", "feeds add"} <= set(names)
