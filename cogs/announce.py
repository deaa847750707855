"""/announce: channel subscriptions, and the worker that posts each new review to them exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any, Literal

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.announce.worker import Announcer, SendOutcome
from bot.answers.announcements import (
    announcement,
    log_reply,
    preview_text,
    subscriptions_reply,
    thread_name,
    title_log_reply,
)
from bot.answers.cards import Reply
from bot.answers.filters import criteria_from_options
from bot.client.render import NO_MENTIONS, answer, message_kwargs, send_reply
from bot.domain.models import DeliveryJob, StoredReview, Subscription
from bot.health import supervise
from cogs._shared import Name, Title, choices, named, require_manage_guild

#: A filter option: comma-separated values, each bounded by the criteria model.
Filter = app_commands.Range[str, 1, 1000]

if TYPE_CHECKING:
    from bot.client.bot import FestivalBot

log = logging.getLogger(__name__)

UNKNOWN_MESSAGE = 10008
ALL = "all"


def mentions_for(subscription: Subscription) -> discord.AllowedMentions:
    """Nobody is pinged unless the subscription opted in to one role; then only that role."""
    if subscription.role_id is None:
        return NO_MENTIONS
    return discord.AllowedMentions(
        everyone=False, users=False, replied_user=False, roles=[discord.Object(subscription.role_id)]
    )


class DiscordSender:
    """Posts one delivery with discord.py and says how it went, in the worker's terms."""

    def __init__(self, bot: FestivalBot) -> None:
        self.bot = bot
        self.services = bot.services

    def _kwargs(self, stored: StoredReview, subscription: Subscription) -> dict[str, Any]:
        kwargs = message_kwargs(announcement(stored, subscription, self.services.answers.links))
        kwargs["allowed_mentions"] = mentions_for(subscription)
        return kwargs

    async def post(self, stored: StoredReview, subscription: Subscription, nonce: str | None) -> tuple[int, int | None]:
        """Post now; returns (message id, thread id). Raises discord.py's exceptions."""
        kwargs = self._kwargs(stored, subscription)
        if subscription.forum:
            forum = self.bot.get_channel(subscription.channel_id) or await self.bot.fetch_channel(
                subscription.channel_id
            )
            if not isinstance(forum, discord.ForumChannel):
                raise TypeError(f"channel {subscription.channel_id} is no longer a forum")
            name = thread_name(stored)
            # Thread creation takes no nonce: after a crash, reuse the post we already made.
            for thread in forum.threads:
                if thread.name == name and self.bot.user and thread.owner_id == self.bot.user.id:
                    return thread.id, thread.id
            created = await forum.create_thread(name=name, **kwargs)
            return created.message.id, created.thread.id
        channel = self.bot.get_partial_messageable(subscription.channel_id, guild_id=subscription.guild_id)
        if nonce is not None:
            kwargs["nonce"] = nonce  # discord.py sends enforce_nonce with every nonce
        message = await channel.send(**kwargs)
        return message.id, None

    async def deliver(self, job: DeliveryJob) -> SendOutcome:
        stored = await self.services.store.get(job.review_id)
        if stored is None:
            return SendOutcome(kind="fail", reason="the review no longer exists")
        try:
            if job.action == "edit" and job.message_id:
                where = job.thread_id or job.subscription.channel_id
                message = self.bot.get_partial_messageable(where).get_partial_message(job.message_id)
                await message.edit(**self._kwargs(stored, job.subscription))
                return SendOutcome.sent(job.message_id, job.thread_id)
            message_id, thread_id = await self.post(stored, job.subscription, job.nonce)
            return SendOutcome.sent(message_id, thread_id)
        except discord.Forbidden as exc:
            return SendOutcome(kind="pause", reason=f"Discord refused: {exc.text or 'missing access or permissions'}")
        except discord.NotFound as exc:
            if exc.code == UNKNOWN_MESSAGE:
                return SendOutcome(kind="fail", reason="the announced message was deleted")
            return SendOutcome(kind="pause", reason=f"the channel is gone ({exc.text or 'unknown channel'})")
        except discord.HTTPException as exc:
            if exc.status == 429 or exc.status >= 500:
                return SendOutcome(kind="retry", reason=f"HTTP {exc.status}: {exc.text}")
            return SendOutcome(kind="fail", reason=f"HTTP {exc.status}: {exc.text}")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return SendOutcome(kind="retry", reason=f"{type(exc).__name__}: {exc}")
        except TypeError as exc:
            return SendOutcome(kind="pause", reason=str(exc))


