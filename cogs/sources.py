"""Review sources in the running bot: the watched inbox folder, the publications' feeds, and /feeds."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.answers.cards import Reply
from bot.answers.status import feeds_reply
from bot.client.render import send_reply
from bot.health import supervise
from bot.leadership import lead
from bot.sources.feeds.feed_list import DEFAULT_INTERVAL, FeedError, add_feed, list_feeds, remove_feed
from bot.sources.feeds.poller import FeedPoller
from bot.sources.inbox import InboxWatcher
from bot.storage.leases import Lease
from cogs._shared import Link, Name, choices, named, require_manage_guild

if TYPE_CHECKING:
    from bot.client.bot import FestivalBot


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Sources(commands.GroupCog, group_name="feeds", group_description="The review feeds the bot reads"):
    """Starts the inbox watcher and the feed poller with the bot and stops them before the store closes."""

    def __init__(self, bot: FestivalBot) -> None:
        services = bot.services
        settings = services.settings
        self.store = services.store
        self._settings = settings
        self.policy = services.fetch_policy
        self.inbox = InboxWatcher(
            services.store,
            settings.inbox,
            table=services.festivals,
            settle=settings.inbox_quiet_seconds,
            jobs=services.workers,
            status=services.health.task("inbox watcher"),
        )
        self.feeds = FeedPoller(services.store, table=services.festivals, policy=self.policy, jobs=services.workers)
        self._feeds_status = services.health.task("feed poller")
        self._tasks: list[asyncio.Task[None]] = []

    async def cog_load(self) -> None:
        # Each runs under a supervisor: restarted, with back-off, after anything it cannot ride out itself.
        # Each runs in one process at a time among those sharing the database (see bot.leadership).
        ttl = self._settings.lease_seconds
        inbox, feeds = Lease(self.store, "inbox", ttl=ttl), Lease(self.store, "feeds", ttl=ttl)
        self._tasks = [
            asyncio.create_task(
                lead(inbox, self.inbox.status, lambda: supervise(self.inbox.status, self.inbox.run)), name="inbox"
            ),
            # The poller says nothing of its health: a run that lasts a minute counts as well.
            asyncio.create_task(
                lead(
                    feeds,
                    self._feeds_status,
                    lambda: supervise(self._feeds_status, self.feeds.run, healthy_after=60.0),
                ),
                name="feeds",
            ),
        ]

    async def cog_unload(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.feeds.aclose()

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        # A server's feeds are its own (announced to its subscriptions only): its managers alone see or change them.
        return require_manage_guild(interaction, "Feeds")

    @app_commands.command(name="add")
    @app_commands.describe(
        url="RSS or Atom feed URL",
        festival='Festival for its entries, e.g. "Berlinale 2026"',
        every="Minutes between reads, 1 to 1440 (default 5)",
    )
    async def add(
        self,
        interaction: discord.Interaction[Any],
        url: Link,
        festival: Name | None = None,
        every: app_commands.Range[int, 1, 1440] | None = None,
    ) -> None:
        """Read a publication's review feed; its new reviews are announced in this server."""
        interval = every * 60.0 if every is not None else DEFAULT_INTERVAL
        try:
            feed = await add_feed(
                self.store,
                url,
                festival=festival,
                interval=interval,
                guild_id=_guild(interaction),
                policy=self.policy,
                setup_channel_id=interaction.channel_id,
            )
        except FeedError as exc:
            await send_reply(interaction, Reply.notice(f"Can't add that feed: {exc}"))
            return
        self.feeds.wake()
        await send_reply(interaction, Reply.notice(f"Added feed #{feed.id}: {feed.url}. It is read within a minute."))

    @app_commands.command(name="list")
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        """This server's feeds, with their last fetch, errors and counts."""
        await send_reply(interaction, await feeds_reply(self.store, _guild(interaction)))

    @app_commands.command(name="remove")
    @app_commands.describe(feed="The feed's number or URL")
    async def remove(self, interaction: discord.Interaction[Any], feed: Link) -> None:
        """Stop reading one of this server's feeds (its reviews stay)."""
        try:
            removed = await remove_feed(self.store, feed.strip(), guild_id=_guild(interaction))
        except FeedError as exc:
            await send_reply(interaction, Reply.notice(f"Can't remove that feed: {exc}"))
            return
        text = f"Removed feed {feed}." if removed else f"No feed {feed!r}; see /feeds list."
        await send_reply(interaction, Reply.notice(text))

    @remove.autocomplete("feed")
    async def feed_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        async def urls() -> list[str]:
            feeds = await list_feeds(self.store, guild_id=_guild(interaction))
            return [f.url for f in feeds if current.casefold() in f.url.casefold()]

        return await choices(named(urls), "feed")


def _guild(interaction: discord.Interaction[Any]) -> int:
    """The server a /feeds command acts for; never None, which would mean the operator's feeds."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage("Feeds are managed per server.")
    return interaction.guild_id


async def setup(bot: FestivalBot) -> None:
    await bot.add_cog(Sources(bot))
