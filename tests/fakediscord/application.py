"""REST routes that tell the bot who it is: its application and users (``/applications/@me``, ``/users/...``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import ChannelType, FakeChannel
from .rest import Answer, Ctx, Route, unknown

if TYPE_CHECKING:
    from .core import FakeCore


class ApplicationRoutes:
    def __init__(self, core: FakeCore) -> None:
        self.core = core

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/users/@me", self.me, "bot"),
            Route("POST", "/users/@me/channels", self.open_dm, "bot"),
            Route("GET", "/users/{user_id}", self.user, "bot"),
            Route("GET", "/oauth2/applications/@me", self.application, "bot"),
            Route("GET", "/applications/@me", self.application, "bot"),
        ]

    def me(self, ctx: Ctx) -> Answer:
        return 200, {
            **self.core.bot_user.payload(),
            "verified": True,
            "mfa_enabled": False,
            "locale": "en-US",
            "email": None,
            "premium_type": 0,
        }

    def open_dm(self, ctx: Ctx) -> Answer:
        """Create DM: the one DM channel between the bot and a user, made on first use, the same one after."""
        body = ctx.json if isinstance(ctx.json, dict) else {}
        uid = str(body.get("recipient_id") or "")
        user = self.core.users.get(int(uid)) if uid.isdigit() else None
        if user is None or user.bot:
            raise unknown("user")
        channel_id = self.core.dm_channels.get(user.id)
        if channel_id is None:
            channel = FakeChannel(id=self.core._ids.next(), guild_id=0, name="", type=ChannelType.DM, recipient=user)
            self.core.channels[channel.id] = channel
            self.core.dm_channels[user.id] = channel_id = channel.id
        return 200, self.core.channels[channel_id].payload()

    def user(self, ctx: Ctx) -> Answer:
        uid = ctx.params["user_id"]
        user = self.core.users.get(int(uid)) if uid.isdigit() else None
        if user is None:
            raise unknown("user")
        return 200, user.payload()

    def application(self, ctx: Ctx) -> Answer:
        core = self.core
        return 200, {
            "id": str(core.application_id),
            "name": core.bot_user.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": core.application_flags,
            "owner": core.owner_user.payload(),
            "team": None,
            "bot": core.bot_user.payload(),
            "rpc_origins": [],
            "redirect_uris": [],
            "tags": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "approximate_guild_count": len(core.guilds),
            "integration_types_config": {"0": {}},
        }
