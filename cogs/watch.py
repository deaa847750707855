"""/watch: personal watchlists. A member follows a person, company, festival, country or word, and the bot
sends them a direct message when a matching review is stored; the sending is bot/announce/direct.py's."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any, Literal

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.announce.direct import DirectMessenger, DmOutcome
from bot.announce.worker import Pacer
from bot.answers.cards import Choice, Reply
from bot.answers.watches import added_text, cleared_text, direct_message, removed_text, resumed_text, watches_reply
from bot.client.render import message_kwargs, send_reply
from bot.domain.models import WatchJob
from bot.health import supervise
from bot.leadership import lead
from bot.storage.leases import Lease
from cogs._shared import Name, choices

if TYPE_CHECKING:
    from bot.client.bot import FestivalBot

log = logging.getLogger(__name__)

#: Discord: "Cannot send messages to this user" (DMs closed, the bot blocked, no shared server).
CANNOT_MESSAGE_USER = 50007

Kind = Literal["person", "company", "festival", "country", "word"]


class DiscordDmSender:
    """Opens DM channels and sends direct messages with discord.py, in the worker's terms."""

    def __init__(self, bot: FestivalBot) -> None:
        self.bot = bot
        self.services = bot.services

    async def open_dm(self, user_id: int) -> DmOutcome:
        return await self._outcome(self._open(user_id))

    async def _open(self, user_id: int) -> DmOutcome:
        data = await self.bot.http.start_private_message(user_id)
        return DmOutcome(kind="sent", id=int(data["id"]))

    async def send_dm(self, job: WatchJob, channel_id: int) -> DmOutcome:
        return await self._outcome(self._send(job, channel_id))

    async def _send(self, job: WatchJob, channel_id: int) -> DmOutcome:
        stored = await self.services.store.get(job.review_id)
        if stored is None:
            return DmOutcome(kind="fail", reason="the review no longer exists")
        kwargs = message_kwargs(direct_message(stored, job.reason, self.services.answers.links))
        # The nonce makes a resend after a crash (between send and record) land on the message already sent.
        kwargs["nonce"] = f"{await self.services.ledger.nonce_salt()}w{job.id}"
        channel = self.bot.get_partial_messageable(channel_id, type=discord.ChannelType.private)
        message = await channel.send(**kwargs)
        return DmOutcome(kind="sent", id=message.id)

    async def _outcome(self, request: Any) -> DmOutcome:
        try:
            outcome: DmOutcome = await request
            return outcome
        except discord.Forbidden as exc:
            if exc.code == CANNOT_MESSAGE_USER:
                return DmOutcome(kind="closed", reason="the member's direct messages are closed to the bot")
            return DmOutcome(kind="fail", reason=f"Discord refused: {exc.text}")
        except discord.HTTPException as exc:
            if exc.status == 429 or exc.status >= 500:
                return DmOutcome(kind="retry", reason=f"HTTP {exc.status}: {exc.text}")
            return DmOutcome(kind="fail", reason=f"HTTP {exc.status}: {exc.text}")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return DmOutcome(kind="retry", reason=f"{type(exc).__name__}: {exc}")


