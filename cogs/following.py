"""Follow mode's Discord side: a server's channel follows (or stops following) the bot's home channels.

Not a cog: the glue behind ``/announce follow`` and ``/announce unfollow``, and the worker's step that
extends the follows of servers following every festival to a pool channel added since. Home channels are
in the bot's own server, maybe on another process's shard, so they are fetched over REST. A follow is a
webhook Discord makes in the following channel: the bot needs Manage Webhooks there to make, list or
delete one.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

import discord

from bot.answers.cards import Reply

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


class FollowRefused(Exception):
    """A home channel could not be followed: missing, not an announcement channel, or Discord said no."""


async def follow_homes(
    client: discord.Client,
    home_ids: Sequence[int],
    destination: discord.TextChannel,
    reason: str,
    already: Collection[int] = (),
) -> int:
    """Make ``destination`` follow each home channel (but those it ``already`` follows); returns the id of the
    server the home channels are in."""
    guild_id = 0
    for home_id in home_ids:
        try:
            home = await client.fetch_channel(home_id)
            if not isinstance(home, discord.TextChannel) or not home.is_news():
                raise TypeError(f"channel {home_id} is not an announcement channel")
            if home_id not in already:
                await home.follow(destination=destination, reason=reason)
        except (discord.HTTPException, TypeError) as exc:
            log.warning("follow of home channel %s into %s failed: %s", home_id, destination.id, exc)
            raise FollowRefused(str(exc)) from exc
        guild_id = home.guild.id
    return guild_id


async def followed_homes(channel: discord.TextChannel, homes: Collection[int]) -> dict[int, discord.Webhook]:
    """The follows of ``homes`` that ``channel`` has now (whoever set them up), by home channel."""
    found = {}
    for hook in await channel.webhooks():
        source = hook.source_channel
        if hook.type is discord.WebhookType.channel_follower and source is not None and source.id in homes:
            found[source.id] = hook
    return found


def _can_follow(interaction: discord.Interaction[discord.Client], channel: discord.TextChannel) -> str | None:
    me = interaction.guild.me if interaction.guild else None
    if me is None or not channel.permissions_for(me).manage_webhooks:
        return f"I need Manage Webhooks in <#{channel.id}> (Discord delivers a follow through a webhook there)."
    return None


async def follow(
    services: Services, interaction: discord.Interaction[discord.Client], channel: discord.TextChannel, name: str | None
) -> Reply:
    """``/announce follow``: follow the festival's home channel (or every pool channel for all festivals)."""
    homes, ledger = services.settings.home_channels, services.ledger
    own = homes.own_channel(name)
    if own is None and not homes.pool:
        text = f"This bot has no announcement channel to follow for {name or 'every festival'}."
        return Reply.notice(text + " Use /announce subscribe to get direct posts.")
    if problem := _can_follow(interaction, channel):
        return Reply.notice(problem)
    assert interaction.guild is not None
    # A festival's own channel; else the pool channel carrying it, or every pool channel for all festivals.
    targets = [own] if own is not None else await ledger.pool_homes(name, homes.pool)
    try:
        reason = f"/announce follow by {interaction.user.id}"
        home_guild = await follow_homes(interaction.client, targets, channel, reason)
    except FollowRefused:
        return Reply.notice(
            "Discord did not set up the follow; the bot's operator must check its home channel setting."
        )
    # The home channels get the festival's reviews (once: subscribing again is a no-op), and a direct
    # subscription of this channel to the same festival would now bring each review twice: it goes.
    for home_id in targets:
        await ledger.subscribe(guild_id=home_guild, channel_id=home_id, festival=name)
    await ledger.record_follow(interaction.guild.id, channel.id, name, targets)
    removed = await ledger.unsubscribe(interaction.guild.id, channel.id, name)
    log.info("follow: guild=%s channel=%s follows %s (festival=%s)", interaction.guild.id, channel.id, targets, name)
    return Reply.notice(
        f"<#{channel.id}> now follows the bot's announcement channel{'s' if len(targets) > 1 else ''} for"
        f" {name or 'every festival'}: each new review is posted there once and Discord copies it here."
        + (" Its direct subscription for the same festival was removed, so nothing comes twice." if removed else "")
    )


async def unfollow(
    services: Services, interaction: discord.Interaction[discord.Client], channel: discord.TextChannel, name: str | None
) -> Reply:
    """``/announce unfollow``: undo the follows of the festival's home channels (all of them for ``all``), but
    those the channel still needs for another festival it follows."""
    if problem := _can_follow(interaction, channel):
        return Reply.notice(problem)
    homes = services.settings.home_channels
    leaving, staying = await services.ledger.follows_of(channel.id, name)
    own = homes.own_channel(name)
    wanted = set(homes.ids()) if name is None else {*leaving, *([own] if own is not None else [])}
    removed = 0
    for home_id, hook in (await followed_homes(channel, wanted - set(staying))).items():
        await hook.delete(reason=f"/announce unfollow by {interaction.user.id}")
        log.info("unfollow: channel=%s no longer follows home %s", channel.id, home_id)
        removed += 1
    await services.ledger.forget_follow(channel.id, name)  # once the follows are gone, not before
    if not removed:
        return Reply.notice(f"<#{channel.id}> does not follow the bot's announcements for {name or 'any festival'}.")
    return Reply.notice(
        f"<#{channel.id}> no longer follows the bot's announcements for {name or 'any festival'}"
        f" ({removed} follow{'s' if removed > 1 else ''} removed)."
    )


async def extend_follows(services: Services, client: discord.Client) -> int:
    """Servers following every festival follow each pool channel added since they followed (until then no
    festival is given it, so nothing is lost); a server that undid its follow in Discord is forgotten.
    Returns how many follows were added. Runs in the delivery worker's process alone."""
    homes, ledger = services.settings.home_channels, services.ledger
    if not homes.pool:
        return 0
    added = 0
    for (guild_id, channel_id), recorded in (await ledger.following_all(homes.pool)).items():
        missing = [home for home in homes.pool if home not in recorded]
        if not missing:
            continue
        try:
            channel = await client.fetch_channel(channel_id)
            if not isinstance(channel, discord.TextChannel):
                raise TypeError(f"channel {channel_id} is not a text channel")
            now = await followed_homes(channel, homes.ids())
            if not now:  # the server stopped following in Discord's own settings
                await ledger.forget_follow(channel_id, "")
                continue
            home_guild = await follow_homes(client, missing, channel, "festbot: a home channel was added", set(now))
        except (discord.HTTPException, TypeError, FollowRefused) as exc:
            log.warning("could not extend the follows of channel %s to %s: %s", channel_id, missing, exc)
            continue
        for home_id in missing:
            await ledger.subscribe(guild_id=home_guild, channel_id=home_id, festival=None)
        await ledger.record_follow(guild_id, channel_id, None, missing)
        added += len(missing)
    return added
