"""REST routes under ``/channels``: channels, typing, messages, threads and forum posts, with the bot's permissions.

Unlike interaction responses (webhooks, see ``responses.py``), these requests are checked
against the bot's permissions in the channel when ``enforce_permissions`` is on.
"""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING, Any

from . import limits
from .gateway import Intent
from .gateway_server import GatewayServer
from .messages import MessageStore
from .models import ChannelFlag, ChannelType, FakeChannel, FakeGuild, MessageFlag
from .permissions import P, compute_channel_permissions
from .rest import MISSING_ACCESS, MISSING_PERMISSIONS, Answer, Ctx, Route, api_error, form_error, spec_errors, unknown
from .spec import FieldError

if TYPE_CHECKING:
    from .core import FakeCore

CHANNEL_MESSAGES_PATH = "/channels/{channel_id}/messages"
CHANNEL_MESSAGE_PATH = "/channels/{channel_id}/messages/{message_id}"
THREADS_PATH = "/channels/{channel_id}/threads"
MESSAGE_THREADS_PATH = "/channels/{channel_id}/messages/{message_id}/threads"
THREAD_ALREADY_CREATED = (400, 160004, "A thread has already been created for this message")
HAS_THREAD = 1 << 5  # message flag


class ChannelRoutes:
    def __init__(self, core: FakeCore, messages: MessageStore, gateway: GatewayServer) -> None:
        self.core = core
        self.messages = messages
        self.gateway = gateway

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/channels/{channel_id}", self.get_channel, "bot"),
            Route("GET", CHANNEL_MESSAGES_PATH, self.list_messages, "bot"),
            Route("POST", CHANNEL_MESSAGES_PATH, self.create_message, "bot", check=self._check_message),
            Route("GET", CHANNEL_MESSAGE_PATH, self.get_message, "bot"),
            Route("PATCH", CHANNEL_MESSAGE_PATH, self.edit_message, "bot", check=self._check_message),
            Route("DELETE", CHANNEL_MESSAGE_PATH, self.delete_message, "bot"),
            Route("POST", THREADS_PATH, self.create_thread, "bot", check=self._check_thread),
            Route("POST", MESSAGE_THREADS_PATH, self.create_thread_from_message, "bot"),
            Route("POST", "/channels/{channel_id}/typing", self.typing, "bot"),
        ]

    # ------------------------------------------------------------------ body checks

    def _check_message(self, ctx: Ctx) -> list[FieldError]:
        return spec_errors(ctx, limits.message_limit_errors(ctx.json, content_max=limits.BOT_CONTENT_MAX))

    def _check_thread(self, ctx: Ctx) -> list[FieldError]:
        """A forum/media post carries its first message; a text-channel thread has none."""
        channel_id = ctx.params["channel_id"]
        channel = self.core.channels.get(int(channel_id)) if channel_id.isdigit() else None
        if channel is not None and channel.type in (ChannelType.FORUM, ChannelType.MEDIA):
            body = ctx.json
            msg = body.get("message") if isinstance(body, dict) else None
            extra = limits.message_limit_errors(msg, prefix=("message",), content_max=limits.BOT_CONTENT_MAX)
            return spec_errors(ctx, extra, schema="CreateForumThreadRequest")
        return spec_errors(ctx, schema="CreateTextThreadWithoutMessageRequest")

    # ------------------------------------------------------------------ lookups and permissions

    def _require(self, channel: FakeChannel, *needed: int) -> None:
        """Discord answers 50001 without VIEW_CHANNEL, else 50013 for the first missing permission."""
        if not self.core.enforce_permissions or channel.is_dm:
            return
        guild = self.core.guilds[channel.guild_id]
        perms = compute_channel_permissions(guild, guild.members[self.core.bot_user.id], channel)
        if not perms & P.VIEW_CHANNEL:
            raise api_error(*MISSING_ACCESS)
        for bit in needed:
            if not perms & bit:
                raise api_error(*MISSING_PERMISSIONS)

    def _channel(self, ctx: Ctx) -> FakeChannel:
        channel = self.core._channel_by_id(ctx.params["channel_id"])
        self._require(channel)
        return channel

    def _message_in(self, channel: FakeChannel, message_id: str) -> dict[str, Any]:
        mid = int(message_id) if message_id.isdigit() else -1
        msg = self.core.messages.get(mid)
        if msg is None or int(msg["channel_id"]) != channel.id:
            raise unknown("message")
        return msg

    # ------------------------------------------------------------------ channels and messages

    def get_channel(self, ctx: Ctx) -> Answer:
        return 200, self._channel(ctx).payload()

    def typing(self, ctx: Ctx) -> Answer:
        channel = self._channel(ctx)
        self._require(channel, P.SEND_MESSAGES_IN_THREADS if channel.is_thread else P.SEND_MESSAGES)
        return 204, None

    def list_messages(self, ctx: Ctx) -> Answer:
        core = self.core
        channel = self._channel(ctx)
        self._require(channel, P.READ_MESSAGE_HISTORY)
        limit = int(ctx.request.query.get("limit", "50"))
        msgs = [core.messages[m] for m in reversed(core.channel_message_ids.get(channel.id, [])) if m in core.messages]
        msgs = [m for m in msgs if not m["flags"] & MessageFlag.EPHEMERAL]
        return 200, copy.deepcopy(msgs[:limit])

    def get_message(self, ctx: Ctx) -> Answer:
        channel = self._channel(ctx)
        self._require(channel, P.READ_MESSAGE_HISTORY)
        return 200, copy.deepcopy(self._message_in(channel, ctx.params["message_id"]))

    def create_message(self, ctx: Ctx) -> Answer:
        core = self.core
        channel = self._channel(ctx)
        if channel.is_dm:
            if channel.recipient is not None and channel.recipient.id in core.closed_dms:
                raise api_error(403, 50007, "Cannot send messages to this user")
        elif channel.type not in ChannelType.MESSAGEABLE:
            raise api_error(400, 50008, "Cannot send messages in a non-text channel")
        body = ctx.json if isinstance(ctx.json, dict) else {}
        needed = [P.SEND_MESSAGES_IN_THREADS if channel.is_thread else P.SEND_MESSAGES]
        if ctx.files:
            needed.append(P.ATTACH_FILES)
        if body.get("message_reference"):
            needed.append(P.READ_MESSAGE_HISTORY)
        self._require(channel, *needed)
        if channel.is_thread and (channel.archived or channel.locked):
            raise api_error(400, 50083, "Thread is archived")
        if limits.is_empty_message(body, has_files=bool(ctx.files)):
            raise api_error(400, 50006, "Cannot send an empty message")
        nonce = body.get("nonce")
        key = (channel.id, core.bot_user.id, str(nonce))
        if nonce is not None and body.get("enforce_nonce"):
            hit = core._nonces.get(key)
            if hit is not None and time.monotonic() - hit[0] < core.nonce_window and hit[1] in core.messages:
                return 200, copy.deepcopy(core.messages[hit[1]])
        reference = body.get("message_reference")
        referenced = None
        reply_to: str | None = None
        if isinstance(reference, dict) and reference.get("message_id") is not None:
            referenced = core.messages.get(int(reference["message_id"]))
            if referenced is None and reference.get("fail_if_not_exists", True):
                raise form_error([FieldError(("message_reference",), "REPLIES_UNKNOWN_MESSAGE", "Unknown message")])
            reply_to = str(reference["message_id"])
        msg_type = 0 if reply_to is None else 19
        flags = int(body.get("flags") or 0) & MessageFlag.CHANNEL
        msg = self.messages.create(channel, body, ctx.files, author=core.bot_user, msg_type=msg_type, flags=flags)
        if channel.is_dm:
            msg["author"] = core.bot_user.payload()
            if nonce is not None and body.get("enforce_nonce"):
                core._nonces[key] = (time.monotonic(), int(msg["id"]))
            return 200, copy.deepcopy(msg)  # no gateway echo: the bot has no DIRECT_MESSAGES intent
        if reply_to is not None:
            msg["message_reference"] = {
                "type": 0,
                "message_id": reply_to,
                "channel_id": str(channel.id),
                "guild_id": str(channel.guild_id),
            }
            msg["referenced_message"] = copy.deepcopy(referenced)
        if nonce is not None and body.get("enforce_nonce"):
            core._nonces[key] = (time.monotonic(), int(msg["id"]))
        self.gateway.publish_message(msg, "MESSAGE_CREATE")
        return 200, copy.deepcopy(msg)

    def edit_message(self, ctx: Ctx) -> Answer:
        channel = self._channel(ctx)
        msg = self._message_in(channel, ctx.params["message_id"])
        if int(msg["author"]["id"]) != self.core.bot_user.id:
            raise api_error(403, 50005, "Cannot edit a message authored by another user")
        self.messages.apply_edit(msg, ctx.json if isinstance(ctx.json, dict) else {}, ctx.files)
        self.gateway.publish_message(msg, "MESSAGE_UPDATE")
        return 200, copy.deepcopy(msg)

    def delete_message(self, ctx: Ctx) -> Answer:
        channel = self._channel(ctx)
        msg = self._message_in(channel, ctx.params["message_id"])
        if int(msg["author"]["id"]) != self.core.bot_user.id:
            self._require(channel, P.MANAGE_MESSAGES)
        self.messages.delete(msg)
        return 204, None

    # ------------------------------------------------------------------ threads and forum posts

    def create_thread(self, ctx: Ctx) -> Answer:
        parent = self._channel(ctx)
        body = ctx.json if isinstance(ctx.json, dict) else {}
        guild = self.core.guilds[parent.guild_id]
        if parent.type in (ChannelType.FORUM, ChannelType.MEDIA):
            return self._create_forum_post(ctx, guild, parent, body)
        if parent.type not in (ChannelType.TEXT, ChannelType.ANNOUNCEMENT):
            raise api_error(400, 50024, "Cannot execute action on this channel type")
        ttype = body.get("type") or ChannelType.PRIVATE_THREAD
        self._require(
            parent, P.CREATE_PRIVATE_THREADS if ttype == ChannelType.PRIVATE_THREAD else P.CREATE_PUBLIC_THREADS
        )
        thread = self._new_thread(guild, parent, body, ttype, [])
        self.gateway.dispatch(
            "THREAD_CREATE", {**thread.payload(), "newly_created": True}, intent=Intent.GUILDS, guild_id=guild.id
        )
        return 201, thread.payload()

    def create_thread_from_message(self, ctx: Ctx) -> Answer:
        """Start Thread from Message: a public thread whose id is the message's; Discord allows one per message."""
        parent = self._channel(ctx)
        if parent.type not in (ChannelType.TEXT, ChannelType.ANNOUNCEMENT):
            raise api_error(400, 50024, "Cannot execute action on this channel type")
        msg = self._message_in(parent, ctx.params["message_id"])
        self._require(parent, P.CREATE_PUBLIC_THREADS)
        guild = self.core.guilds[parent.guild_id]
        if int(msg["id"]) in self.core.channels:
            raise api_error(*THREAD_ALREADY_CREATED)
        body = ctx.json if isinstance(ctx.json, dict) else {}
        ttype = (
            ChannelType.ANNOUNCEMENT_THREAD if parent.type == ChannelType.ANNOUNCEMENT else ChannelType.PUBLIC_THREAD
        )
        thread = self._new_thread(guild, parent, body, ttype, [], thread_id=int(msg["id"]))
        msg["flags"] = int(msg.get("flags") or 0) | HAS_THREAD
        msg["thread"] = thread.payload()
        self.gateway.dispatch(
            "THREAD_CREATE", {**thread.payload(), "newly_created": True}, intent=Intent.GUILDS, guild_id=guild.id
        )
        return 201, thread.payload()

    def _create_forum_post(self, ctx: Ctx, guild: FakeGuild, parent: FakeChannel, body: dict[str, Any]) -> Answer:
        """A forum post is a public thread whose first message has the thread's id."""
        self._require(parent, P.SEND_MESSAGES)
        message_body = body.get("message") or {}
        if limits.is_empty_message(message_body, has_files=bool(ctx.files)):
            raise api_error(400, 50006, "Cannot send an empty message")
        tags = [int(t) for t in body.get("applied_tags") or []]
        known = {int(t["id"]) for t in parent.available_tags}
        unknown_tags = [t for t in tags if t not in known]
        if unknown_tags:
            raise form_error([FieldError(("applied_tags",), "BASE_TYPE_CHOICES", f"Unknown tag(s) {unknown_tags}")])
        if parent.flags & ChannelFlag.REQUIRE_TAG and not tags:
            raise api_error(400, 40067, "A tag is required to create a forum post in this channel")
        thread = self._new_thread(guild, parent, body, ChannelType.PUBLIC_THREAD, tags)
        msg = self.messages.create(thread, message_body, ctx.files, author=self.core.bot_user, message_id=thread.id)
        payload = thread.payload()
        payload["message"] = copy.deepcopy(msg)
        self.gateway.dispatch(
            "THREAD_CREATE", {**thread.payload(), "newly_created": True}, intent=Intent.GUILDS, guild_id=guild.id
        )
        self.gateway.publish_message(msg, "MESSAGE_CREATE")
        return 201, payload

    def _new_thread(
        self,
        guild: FakeGuild,
        parent: FakeChannel,
        body: dict[str, Any],
        ttype: int,
        tags: list[int],
        thread_id: int | None = None,
    ) -> FakeChannel:
        core = self.core
        thread = FakeChannel(
            thread_id or core._ids.next(),
            guild.id,
            body["name"],
            type=ttype,
            parent_id=parent.id,
            owner_id=core.bot_user.id,
            applied_tags=tags,
            auto_archive_duration=body.get("auto_archive_duration") or 4320,
            rate_limit_per_user=body.get("rate_limit_per_user") or 0,
        )
        guild.channels[thread.id] = thread
        core.channels[thread.id] = thread
        return thread
