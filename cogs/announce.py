"""/announce: channel subscriptions, and the worker that posts each new review to them exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.announce.notices import NoticeWorker
from bot.announce.worker import Announcer, Pacer
from bot.answers.announcements import delivery_text, log_reply, preview_text, subscriptions_reply, title_log_reply
from bot.answers.cards import Reply
from bot.answers.delivery_options import delivery_options
from bot.answers.filters import criteria_from_options
from bot.client.render import answer, send_reply
from bot.domain.models import Subscription
from bot.domain.schedule import zones_matching
from bot.health import supervise
from bot.leadership import lead
from bot.storage.leases import Lease
from cogs import following
from cogs._shared import Name, Title, choices, named, require_manage_guild
from cogs.delivery import DiscordSender, missing_permissions

#: A filter option: comma-separated values, each bounded by the criteria model.
Filter = app_commands.Range[str, 1, 1000]

if TYPE_CHECKING:
    from bot.client.bot import FestivalBot

log = logging.getLogger(__name__)

ALL = "all"


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Announce(commands.GroupCog, group_name="announce", group_description="Post new festival reviews to channels"):
    """Subscriptions are a server setting: only members with Manage Server may change or see them."""

    def __init__(self, bot: FestivalBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.ledger = bot.services.ledger
        self.sender = DiscordSender(bot)
        self.status = bot.services.health.task("delivery worker")
        self.notice_status = bot.services.health.task("digests and alerts")
        self.notices = NoticeWorker(self.ledger, self.sender, status=self.notice_status)
        pacer = Pacer(global_limit=(bot.services.settings.send_rate, 1.0))
        self.announcer = Announcer(
            self.ledger, self.sender, pacer=pacer, status=self.status, on_pause=self.notices.wake
        )
        # One pace for everything the workers post: deliveries, their threads, digests and alerts.
        self.notices.pacer = self.sender.pacer = self.announcer.pacer
        # A review stored by another process (festbot ingest, another bot process's feed) queues its deliveries in
        # the same transaction: on PostgreSQL its notification wakes the worker at once instead of its next poll.
        bot.services.store.on_reviews_changed.append(self.announcer.wake)
        self._tasks: list[asyncio.Task[None]] = []
        self.lease = Lease(bot.services.store, "delivery", ttl=bot.services.settings.lease_seconds)

    async def cog_load(self) -> None:
        # One delivery worker among all the processes on the database: it alone paces the bot's sends, so the
        # digests and alerts go out from it too (the same lease holder, the same pacer).
        notices_lease = Lease(self.services.store, "delivery", self.lease.holder, ttl=self.lease.ttl)
        self._tasks = [
            asyncio.create_task(
                lead(self.lease, self.status, lambda: supervise(self.status, self._work)), name="announcer"
            ),
            asyncio.create_task(
                lead(notices_lease, self.notice_status, lambda: supervise(self.notice_status, self._notices)),
                name="notices",
            ),
        ]

    async def cog_unload(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _notices(self) -> None:
        await self.bot.wait_until_ready()
        await self.notices.run()

    async def _work(self) -> None:
        # An event-driven worker rather than tasks.loop: it wakes on new deliveries and sleeps until
        # the next retry is due, instead of polling on a fixed beat.
        await self.bot.wait_until_ready()
        try:  # the delivery worker's process alone: a pool channel added since is followed before it is used
            await following.extend_follows(self.services, self.bot)
        except Exception:
            log.exception("could not extend follows to new home channels; retried at the next start")
        await self.announcer.run()

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        return require_manage_guild(interaction, "Announcements")

    def _festival(self, typed: str | None) -> tuple[str | None, str | None]:
        """(canonical name or None for all, error text)."""
        if typed is None or typed.strip().casefold() in (ALL, "every", "*", ""):
            return None, None
        known = self.services.festivals.find(typed)
        if known is None:
            return None, f"I don't know a festival called “{typed[:60]}”. Pick one from the list, or `all`."
        return known.name, None

    @app_commands.command(name="subscribe")
    @app_commands.describe(
        channel="Where to post (a forum gets one post per review)",
        festival="Festival name, or 'all'",
        section="Only this section (e.g. Competition)",
        style="Full card (embed), one compact line, or a daily digest of the day's reviews",
        role="Ping this role with each announcement (opt-in)",
        # Filters: each list is "any of", comma-separated; the filters together are "all of".
        words="Only reviews with any of these words in the title or review (comma-separated)",
        country="Only films from any of these countries (comma-separated)",
        person="Only films with any of these directors or cast (comma-separated)",
        sales="Only films sold by any of these sales companies (comma-separated)",
        min_rating="Only reviews rated at least this, out of 100 (unrated reviews are left out)",
        publication="Only reviews from any of these publications (comma-separated)",
        hour="Digest only: the hour of the day it is posted, 0-23 (default 9)",
        timezone="Digest only: the time zone of that hour, e.g. Europe/Berlin (default UTC)",
        thread="Open a discussion thread under each posted review (text channels)",
    )
    async def subscribe(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel | discord.ForumChannel,
        festival: Name,
        section: Name | None = None,
        style: Literal["embed", "compact", "digest"] = "embed",
        role: discord.Role | None = None,
        words: Filter | None = None,
        country: Filter | None = None,
        person: Filter | None = None,
        sales: Filter | None = None,
        min_rating: app_commands.Range[int, 0, 100] | None = None,
        publication: Filter | None = None,
        hour: app_commands.Range[int, 0, 23] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        thread: bool = False,
    ) -> None:
        """Post each new review from a festival to a channel, once (or a digest of them daily)."""
        name, error = self._festival(festival)
        filters, filter_error = criteria_from_options(
            words=words, country=country, person=person, sales=sales, publication=publication, min_rating=min_rating
        )
        options = delivery_options(
            style,
            hour,
            timezone,
            thread,
            forum=isinstance(channel, discord.ForumChannel),
            setup_channel_id=interaction.channel_id,
        )
        error = error or filter_error or (options if isinstance(options, str) else None)
        if error or filters is None or isinstance(options, str):
            await send_reply(interaction, Reply.notice(error or "Those filters don't work."))
            return
        guild = interaction.guild
        assert guild is not None  # interaction_check
        target = guild.get_channel(channel.id)
        forum = isinstance(target, discord.ForumChannel)
        if target is None or guild.me is None:
            await send_reply(interaction, Reply.notice(f"I can't see <#{channel.id}>. Give me View Channel there."))
            return
        missing = missing_permissions(target, guild.me, forum, options.thread)
        if missing:
            text = f"I can't post in <#{channel.id}>: I'm missing {', '.join(missing)}. Grant them and subscribe again."
            await send_reply(interaction, Reply.notice(text))
            return
        known = self.services.festivals.find(name) if name else None
        canonical_section = self.services.festivals.canonical_section(known, section) if known and section else section
        sub, created = await self.ledger.subscribe(
            guild_id=guild.id,
            channel_id=channel.id,
            festival=name,
            section=canonical_section,
            style="embed" if style == "digest" else style,
            role_id=role.id if role else None,
            forum=forum,
            created_by=interaction.user.id,
            filters=filters,
            delivery=options,
        )
        self.notices.wake()  # a resumed subscription's recovery notice
        what = (name or "every festival") + (f" · {canonical_section}" if canonical_section else "")
        if not filters.empty:
            what += f", filtered by {filters.describe()}"
        how = "listed in a daily digest" if sub.is_digest else "posted"
        text = (
            f"{'Subscribed' if created else 'Updated'}: new reviews from {what} will be {how} in <#{channel.id}>"
            f" ({delivery_text(sub)}{', pinging ' + role.mention if role else ''}). Nothing old is reposted;"
            " use /announce backfill to post recent ones."
        )
        if role and not role.mentionable and not target.permissions_for(guild.me).mention_everyone:
            text += f"\nNote: {role.mention} is not mentionable and I lack Mention All Roles, so it won't be pinged."
        log.info("subscription %s: guild=%s channel=%s festival=%s", sub.id, guild.id, channel.id, name)
        await send_reply(interaction, Reply.notice(text))

    @app_commands.command(name="follow")
    @app_commands.describe(
        channel="Where the reviews should appear (I need Manage Webhooks there)", festival="Festival name, or 'all'"
    )
    async def follow(self, interaction: discord.Interaction[Any], channel: discord.TextChannel, festival: Name) -> None:
        """Get a festival's reviews by following the bot's announcement channel: Discord delivers them."""
        name, error = self._festival(festival)
        if error:
            await send_reply(interaction, Reply.notice(error))
            return
        await send_reply(interaction, await following.follow(self.services, interaction, channel, name))

    @app_commands.command(name="unfollow")
    @app_commands.describe(channel="The channel following the bot's announcements", festival="Festival name, or 'all'")
    async def unfollow(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel, festival: Name | None = None
    ) -> None:
        """Stop following the bot's announcement channel for a festival (or every festival)."""
        name, error = self._festival(festival)
        if error:
            await send_reply(interaction, Reply.notice(error))
            return
        await send_reply(interaction, await following.unfollow(self.services, interaction, channel, name))

    @app_commands.command(name="unsubscribe")
    @app_commands.describe(channel="The channel", festival="Only this festival's subscription (default: all of them)")
    async def unsubscribe(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel | discord.ForumChannel,
        festival: Name | None = None,
    ) -> None:
        """Stop posting reviews to a channel."""
        name, error = self._festival(festival)
        if error:
            await send_reply(interaction, Reply.notice(error))
            return
        assert interaction.guild is not None
        removed = await self.ledger.unsubscribe(interaction.guild.id, channel.id, name)
        text = (
            f"Removed {removed} subscription{'s' if removed != 1 else ''} from <#{channel.id}>."
            if removed
            else (f"<#{channel.id}> had no matching subscription.")
        )
        await send_reply(interaction, Reply.notice(text))

    @app_commands.command(name="list")
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        """This server's subscriptions, with their state and why any is paused; how the delivery is doing."""
        assert interaction.guild is not None
        subscriptions = await self.ledger.subscriptions(interaction.guild.id)
        alerts = await self.ledger.alert_channel(interaction.guild.id)
        await send_reply(
            interaction, subscriptions_reply(subscriptions, self.services.health.snapshot(), alerts, show_alerts=True)
        )

    @app_commands.command(name="test")
    @app_commands.describe(channel="A subscribed channel (default: the first subscription)")
    async def test(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel | discord.ForumChannel | None = None
    ) -> None:
        """Post a preview of the latest matching review now."""
        assert interaction.guild is not None
        subs = [
            s
            for s in await self.ledger.subscriptions(interaction.guild.id)
            if channel is None or s.channel_id == channel.id
        ]
        if not subs:
            await send_reply(interaction, Reply.notice("No subscription to preview. Add one with /announce subscribe."))
            return
        await answer(interaction, self._preview(subs[0]))

    async def _preview(self, sub: Subscription) -> Reply:
        """Post the newest matching review; say which filter let it through, and which kept a newer one out."""
        store = self.services.store
        review_id = await self.ledger.latest_matching(sub)
        stored = await store.get(review_id) if review_id else None
        newest_id = await self.ledger.newest_of_festival(sub) if not sub.filters.empty else None
        newest = await store.get(newest_id) if newest_id else None
        if stored is not None:
            try:
                await self.sender.post(stored, sub, nonce=None)
            except discord.HTTPException as exc:
                return Reply.notice(f"Posting to <#{sub.channel_id}> failed: {exc.text or exc.status}")
        return Reply.notice(preview_text(sub, stored, newest))

    @app_commands.command(name="log")
    @app_commands.describe(title="Explain, for one film, why each channel did or did not get it")
    async def log_(self, interaction: discord.Interaction[Any], title: Title | None = None) -> None:
        """Recent deliveries and their state (sent, queued, retrying, failed, filtered out)."""
        await answer(interaction, self._log(interaction.guild.id if interaction.guild else 0, title))

    async def _log(self, guild_id: int, title: str | None) -> Reply:
        if not title:
            return log_reply(await self.ledger.log(guild_id))
        found = await self.services.answers.resolve(title)
        if isinstance(found, list):
            return Reply.notice("Pick the film from the suggestions to see its announcements.")
        records = await self.ledger.log(guild_id, found.id, limit=100)
        return title_log_reply(found, await self.ledger.subscriptions(guild_id), records)

    @app_commands.command(name="backfill")
    @app_commands.describe(channel="A subscribed channel", count="How many of the newest matching reviews to post")
    async def backfill(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel | discord.ForumChannel,
        count: app_commands.Range[int, 1, 25] = 5,
    ) -> None:
        """Post the newest matching reviews that this channel has not had yet."""
        assert interaction.guild is not None
        if channel.id in self.services.settings.home_channels.ids():  # its followers would get old reviews
            text = f"<#{channel.id}> is a home channel of follow mode: it only gets reviews as they are published."
            await send_reply(interaction, Reply.notice(text))
            return
        every = await self.ledger.subscriptions(interaction.guild.id)
        subs = [s for s in every if s.channel_id == channel.id and not s.is_digest]
        if not subs:
            await send_reply(interaction, Reply.notice(f"<#{channel.id}> has no subscription. Subscribe it first."))
            return
        queued = await self.ledger.backfill(subs, count)
        self.announcer.wake()
        await send_reply(
            interaction, Reply.notice(f"Queued {queued} review{'s' if queued != 1 else ''} for <#{channel.id}>.")
        )

    @app_commands.command(name="alerts")
    @app_commands.describe(channel="Where health alerts go (leave out: back to where each thing was set up)")
    async def alerts(self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None) -> None:
        """Choose the channel told when a subscription pauses or a feed keeps failing, and when it recovers."""
        guild = interaction.guild
        assert guild is not None
        if channel is not None:
            target = guild.get_channel(channel.id)
            missing = missing_permissions(target, guild.me, False) if target and guild.me else ["View Channel"]
            if missing:
                text = f"I can't post in <#{channel.id}>: I'm missing {', '.join(missing)}. Grant them and try again."
                await send_reply(interaction, Reply.notice(text))
                return
        await self.ledger.set_alert_channel(guild.id, channel.id if channel else None)
        text = (
            f"Health alerts now go to <#{channel.id}>."
            if channel
            else "Health alerts now go to the channel each subscription or feed was set up from."
        )
        await send_reply(interaction, Reply.notice(text))

    @subscribe.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await choices(named(lambda: zones_matching(current)), "timezone")

    @subscribe.autocomplete("festival")
    @unsubscribe.autocomplete("festival")
    async def festival_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        def names() -> list[str]:
            every = [ALL] if ALL.startswith(current.strip().casefold()) else []
            return every + self.services.festivals.matching(current)

        return await choices(named(names), "festival")

    @subscribe.autocomplete("section")
    async def section_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        festival = getattr(interaction.namespace, "festival", "") or ""
        return await choices(named(lambda: self.services.festivals.sections_matching(festival, current)), "section")

    @log_.autocomplete("title")
    async def title_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await choices(self.services.answers.autocomplete(current), "title")


async def setup(bot: FestivalBot) -> None:
    await bot.add_cog(Announce(bot))
