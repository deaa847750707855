"""REST routes under ``/guilds``: what the bot reads about a guild, its channels, roles and members."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import FakeGuild
from .rest import Answer, Ctx, Route, unknown

if TYPE_CHECKING:
    from .core import FakeCore


class GuildRoutes:
    def __init__(self, core: FakeCore) -> None:
        self.core = core

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/guilds/{guild_id}", self.get_guild, "bot"),
            Route("GET", "/guilds/{guild_id}/channels", self.channels, "bot"),
            Route("GET", "/guilds/{guild_id}/roles", self.roles, "bot"),
            Route("GET", "/guilds/{guild_id}/members/{user_id}", self.member, "bot"),
        ]

    def _guild(self, ctx: Ctx) -> FakeGuild:
        gid = ctx.params["guild_id"]
        guild = self.core.guilds.get(int(gid)) if gid.isdigit() else None
        if guild is None:
            raise unknown("guild")
        return guild

    def get_guild(self, ctx: Ctx) -> Answer:
        guild = self._guild(ctx)
        return 200, {
            **guild.base_payload(),
            "approximate_member_count": len(guild.members),
            "approximate_presence_count": 0,
        }

    def channels(self, ctx: Ctx) -> Answer:
        guild = self._guild(ctx)
        return 200, [c.payload() for c in guild.channels.values() if not c.is_thread]

    def roles(self, ctx: Ctx) -> Answer:
        return 200, [r.payload() for r in self._guild(ctx).roles.values()]

    def member(self, ctx: Ctx) -> Answer:
        guild = self._guild(ctx)
        uid = ctx.params["user_id"]
        member = guild.members.get(int(uid)) if uid.isdigit() else None
        if member is None:
            raise unknown("member")
        return 200, member.payload()
