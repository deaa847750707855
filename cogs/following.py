"""Follow mode's Discord side of ``/announce follow``: a server's channel follows the bot's home channels.

Not a cog: the glue the ``/announce`` cog uses to reach channels of the bot's own server, which may be on
another process's shard (so fetched over REST, not read from this process's cache).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import discord

log = logging.getLogger(__name__)


class FollowRefused(Exception):
    """A home channel could not be followed: missing, not an announcement channel, or Discord said no."""


async def follow_homes(
    client: discord.Client, home_ids: Sequence[int], destination: discord.TextChannel, reason: str
) -> int:
    """Make ``destination`` follow each home channel (Discord delivers through a webhook it creates there);
    returns the id of the server the home channels are in."""
    guild_id = 0
    for home_id in home_ids:
        try:
            home = await client.fetch_channel(home_id)
            if not isinstance(home, discord.TextChannel) or not home.is_news():
                raise TypeError(f"channel {home_id} is not an announcement channel")
            await home.follow(destination=destination, reason=reason)
        except (discord.HTTPException, TypeError) as exc:
            log.warning("follow of home channel %s into %s failed: %s", home_id, destination.id, exc)
            raise FollowRefused(str(exc)) from exc
        guild_id = home.guild.id
    return guild_id
