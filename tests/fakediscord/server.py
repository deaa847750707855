"""A fake Discord (REST under ``/api/v10`` + gateway websocket) that the real discord.py client talks to.

Why: end-to-end tests should exercise the bot's real discord.py wiring (command tree, views,
webhooks, gateway parsing) and assert on the exact payloads it sends, which mocks of discord.py
objects cannot do. Everything listens on 127.0.0.1 with an ephemeral port.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import WSMsgType, web

from . import limits
from . import spec as spec_mod
from .gateway import CloseCode, GatewayConnection, GatewayFrame, GatewayOp, GatewaySession, zstd_available
from .interactions import ALLOWED_CALLBACKS, CallbackType, InteractionHandle, InteractionType
from .models import (
    ChannelType,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    Overwrite,
    SnowflakeGenerator,
    iso_now,
)
from .permissions import P, compute_channel_permissions
from .ratelimit import Fault, RateLimiter, make_fault
from .records import Notifier, RecordedRequest, UploadedFile

API_VERSION = "v10"
CALLBACK_PATH = "/interactions/{interaction_id}/{interaction_token}/callback"
WEBHOOK_PATH = "/webhooks/{webhook_id}/{webhook_token}"
ORIGINAL_PATH = "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
WEBHOOK_MESSAGE_PATH = "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
CHANNEL_MESSAGES_PATH = "/channels/{channel_id}/messages"
CHANNEL_MESSAGE_PATH = "/channels/{channel_id}/messages/{message_id}"
THREADS_PATH = "/channels/{channel_id}/threads"

# Gateway intents the fake cares about.
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT

# Message flags.
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_COMPONENTS_V2 = 1 << 15
CHANNEL_MESSAGE_FLAGS = FLAG_SUPPRESS_EMBEDS | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_COMPONENTS_V2
INTERACTION_MESSAGE_FLAGS = CHANNEL_MESSAGE_FLAGS | FLAG_EPHEMERAL

FORUM_REQUIRE_TAG = 1 << 4

CALLBACK_SCHEMAS = {
    1: "PongInteractionCallbackRequest",
    4: "CreateMessageInteractionCallbackRequest",
    5: "CreateMessageInteractionCallbackRequest",
    6: "UpdateMessageInteractionCallbackRequest",
    7: "UpdateMessageInteractionCallbackRequest",
    8: "ApplicationCommandAutocompleteCallbackRequest",
    9: "ModalInteractionCallbackRequest",
    12: "LaunchActivityInteractionCallbackRequest",
}

_MENTION_USER = re.compile(r"<@!?(\d+)>")
_MENTION_ROLE = re.compile(r"<@&(\d+)>")
_FILE_FIELD = re.compile(r"files\[(\d+)\]")


class _Auto:
    def __repr__(self) -> str:
        return "AUTO"


AUTO: Any = _Auto()


class DiscordHTTPError(Exception):
    """An error answer in Discord's JSON shape."""

    def __init__(self, status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def _err(status: int, code: int, message: str, **extra: Any) -> DiscordHTTPError:
    return DiscordHTTPError(status, {"message": message, "code": code, **extra})


def _unknown(kind: str) -> DiscordHTTPError:
    table = {
        "channel": (10003, "Unknown Channel"),
        "guild": (10004, "Unknown Guild"),
        "member": (10007, "Unknown Member"),
        "message": (10008, "Unknown Message"),
        "user": (10013, "Unknown User"),
        "webhook": (10015, "Unknown Webhook"),
        "interaction": (10062, "Unknown interaction"),
        "command": (10063, "Unknown application command"),
        "application": (10002, "Unknown Application"),
    }
    code, message = table[kind]
    return _err(404, code, message)


def _form_error(errors: Sequence[spec_mod.FieldError]) -> DiscordHTTPError:
    return _err(400, 50035, "Invalid Form Body", errors=spec_mod.discord_error_tree(errors))


MISSING_ACCESS = (403, 50001, "Missing Access")
MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")
NOT_FOUND_BODY = {"message": "404: Not Found", "code": 0}


@dataclass
class _Route:
    method: str
    template: str
    handler: Callable[[_Ctx], tuple[int, Any]]
    auth: str  # "bot" | "none" | "webhook"
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        pattern = ""
        for part in re.split(r"(\{[a-z_]+\})", self.template):
            if part.startswith("{") and part.endswith("}"):
                pattern += f"(?P<{part[1:-1]}>[^/]+)"
            else:
                pattern += re.escape(part)
        self.regex = re.compile(pattern + "/?")


@dataclass
class _Ctx:
    request: web.Request
    rec: RecordedRequest
    params: dict[str, str]

    @property
    def json(self) -> Any:
        return self.rec.json

    @property
    def files(self) -> list[UploadedFile]:
        return self.rec.files

    def flag(self, name: str) -> bool:
        return self.request.query.get(name, "").lower() in ("1", "true")


class FakeDiscord:
    """A fake Discord server for end-to-end tests of a discord.py bot.

    Typical use::

        async with FakeDiscord(token="t") as fake:
            guild = fake.add_guild("Fest")
            async with fake.run_client(bot):
                res = await fake.slash_command("review", {"title": "Dune"})
                assert (await res.response())["data"]["content"] == "..."
            fake.assert_no_errors()
    """

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        application_id: int | None = None,
        bot_name: str = "FakeBot",
        heartbeat_interval: int = 41250,
        interaction_deadline: float = 3.0,
        token_lifetime: float = 900.0,
        rate_limits: bool = False,
        validate: bool = True,
        enforce_permissions: bool = True,
        default_timeout: float = 5.0,
        allowed_privileged_intents: int | None = None,
        nonce_window: float = 300.0,
        require_synced_commands: bool = False,
        shard_count: int = 1,
    ) -> None:
        self.token = token
        self.heartbeat_interval = heartbeat_interval
        self.interaction_deadline = interaction_deadline
        self.token_lifetime = token_lifetime
        self.validate = validate
        self.enforce_permissions = enforce_permissions
        self.default_timeout = default_timeout
        self.allowed_privileged_intents = allowed_privileged_intents
        self.nonce_window = nonce_window
        self.require_synced_commands = require_synced_commands
        self.shard_count = shard_count
        self.rate_limits = RateLimiter(enabled=rate_limits)

        self._ids = SnowflakeGenerator()
        self.application_id = application_id or self._ids.next()
        self.application_flags = (1 << 15) | (1 << 19) | (1 << 23)
        self.bot_user = FakeUser(self.application_id, bot_name, bot=True)
        self.owner_user = FakeUser(self._ids.next(), "app-owner")
        self.tester = FakeUser(self._ids.next(), "tester", global_name="Tester")
        self.users: dict[int, FakeUser] = {u.id: u for u in (self.bot_user, self.owner_user, self.tester)}
        self.guilds: dict[int, FakeGuild] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.channel_message_ids: dict[int, list[int]] = {}
        self.attachment_data: dict[int, bytes] = {}

        self.global_commands: dict[int, dict[str, Any]] = {}
        self.guild_commands: dict[int, dict[int, dict[str, Any]]] = {}
        self.command_syncs: list[tuple[int | None, list[dict[str, Any]]]] = []
        self._unsynced_command_ids: dict[tuple[str, int | None], int] = {}

        self.requests: list[RecordedRequest] = []
        self.errors: list[RecordedRequest] = []
        self.injected: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self.interactions: list[InteractionHandle] = []
        self._interactions_by_id: dict[int, InteractionHandle] = {}
        self._interactions_by_token: dict[str, InteractionHandle] = {}
        self._nonces: dict[tuple[int, int, str], tuple[float, int]] = {}

        self.gateway_log: list[GatewayFrame] = []
        self.connections: list[GatewayConnection] = []
        self.sessions: dict[str, GatewaySession] = {}
        self.session: GatewaySession | None = None
        self.identify_count = 0
        self.presence_updates: list[Any] = []

        self._notifier = Notifier()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._routes = self._build_routes()

    # ================================================================== lifecycle

    async def start(self) -> FakeDiscord:
        """Listen on 127.0.0.1 (ephemeral port)."""
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/", self._gateway_ws)
        app.router.add_get("/resume", self._gateway_ws)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._attachment)
        app.router.add_route("*", "/api/{tail:.*}", self._api)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        """Close gateway connections and stop listening."""
        for conn in list(self.connections):
            await conn.close(1001, "fake shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        if self._port is None:
            raise RuntimeError("FakeDiscord is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_base(self) -> str:
        """Value for ``discord.http.Route.BASE``."""
        return f"{self.base_url}/api/{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        """Value for ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``."""
        return f"ws://127.0.0.1:{self._port}/"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/resume"

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py's REST base and gateway URL at this fake; restores them on exit."""
        import discord.gateway
        import discord.http
        import yarl

        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    @contextlib.asynccontextmanager
    async def run_client(
        self, client: Any, *, token: str | None = None, timeout: float | None = None
    ) -> AsyncIterator[Any]:
        """Start a discord.py client against the fake, wait for ``on_ready``, and close it afterwards.

        If the client dies while starting (bad token, disallowed intents...), its own exception
        is raised. Pass ``guild_ready_timeout=0.05`` (or similar) to the client's constructor:
        discord.py otherwise waits 2 s after the last GUILD_CREATE before it is ready.
        """
        timeout = self.default_timeout if timeout is None else timeout
        with self.patch_discord():
            task = asyncio.create_task(client.start(token or self.token), name="fakediscord-client")
            failed = False
            try:
                await self._race(task, self.wait_until_identified(timeout=timeout), timeout, "the client to IDENTIFY")
                await self._race(task, client.wait_until_ready(), timeout, "the client to become ready")
                yield client
            except BaseException:
                failed = True
                raise
            finally:
                await client.close()
                done, _ = await asyncio.wait({task}, timeout=timeout)
                if not done:
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task
                elif not task.cancelled() and task.exception() is not None and not failed:
                    raise task.exception()  # type: ignore[misc]

    async def _race(self, task: asyncio.Task[Any], coro: Any, timeout: float, what: str) -> None:
        waiter = asyncio.ensure_future(coro)
        done, _ = await asyncio.wait({task, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if waiter in done:
            waiter.result()
            return
        waiter.cancel()
        with contextlib.suppress(BaseException):
            await waiter
        if task in done:
            exc = task.exception()
            if exc is None:
                raise RuntimeError(f"client stopped while waiting for {what}\n{self._diagnostics()}")
            exc.add_note(f"fakediscord: the client stopped while waiting for {what}\n{self._diagnostics()}")
            raise exc
        raise TimeoutError(f"fakediscord: timed out after {timeout:g}s waiting for {what}\n{self._diagnostics()}")

    # ================================================================== state building

    def add_user(self, username: str, *, bot: bool = False, global_name: str | None = None) -> FakeUser:
        """Create a user (not yet a member of any guild)."""
        user = FakeUser(self._ids.next(), username, bot=bot, global_name=global_name)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str = "Test Guild",
        *,
        bot_permissions: int = P.BOT_DEFAULT,
        everyone_permissions: int = P.EVERYONE_DEFAULT,
        owner: FakeUser | None = None,
        general_channel: bool = True,
    ) -> FakeGuild:
        """Create a guild with @everyone, the bot's managed role and member, :attr:`tester` and a #general."""
        gid = self._ids.next()
        owner = owner or self.add_user(f"{name.lower().replace(' ', '-')}-owner")
        guild = FakeGuild(gid, name, owner.id)
        guild.roles[gid] = FakeRole(gid, gid, "@everyone", permissions=everyone_permissions)
        bot_role = FakeRole(
            self._ids.next(),
            gid,
            self.bot_user.username,
            permissions=bot_permissions,
            position=1,
            bot_id=self.bot_user.id,
        )
        guild.roles[bot_role.id] = bot_role
        guild.members[owner.id] = FakeMember(gid, owner)
        guild.members[self.bot_user.id] = FakeMember(gid, self.bot_user, roles=[bot_role.id])
        guild.members[self.tester.id] = FakeMember(gid, self.tester)
        self.guilds[gid] = guild
        if general_channel:
            self.add_channel(gid, "general", _dispatch=False)
        if self.session is not None:
            self._dispatch("GUILD_CREATE", self._guild_create_payload(guild, self.session.intents))
        return guild

    def bot_role(self, guild_id: int) -> FakeRole:
        """The bot's managed role in a guild (edit ``.permissions`` to change what the bot may do)."""
        guild = self._guild(guild_id)
        return next(r for r in guild.roles.values() if r.bot_id == self.bot_user.id)

    def add_role(
        self, guild_id: int, name: str, *, permissions: int = 0, color: int = 0, mentionable: bool = False
    ) -> FakeRole:
        """Create a role above existing ones."""
        guild = self._guild(guild_id)
        role = FakeRole(
            self._ids.next(),
            guild_id,
            name,
            permissions=permissions,
            position=len(guild.roles),
            color=color,
            mentionable=mentionable,
        )
        guild.roles[role.id] = role
        self._dispatch("GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": role.payload()}, intent=INTENT_GUILDS)
        return role

    def add_member(
        self,
        guild_id: int,
        user: FakeUser | str | None = None,
        *,
        roles: Sequence[FakeRole | int] = (),
        nick: str | None = None,
    ) -> FakeMember:
        """Add a user (created if a name or nothing is given) to a guild."""
        guild = self._guild(guild_id)
        if user is None or isinstance(user, str):
            user = self.add_user(user or f"user{len(self.users)}")
        role_ids = [r.id if isinstance(r, FakeRole) else int(r) for r in roles]
        member = FakeMember(guild_id, user, roles=role_ids, nick=nick)
        guild.members[user.id] = member
        self._dispatch("GUILD_MEMBER_ADD", {**member.payload(), "guild_id": str(guild_id)}, intent=INTENT_GUILD_MEMBERS)
        return member

    def add_channel(
        self,
        guild_id: int,
        name: str,
        *,
        type: int = ChannelType.TEXT,
        parent_id: int | None = None,
        topic: str | None = None,
        overwrites: Sequence[Overwrite] = (),
        available_tags: Sequence[str | Mapping[str, Any]] = (),
        require_tag: bool = False,
        nsfw: bool = False,
        _dispatch: bool = True,
    ) -> FakeChannel:
        """Create a channel (0 text, 2 voice, 4 category, 5 announcement, 15 forum, 16 media).

        ``available_tags`` (forums) may be plain names; ids are assigned.
        """
        guild = self._guild(guild_id)
        tags = []
        for tag in available_tags:
            t = {"name": tag} if isinstance(tag, str) else dict(tag)
            tags.append({"id": str(self._ids.next()), "moderated": False, "emoji_id": None, "emoji_name": None, **t})
        channel = FakeChannel(
            self._ids.next(),
            guild_id,
            name,
            type=type,
            position=sum(1 for c in guild.channels.values() if not c.is_thread),
            parent_id=parent_id,
            topic=topic,
            overwrites=list(overwrites),
            available_tags=tags,
            flags=FORUM_REQUIRE_TAG if require_tag else 0,
            nsfw=nsfw,
        )
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        if _dispatch:
            self._dispatch("CHANNEL_CREATE", channel.payload(), intent=INTENT_GUILDS)
        return channel

    def set_overwrite(
        self, channel_id: int, target: FakeRole | FakeMember | FakeUser | int, *, allow: int = 0, deny: int = 0
    ) -> Overwrite:
        """Set (replace) a permission overwrite on a channel for a role or member."""
        channel = self._channel_by_id(channel_id)
        guild = self._guild(channel.guild_id)
        tid = target if isinstance(target, int) else target.id
        kind = "role" if tid in guild.roles else "member"
        channel.overwrites = [o for o in channel.overwrites if o.id != tid]
        ow = Overwrite(tid, allow=allow, deny=deny, type=kind)
        channel.overwrites.append(ow)
        self._dispatch("CHANNEL_UPDATE", channel.payload(), intent=INTENT_GUILDS)
        return ow

    @property
    def default_guild(self) -> FakeGuild:
        if not self.guilds:
            raise LookupError("no guild configured; call fake.add_guild() first")
        return next(iter(self.guilds.values()))

    def default_channel(self, guild_id: int | None = None) -> FakeChannel:
        """The first text channel of a guild (the default guild if omitted)."""
        guild = self._guild(guild_id) if guild_id else self.default_guild
        for ch in guild.channels.values():
            if ch.type == ChannelType.TEXT:
                return ch
        raise LookupError(f"guild {guild.id} has no text channel")

    def bot_permissions_in(self, channel_id: int) -> int:
        """The bot's effective permissions in a channel, as the fake computes them."""
        channel = self._channel_by_id(channel_id)
        guild = self._guild(channel.guild_id)
        return compute_channel_permissions(guild, guild.members[self.bot_user.id], channel)

    # ================================================================== inspection

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """Commands as last synced (global, or for one guild)."""
        store = self.global_commands if guild_id is None else self.guild_commands.get(guild_id, {})
        return [copy.deepcopy(c) for c in store.values()]

    def command(self, name: str, guild_id: int | None = None) -> dict[str, Any] | None:
        """A synced command by name (guild first, then global)."""
        found = self._find_command(name, guild_id)
        return copy.deepcopy(found) if found else None

    def channel_messages(self, channel_id: int) -> list[dict[str, Any]]:
        """Messages currently in a channel, oldest first (ephemeral ones included)."""
        return [
            copy.deepcopy(self.messages[m]) for m in self.channel_message_ids.get(channel_id, []) if m in self.messages
        ]

    def requests_matching(self, route: str, *, status: int | None = None) -> list[RecordedRequest]:
        """Requests whose ``"METHOD /template"`` or ``"METHOD /path"`` matches ``route`` (fnmatch)."""
        import fnmatch

        out = []
        for r in self.requests:
            keys = (r.route, f"{r.method} {r.path}")
            if any(k == route or fnmatch.fnmatchcase(k, route) for k in keys) and (
                status is None or r.status == status
            ):
                out.append(r)
        return out

    def assert_no_errors(self) -> None:
        """Fail if any request was rejected (4xx/5xx other than injected faults)."""
        if self.errors:
            lines = "\n".join(f"  {e}" for e in self.errors)
            raise AssertionError(f"fakediscord rejected {len(self.errors)} request(s):\n{lines}")

    def inject(
        self,
        route: str,
        status: int,
        count: int = 1,
        *,
        body: dict[str, Any] | None = None,
        retry_after: float = 0.05,
        global_: bool = False,
    ) -> Fault:
        """Answer the next ``count`` requests matching ``route`` with ``status``.

        ``route`` is fnmatch'ed against ``"METHOD /template"``, ``"METHOD /path"`` and the bare
        template/path, e.g. ``"POST /channels/{channel_id}/messages"`` or ``"POST /channels/*/messages"``.
        Injected answers are recorded in :attr:`injected`, not :attr:`errors`. Note that
        discord.py sleeps 1 s (then 3 s...) before retrying a 5xx.
        """
        fault = make_fault(route, status, count, body, retry_after, global_)
        self.faults.append(fault)
        return fault

    def _diagnostics(self) -> str:
        parts = []
        if self.errors:
            parts.append("rejected requests:\n" + "\n".join(f"  {e}" for e in self.errors[-5:]))
        recent = self.requests[-8:]
        if recent:
            parts.append("recent requests:\n" + "\n".join(f"  {r}" for r in recent))
        if self.session is None:
            parts.append("no gateway session (the bot never identified)")
        return "\n".join(parts)

    # ================================================================== waiting

    async def wait_until_identified(self, timeout: float | None = None) -> GatewaySession:
        """Wait until a client has identified and READY + GUILD_CREATEs have been written."""

        def probe() -> GatewaySession | None:
            s = self.session
            if s is None or s.connection is None:
                return None
            return s

        session = await self._notifier.wait_for(
            probe, timeout=self._t(timeout), what="a client to IDENTIFY", context=self._diagnostics
        )
        if session.connection is not None:
            await session.connection.drain()
        return session

    async def wait_for_request(
        self, route: str, *, count: int = 1, status: int | None = None, timeout: float | None = None
    ) -> RecordedRequest:
        """Wait until ``count`` requests match ``route`` (see :meth:`requests_matching`); return the last one."""

        def probe() -> RecordedRequest | None:
            hits = [r for r in self.requests_matching(route, status=status) if r.status is not None]
            return hits[count - 1] if len(hits) >= count else None

        return await self._notifier.wait_for(
            probe, timeout=self._t(timeout), what=f"{count} request(s) matching {route!r}", context=self._diagnostics
        )

    async def wait_for_messages(
        self, channel_id: int, count: int = 1, *, timeout: float | None = None
    ) -> list[dict[str, Any]]:
        """Wait until a channel holds at least ``count`` messages; return them (oldest first)."""

        def probe() -> list[dict[str, Any]] | None:
            msgs = self.channel_messages(channel_id)
            return msgs if len(msgs) >= count else None

        return await self._notifier.wait_for(
            probe,
            timeout=self._t(timeout),
            what=f"{count} message(s) in channel {channel_id}",
            context=self._diagnostics,
        )

    async def wait_for_command_sync(self, *, count: int = 1, timeout: float | None = None) -> list[dict[str, Any]]:
        """Wait for the ``count``-th bulk command overwrite (PUT); return the stored commands it produced."""
        return await self._notifier.wait_for(
            lambda: copy.deepcopy(self.command_syncs[count - 1][1]) if len(self.command_syncs) >= count else None,
            timeout=self._t(timeout),
            what=f"command sync #{count}",
            context=self._diagnostics,
        )

    def _t(self, timeout: float | None) -> float:
        return self.default_timeout if timeout is None else timeout

    # ================================================================== driving: interactions

    async def slash_command(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user: FakeUser | FakeMember | int | None = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
        command_guild_id: int | None = AUTO,
    ) -> InteractionHandle:
        """Dispatch a chat-input command (INTERACTION_CREATE type 2) and return its handle.

        ``name`` may include subcommands (``"review add"``). ``options`` is either
        ``{"option": value}`` (types taken from the synced command, else inferred from the
        Python values; users/channels/roles may be Fake objects or ids and are put in
        ``resolved``) or a raw list of Discord option objects. ``command_guild_id`` only
        matters for commands that were never synced: it says whether discord.py should look
        the command up among guild commands.
        """
        return await self._command_interaction(
            InteractionType.APPLICATION_COMMAND,
            name,
            options,
            focused=None,
            guild_id=guild_id,
            channel_id=channel_id,
            user=user,
            member_permissions=member_permissions,
            locale=locale,
            command_guild_id=command_guild_id,
        )

    async def autocomplete_interaction(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        focused: str,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user: FakeUser | FakeMember | int | None = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
        command_guild_id: int | None = AUTO,
    ) -> InteractionHandle:
        """Dispatch an autocomplete interaction (type 4) for option ``focused``; return its handle."""
        return await self._command_interaction(
            InteractionType.AUTOCOMPLETE,
            name,
            options,
            focused=focused,
            guild_id=guild_id,
            channel_id=channel_id,
            user=user,
            member_permissions=member_permissions,
            locale=locale,
            command_guild_id=command_guild_id,
        )

    async def autocomplete(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        focused: str,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        """Dispatch an autocomplete interaction and return the choices the bot answered with."""
        handle = await self.autocomplete_interaction(name, options, focused=focused, **kwargs)
        return await handle.choices(timeout)

    async def click_button(
        self,
        message: Mapping[str, Any] | int,
        custom_id: str,
        *,
        user: FakeUser | FakeMember | int | None = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Click a button on a message the bot posted (INTERACTION_CREATE type 3)."""
        msg = self._message_for_component(message)
        comp = self._find_component(msg, custom_id)
        if comp.get("type") != 2:
            raise TypeError(f"component {custom_id!r} is not a button (type {comp.get('type')})")
        if comp.get("disabled"):
            raise ValueError(f"button {custom_id!r} is disabled; a user cannot click it")
        return await self._component_interaction(
            msg, comp, None, user=user, member_permissions=member_permissions, locale=locale
        )

    async def select(
        self,
        message: Mapping[str, Any] | int,
        custom_id: str,
        values: Sequence[Any],
        *,
        user: FakeUser | FakeMember | int | None = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Choose ``values`` in a select menu on a message the bot posted (type 3)."""
        msg = self._message_for_component(message)
        comp = self._find_component(msg, custom_id)
        ctype = comp.get("type")
        if ctype not in (3, 5, 6, 7, 8):
            raise TypeError(f"component {custom_id!r} is not a select menu (type {ctype})")
        if comp.get("disabled"):
            raise ValueError(f"select {custom_id!r} is disabled")
        lo, hi = comp.get("min_values", 1), comp.get("max_values", 1)
        lo = 1 if lo is None else lo
        hi = 1 if hi is None else hi
        if not lo <= len(values) <= hi:
            raise ValueError(f"select {custom_id!r} takes {lo}..{hi} values, got {len(values)}")
        if ctype == 3:
            allowed = [o["value"] for o in comp.get("options") or []]
            bad = [v for v in values if v not in allowed]
            if bad:
                raise ValueError(f"values {bad!r} are not options of {custom_id!r} (options: {allowed!r})")
        return await self._component_interaction(
            msg, comp, list(values), user=user, member_permissions=member_permissions, locale=locale
        )

    async def submit_modal(
        self,
        source: InteractionHandle,
        values: Mapping[str, str | Sequence[str]],
        *,
        user: FakeUser | FakeMember | int | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Submit the modal the bot opened in answer to ``source`` (INTERACTION_CREATE type 5)."""
        modal = source.modal
        if modal is None:
            raise ValueError(f"{source!r} did not answer with a modal")
        guild = self._guild(source.guild_id) if source.guild_id else self.default_guild
        channel = self._channel_by_id(source.channel_id)
        member = self._member(guild, user if user is not None else source.user_id)
        remaining = dict(values)
        components = [self._modal_submit_component(c, remaining) for c in modal.get("components") or []]
        if remaining:
            raise ValueError(f"modal {modal.get('custom_id')!r} has no inputs {sorted(remaining)!r}")
        payload = self._interaction_base(InteractionType.MODAL_SUBMIT, guild, channel, member, None, locale)
        payload["data"] = {"custom_id": modal["custom_id"], "components": components}
        if source.source_message_id and source.source_message_id in self.messages:
            payload["message"] = copy.deepcopy(self.messages[source.source_message_id])
        handle = self._new_handle(
            payload, guild, channel, member, custom_id=modal["custom_id"], source_message_id=source.source_message_id
        )
        await self._dispatch_interaction(handle)
        return handle

    def _modal_submit_component(self, comp: Mapping[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        def field_value(inner: Mapping[str, Any]) -> dict[str, Any]:
            cid = inner.get("custom_id")
            out: dict[str, Any] = {"type": inner["type"], "custom_id": cid}
            if "id" in inner:
                out["id"] = inner["id"]
            given = values.pop(cid, None) if cid else None
            if inner["type"] == 4:
                value = given if given is not None else (inner.get("value") or "")
                if inner.get("required", True) and not value:
                    raise ValueError(f"text input {cid!r} is required")
                out["value"] = value
            else:
                out["values"] = list(given or [])
            return out

        ctype = comp.get("type")
        if ctype == 1:
            out = {"type": 1, "components": [field_value(c) for c in comp.get("components") or []]}
        elif ctype == 18:
            out = {"type": 18, "component": field_value(comp["component"])}
        else:
            out = {"type": ctype}
        if "id" in comp:
            out["id"] = comp["id"]
        return out

    # ---------------------------------------------------------------- interaction internals

    def _context(
        self, guild_id: int | None, channel_id: int | None, user: FakeUser | FakeMember | int | None
    ) -> tuple[FakeGuild, FakeChannel, FakeMember]:
        if channel_id is not None:
            channel = self._channel_by_id(channel_id)
            guild = self._guild(channel.guild_id)
        else:
            guild = self._guild(guild_id) if guild_id is not None else self.default_guild
            channel = self.default_channel(guild.id)
        if guild_id is not None and channel.guild_id != guild_id:
            raise ValueError(f"channel {channel.id} is not in guild {guild_id}")
        return guild, channel, self._member(guild, user)

    def _member(self, guild: FakeGuild, user: FakeUser | FakeMember | int | None) -> FakeMember:
        if user is None:
            uid = self.tester.id
        elif isinstance(user, int):
            uid = user
        else:
            uid = user.id
        member = guild.members.get(uid)
        if member is None:
            raise ValueError(f"user {uid} is not a member of guild {guild.id}; use fake.add_member()")
        return member

    def _interaction_base(
        self,
        itype: int,
        guild: FakeGuild,
        channel: FakeChannel,
        member: FakeMember,
        member_permissions: int | None,
        locale: str,
    ) -> dict[str, Any]:
        perms = (
            compute_channel_permissions(guild, member, channel)
            if member_permissions is None
            else int(member_permissions)
        )
        app_perms = compute_channel_permissions(guild, guild.members[self.bot_user.id], channel)
        member_payload = member.payload()
        member_payload["permissions"] = str(perms)
        channel_payload = channel.payload()
        channel_payload["permissions"] = str(app_perms)
        return {
            "id": str(self._ids.next()),
            "application_id": str(self.application_id),
            "type": itype,
            "token": "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(96),
            "version": 1,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": guild.locale, "features": list(guild.features)},
            "guild_locale": guild.locale,
            "locale": locale,
            "channel_id": str(channel.id),
            "channel": channel_payload,
            "member": member_payload,
            "app_permissions": str(app_perms),
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }

    def _new_handle(
        self,
        payload: dict[str, Any],
        guild: FakeGuild,
        channel: FakeChannel,
        member: FakeMember,
        *,
        name: str | None = None,
        custom_id: str | None = None,
        source_message_id: int | None = None,
    ) -> InteractionHandle:
        handle = InteractionHandle(
            fake=self,
            id=int(payload["id"]),
            token=payload["token"],
            type=payload["type"],
            payload=payload,
            guild_id=guild.id,
            channel_id=channel.id,
            user_id=member.id,
            name=name,
            custom_id=custom_id,
            source_message_id=source_message_id,
        )
        self.interactions.append(handle)
        self._interactions_by_id[handle.id] = handle
        self._interactions_by_token[handle.token] = handle
        return handle

    async def _dispatch_interaction(self, handle: InteractionHandle) -> None:
        session = self.session
        if session is None or session.connection is None:
            raise RuntimeError(f"cannot dispatch {handle!r}: no client is connected to the fake gateway")

        def sent(at: float) -> None:
            handle.dispatched_at = at

        handle.dispatched_at = time.perf_counter()
        fut = session.dispatch("INTERACTION_CREATE", handle.payload, on_sent=sent)
        if fut is not None:
            await asyncio.wait_for(asyncio.shield(fut), self.default_timeout)

    def _find_command(self, name: str, guild_id: int | None) -> dict[str, Any] | None:
        if guild_id is not None:
            for cmd in self.guild_commands.get(guild_id, {}).values():
                if cmd["name"] == name and cmd.get("type", 1) == 1:
                    return cmd
        for cmd in self.global_commands.values():
            if cmd["name"] == name and cmd.get("type", 1) == 1:
                return cmd
        return None

    async def _command_interaction(
        self,
        itype: int,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
        *,
        focused: str | None,
        guild_id: int | None,
        channel_id: int | None,
        user: FakeUser | FakeMember | int | None,
        member_permissions: int | None,
        locale: str,
        command_guild_id: int | None,
    ) -> InteractionHandle:
        guild, channel, member = self._context(guild_id, channel_id, user)
        parts = name.split()
        root = parts[0]
        cmd = self._find_command(root, guild.id)
        if cmd is None:
            if self.require_synced_commands:
                raise LookupError(f"command {root!r} was never synced to the fake (require_synced_commands=True)")
            cmd_guild = None if command_guild_id is AUTO else command_guild_id
            cmd_id = self._unsynced_command_ids.setdefault((root, cmd_guild), self._ids.next())
            schema: list[dict[str, Any]] | None = None
        else:
            cmd_guild = int(cmd["guild_id"]) if cmd.get("guild_id") else None
            cmd_id = int(cmd["id"])
            schema = cmd.get("options") or []

        top: list[dict[str, Any]] = []
        current = top
        for i, sub in enumerate(parts[1:]):
            sub_schema = None
            if schema is not None:
                sub_schema = next((o for o in schema if o["name"] == sub and o.get("type") in (1, 2)), None)
                if sub_schema is None:
                    raise ValueError(f"{' '.join(parts[: i + 1])!r} has no subcommand {sub!r}")
                stype = sub_schema["type"]
                schema = sub_schema.get("options") or []
            else:
                stype = 2 if i < len(parts) - 2 else 1
            node: dict[str, Any] = {"type": stype, "name": sub, "options": []}
            current.append(node)
            current = node["options"]
        resolved: dict[str, dict[str, Any]] = {}
        current.extend(
            self._build_options(
                schema,
                options,
                focused=focused,
                resolved=resolved,
                guild=guild,
                member=member,
                autocomplete=itype == InteractionType.AUTOCOMPLETE,
            )
        )
        _drop_empty_options(top)

        data: dict[str, Any] = {"id": str(cmd_id), "name": root, "type": 1}
        if top:
            data["options"] = top
        if cmd_guild:
            data["guild_id"] = str(cmd_guild)
        if resolved:
            data["resolved"] = resolved
        payload = self._interaction_base(itype, guild, channel, member, member_permissions, locale)
        payload["data"] = data
        handle = self._new_handle(payload, guild, channel, member, name=name)
        await self._dispatch_interaction(handle)
        return handle

    def _build_options(
        self,
        schema: list[dict[str, Any]] | None,
        values: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
        *,
        focused: str | None,
        resolved: dict[str, dict[str, Any]],
        guild: FakeGuild,
        member: FakeMember,
        autocomplete: bool,
    ) -> list[dict[str, Any]]:
        if values is not None and not isinstance(values, Mapping):
            raw = copy.deepcopy(list(values))
            for opt in raw:
                if focused is not None and opt.get("name") == focused:
                    opt["focused"] = True
            return raw
        given: dict[str, Any] = dict(values or {})
        if focused is not None and focused not in given:
            given[focused] = ""
        by_name = {o["name"]: o for o in schema} if schema is not None else None
        out = []
        for name, value in given.items():
            spec = None
            if by_name is not None:
                spec = by_name.get(name)
                if spec is None:
                    raise ValueError(f"unknown option {name!r}; the synced command has {sorted(by_name)!r}")
            otype = spec["type"] if spec else _infer_option_type(value)
            opt: dict[str, Any] = {"name": name, "type": otype}
            if autocomplete and name == focused:
                opt["value"] = value if isinstance(value, str) else str(value)
                opt["focused"] = True
            else:
                opt["value"] = self._option_value(otype, value, resolved, guild, member)
                if spec is not None:
                    _check_option_constraints(spec, opt["value"])
            out.append(opt)
        if by_name is not None and not autocomplete:
            missing = [o["name"] for o in schema or [] if o.get("required") and o["name"] not in given]
            if missing:
                raise ValueError(f"required option(s) {missing!r} missing")
        return out

    def _option_value(
        self, otype: int, value: Any, resolved: dict[str, dict[str, Any]], guild: FakeGuild, member: FakeMember
    ) -> Any:
        if otype in (6, 7, 8, 9):
            oid = value if isinstance(value, int) else int(getattr(value, "id", value))
            self._resolve(otype, oid, resolved, guild, member)
            return str(oid)
        if otype == 4:
            if isinstance(value, bool):
                raise TypeError("integer option given a bool")
            return int(value)
        if otype == 10:
            return float(value) if not isinstance(value, int) else value
        if otype == 5:
            return bool(value)
        if otype == 11:
            raise NotImplementedError("attachment options are not supported by the fake; pass raw options and resolved")
        return str(value)

    def _resolve(
        self, otype: int, oid: int, resolved: dict[str, dict[str, Any]], guild: FakeGuild, invoker: FakeMember
    ) -> None:
        """Fill ``resolved`` like Discord: users (+members), roles, channels with the invoker's permissions."""
        sid = str(oid)
        if otype in (6, 9) and oid in self.users:
            resolved.setdefault("users", {})[sid] = self.users[oid].payload()
            member = guild.members.get(oid)
            if member is not None:
                mp = member.payload(with_user=False)
                mp["permissions"] = str(compute_channel_permissions(guild, member, None))
                resolved.setdefault("members", {})[sid] = mp
            return
        if otype in (8, 9) and oid in guild.roles:
            resolved.setdefault("roles", {})[sid] = guild.roles[oid].payload()
            return
        if otype == 7 and oid in self.channels:
            ch = self.channels[oid]
            cp = ch.payload()
            cp["permissions"] = str(compute_channel_permissions(guild, invoker, ch))
            resolved.setdefault("channels", {})[sid] = cp
            return
        raise ValueError(
            f"option value {oid} does not refer to a known {'user/role' if otype == 9 else 'object'} of the fake"
        )

    def _message_for_component(self, message: Mapping[str, Any] | int) -> dict[str, Any]:
        mid = int(message if isinstance(message, int) else message["id"])
        msg = self.messages.get(mid)
        if msg is None:
            raise LookupError(f"message {mid} does not exist (deleted, or never sent through the fake)")
        return msg

    def _find_component(self, msg: Mapping[str, Any], custom_id: str) -> dict[str, Any]:
        found: list[dict[str, Any]] = []
        ids: list[str] = []

        def walk(items: Sequence[Any]) -> None:
            for comp in items:
                if not isinstance(comp, dict):
                    continue
                if "custom_id" in comp:
                    ids.append(comp["custom_id"])
                    if comp["custom_id"] == custom_id:
                        found.append(comp)
                walk(comp.get("components") or [])
                for key in ("accessory", "component"):
                    if isinstance(comp.get(key), dict):
                        walk([comp[key]])

        walk(msg.get("components") or [])
        if not found:
            raise LookupError(f"message {msg['id']} has no component {custom_id!r}; it has {ids!r}")
        return found[0]

    async def _component_interaction(
        self,
        msg: dict[str, Any],
        comp: Mapping[str, Any],
        values: list[Any] | None,
        *,
        user: FakeUser | FakeMember | int | None,
        member_permissions: int | None,
        locale: str,
    ) -> InteractionHandle:
        channel = self._channel_by_id(int(msg["channel_id"]))
        guild = self._guild(channel.guild_id)
        member = self._member(guild, user)
        payload = self._interaction_base(
            InteractionType.MESSAGE_COMPONENT, guild, channel, member, member_permissions, locale
        )
        payload["message"] = copy.deepcopy(msg)
        data: dict[str, Any] = {"custom_id": comp["custom_id"], "component_type": comp["type"]}
        if "id" in comp:
            data["id"] = comp["id"]
        if values is not None:
            if comp["type"] == 3:
                data["values"] = [str(v) for v in values]
            else:
                resolved: dict[str, dict[str, Any]] = {}
                otype = {5: 6, 6: 8, 7: 9, 8: 7}[comp["type"]]
                ids = [v if isinstance(v, int) else int(getattr(v, "id", v)) for v in values]
                for oid in ids:
                    self._resolve(otype, oid, resolved, guild, member)
                data["values"] = [str(i) for i in ids]
                data["resolved"] = resolved
        payload["data"] = data
        handle = self._new_handle(
            payload, guild, channel, member, custom_id=comp["custom_id"], source_message_id=int(msg["id"])
        )
        await self._dispatch_interaction(handle)
        return handle

    # ================================================================== driving: gateway

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an arbitrary DISPATCH event to the connected client and wait until it is written."""
        session = self.session
        if session is None:
            raise RuntimeError("no gateway session")
        fut = session.dispatch(event, data)
        if fut is not None:
            await asyncio.wait_for(asyncio.shield(fut), self.default_timeout)

    async def send_user_message(
        self, channel_id: int, content: str, *, user: FakeUser | FakeMember | int | None = None
    ) -> dict[str, Any]:
        """A human posts in a channel: stored, and MESSAGE_CREATE is dispatched (content blanked without the
        MESSAGE_CONTENT intent unless the bot is mentioned, as on Discord)."""
        channel = self._channel_by_id(channel_id)
        guild = self._guild(channel.guild_id)
        member = self._member(guild, user)
        msg = self._new_message(channel, {"content": content}, [], author=member.user)
        fut = self._publish(msg, "MESSAGE_CREATE")
        if fut is not None:
            await asyncio.wait_for(asyncio.shield(fut), self.default_timeout)
        return copy.deepcopy(msg)

    async def reconnect(self, *, timeout: float | None = None) -> GatewaySession:
        """Send op 7 RECONNECT and wait until the client has RESUMED on a new connection."""
        session = self.session
        if session is None or session.connection is None:
            raise RuntimeError("no connected session")
        before = session.resumes
        session.connection.send({"op": GatewayOp.RECONNECT, "d": None, "s": None, "t": None})
        return await self._notifier.wait_for(
            lambda: session if session.resumes > before and session.connection is not None else None,
            timeout=self._t(timeout),
            what="the client to RESUME",
            context=self._diagnostics,
        )

    async def invalidate_session(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION to the connected client."""
        session = self.session
        if session is None or session.connection is None:
            raise RuntimeError("no connected session")
        if not resumable:
            session.resumable = False
        session.connection.send({"op": GatewayOp.INVALID_SESSION, "d": resumable, "s": None, "t": None})

    def _dispatch(self, event: str, data: dict[str, Any], *, intent: int = 0) -> asyncio.Future[float] | None:
        session = self.session
        if session is None:
            return None
        if intent and not session.intents & intent:
            return None
        return session.dispatch(event, data)

    def _publish(self, msg: dict[str, Any], event: str) -> asyncio.Future[float] | None:
        """Gateway echo of a message change (skipped for ephemeral messages and without GUILD_MESSAGES)."""
        if msg.get("flags", 0) & FLAG_EPHEMERAL:
            return None
        session = self.session
        if session is None or not session.intents & INTENT_GUILD_MESSAGES:
            return None
        channel = self.channels.get(int(msg["channel_id"]))
        if event == "MESSAGE_DELETE":
            data: dict[str, Any] = {"id": msg["id"], "channel_id": msg["channel_id"]}
            if channel is not None:
                data["guild_id"] = str(channel.guild_id)
            return session.dispatch(event, data)
        data = copy.deepcopy(msg)
        if channel is not None:
            guild = self.guilds[channel.guild_id]
            data["guild_id"] = str(guild.id)
            author_id = int(msg["author"]["id"])
            member = guild.members.get(author_id)
            if member is not None and "webhook_id" not in msg:
                data["member"] = member.payload(with_user=False)
        is_own = int(msg["author"]["id"]) == self.bot_user.id
        mentioned = any(int(u["id"]) == self.bot_user.id for u in msg.get("mentions", []))
        if not is_own and not mentioned and not session.intents & INTENT_MESSAGE_CONTENT:
            data.update({"content": "", "embeds": [], "attachments": [], "components": []})
        return session.dispatch(event, data)

    # ================================================================== HTTP plumbing

    def _build_routes(self) -> list[_Route]:
        r = _Route
        cmds = "/applications/{application_id}/commands"
        gcmds = "/applications/{application_id}/guilds/{guild_id}/commands"
        routes = [
            r("GET", "/gateway", self._h_gateway, "none"),
            r("GET", "/gateway/bot", self._h_gateway_bot, "bot"),
            r("GET", "/users/@me", self._h_me, "bot"),
            r("GET", "/users/{user_id}", self._h_user, "bot"),
            r("GET", "/oauth2/applications/@me", self._h_application, "bot"),
            r("GET", "/applications/@me", self._h_application, "bot"),
            r("GET", cmds, self._h_commands_list, "bot"),
            r("PUT", cmds, self._h_commands_put, "bot"),
            r("POST", cmds, self._h_command_post, "bot"),
            r("GET", cmds + "/{command_id}", self._h_command_get, "bot"),
            r("PATCH", cmds + "/{command_id}", self._h_command_patch, "bot"),
            r("DELETE", cmds + "/{command_id}", self._h_command_delete, "bot"),
            r("GET", gcmds, self._h_commands_list, "bot"),
            r("PUT", gcmds, self._h_commands_put, "bot"),
            r("POST", gcmds, self._h_command_post, "bot"),
            r("GET", gcmds + "/{command_id}", self._h_command_get, "bot"),
            r("PATCH", gcmds + "/{command_id}", self._h_command_patch, "bot"),
            r("DELETE", gcmds + "/{command_id}", self._h_command_delete, "bot"),
            r("POST", CALLBACK_PATH, self._h_callback, "webhook"),
            r("POST", WEBHOOK_PATH, self._h_followup, "webhook"),
            r("GET", ORIGINAL_PATH, self._h_webhook_message_get, "webhook"),
            r("PATCH", ORIGINAL_PATH, self._h_webhook_message_patch, "webhook"),
            r("DELETE", ORIGINAL_PATH, self._h_webhook_message_delete, "webhook"),
            r("GET", WEBHOOK_MESSAGE_PATH, self._h_webhook_message_get, "webhook"),
            r("PATCH", WEBHOOK_MESSAGE_PATH, self._h_webhook_message_patch, "webhook"),
            r("DELETE", WEBHOOK_MESSAGE_PATH, self._h_webhook_message_delete, "webhook"),
            r("GET", "/channels/{channel_id}", self._h_channel_get, "bot"),
            r("GET", CHANNEL_MESSAGES_PATH, self._h_messages_list, "bot"),
            r("POST", CHANNEL_MESSAGES_PATH, self._h_message_create, "bot"),
            r("GET", CHANNEL_MESSAGE_PATH, self._h_message_get, "bot"),
            r("PATCH", CHANNEL_MESSAGE_PATH, self._h_message_edit, "bot"),
            r("DELETE", CHANNEL_MESSAGE_PATH, self._h_message_delete, "bot"),
            r("POST", THREADS_PATH, self._h_thread_create, "bot"),
            r("POST", "/channels/{channel_id}/typing", self._h_typing, "bot"),
            r("GET", "/guilds/{guild_id}", self._h_guild_get, "bot"),
            r("GET", "/guilds/{guild_id}/channels", self._h_guild_channels, "bot"),
            r("GET", "/guilds/{guild_id}/roles", self._h_guild_roles, "bot"),
            r("GET", "/guilds/{guild_id}/members/{user_id}", self._h_guild_member, "bot"),
        ]
        return routes

    def _match(self, method: str, path: str) -> tuple[_Route, dict[str, str]]:
        method_mismatch = False
        for route in self._routes:
            m = route.regex.fullmatch(path)
            if m is None:
                continue
            if route.method != method:
                method_mismatch = True
                continue
            return route, m.groupdict()
        if method_mismatch:
            raise DiscordHTTPError(405, {"message": "405: Method Not Allowed", "code": 0})
        raise DiscordHTTPError(404, dict(NOT_FOUND_BODY))

    async def _read_body(self, request: web.Request, rec: RecordedRequest) -> None:
        if request.content_type == "multipart/form-data":
            rec.multipart = True
            reader = await request.multipart()
            index = 0
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, aiohttp.BodyPartReader):
                    continue
                if part.name == "payload_json":
                    rec.json = self._parse_json(await part.read())
                elif part.filename is not None:
                    rec.files.append(
                        UploadedFile(
                            part.name or f"files[{index}]",
                            part.filename,
                            part.headers.get("Content-Type"),
                            bytes(await part.read()),
                        )
                    )
                    index += 1
            return
        raw = await request.read()
        if raw:
            rec.json = self._parse_json(raw)

    @staticmethod
    def _parse_json(raw: bytes | bytearray) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            raise _err(400, 50109, "The request body contains invalid JSON.") from None

    def _take_fault(self, method: str, path: str, template: str) -> Fault | None:
        for fault in self.faults:
            if fault.remaining > 0 and fault.matches(method, path, template):
                fault.remaining -= 1
                fault.hits += 1
                return fault
        return None

    async def _api(self, request: web.Request) -> web.StreamResponse:
        tail = request.match_info["tail"]
        version, _, rest = tail.partition("/")
        path = "/" + rest
        rec = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query),
            headers=dict(request.headers),
            time=time.perf_counter(),
            wall_time=time.time(),
        )
        self.requests.append(rec)
        headers: dict[str, str] = {"Via": "1.1 google"}
        try:
            if version != API_VERSION:
                raise DiscordHTTPError(404, dict(NOT_FOUND_BODY))
            route, params = self._match(request.method, path)
            rec.template, rec.params = route.template, params
            await self._read_body(request, rec)
            fault = self._take_fault(request.method, path, route.template)
            if fault is not None:
                rec.injected = True
                headers.update(fault.headers)
                raise DiscordHTTPError(fault.status, copy.deepcopy(fault.body))
            if route.auth == "bot" and request.headers.get("Authorization") != f"Bot {self.token}":
                raise DiscordHTTPError(401, {"message": "401: Unauthorized", "code": 0})
            if route.auth != "none":
                decision = self.rate_limits.check(
                    request.method, route.template, params, counts_global=route.auth == "bot"
                )
                headers.update(decision.headers)
                if decision.rejected is not None:
                    raise DiscordHTTPError(decision.status, decision.rejected)
            if self.validate:
                self._validate(route, params, rec)
            status, body = route.handler(_Ctx(request, rec, params))
        except DiscordHTTPError as exc:
            status, body = exc.status, exc.body
            headers.update(exc.headers)
        rec.status, rec.response = status, body
        if status >= 400:
            (self.injected if rec.injected else self.errors).append(rec)
        self._notifier.notify()
        if body is None:
            return web.Response(status=status, headers=headers)
        headers["Content-Type"] = "application/json"
        return web.Response(status=status, body=json.dumps(body).encode(), headers=headers)

    async def _attachment(self, request: web.Request) -> web.StreamResponse:
        data = self.attachment_data.get(int(request.match_info["attachment_id"]))
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    # ---------------------------------------------------------------- validation

    def _validate(self, route: _Route, params: dict[str, str], rec: RecordedRequest) -> None:
        body = rec.json
        method, template = route.method, route.template
        errors: list[spec_mod.FieldError] = []
        validator = None
        if template == CALLBACK_PATH:
            ctype = body.get("type") if isinstance(body, dict) else None
            name = CALLBACK_SCHEMAS.get(ctype) if isinstance(ctype, int) else None
            validator = spec_mod.component_validator(name) if name else spec_mod.route_validator(template, method)
            if ctype in (4, 7) and isinstance(body, dict):
                errors += limits.message_limit_errors(body.get("data"), prefix=("data",))
            if ctype == 8:
                errors += limits.autocomplete_limit_errors(body)
        elif template == WEBHOOK_PATH and method == "POST":
            validator = spec_mod.component_validator("IncomingWebhookRequestPartial")
            errors += limits.message_limit_errors(body)
        elif template == THREADS_PATH and method == "POST":
            channel = self.channels.get(int(params["channel_id"])) if params["channel_id"].isdigit() else None
            if channel is not None and channel.type in (ChannelType.FORUM, ChannelType.MEDIA):
                validator = spec_mod.component_validator("CreateForumThreadRequest")
                msg = body.get("message") if isinstance(body, dict) else None
                errors += limits.message_limit_errors(msg, prefix=("message",), content_max=limits.BOT_CONTENT_MAX)
            else:
                validator = spec_mod.component_validator("CreateTextThreadWithoutMessageRequest")
        elif template in (CHANNEL_MESSAGES_PATH, CHANNEL_MESSAGE_PATH) and method in ("POST", "PATCH"):
            validator = spec_mod.route_validator(template, method)
            errors += limits.message_limit_errors(body, content_max=limits.BOT_CONTENT_MAX)
        elif template in (ORIGINAL_PATH, WEBHOOK_MESSAGE_PATH) and method == "PATCH":
            validator = spec_mod.route_validator(template, method)
            errors += limits.message_limit_errors(body)
        elif template.endswith("/commands") and method == "PUT":
            validator = spec_mod.route_validator(template, method)
            errors += limits.command_errors(body)
        elif "/commands" in template and method in ("POST", "PATCH"):
            validator = spec_mod.route_validator(template, method)
            errors += [spec_mod.FieldError(e.path[1:], e.code, e.message) for e in limits.command_errors([body])]
        else:
            validator = spec_mod.route_validator(template, method)
        if validator is not None:
            errors = spec_mod.schema_errors(validator, body) + errors
        if errors:
            raise _form_error(errors)

    # ---------------------------------------------------------------- lookups & permissions

    def _guild(self, guild_id: int | str | None) -> FakeGuild:
        try:
            return self.guilds[int(guild_id)]  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError):
            raise _unknown("guild") from None

    def _channel_by_id(self, channel_id: int | str) -> FakeChannel:
        try:
            return self.channels[int(channel_id)]
        except (KeyError, ValueError):
            raise _unknown("channel") from None

    def _bot_perms(self, channel: FakeChannel) -> int:
        guild = self.guilds[channel.guild_id]
        return compute_channel_permissions(guild, guild.members[self.bot_user.id], channel)

    def _require(self, channel: FakeChannel, *needed: int) -> None:
        if not self.enforce_permissions:
            return
        perms = self._bot_perms(channel)
        if not perms & P.VIEW_CHANNEL:
            raise _err(*MISSING_ACCESS)
        for bit in needed:
            if not perms & bit:
                raise _err(*MISSING_PERMISSIONS)

    def _channel_ctx(self, ctx: _Ctx) -> FakeChannel:
        channel = self._channel_by_id(ctx.params["channel_id"])
        self._require(channel)
        return channel

    def _message_in(self, channel: FakeChannel, message_id: str) -> dict[str, Any]:
        mid = int(message_id) if message_id.isdigit() else -1
        msg = self.messages.get(mid)
        if msg is None or int(msg["channel_id"]) != channel.id:
            raise _unknown("message")
        return msg

    # ---------------------------------------------------------------- message building

    def _new_message(
        self,
        channel: FakeChannel,
        body: Mapping[str, Any],
        files: Sequence[UploadedFile],
        *,
        author: FakeUser,
        msg_type: int = 0,
        flags: int = 0,
        webhook: bool = False,
        interaction: InteractionHandle | None = None,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        mid = message_id or self._ids.next()
        guild = self.guilds.get(channel.guild_id)
        msg: dict[str, Any] = {
            "id": str(mid),
            "channel_id": str(channel.id),
            "type": msg_type,
            "content": body.get("content") or "",
            "author": author.payload(),
            "attachments": self._attachments(channel.id, body, files, []),
            "embeds": _normalize_embeds(body.get("embeds")),
            "components": _normalize_components(body.get("components")),
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": bool(body.get("tts")),
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "flags": flags,
        }
        self._set_mentions(msg, body, guild)
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        if webhook:
            msg["webhook_id"] = str(self.application_id)
            msg["application_id"] = str(self.application_id)
        if interaction is not None:
            user = self.users[interaction.user_id].payload()
            meta: dict[str, Any] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": user,
                "authorizing_integration_owners": {"0": str(interaction.guild_id)},
            }
            if interaction.type == InteractionType.APPLICATION_COMMAND:
                meta.update({"name": interaction.name, "command_type": 1})
                msg["interaction"] = {
                    "id": str(interaction.id),
                    "type": interaction.type,
                    "name": interaction.name,
                    "user": user,
                }
            if interaction.source_message_id:
                meta["interacted_message_id"] = str(interaction.source_message_id)
            if interaction.original_message_id and interaction.original_message_id != mid:
                meta["original_response_message_id"] = str(interaction.original_message_id)
            msg["interaction_metadata"] = meta
        self.messages[mid] = msg
        self.channel_message_ids.setdefault(channel.id, []).append(mid)
        channel.last_message_id = mid
        if channel.is_thread:
            channel.message_count += 1
        return msg

    def _set_mentions(self, msg: dict[str, Any], body: Mapping[str, Any], guild: FakeGuild | None) -> None:
        content = msg.get("content") or ""
        users = []
        for uid in dict.fromkeys(int(u) for u in _MENTION_USER.findall(content)):
            if uid in self.users:
                users.append(self.users[uid].payload())
        msg["mentions"] = users
        msg["mention_roles"] = [
            rid for rid in dict.fromkeys(_MENTION_ROLE.findall(content)) if guild and int(rid) in guild.roles
        ]
        allowed = body.get("allowed_mentions")
        parse_everyone = allowed is None or "everyone" in (allowed.get("parse") or [])
        msg["mention_everyone"] = bool(parse_everyone and ("@everyone" in content or "@here" in content))

    def _attachments(
        self, channel_id: int, body: Mapping[str, Any], files: Sequence[UploadedFile], existing: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        by_index: dict[int, UploadedFile] = {}
        for n, f in enumerate(files):
            m = _FILE_FIELD.fullmatch(f.field)
            by_index[int(m.group(1)) if m else n] = f
        specs = body.get("attachments")
        if specs is None:
            specs = [{"id": i} for i in by_index] if by_index else None
        if specs is None:
            return existing
        keep = {a["id"]: a for a in existing}
        out = []
        for spec in specs:
            sid = str(spec.get("id"))
            if sid in keep:
                out.append(keep[sid])
                continue
            upload = by_index.get(int(sid)) if sid.isdigit() else None
            if upload is None:
                continue
            aid = self._ids.next()
            self.attachment_data[aid] = upload.data
            url = f"{self.base_url}/attachments/{channel_id}/{aid}/{upload.filename}"
            att = {
                "id": str(aid),
                "filename": spec.get("filename") or upload.filename,
                "size": len(upload.data),
                "url": url,
                "proxy_url": url,
                "content_type": upload.content_type,
            }
            if spec.get("description"):
                att["description"] = spec["description"]
            out.append(att)
        return out

    def _apply_edit(
        self, msg: dict[str, Any], body: Mapping[str, Any], files: Sequence[UploadedFile], *, mark_edited: bool = True
    ) -> None:
        """Edit in place; raises 50006 (leaving ``msg`` untouched) if the result would be empty."""
        new = copy.deepcopy(msg)
        channel = self.channels.get(int(msg["channel_id"]))
        if "content" in body:
            new["content"] = body.get("content") or ""
        if "embeds" in body:
            new["embeds"] = _normalize_embeds(body.get("embeds"))
        if "components" in body:
            new["components"] = _normalize_components(body.get("components"))
        if body.get("flags") is not None:
            f = int(body["flags"])
            new["flags"] = (
                (new["flags"] & ~FLAG_SUPPRESS_EMBEDS) | (f & FLAG_SUPPRESS_EMBEDS) | (f & FLAG_COMPONENTS_V2)
            )
        if "attachments" in body or files:
            new["attachments"] = self._attachments(int(msg["channel_id"]), body, files, msg.get("attachments", []))
        if "content" in body:
            self._set_mentions(new, body, self.guilds.get(channel.guild_id) if channel else None)
        new["flags"] &= ~FLAG_LOADING
        if not (new["content"].strip() or new["embeds"] or new["components"] or new["attachments"]):
            raise _err(400, 50006, "Cannot send an empty message")
        if mark_edited:
            new["edited_timestamp"] = iso_now()
        msg.clear()
        msg.update(new)

    def _delete_message(self, msg: dict[str, Any]) -> None:
        mid = int(msg["id"])
        self.messages.pop(mid, None)
        ids = self.channel_message_ids.get(int(msg["channel_id"]), [])
        if mid in ids:
            ids.remove(mid)
        self._publish(msg, "MESSAGE_DELETE")

    # ---------------------------------------------------------------- handlers: meta

    def _h_gateway(self, ctx: _Ctx) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url.rstrip("/")}

    def _h_gateway_bot(self, ctx: _Ctx) -> tuple[int, Any]:
        return 200, {
            "url": self.gateway_url.rstrip("/"),
            "shards": self.shard_count,
            "session_start_limit": {
                "total": 1000,
                "remaining": 1000 - self.identify_count,
                "reset_after": 86400000,
                "max_concurrency": 1,
            },
        }

    def _h_me(self, ctx: _Ctx) -> tuple[int, Any]:
        return 200, {
            **self.bot_user.payload(),
            "verified": True,
            "mfa_enabled": False,
            "locale": "en-US",
            "email": None,
            "premium_type": 0,
        }

    def _h_user(self, ctx: _Ctx) -> tuple[int, Any]:
        uid = ctx.params["user_id"]
        user = self.users.get(int(uid)) if uid.isdigit() else None
        if user is None:
            raise _unknown("user")
        return 200, user.payload()

    def _h_application(self, ctx: _Ctx) -> tuple[int, Any]:
        return 200, {
            "id": str(self.application_id),
            "name": self.bot_user.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": self.application_flags,
            "owner": self.owner_user.payload(),
            "team": None,
            "bot": self.bot_user.payload(),
            "rpc_origins": [],
            "redirect_uris": [],
            "tags": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "approximate_guild_count": len(self.guilds),
            "integration_types_config": {"0": {}},
        }

    # ---------------------------------------------------------------- handlers: commands

    def _command_store(self, ctx: _Ctx) -> tuple[dict[int, dict[str, Any]], int | None]:
        if ctx.params["application_id"] != str(self.application_id):
            raise _err(403, 50001, "Missing Access")
        gid = ctx.params.get("guild_id")
        if gid is None:
            return self.global_commands, None
        if not gid.isdigit() or int(gid) not in self.guilds:
            raise _err(403, 50001, "Missing Access")
        return self.guild_commands.setdefault(int(gid), {}), int(gid)

    def _materialize_command(
        self, body: Mapping[str, Any], existing: Mapping[str, Any] | None, guild_id: int | None
    ) -> dict[str, Any]:
        dmp = body.get("default_member_permissions")
        cmd: dict[str, Any] = {
            "id": existing["id"] if existing else str(self._ids.next()),
            "application_id": str(self.application_id),
            "version": str(self._ids.next()),
            "default_member_permissions": None if dmp is None else str(dmp),
            "type": body.get("type") or 1,
            "name": body["name"],
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description") or "",
            "description_localizations": body.get("description_localizations"),
            "dm_permission": body.get("dm_permission", True) if guild_id is None else None,
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
            "nsfw": bool(body.get("nsfw", False)),
        }
        if body.get("options"):
            cmd["options"] = copy.deepcopy(body["options"])
        if guild_id is not None:
            cmd["guild_id"] = str(guild_id)
            cmd.pop("dm_permission")
        return cmd

    def _h_commands_list(self, ctx: _Ctx) -> tuple[int, Any]:
        store, _ = self._command_store(ctx)
        return 200, [copy.deepcopy(c) for c in store.values()]

    def _h_commands_put(self, ctx: _Ctx) -> tuple[int, Any]:
        store, gid = self._command_store(ctx)
        by_key = {(c["name"], c["type"]): c for c in store.values()}
        new: dict[int, dict[str, Any]] = {}
        for body in ctx.json or []:
            existing = by_key.get((body["name"], body.get("type") or 1))
            cmd = self._materialize_command(body, existing, gid)
            new[int(cmd["id"])] = cmd
        store.clear()
        store.update(new)
        result = [copy.deepcopy(c) for c in new.values()]
        self.command_syncs.append((gid, result))
        return 200, result

    def _h_command_post(self, ctx: _Ctx) -> tuple[int, Any]:
        store, gid = self._command_store(ctx)
        body = ctx.json or {}
        existing = next(
            (c for c in store.values() if c["name"] == body.get("name") and c["type"] == (body.get("type") or 1)), None
        )
        cmd = self._materialize_command(body, existing, gid)
        store[int(cmd["id"])] = cmd
        return (200 if existing else 201), copy.deepcopy(cmd)

    def _stored_command(self, ctx: _Ctx) -> tuple[dict[int, dict[str, Any]], int | None, dict[str, Any]]:
        store, gid = self._command_store(ctx)
        cid = ctx.params["command_id"]
        cmd = store.get(int(cid)) if cid.isdigit() else None
        if cmd is None:
            raise _unknown("command")
        return store, gid, cmd

    def _h_command_get(self, ctx: _Ctx) -> tuple[int, Any]:
        return 200, copy.deepcopy(self._stored_command(ctx)[2])

    def _h_command_patch(self, ctx: _Ctx) -> tuple[int, Any]:
        store, gid, cmd = self._stored_command(ctx)
        merged = {**cmd, **(ctx.json or {})}
        updated = self._materialize_command(merged, cmd, gid)
        store[int(cmd["id"])] = updated
        return 200, copy.deepcopy(updated)

    def _h_command_delete(self, ctx: _Ctx) -> tuple[int, Any]:
        store, _, cmd = self._stored_command(ctx)
        del store[int(cmd["id"])]
        return 204, None

    # ---------------------------------------------------------------- handlers: interactions

    def _h_callback(self, ctx: _Ctx) -> tuple[int, Any]:
        iid = ctx.params["interaction_id"]
        handle = self._interactions_by_id.get(int(iid)) if iid.isdigit() else None
        if handle is None or handle.token != ctx.params["interaction_token"]:
            raise _unknown("interaction")
        if handle.acknowledged:
            raise _err(400, 40060, "Interaction has already been acknowledged.")
        if handle.dispatched_at is not None and ctx.rec.time - handle.dispatched_at > self.interaction_deadline:
            raise _unknown("interaction")
        body = ctx.json if isinstance(ctx.json, dict) else {}
        ctype = body.get("type")
        if ctype not in ALLOWED_CALLBACKS.get(handle.type, ()):
            raise _form_error(
                [
                    spec_mod.FieldError(
                        ("type",),
                        "INTERACTION_CALLBACK_TYPE_INVALID",
                        f"Callback type {ctype} is not valid for interaction type {handle.type}",
                    )
                ]
            )
        data = body.get("data") or {}
        channel = self._channel_by_id(handle.channel_id)
        message: dict[str, Any] | None = None
        if ctype == CallbackType.CHANNEL_MESSAGE:
            if limits.is_empty_message(data, has_files=bool(ctx.files)):
                raise _err(400, 50006, "Cannot send an empty message")
            flags = int(data.get("flags") or 0) & INTERACTION_MESSAGE_FLAGS
            message = self._interaction_message(handle, channel, data, ctx.files, flags)
            handle.original_message_id = int(message["id"])
            self._publish(message, "MESSAGE_CREATE")
        elif ctype == CallbackType.DEFERRED_CHANNEL_MESSAGE:
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            message = self._interaction_message(handle, channel, {}, [], flags)
            handle.original_message_id = int(message["id"])
            self._publish(message, "MESSAGE_CREATE")
        elif ctype in (CallbackType.DEFERRED_UPDATE_MESSAGE, CallbackType.UPDATE_MESSAGE):
            source = self.messages.get(handle.source_message_id or -1)
            if source is None:
                raise _unknown("message")
            handle.original_message_id = int(source["id"])
            if ctype == CallbackType.UPDATE_MESSAGE:
                self._apply_edit(source, data, ctx.files)
                self._publish(source, "MESSAGE_UPDATE")
                message = source
        handle.callback = ctx.rec
        handle.responded_at = ctx.rec.time
        handle.response_type = ctype
        if not ctx.flag("with_response"):
            return 204, None
        result: dict[str, Any] = {
            "interaction": {
                "id": str(handle.id),
                "type": handle.type,
                "response_message_loading": ctype == CallbackType.DEFERRED_CHANNEL_MESSAGE,
                "response_message_ephemeral": bool(message and message["flags"] & FLAG_EPHEMERAL),
            }
        }
        if message is not None:
            result["interaction"]["response_message_id"] = message["id"]
            result["resource"] = {"type": ctype, "message": copy.deepcopy(message)}
        return 200, result

    def _interaction_message(
        self,
        handle: InteractionHandle,
        channel: FakeChannel,
        data: Mapping[str, Any],
        files: Sequence[UploadedFile],
        flags: int,
    ) -> dict[str, Any]:
        msg_type = 20 if handle.type == InteractionType.APPLICATION_COMMAND else 0
        return self._new_message(
            channel, data, files, author=self.bot_user, msg_type=msg_type, flags=flags, webhook=True, interaction=handle
        )

    def _webhook_handle(self, ctx: _Ctx) -> InteractionHandle:
        handle = self._interactions_by_token.get(ctx.params["webhook_token"])
        if handle is None or ctx.params["webhook_id"] != str(self.application_id) or not handle.acknowledged:
            raise _unknown("webhook")
        if handle.dispatched_at is not None and ctx.rec.time - handle.dispatched_at > self.token_lifetime:
            raise _err(401, 50027, "Invalid Webhook Token")
        return handle

    def _h_followup(self, ctx: _Ctx) -> tuple[int, Any]:
        handle = self._webhook_handle(ctx)
        body = ctx.json if isinstance(ctx.json, dict) else {}
        if limits.is_empty_message(body, has_files=bool(ctx.files)):
            raise _err(400, 50006, "Cannot send an empty message")
        original = self.messages.get(handle.original_message_id or -1)
        if (
            handle.response_type == CallbackType.DEFERRED_CHANNEL_MESSAGE
            and original is not None
            and original["flags"] & FLAG_LOADING
        ):
            # Discord: a followup to an unresolved defer resolves the loading message (keeping its ephemerality).
            self._apply_edit(original, body, ctx.files, mark_edited=False)
            msg = original
            self._publish(msg, "MESSAGE_UPDATE")
        else:
            flags = int(body.get("flags") or 0) & INTERACTION_MESSAGE_FLAGS
            msg = self._interaction_message(handle, self._channel_by_id(handle.channel_id), body, ctx.files, flags)
            self._publish(msg, "MESSAGE_CREATE")
        handle.followup_ids.append(int(msg["id"]))
        handle.followup_requests.append(ctx.rec)
        if ctx.flag("wait"):
            return 200, copy.deepcopy(msg)
        return 204, None

    def _webhook_message(self, ctx: _Ctx, handle: InteractionHandle) -> dict[str, Any]:
        mid_s = ctx.params.get("message_id")
        if mid_s is None:  # @original
            mid = handle.original_message_id
        else:
            mid = int(mid_s) if mid_s.isdigit() else None
            if mid not in handle.followup_ids and mid != handle.original_message_id:
                mid = None
        msg = self.messages.get(mid) if mid is not None else None
        if msg is None:
            raise _unknown("message")
        return msg

    def _h_webhook_message_get(self, ctx: _Ctx) -> tuple[int, Any]:
        handle = self._webhook_handle(ctx)
        return 200, copy.deepcopy(self._webhook_message(ctx, handle))

    def _h_webhook_message_patch(self, ctx: _Ctx) -> tuple[int, Any]:
        handle = self._webhook_handle(ctx)
        msg = self._webhook_message(ctx, handle)
        was_loading = bool(msg["flags"] & FLAG_LOADING)
        self._apply_edit(msg, ctx.json if isinstance(ctx.json, dict) else {}, ctx.files, mark_edited=not was_loading)
        if "message_id" not in ctx.params or int(ctx.params["message_id"]) == handle.original_message_id:
            handle.edit_requests.append(ctx.rec)
        self._publish(msg, "MESSAGE_UPDATE")
        return 200, copy.deepcopy(msg)

    def _h_webhook_message_delete(self, ctx: _Ctx) -> tuple[int, Any]:
        handle = self._webhook_handle(ctx)
        msg = self._webhook_message(ctx, handle)
        if int(msg["id"]) == handle.original_message_id:
            handle.original_deleted = True
        self._delete_message(msg)
        return 204, None

    # ---------------------------------------------------------------- handlers: channels

    def _h_channel_get(self, ctx: _Ctx) -> tuple[int, Any]:
        return 200, self._channel_ctx(ctx).payload()

    def _h_typing(self, ctx: _Ctx) -> tuple[int, Any]:
        channel = self._channel_ctx(ctx)
        self._require(channel, P.SEND_MESSAGES_IN_THREADS if channel.is_thread else P.SEND_MESSAGES)
        return 204, None

    def _h_messages_list(self, ctx: _Ctx) -> tuple[int, Any]:
        channel = self._channel_ctx(ctx)
        self._require(channel, P.READ_MESSAGE_HISTORY)
        limit = int(ctx.request.query.get("limit", "50"))
        msgs = [self.messages[m] for m in reversed(self.channel_message_ids.get(channel.id, [])) if m in self.messages]
        msgs = [m for m in msgs if not m["flags"] & FLAG_EPHEMERAL]
        return 200, copy.deepcopy(msgs[:limit])

    def _h_message_get(self, ctx: _Ctx) -> tuple[int, Any]:
        channel = self._channel_ctx(ctx)
        self._require(channel, P.READ_MESSAGE_HISTORY)
        return 200, copy.deepcopy(self._message_in(channel, ctx.params["message_id"]))

    def _h_message_create(self, ctx: _Ctx) -> tuple[int, Any]:
        channel = self._channel_ctx(ctx)
        if channel.type not in ChannelType.MESSAGEABLE:
            raise _err(400, 50008, "Cannot send messages in a non-text channel")
        body = ctx.json if isinstance(ctx.json, dict) else {}
        needed = [P.SEND_MESSAGES_IN_THREADS if channel.is_thread else P.SEND_MESSAGES]
        if ctx.files:
            needed.append(P.ATTACH_FILES)
        if body.get("message_reference"):
            needed.append(P.READ_MESSAGE_HISTORY)
        self._require(channel, *needed)
        if channel.is_thread and (channel.archived or channel.locked):
            raise _err(400, 50083, "Thread is archived")
        if limits.is_empty_message(body, has_files=bool(ctx.files)):
            raise _err(400, 50006, "Cannot send an empty message")
        nonce = body.get("nonce")
        key = (channel.id, self.bot_user.id, str(nonce))
        if nonce is not None and body.get("enforce_nonce"):
            hit = self._nonces.get(key)
            if hit is not None and time.monotonic() - hit[0] < self.nonce_window and hit[1] in self.messages:
                return 200, copy.deepcopy(self.messages[hit[1]])
        msg_type = 0
        reference = body.get("message_reference")
        referenced = None
        if isinstance(reference, dict) and reference.get("message_id") is not None:
            referenced = self.messages.get(int(reference["message_id"]))
            if referenced is None and reference.get("fail_if_not_exists", True):
                raise _form_error(
                    [spec_mod.FieldError(("message_reference",), "REPLIES_UNKNOWN_MESSAGE", "Unknown message")]
                )
            msg_type = 19
        flags = int(body.get("flags") or 0) & CHANNEL_MESSAGE_FLAGS
        msg = self._new_message(channel, body, ctx.files, author=self.bot_user, msg_type=msg_type, flags=flags)
        if msg_type == 19:
            msg["message_reference"] = {
                "type": 0,
                "message_id": str(reference["message_id"]),
                "channel_id": str(channel.id),
                "guild_id": str(channel.guild_id),
            }
            msg["referenced_message"] = copy.deepcopy(referenced)
        if nonce is not None and body.get("enforce_nonce"):
            self._nonces[key] = (time.monotonic(), int(msg["id"]))
        self._publish(msg, "MESSAGE_CREATE")
        return 200, copy.deepcopy(msg)

    def _h_message_edit(self, ctx: _Ctx) -> tuple[int, Any]:
        channel = self._channel_ctx(ctx)
        msg = self._message_in(channel, ctx.params["message_id"])
        if int(msg["author"]["id"]) != self.bot_user.id:
            raise _err(403, 50005, "Cannot edit a message authored by another user")
        self._apply_edit(msg, ctx.json if isinstance(ctx.json, dict) else {}, ctx.files)
        self._publish(msg, "MESSAGE_UPDATE")
        return 200, copy.deepcopy(msg)

    def _h_message_delete(self, ctx: _Ctx) -> tuple[int, Any]:
        channel = self._channel_ctx(ctx)
        msg = self._message_in(channel, ctx.params["message_id"])
        if int(msg["author"]["id"]) != self.bot_user.id:
            self._require(channel, P.MANAGE_MESSAGES)
        self._delete_message(msg)
        return 204, None

    def _h_thread_create(self, ctx: _Ctx) -> tuple[int, Any]:
        parent = self._channel_ctx(ctx)
        body = ctx.json if isinstance(ctx.json, dict) else {}
        guild = self.guilds[parent.guild_id]
        if parent.type in (ChannelType.FORUM, ChannelType.MEDIA):
            self._require(parent, P.SEND_MESSAGES)
            message_body = body.get("message") or {}
            if limits.is_empty_message(message_body, has_files=bool(ctx.files)):
                raise _err(400, 50006, "Cannot send an empty message")
            tags = [int(t) for t in body.get("applied_tags") or []]
            known = {int(t["id"]) for t in parent.available_tags}
            unknown = [t for t in tags if t not in known]
            if unknown:
                raise _form_error(
                    [spec_mod.FieldError(("applied_tags",), "BASE_TYPE_CHOICES", f"Unknown tag(s) {unknown}")]
                )
            if parent.flags & FORUM_REQUIRE_TAG and not tags:
                raise _err(400, 40067, "A tag is required to create a forum post in this channel")
            thread = self._new_thread(guild, parent, body, ChannelType.PUBLIC_THREAD, tags)
            msg = self._new_message(thread, message_body, ctx.files, author=self.bot_user, message_id=thread.id)
            payload = thread.payload()
            payload["message"] = copy.deepcopy(msg)
            self._dispatch("THREAD_CREATE", {**thread.payload(), "newly_created": True}, intent=INTENT_GUILDS)
            self._publish(msg, "MESSAGE_CREATE")
            return 201, payload
        if parent.type not in (ChannelType.TEXT, ChannelType.ANNOUNCEMENT):
            raise _err(400, 50024, "Cannot execute action on this channel type")
        ttype = body.get("type") or ChannelType.PRIVATE_THREAD
        self._require(
            parent, P.CREATE_PRIVATE_THREADS if ttype == ChannelType.PRIVATE_THREAD else P.CREATE_PUBLIC_THREADS
        )
        thread = self._new_thread(guild, parent, body, ttype, [])
        self._dispatch("THREAD_CREATE", {**thread.payload(), "newly_created": True}, intent=INTENT_GUILDS)
        return 201, thread.payload()

    def _new_thread(
        self, guild: FakeGuild, parent: FakeChannel, body: Mapping[str, Any], ttype: int, tags: list[int]
    ) -> FakeChannel:
        thread = FakeChannel(
            self._ids.next(),
            guild.id,
            body["name"],
            type=ttype,
            parent_id=parent.id,
            owner_id=self.bot_user.id,
            applied_tags=tags,
            auto_archive_duration=body.get("auto_archive_duration") or 4320,
            rate_limit_per_user=body.get("rate_limit_per_user") or 0,
        )
        guild.channels[thread.id] = thread
        self.channels[thread.id] = thread
        return thread

    # ---------------------------------------------------------------- handlers: guilds

    def _guild_ctx(self, ctx: _Ctx) -> FakeGuild:
        gid = ctx.params["guild_id"]
        guild = self.guilds.get(int(gid)) if gid.isdigit() else None
        if guild is None:
            raise _unknown("guild")
        return guild

    def _h_guild_get(self, ctx: _Ctx) -> tuple[int, Any]:
        guild = self._guild_ctx(ctx)
        return 200, {
            **guild.base_payload(),
            "approximate_member_count": len(guild.members),
            "approximate_presence_count": 0,
        }

    def _h_guild_channels(self, ctx: _Ctx) -> tuple[int, Any]:
        guild = self._guild_ctx(ctx)
        return 200, [c.payload() for c in guild.channels.values() if not c.is_thread]

    def _h_guild_roles(self, ctx: _Ctx) -> tuple[int, Any]:
        return 200, [r.payload() for r in self._guild_ctx(ctx).roles.values()]

    def _h_guild_member(self, ctx: _Ctx) -> tuple[int, Any]:
        guild = self._guild_ctx(ctx)
        uid = ctx.params["user_id"]
        member = guild.members.get(int(uid)) if uid.isdigit() else None
        if member is None:
            raise _unknown("member")
        return 200, member.payload()

    # ================================================================== gateway

    async def _gateway_ws(self, request: web.Request) -> web.StreamResponse:
        compress = request.query.get("compress")
        if compress not in (None, "zlib-stream", "zstd-stream") or (compress == "zstd-stream" and not zstd_available()):
            return web.Response(status=400, text=f"unsupported compress={compress}")
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = GatewayConnection(ws, compress=compress, path=request.path, log=self.gateway_log)
        self.connections.append(conn)
        try:
            if request.query.get("encoding", "json") != "json":
                await conn.close(CloseCode.DECODE_ERROR, "Only encoding=json is supported by the fake.")
                return ws
            if request.query.get("v", "10") != "10":
                await conn.close(CloseCode.INVALID_API_VERSION, "Invalid API version.")
                return ws
            conn.send(
                {
                    "op": GatewayOp.HELLO,
                    "d": {"heartbeat_interval": self.heartbeat_interval, "_trace": ['["fakediscord"]']},
                    "s": None,
                    "t": None,
                }
            )
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    try:
                        payload = json.loads(msg.data)
                    except ValueError:
                        await conn.close(CloseCode.DECODE_ERROR, "Error while decoding payload.")
                        break
                    self.gateway_log.append(GatewayFrame("recv", payload, time.perf_counter(), conn.id))
                    await self._on_gateway(conn, payload)
                    self._notifier.notify()
                    if conn.closed:
                        break
                elif msg.type == WSMsgType.BINARY:
                    await conn.close(CloseCode.DECODE_ERROR, "Binary frames are not supported by the fake.")
                    break
                else:
                    break
        finally:
            session = conn.session
            if session is not None and session.connection is conn:
                session.connection = None
                if ws.close_code in (1000, 1001):
                    session.resumable = False  # Discord invalidates the session on a clean client close
            if not conn.closed:
                await conn.abort()
            if conn in self.connections:
                self.connections.remove(conn)
            self._notifier.notify()
        return ws

    async def _on_gateway(self, conn: GatewayConnection, payload: Any) -> None:
        if not isinstance(payload, dict):
            await conn.close(CloseCode.DECODE_ERROR, "Error while decoding payload.")
            return
        op, d = payload.get("op"), payload.get("d")
        if op == GatewayOp.HEARTBEAT:
            conn.heartbeats += 1
            conn.send({"op": GatewayOp.HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == GatewayOp.IDENTIFY:
            await self._identify(conn, d)
        elif op == GatewayOp.RESUME:
            await self._resume(conn, d)
        elif conn.session is None:
            await conn.close(CloseCode.NOT_AUTHENTICATED, "Not authenticated.")
        elif op == GatewayOp.PRESENCE_UPDATE:
            self.presence_updates.append(d)
        elif op == GatewayOp.VOICE_STATE_UPDATE:
            pass
        elif op == GatewayOp.REQUEST_GUILD_MEMBERS:
            self._members_chunk(conn.session, d if isinstance(d, dict) else {})
        else:
            await conn.close(CloseCode.UNKNOWN_OPCODE, "Unknown opcode.")

    async def _identify(self, conn: GatewayConnection, d: Any) -> None:
        if conn.session is not None:
            await conn.close(CloseCode.ALREADY_AUTHENTICATED, "Already authenticated.")
            return
        if not isinstance(d, dict) or d.get("token") != self.token:
            await conn.close(CloseCode.AUTHENTICATION_FAILED, "Authentication failed.")
            return
        intents = d.get("intents")
        if not isinstance(intents, int) or intents < 0:
            await conn.close(CloseCode.INVALID_INTENTS, "Invalid intent(s).")
            return
        if (
            self.allowed_privileged_intents is not None
            and intents & PRIVILEGED_INTENTS & ~self.allowed_privileged_intents
        ):
            await conn.close(CloseCode.DISALLOWED_INTENTS, "Disallowed intent(s).")
            return
        shard = d.get("shard")
        if shard is not None and (len(shard) != 2 or not 0 <= shard[0] < shard[1]):
            await conn.close(CloseCode.INVALID_SHARD, "Invalid shard.")
            return
        session = GatewaySession(
            id=secrets.token_hex(16),
            token=d["token"],
            intents=intents,
            identify=d,
            shard=tuple(shard) if shard else None,
        )
        self.sessions[session.id] = session
        session.connection = conn
        conn.session = session
        self.session = session
        self.identify_count += 1
        guilds = [
            g
            for g in self.guilds.values()
            if session.shard is None or (g.id >> 22) % session.shard[1] == session.shard[0]
        ]
        ready: dict[str, Any] = {
            "v": 10,
            "user": {**self.bot_user.payload(), "verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url,
            "application": {"id": str(self.application_id), "flags": self.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["fake-local"],
            "user_settings": {},
            "auth": {},
            "_trace": ['["fakediscord",{"micros":0}]'],
        }
        if session.shard is not None:
            ready["shard"] = list(session.shard)
        session.dispatch("READY", ready)
        for guild in guilds:
            session.dispatch("GUILD_CREATE", self._guild_create_payload(guild, intents))

    def _guild_create_payload(self, guild: FakeGuild, intents: int) -> dict[str, Any]:
        members = list(guild.members.values()) if intents & INTENT_GUILD_MEMBERS else [guild.members[self.bot_user.id]]
        return guild.create_payload(include_members=members)

    async def _resume(self, conn: GatewayConnection, d: Any) -> None:
        d = d if isinstance(d, dict) else {}
        session = self.sessions.get(d.get("session_id", ""))
        seq = d.get("seq") or 0
        if session is None or not session.resumable or d.get("token") != self.token or seq > session.seq:
            conn.send({"op": GatewayOp.INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        old = session.connection
        if old is not None and old is not conn:
            session.connection = None
            asyncio.get_running_loop().create_task(old.close(CloseCode.UNKNOWN_ERROR, "Session resumed elsewhere."))
        session.connection = conn
        conn.session = session
        session.resumes += 1
        self.session = session
        for frame in session.replay_after(seq):
            conn.send(frame)
        session.dispatch("RESUMED", {"_trace": ['["fakediscord"]']})

    def _members_chunk(self, session: GatewaySession, d: Mapping[str, Any]) -> None:
        gids = d.get("guild_id")
        for gid in gids if isinstance(gids, list) else [gids]:
            guild = self.guilds.get(int(gid)) if gid is not None else None
            if guild is None:
                continue
            members = list(guild.members.values())
            not_found: list[str] = []
            user_ids = d.get("user_ids")
            if user_ids is not None:
                wanted = [int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])]
                not_found = [str(u) for u in wanted if u not in guild.members]
                members = [guild.members[u] for u in wanted if u in guild.members]
            elif d.get("query"):
                q = str(d["query"]).lower()
                members = [
                    m for m in members if m.user.username.lower().startswith(q) or (m.nick or "").lower().startswith(q)
                ]
            limit = d.get("limit") or 0
            if limit:
                members = members[:limit]
            chunk: dict[str, Any] = {
                "guild_id": str(guild.id),
                "members": [m.payload() for m in members],
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": not_found,
            }
            if d.get("presences"):
                chunk["presences"] = []
            if d.get("nonce") is not None:
                chunk["nonce"] = d["nonce"]
            session.dispatch("GUILD_MEMBERS_CHUNK", chunk)


# ---------------------------------------------------------------------- helpers


def _infer_option_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    if isinstance(value, FakeUser | FakeMember):
        return 6
    if isinstance(value, FakeChannel):
        return 7
    if isinstance(value, FakeRole):
        return 8
    return 3


def _check_option_constraints(spec: Mapping[str, Any], value: Any) -> None:
    """The Discord client refuses to send values outside these; a test doing so has a bug."""
    name = spec["name"]
    choices = spec.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise ValueError(f"{value!r} is not a choice of option {name!r} ({[c['value'] for c in choices]!r})")
    if isinstance(value, str):
        if spec.get("min_length") is not None and len(value) < spec["min_length"]:
            raise ValueError(f"option {name!r} needs at least {spec['min_length']} characters")
        if spec.get("max_length") is not None and len(value) > spec["max_length"]:
            raise ValueError(f"option {name!r} allows at most {spec['max_length']} characters")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if spec.get("min_value") is not None and value < spec["min_value"]:
            raise ValueError(f"option {name!r} must be >= {spec['min_value']}")
        if spec.get("max_value") is not None and value > spec["max_value"]:
            raise ValueError(f"option {name!r} must be <= {spec['max_value']}")


def _drop_empty_options(options: list[dict[str, Any]]) -> None:
    for opt in options:
        if opt.get("type") in (1, 2):
            if opt.get("options"):
                _drop_empty_options(opt["options"])
            else:
                opt.pop("options", None)


def _normalize_embeds(embeds: Any) -> list[dict[str, Any]]:
    out = []
    for embed in embeds or []:
        e = {k: v for k, v in copy.deepcopy(embed).items() if v is not None}
        e.setdefault("type", "rich")
        out.append(e)
    return out


def _normalize_components(components: Any) -> list[dict[str, Any]]:
    """Copy components and number them the way Discord does (``id`` in tree order when absent)."""
    out = copy.deepcopy(list(components or []))
    counter = 0
    used = set()

    def collect(items: list[Any]) -> None:
        for comp in items:
            if isinstance(comp, dict):
                if isinstance(comp.get("id"), int):
                    used.add(comp["id"])
                collect(comp.get("components") or [])
                for key in ("accessory", "component"):
                    if isinstance(comp.get(key), dict):
                        collect([comp[key]])

    def number(items: list[Any]) -> None:
        nonlocal counter
        for comp in items:
            if not isinstance(comp, dict):
                continue
            if not isinstance(comp.get("id"), int):
                counter += 1
                while counter in used:
                    counter += 1
                comp["id"] = counter
            number(comp.get("components") or [])
            for key in ("accessory", "component"):
                if isinstance(comp.get(key), dict):
                    number([comp[key]])

    collect(out)
    number(out)
    return out
