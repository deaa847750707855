"""The fake's configuration and state, and the wiring of its REST routes and gateway around them.

All state lives on one object so that every area works on the same data and tests can read
it directly (``fake.messages``, ``fake.requests``, ``fake.session``...). The area parts
(:class:`~.gateway_server.GatewayServer`, the route classes) keep a reference to it and no data
of their own. Underscored members are shared between the fake's modules, not meant for tests.
"""

from __future__ import annotations

from typing import Any

from .application import ApplicationRoutes
from .channels import ChannelRoutes
from .commands import CommandRoutes
from .following import FollowRoutes
from .gateway import GatewayConnection, GatewayFrame, GatewaySession
from .gateway_server import GatewayServer
from .guilds import GuildRoutes
from .interaction_payloads import InteractionPayloads
from .interactions import InteractionHandle
from .messages import MessageStore
from .models import ChannelType, FakeChannel, FakeGuild, FakeUser, SnowflakeGenerator
from .ratelimit import Fault, RateLimiter
from .records import Notifier, RecordedRequest
from .responses import ResponseRoutes
from .rest import API_VERSION, RestApi, unknown
from .sharding import IdentifyRecord, IdentifyViolation


class FakeCore:
    """Configuration and state of a :class:`~.server.FakeDiscord`; the options are documented there."""

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
        max_concurrency: int = 1,
        identify_window: float = 5.0,
        guilds_per_shard: int = 2500,
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
        self.max_concurrency = max_concurrency
        self.identify_window = identify_window
        self.guilds_per_shard = guilds_per_shard
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
        #: Announcement channel id -> {following channel id: the webhook id Discord delivers through}.
        self.followers: dict[int, dict[int, int]] = {}
        #: Direct messages: each user's DM channel with the bot, and the users who do not take the bot's DMs
        #: (privacy settings, the bot blocked): Discord opens the channel but refuses each message, 50007.
        self.dm_channels: dict[int, int] = {}
        self.closed_dms: set[int] = set()

        self.gateway_log: list[GatewayFrame] = []
        self.connections: list[GatewayConnection] = []
        self.sessions: dict[str, GatewaySession] = {}
        self.session: GatewaySession | None = None
        self.identify_count = 0
        self.identifies: list[IdentifyRecord] = []
        self.identify_violations: list[IdentifyViolation] = []
        self.presence_updates: list[Any] = []

        self._notifier = Notifier()
        self._port: int | None = None

        # The parts acting on this state; each route class contributes the REST routes of its area.
        self._gateway = GatewayServer(self)
        self._messages = MessageStore(self, self._gateway)
        self._payloads = InteractionPayloads(self)
        channel_routes = ChannelRoutes(self, self._messages, self._gateway)
        self._rest = RestApi(
            self,
            [
                *self._gateway.routes(),
                *ApplicationRoutes(self).routes(),
                *CommandRoutes(self).routes(),
                *ResponseRoutes(self, self._messages, self._gateway).routes(),
                *channel_routes.routes(),
                *FollowRoutes(self, self._messages, self._gateway, channel_routes).routes(),
                *GuildRoutes(self).routes(),
            ],
        )

    # ------------------------------------------------------------------ addresses

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

    # ------------------------------------------------------------------ lookups

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

    def _guild(self, guild_id: int | str | None) -> FakeGuild:
        if guild_id is None:
            raise unknown("guild")
        try:
            return self.guilds[int(guild_id)]
        except (KeyError, ValueError):
            raise unknown("guild") from None

    def _channel_by_id(self, channel_id: int | str) -> FakeChannel:
        try:
            return self.channels[int(channel_id)]
        except (KeyError, ValueError):
            raise unknown("channel") from None

    # ------------------------------------------------------------------ for waits and failure messages

    def _t(self, timeout: float | None) -> float:
        return self.default_timeout if timeout is None else timeout

    def _diagnostics(self) -> str:
        parts = []
        if self.errors:
            parts.append("rejected requests:\n" + "\n".join(f"  {e}" for e in self.errors[-5:]))
        if self.identify_violations:
            parts.append("identify pacing violations:\n" + "\n".join(f"  {v}" for v in self.identify_violations))
        recent = self.requests[-8:]
        if recent:
            parts.append("recent requests:\n" + "\n".join(f"  {r}" for r in recent))
        if self.session is None:
            parts.append("no gateway session (the bot never identified)")
        return "\n".join(parts)
