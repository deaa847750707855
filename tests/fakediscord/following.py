"""Channel following and publishing: Discord's own fan-out of an announcement channel's messages.

A server follows an announcement channel (type 5) into one of its text channels (``POST
/channels/{id}/followers``, the bot needing Manage Webhooks in that target: Discord delivers through a
webhook it makes there); a message published in the announcement channel (``POST .../crosspost``) is
then copied by Discord into every following channel, outside the bot's rate limits. Publishing is
limited to 10 messages per channel per hour (the ``ratelimit`` rule for the route); a message is
published once. A follow is a webhook of type 2 in the following channel: listed by ``GET
/channels/{id}/webhooks`` and undone by deleting it, both needing Manage Webhooks there.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from .channels import ChannelRoutes
from .gateway_server import GatewayServer
from .messages import MessageStore
from .models import ChannelType
from .permissions import P
from .rest import Answer, Ctx, Route, api_error, unknown

if TYPE_CHECKING:
    from .core import FakeCore

#: Message flags Discord sets on a published message and on its copies in following channels.
CROSSPOSTED = 1 << 0
IS_CROSSPOST = 1 << 1
WRONG_CHANNEL_TYPE = (400, 50024, "Cannot execute action on this channel type")


class FollowRoutes:
    def __init__(self, core: FakeCore, messages: MessageStore, gateway: GatewayServer, channels: ChannelRoutes) -> None:
        self.core = core
        self.messages = messages
        self.gateway = gateway
        self.channels = channels

    def routes(self) -> list[Route]:
        return [
            Route("POST", "/channels/{channel_id}/followers", self.follow, "bot"),
            Route("POST", "/channels/{channel_id}/messages/{message_id}/crosspost", self.crosspost, "bot"),
            Route("GET", "/channels/{channel_id}/webhooks", self.webhooks, "bot"),
            Route("DELETE", "/webhooks/{webhook_id}", self.delete_webhook, "bot"),
        ]

    def webhooks(self, ctx: Ctx) -> Answer:
        """The channel's webhooks: here only the follows into it (type 2, ChannelFollowerWebhookResponse)."""
        target = self.channels._channel(ctx)
        self.channels._require(target, P.MANAGE_WEBHOOKS)
        listed = []
        for source_id, targets in self.core.followers.items():
            source = self.core.channels.get(source_id)
            if target.id not in targets or source is None:
                continue
            guild = self.core.guilds[source.guild_id]
            listed.append(
                {
                    "id": str(targets[target.id]),
                    "type": 2,
                    "name": source.name,
                    "avatar": None,
                    "application_id": None,
                    "channel_id": str(target.id),
                    "guild_id": str(target.guild_id),
                    "source_guild": {"id": str(guild.id), "name": guild.name, "icon": None},
                    "source_channel": {"id": str(source.id), "name": source.name},
                }
            )
        return 200, listed

    def delete_webhook(self, ctx: Ctx) -> Answer:
        """Deleting a follow's webhook undoes the follow (Discord's own UI does the same)."""
        wanted = ctx.params["webhook_id"]
        for targets in self.core.followers.values():
            for target_id, webhook_id in list(targets.items()):
                if str(webhook_id) == wanted:
                    self.channels._require(self.core.channels[target_id], P.MANAGE_WEBHOOKS)
                    del targets[target_id]
                    return 204, None
        raise unknown("webhook")

    def follow(self, ctx: Ctx) -> Answer:
        source = self.channels._channel(ctx)
        if source.type != ChannelType.ANNOUNCEMENT:
            raise api_error(*WRONG_CHANNEL_TYPE)
        body = ctx.json if isinstance(ctx.json, dict) else {}
        target_id = str(body.get("webhook_channel_id", ""))
        target = self.core.channels.get(int(target_id)) if target_id.isdigit() else None
        if target is None:
            raise unknown("channel")
        if target.type not in (ChannelType.TEXT, ChannelType.ANNOUNCEMENT):
            raise api_error(*WRONG_CHANNEL_TYPE)
        self.channels._require(target, P.MANAGE_WEBHOOKS)
        followers = self.core.followers.setdefault(source.id, {})
        webhook_id = followers.setdefault(target.id, self.core._ids.next())
        return 200, {"channel_id": str(source.id), "webhook_id": str(webhook_id)}

    def crosspost(self, ctx: Ctx) -> Answer:
        channel = self.channels._channel(ctx)
        if channel.type != ChannelType.ANNOUNCEMENT:
            raise api_error(*WRONG_CHANNEL_TYPE)
        msg = self.channels._message_in(channel, ctx.params["message_id"])
        mine = int(msg["author"]["id"]) == self.core.bot_user.id
        self.channels._require(channel, P.SEND_MESSAGES if mine else P.MANAGE_MESSAGES)
        if msg["flags"] & CROSSPOSTED:
            raise api_error(400, 40033, "This message has already been crossposted.")
        msg["flags"] |= CROSSPOSTED
        self.gateway.publish_message(msg, "MESSAGE_UPDATE")
        for target_id, webhook_id in self.core.followers.get(channel.id, {}).items():
            target = self.core.channels.get(target_id)
            if target is None:
                continue
            body: dict[str, Any] = {k: msg[k] for k in ("content", "embeds", "components")}
            copied = self.messages.create(target, body, [], author=self.core.bot_user, webhook=True, flags=IS_CROSSPOST)
            copied["webhook_id"] = str(webhook_id)
            copied["message_reference"] = {
                "type": 0,  # a reference to the published message the copy came from
                "message_id": msg["id"],
                "channel_id": str(channel.id),
                "guild_id": str(channel.guild_id),
            }
            self.gateway.publish_message(copied, "MESSAGE_CREATE")
        return 200, copy.deepcopy(msg)
