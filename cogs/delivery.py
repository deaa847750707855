"""The delivery worker's sender: posts one delivery with discord.py, and publishes it in a home channel.

Follow mode: a home channel (``FESTBOT_HOME_CHANNELS``) is an announcement channel of the bot's own server
that other servers follow (``/announce follow``); a review posted there is published (crossposted) at once,
and Discord copies it into every following channel, outside the bot's rate limit. Publishing is limited to
10 an hour per channel (:mod:`bot.announce.publishing`): a review that would exceed it waits, unposted.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import aiohttp
import discord

from bot.announce.publishing import PublishBudget
from bot.announce.worker import SendOutcome
from bot.answers.announcements import announcement, thread_name
from bot.client.render import NO_MENTIONS, message_kwargs
from bot.domain.models import DeliveryJob, StoredReview, Subscription

if TYPE_CHECKING:
    from bot.client.bot import FestivalBot

log = logging.getLogger(__name__)

UNKNOWN_MESSAGE = 10008
ALREADY_PUBLISHED = 40033


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
        self.home_channels = bot.services.settings.home_channel_ids()
        self.publishing = PublishBudget(bot.services.ledger)

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

    async def publish(self, channel_id: int, message_id: int) -> None:
        """Publish a post in a home channel, so Discord copies it to every following channel.

        Its failure does not undo the post: the home channel has the review (and the delivery is recorded),
        only the followers miss it; logged for the operator. Already published (40033) is a resend's success.
        """
        await self.publishing.spend(channel_id)
        message = self.bot.get_partial_messageable(channel_id).get_partial_message(message_id)
        try:
            await message.publish()
        except discord.HTTPException as exc:
            if exc.code != ALREADY_PUBLISHED:
                log.warning("could not publish message %s in home channel %s: %s", message_id, channel_id, exc)
        except discord.RateLimited as exc:
            log.warning("home channel %s: publishing is limited for %.0f s more", channel_id, exc.retry_after)

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
            home = job.subscription.channel_id in self.home_channels
            if home and (wait := await self.publishing.delay(job.subscription.channel_id)) > 0:
                return SendOutcome(kind="wait", retry_after=wait, reason="the home channel's 10 publishes an hour")
            message_id, thread_id = await self.post(stored, job.subscription, job.nonce)
            if home:
                await self.publish(job.subscription.channel_id, message_id)
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
        except discord.RateLimited as exc:  # asked to wait longer than the bot's max_ratelimit_timeout
            return SendOutcome(kind="retry", retry_after=exc.retry_after, reason=f"rate limited: {exc}")
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
