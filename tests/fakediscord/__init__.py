"""A fake Discord server (REST + gateway on loopback) for end-to-end tests of discord.py bots.

See :class:`FakeDiscord`. The bundled ``openapi.json`` is Discord's official API spec (MIT,
``LICENSE`` beside it) and is used to validate every request body the bot sends.
"""

from .gateway import GatewayFrame, GatewaySession, zstd_available
from .interaction_payloads import AUTO
from .interactions import CallbackType, InteractionHandle, InteractionType
from .models import ChannelType, FakeChannel, FakeGuild, FakeMember, FakeRole, FakeUser, Overwrite
from .permissions import P
from .ratelimit import Fault, RateLimiter, RateLimitRule
from .records import RecordedRequest, UploadedFile
from .rest import DiscordHTTPError
from .server import FakeDiscord

__all__ = [
    "AUTO",
    "CallbackType",
    "ChannelType",
    "DiscordHTTPError",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeMember",
    "FakeRole",
    "FakeUser",
    "Fault",
    "GatewayFrame",
    "GatewaySession",
    "InteractionHandle",
    "InteractionType",
    "Overwrite",
    "P",
    "RateLimitRule",
    "RateLimiter",
    "RecordedRequest",
    "UploadedFile",
    "zstd_available",
]