def missing_permissions(channel: discord.abc.GuildChannel, me: discord.Member, forum: bool) -> list[str]:
    perms = channel.permissions_for(me)
    needed = {"view_channel": "View Channel", "send_messages": "Send Messages", "embed_links": "Embed Links"}
    if forum:
        needed["send_messages_in_threads"] = "Send Messages in Threads"
    return [label for flag, label in needed.items() if not getattr(perms, flag)]


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
        self.announcer = Announcer(self.ledger, self.sender, status=self.status)
        self._task: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self._task = asyncio.create_task(supervise(self.status, self._work), name="announcer")

    async def cog_unload(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _work(self) -> None:
        # An event-driven worker rather than tasks.loop: it wakes on new deliveries and sleeps until
        # the next retry is due, instead of polling on a fixed beat.
        await self.bot.wait_until_ready()
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
        style="Full card (embed) or one compact line",
        role="Ping this role with each announcement (opt-in)",
        # Filters: each list is "any of", comma-separated; the filters together are "all of".
        words="Only reviews with any of these words in the title or review (comma-separated)",
        country="Only films from any of these countries (comma-separated)",
        person="Only films with any of these directors or cast (comma-separated)",
        sales="Only films sold by any of these sales companies (comma-separated)",
        min_rating="Only reviews rated at least this, out of 100 (unrated reviews are left out)",
        publication="Only reviews from any of these publications (comma-separated)",
    )
    async def subscribe(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel | discord.ForumChannel,
        festival: Name,
        section: Name | None = None,
        style: Literal["embed", "compact"] = "embed",
        role: discord.Role | None = None,
        words: Filter | None = None,
        country: Filter | None = None,
        person: Filter | None = None,
        sales: Filter | None = None,
        min_rating: app_commands.Range[int, 0, 100] | None = None,
        publication: Filter | None = None,
    ) -> None:
        """Post each new review from a festival to a channel, once."""
        name, error = self._festival(festival)
        filters, filter_error = criteria_from_options(
            words=words, country=country, person=person, sales=sales, publication=publication, min_rating=min_rating
        )
        error = error or filter_error
        if error or filters is None:
            await send_reply(interaction, Reply.notice(error or "Those filters don't work."))
            return
        guild = interaction.guild
        assert guild is not None  # interaction_check
        target = guild.get_channel(channel.id)
        forum = isinstance(target, discord.ForumChannel)
        if target is None or guild.me is None:
            await send_reply(interaction, Reply.notice(f"I can't see <#{channel.id}>. Give me View Channel there."))
            return
        missing = missing_permissions(target, guild.me, forum)
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
            style=style,
            role_id=role.id if role else None,
            forum=forum,
            created_by=interaction.user.id,
            filters=filters,
        )
        what = (name or "every festival") + (f" · {canonical_section}" if canonical_section else "")
        if not filters.empty:
            what += f", filtered by {filters.describe()}"
        text = (
            f"{'Subscribed' if created else 'Updated'}: new reviews from {what} will be posted in <#{channel.id}>"
            f" ({style}{', pinging ' + role.mention if role else ''}). Nothing old is reposted;"
            " use /announce backfill to post recent ones."
        )
        if role and not role.mentionable and not target.permissions_for(guild.me).mention_everyone:
            text += f"\nNote: {role.mention} is not mentionable and I lack Mention All Roles, so it won't be pinged."
        log.info("subscription %s: guild=%s channel=%s festival=%s", sub.id, guild.id, channel.id, name)
        await send_reply(interaction, Reply.notice(text))

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
        await send_reply(interaction, subscriptions_reply(subscriptions, self.services.health.snapshot()))

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
        subs = [s for s in await self.ledger.subscriptions(interaction.guild.id) if s.channel_id == channel.id]
        if not subs:
            await send_reply(interaction, Reply.notice(f"<#{channel.id}> has no subscription. Subscribe it first."))
            return
        queued = await self.ledger.backfill(subs, count)
        self.announcer.wake()
        await send_reply(
            interaction, Reply.notice(f"Queued {queued} review{'s' if queued != 1 else ''} for <#{channel.id}>.")
        )

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
