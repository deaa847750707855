"""The announcement workers' Discord side: posting a delivery (with its thread), a digest or a health alert,
publishing it in a home channel, and saying how it went in the workers' terms.

Follow mode: a home channel (``FESTBOT_HOME_CHANNELS``) is an announcement channel of the bot's own server
that other servers follow (``/announce follow``); a review posted there is published (crossposted) at once,
and Discord copies it into every following channel, outside the bot's rate limit. It is delivered once
published: a failed publish is retried like a failed post. Publishing is limited to
10 an hour per channel (:mod:`bot.announce.publishing`): a review that would exceed it waits, unposted.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

import aiohttp
import discord

from bot.announce.publishing import PublishBudget
from bot.announce.worker import Pacer, SendOutcome
from bot.answers.announcements import announcement, thread_name
from bot.answers.cards import Reply
from bot.answers.notices import alert_reply, digest_reply
from bot.client.render import NO_MENTIONS, message_kwargs
from bot.domain.models import DeliveryJob, NoticeJob, StoredReview, Subscription
from bot.domain.text import truncate

if TYPE_CHECKING:
    from bot.client.bot import FestivalBot

log = logging.getLogger(__name__)

UNKNOWN_MESSAGE = 10008
ALREADY_PUBLISHED = 40033
#: discord.py's key for the publish route, under which it files the route's rate-limit bucket hash.
PUBLISH_ROUTE = "POST /channels/{channel_id}/messages/{message_id}/crosspost"
THREAD_ALREADY_CREATED = 160004  # Discord: a thread has already been created for this message
#: A thread under a text-channel post closes after a day without messages.
THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440


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
        self.pacer: Pacer | None = None  # the workers' pace, for the requests a delivery makes beyond its post
        self.home_channels = bot.services.settings.home_channels.ids()
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
        if not subscription.thread:
            return message.id, None
        return message.id, await self.open_thread(subscription.channel_id, message.id, thread_name(stored))

    async def open_thread(self, channel_id: int, message_id: int, name: str) -> int | None:
        """A discussion thread under a posted message, once: a thread started from a message has the message's
        id, and Discord refuses a second one, so a resend after a crash (the nonce returns the same message)
        finds the thread already there. A thread refused for missing permissions leaves the post as it is."""
        if self.pacer is not None:  # a second request for this delivery: it takes its own turn
            await self.pacer.acquire(channel_id)
        try:
            await self.bot.http.start_thread_with_message(
                channel_id, message_id, name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
        except discord.Forbidden as exc:
            log.warning("no thread under message %s in channel %s: %s", message_id, channel_id, exc.text)
            return None
        except discord.HTTPException as exc:
            if exc.code != THREAD_ALREADY_CREATED:
                raise
        return message_id

    async def publish(self, channel_id: int, message_id: int) -> None:
        """Publish a post in a home channel, so Discord copies it to every following channel.

        Raises discord.py's exceptions: a post its followers never got is not delivered, so the delivery is
        retried, and the resend (the same nonce) finds the post made and publishes it. Already published
        (40033) is a resend's success.
        """
        await self.publishing.spend(channel_id)
        self._forget_publish_window(channel_id)
        message = self.bot.get_partial_messageable(channel_id).get_partial_message(message_id)
        try:
            await message.publish()
        except discord.HTTPException as exc:
            if exc.code != ALREADY_PUBLISHED:
                raise

    def _forget_publish_window(self, channel_id: int) -> None:
        """discord.py refuses, before sending, any request whose bucket resets more than ``max_ratelimit_timeout``
        from now, requests left or not (``Ratelimit.acquire``): publishing's window is an hour, so after one
        publish it would refuse the channel's next nine for that hour. :class:`PublishBudget` paces publishes
        from the database, so the bucket's end is forgotten before each; a real 429 still raises RateLimited.
        (Private attributes of discord.py's HTTP client: ``test_follow_e2e`` publishes twice in one channel.)"""
        http = self.bot.http
        # getattr: should a discord.py release rename them, publishing goes on as before this fix, never fails.
        bucket_hash = getattr(http, "_bucket_hashes", {}).get(PUBLISH_ROUTE)
        bucket = getattr(http, "_buckets", {}).get(f"{bucket_hash}:{channel_id}") if bucket_hash else None
        if bucket is not None and bucket.remaining > 0:
            bucket.expires = None

    async def deliver(self, job: DeliveryJob) -> SendOutcome:
        stored = await self.services.store.get(job.review_id)
        if stored is None:
            return SendOutcome(kind="fail", reason="the review no longer exists")
        try:
            if job.action == "edit" and job.message_id:
                # A forum post's first message is in its thread; a text channel's post stays in the channel.
                where = (job.thread_id if job.subscription.forum else None) or job.subscription.channel_id
                message = self.bot.get_partial_messageable(where).get_partial_message(job.message_id)
                await message.edit(**self._kwargs(stored, job.subscription))
                return SendOutcome.sent(job.message_id, job.thread_id)
            home = job.subscription.channel_id in self.home_channels
            if home and (wait := await self.publishing.delay(job.subscription.channel_id)) > 0:
                return SendOutcome(kind="wait", retry_after=wait, reason="the home channel's 10 publishes an hour")
            message_id, thread_id = await self.post(stored, job.subscription, job.nonce)
            if home:
                try:
                    await self.publish(job.subscription.channel_id, message_id)
                except discord.RateLimited as exc:  # spent by something else: wait, uncounted, for the hour
                    log.warning(
                        "home channel %s: publishing is limited for %.0f s more",
                        job.subscription.channel_id,
                        exc.retry_after,
                    )
                    return SendOutcome(kind="wait", retry_after=exc.retry_after, reason="Discord limits publishing")
            return SendOutcome.sent(message_id, thread_id)
        except Exception as exc:
            return outcome_of(exc)

    async def post_notice(self, job: NoticeJob) -> SendOutcome:
        """Post a health alert or a day's digest (a forum gets a post of its own); the nonce makes a resend land
        on the message already posted."""
        try:
            reply, sub = await self._notice_reply(job)
            if reply is None:
                return SendOutcome(kind="fail", reason="nothing left to post: its reviews were removed")
            kwargs = message_kwargs(reply)
            kwargs["allowed_mentions"] = mentions_for(sub) if sub is not None else NO_MENTIONS
            if sub is not None and sub.forum and job.digest is not None:
                forum = self.bot.get_channel(sub.channel_id) or await self.bot.fetch_channel(sub.channel_id)
                if not isinstance(forum, discord.ForumChannel):
                    raise TypeError(f"channel {sub.channel_id} is no longer a forum")
                what = (sub.festival or "all festivals") + (f" · {sub.section}" if sub.section else "")
                name = truncate(f"Digest · {what} · {job.digest.date.isoformat()}", 100)
                # As for a review's forum post, no nonce: after a crash, the post already made is the one.
                for thread in forum.threads:
                    if thread.name == name and self.bot.user and thread.owner_id == self.bot.user.id:
                        return SendOutcome.sent(thread.id, thread.id)
                created = await forum.create_thread(name=name, **kwargs)
                return SendOutcome.sent(created.message.id, created.thread.id)
            assert job.channel_id is not None  # the worker gives up on a notice without one
            channel = self.bot.get_partial_messageable(job.channel_id, guild_id=job.guild_id)
            message = await channel.send(nonce=job.nonce, **kwargs)
            return SendOutcome.sent(message.id)
        except Exception as exc:
            return outcome_of(exc)

    async def _notice_reply(self, job: NoticeJob) -> tuple[Reply | None, Subscription | None]:
        if job.alert is not None:
            return alert_reply(job.alert), None
        sub = await self.services.ledger.subscription(job.subscription_id) if job.subscription_id else None
        if job.digest is None or sub is None:
            return None, None
        found = [await self.services.store.get(review_id) for review_id in job.digest.review_ids]
        reviews = [stored for stored in found if stored is not None]
        links = self.services.answers.links
        return (digest_reply(sub, job.digest.date, reviews, links) if reviews else None), sub


def outcome_of(error: Exception) -> SendOutcome:
    """A send's failure in the workers' terms: retry what may pass, pause a subscription Discord refuses.
    Anything else is raised again, for the worker to log and retry."""
    if isinstance(error, discord.Forbidden):
        return SendOutcome(kind="pause", reason=f"Discord refused: {error.text or 'missing access or permissions'}")
    if isinstance(error, discord.NotFound):
        if error.code == UNKNOWN_MESSAGE:
            return SendOutcome(kind="fail", reason="the announced message was deleted")
        return SendOutcome(kind="pause", reason=f"the channel is gone ({error.text or 'unknown channel'})")
    if isinstance(error, discord.HTTPException):
        if error.status == 429 or error.status >= 500:
            return SendOutcome(kind="retry", reason=f"HTTP {error.status}: {error.text}")
        return SendOutcome(kind="fail", reason=f"HTTP {error.status}: {error.text}")
    if isinstance(error, discord.RateLimited):  # asked to wait longer than the bot's max_ratelimit_timeout
        return SendOutcome(kind="retry", retry_after=error.retry_after, reason=f"rate limited: {error}")
    if isinstance(error, aiohttp.ClientError | TimeoutError | OSError):
        return SendOutcome(kind="retry", reason=f"{type(error).__name__}: {error}")
    if isinstance(error, TypeError):
        return SendOutcome(kind="pause", reason=str(error))
    raise error


def missing_permissions(
    channel: discord.abc.GuildChannel, me: discord.Member, forum: bool, thread: bool = False
) -> list[str]:
    perms = channel.permissions_for(me)
    needed = {"view_channel": "View Channel", "send_messages": "Send Messages", "embed_links": "Embed Links"}
    if forum:
        needed["send_messages_in_threads"] = "Send Messages in Threads"
    if thread and not forum:
        needed["create_public_threads"] = "Create Public Threads"
    return [label for flag, label in needed.items() if not getattr(perms, flag)]