@app_commands.guild_only()
class Watch(commands.GroupCog, group_name="watch", group_description="Your personal watchlist, by direct message"):
    """Each member's own: nobody else sees or changes a member's watches."""

    def __init__(self, bot: FestivalBot) -> None:
        self.bot = bot
        self.watchlist = bot.services.watchlist
        self.status = bot.services.health.task("direct messages")
        # One pacer with the announcements, so posts and direct messages together keep Discord's limits.
        announce = bot.get_cog("Announce")
        pacer = getattr(getattr(announce, "announcer", None), "pacer", None)
        self.messenger = DirectMessenger(
            self.watchlist,
            DiscordDmSender(bot),
            pacer=pacer if isinstance(pacer, Pacer) else None,
            status=self.status,
        )
        self._task: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        # The "delivery" lease, the announcer's: direct messages go out from the process whose pacer paces every
        # send, so several processes together still keep to one bot's global limit.
        announcer_lease = getattr(self.bot.get_cog("Announce"), "lease", None)
        holder = announcer_lease.holder if isinstance(announcer_lease, Lease) else None
        lease = Lease(self.bot.services.store, "delivery", holder, ttl=self.bot.services.settings.lease_seconds)
        self._task = asyncio.create_task(
            lead(lease, self.status, lambda: supervise(self.status, self._work)), name="direct messages"
        )

    async def cog_unload(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _work(self) -> None:
        await self.bot.wait_until_ready()
        await self.messenger.run()

    @commands.Cog.listener()
    async def on_app_command_completion(self, interaction: discord.Interaction[Any], command: Any) -> None:
        """A member whose DMs turned out closed is told once, privately, after their next command in the server."""
        if interaction.guild_id is None:
            return
        user_id, guild_id = interaction.user.id, interaction.guild_id
        try:
            # A read first: only a member with a notice pending costs a write (almost every command has none).
            pending = await self.watchlist.notice(user_id, guild_id)
            notice = await self.watchlist.take_notice(user_id, guild_id) if pending else None
        except Exception:
            log.exception("reading member %s's pending notice failed", user_id)
            return
        if notice is None:
            return
        try:
            await interaction.followup.send(notice, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
        except Exception:
            log.exception("telling member %s their watches are paused failed; telling them next time", user_id)
            await self.watchlist.restore_notice(user_id, guild_id, notice)

    @app_commands.command(name="add")
    @app_commands.describe(kind="What to follow", value="The person, company, festival, country or word")
    async def add(self, interaction: discord.Interaction[Any], kind: Kind, value: Name) -> None:
        """Get a direct message when a review of this is stored."""
        assert interaction.guild_id is not None  # guild_only
        if not value.strip():
            await send_reply(interaction, Reply.notice("Give me something to follow."))
            return
        status = await self.watchlist.add(
            user_id=interaction.user.id,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            kind=kind,
            value=" ".join(value.split()),
        )
        paused = any(w.paused_reason for w in await self.watchlist.watches(interaction.user.id))
        await send_reply(interaction, Reply.notice(added_text(status, kind, value, paused)))

    @app_commands.command(name="list")
    async def list_(self, interaction: discord.Interaction[Any]) -> None:
        """What you follow (only you see it)."""
        await send_reply(interaction, watches_reply(await self.watchlist.watches(interaction.user.id)))

    @app_commands.command(name="remove")
    @app_commands.describe(value="What to stop following")
    async def remove(self, interaction: discord.Interaction[Any], value: Name) -> None:
        """Stop following something."""
        removed = await self.watchlist.remove(interaction.user.id, value)
        await send_reply(interaction, Reply.notice(removed_text(removed, value)))

    @app_commands.command(name="resume")
    async def resume(self, interaction: discord.Interaction[Any]) -> None:
        """Resume your watches after opening your direct messages."""
        resumed = await self.watchlist.resume(interaction.user.id)
        await self.watchlist.told(interaction.user.id)
        await send_reply(interaction, Reply.notice(resumed_text(resumed)))

    @app_commands.command(name="clear")
    async def clear(self, interaction: discord.Interaction[Any]) -> None:
        """Erase all your data: every watch, and the record of what was sent to you."""
        removed = await self.watchlist.clear(interaction.user.id)
        await send_reply(interaction, Reply.notice(cleared_text(removed)))

    @remove.autocomplete("value")
    async def value_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        async def mine() -> list[Choice]:
            typed = current.casefold()
            return [
                Choice(name=f"{w.kind}: {w.value}", value=w.value)
                for w in await self.watchlist.watches(interaction.user.id)
                if typed in w.value.casefold()
            ]

        return await choices(mine(), "watch")


async def setup(bot: FestivalBot) -> None:
    await bot.add_cog(Watch(bot))
