"""Why Discord could not be used, as one line for the terminal: refused token, unreachable API or gateway.

discord.py raises these from deep inside its connection loop (one of them as an unrelated
``AttributeError``); ``festbot run`` and ``festbot sync`` print the line and exit with status 1.
"""

from __future__ import annotations

import logging

import aiohttp
import discord

#: What opening a connection to Discord fails with when the network or the address is wrong.
UNREACHABLE = (aiohttp.ClientError, ConnectionError, TimeoutError, discord.GatewayNotFound, discord.ConnectionClosed)


class GatewayUnreachable(ConnectionError):
    """The first gateway connection could not be opened; the message names the address and the reason."""


class FirstConnectionFilter(logging.Filter):
    """Drops discord.py's "Attempting a reconnect" traceback while the first connection is still failing.

    That retry is the one that fails with an AttributeError (see ``serve``); the failure is reported once, as
    a line, instead. Once connected, reconnects are logged as discord.py logs them.
    """

    def __init__(self, bot: discord.Client) -> None:
        super().__init__()
        self.bot = bot

    def filter(self, record: logging.LogRecord) -> bool:
        return has_connected(self.bot) or not record.getMessage().startswith("Attempting a reconnect")


def has_connected(client: discord.Client) -> bool:
    """Whether the client ever opened its websocket (discord.py types ``ws`` as always set; it is None until then)."""
    return getattr(client, "ws", None) is not None


def reason(exc: BaseException) -> str:
    """An exception as a short phrase: its message, or its type when it has none (a bare timeout)."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def discord_problem(exc: BaseException) -> str | None:
    """One line saying why Discord could not be used, or ``None`` when ``exc`` is not about Discord."""
    if isinstance(exc, discord.LoginFailure) or (isinstance(exc, discord.ConnectionClosed) and exc.code == 4004):
        return "Discord refused the token (DISCORD_TOKEN). Copy it again from the Developer Portal's Bot page."
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return "the bot asked for an intent that is not enabled in the Developer Portal."
    if isinstance(exc, GatewayUnreachable):
        return f"{exc} (check DISCORD_GATEWAY_URL and the network)."
    if isinstance(exc, discord.HTTPException):
        return f"Discord answered {reason(exc)}"
    if isinstance(exc, discord.ConnectionClosed) and exc.code == 4010:
        return (
            "Discord refused the shard (code 4010): check --shards and --shard-count (FESTBOT_SHARDS,"
            " FESTBOT_SHARD_COUNT): every id below the count, the same count in every process, no shard run twice."
        )
    if isinstance(exc, discord.ConnectionClosed) and exc.code == 4011:
        return (
            "Discord requires sharding (code 4011): the bot is in too many servers for one connection;"
            " run it with --shard-count (see README.md, Run several processes)."
        )
    if isinstance(exc, discord.ConnectionClosed):
        return f"Discord closed the gateway connection (code {exc.code}{': ' + exc.reason if exc.reason else ''})."
    if isinstance(exc, UNREACHABLE):
        where = discord.http.Route.BASE
        return f"cannot reach Discord at {where}: {reason(exc)} (check DISCORD_API_BASE_URL and the network)."
    return None
