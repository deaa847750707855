"""Gateway sessions and connections: sequence numbers, replay for RESUME, and transport compression.

A *session* (what READY creates and RESUME reattaches to) outlives a *connection* (one
websocket), exactly as on Discord: dispatches sent while the bot is reconnecting are buffered
on the session and replayed after RESUME.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from aiohttp import web

_zstandard: ModuleType | None
try:  # discord.py prefers zstd-stream when `zstandard` is importable; mirror it with the same library.
    import zstandard as _zstandard
except ImportError:  # pragma: no cover - depends on the environment
    _zstandard = None


def zstd_available() -> bool:
    """Whether the fake can speak ``compress=zstd-stream`` (same condition under which discord.py asks for it)."""
    return _zstandard is not None


class GatewayOp:
    """Gateway opcodes."""

    DISPATCH = 0
    HEARTBEAT = 1
    IDENTIFY = 2
    PRESENCE_UPDATE = 3
    VOICE_STATE_UPDATE = 4
    RESUME = 6
    RECONNECT = 7
    REQUEST_GUILD_MEMBERS = 8
    INVALID_SESSION = 9
    HELLO = 10
    HEARTBEAT_ACK = 11


class Intent:
    """Gateway intent bits the fake acts on."""

    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    MESSAGE_CONTENT = 1 << 15
    PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT


class CloseCode:
    """Gateway close codes the fake uses."""

    UNKNOWN_ERROR = 4000
    UNKNOWN_OPCODE = 4001
    DECODE_ERROR = 4002
    NOT_AUTHENTICATED = 4003
    AUTHENTICATION_FAILED = 4004
    ALREADY_AUTHENTICATED = 4005
    INVALID_SEQ = 4007
    INVALID_SHARD = 4010
    SHARDING_REQUIRED = 4011
    INVALID_API_VERSION = 4012
    INVALID_INTENTS = 4013
    DISALLOWED_INTENTS = 4014


@dataclass
class GatewayFrame:
    """One decoded gateway payload, in either direction, with the time it crossed the wire."""

    direction: str  # "send" (fake -> bot) | "recv" (bot -> fake)
    payload: dict[str, Any]
    time: float
    connection_id: int


_Item = tuple[dict[str, Any], "asyncio.Future[float]", Callable[[float], None] | None]


class _Encoder:
    """Per-connection transport encoding; stream compressors keep state, so one per connection."""

    def __init__(self, compress: str | None) -> None:
        self.compress = compress
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._zstd = None
        if compress == "zstd-stream":
            if _zstandard is None:
                raise ValueError("zstd-stream requested but zstandard is not installed")
            self._zstd = _zstandard.ZstdCompressor().compressobj()

    def encode(self, payload: dict[str, Any]) -> str | bytes:
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        if self._zlib is not None:
            return self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
        if self._zstd is not None:
            assert _zstandard is not None
            frame: bytes = self._zstd.compress(text.encode()) + self._zstd.flush(_zstandard.COMPRESSOBJ_FLUSH_BLOCK)
            return frame
        return text


class GatewayConnection:
    """One websocket. Outgoing frames go through a queue so ordering (and stream compression) is preserved."""

    _ids = 0

    def __init__(self, ws: web.WebSocketResponse, *, compress: str | None, path: str, log: list[GatewayFrame]) -> None:
        GatewayConnection._ids += 1
        self.id = GatewayConnection._ids
        self.ws = ws
        self.path = path
        self.compress = compress
        self.session: GatewaySession | None = None
        self.heartbeats = 0
        self._encoder = _Encoder(compress)
        self._queue: asyncio.Queue[_Item | None] = asyncio.Queue()
        self._log = log
        self._last: asyncio.Future[float] | None = None
        self._writer = asyncio.create_task(self._write_loop(), name=f"fakediscord-gw-writer-{self.id}")
        self.closed = False

    def send(self, payload: dict[str, Any], on_sent: Callable[[float], None] | None = None) -> asyncio.Future[float]:
        """Queue a payload; the future resolves to the ``perf_counter`` time it was written.

        ``on_sent`` is called synchronously right after the write, before anything else can
        run, so a reply racing the future's callbacks still sees the exact send time.
        """
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        if self.closed:
            fut.set_exception(ConnectionError("gateway connection closed"))
            fut.exception()  # mark retrieved
            return fut
        self._queue.put_nowait((payload, fut, on_sent))
        self._last = fut
        return fut

    async def _write_loop(self) -> None:
        while True:
            item = await self._queue.get()
            if item is None:
                return
            payload, fut, on_sent = item
            try:
                data = self._encoder.encode(payload)
                if isinstance(data, bytes):
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_str(data)
            except Exception as exc:  # connection went away mid-write
                if not fut.done():
                    fut.set_exception(exc)
                    fut.exception()
                continue
            now = time.perf_counter()
            if on_sent is not None:
                on_sent(now)
            self._log.append(GatewayFrame("send", payload, now, self.id))
            if not fut.done():
                fut.set_result(now)

    async def drain(self) -> None:
        """Wait until everything queued so far has been written (or failed)."""
        if self._last is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._last)

    async def close(self, code: int = 1000, message: str = "") -> None:
        """Flush queued frames, then close the websocket with ``code``."""
        if self.closed:
            return
        self.closed = True
        self._queue.put_nowait(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._writer, timeout=1.0)
        with contextlib.suppress(Exception):
            await self.ws.close(code=code, message=message.encode())

    async def abort(self) -> None:
        """Stop writing without flushing (used after the socket is already gone)."""
        self.closed = True
        self._writer.cancel()
        with contextlib.suppress(BaseException):
            await self._writer


@dataclass
class GatewaySession:
    """A READY-created session: sequence counter, event history for RESUME replay, identify data."""

    id: str
    token: str
    intents: int
    identify: dict[str, Any]
    shard: tuple[int, int] | None = None
    seq: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    connection: GatewayConnection | None = None
    resumable: bool = True
    resumes: int = 0

    @property
    def live(self) -> bool:
        """Connected and not invalidated: what "one live session per shard" counts."""
        return self.connection is not None and not self.connection.closed and self.resumable

    @property
    def ended(self) -> bool:
        """Neither connected nor resumable: nothing sent to it would ever be read, so nothing is routed to it."""
        return self.connection is None and not self.resumable

    def owns(self, guild_id: int) -> bool:
        """Whether it gets the guild's events: ``(guild_id >> 22) % count == id``; unsharded, every guild."""
        return self.shard is None or (guild_id >> 22) % self.shard[1] == self.shard[0]

    def dispatch(
        self, event: str, data: dict[str, Any], on_sent: Callable[[float], None] | None = None
    ) -> asyncio.Future[float] | None:
        """Assign the next sequence number; send now if connected, else keep for replay."""
        self.seq += 1
        frame = {"op": GatewayOp.DISPATCH, "t": event, "s": self.seq, "d": data}
        self.events.append(frame)
        if self.connection is not None and not self.connection.closed:
            return self.connection.send(frame, on_sent)
        return None

    def replay_after(self, seq: int) -> list[dict[str, Any]]:
        return [f for f in self.events if f["s"] > seq]
