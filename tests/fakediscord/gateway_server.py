"""The gateway endpoint (HELLO, IDENTIFY, RESUME, heartbeats, member requests) and delivery of events to the bot.

Events caused by changes to the fake's state (guild setup, messages, interactions) go through
:meth:`GatewayServer.dispatch`, :meth:`~GatewayServer.publish_message` or
:meth:`~GatewayServer.send_interaction`, so which session receives them (the sessions whose shard
owns the guild, by intents) is decided in this one place. Only the session handshake and the
controls of :class:`~.server.FakeDiscord` (``reconnect``...) address a session directly.
"""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .gateway import CloseCode, GatewayConnection, GatewayFrame, GatewayOp, GatewaySession, Intent, zstd_available
from .interactions import InteractionHandle
from .models import FakeGuild, MessageFlag
from .rest import Answer, Ctx, Route
from .sharding import Refusal, ShardGate

if TYPE_CHECKING:
    from .core import FakeCore


class GatewayServer:
    """Serves ``/`` and ``/resume`` websockets and the ``/gateway`` REST routes that point at them."""

    def __init__(self, core: FakeCore) -> None:
        self.core = core
        self.shards = ShardGate(core)

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/gateway", self.get_gateway, "none"),
            Route("GET", "/gateway/bot", self.get_gateway_bot, "bot"),
        ]

    # ------------------------------------------------------------------ event delivery

    def dispatch(
        self, event: str, data: dict[str, Any], *, intent: int = 0, guild_id: int | None = None
    ) -> list[asyncio.Future[float]]:
        """Send an event to the sessions owning ``guild_id`` (shard 0 when None) that subscribed to ``intent``."""
        sent = []
        for session in self.shards.owners(guild_id):
            if intent and not session.intents & intent:
                continue
            fut = session.dispatch(event, data)
            if fut is not None:
                sent.append(fut)
        return sent

    def publish_message(self, msg: dict[str, Any], event: str) -> list[asyncio.Future[float]]:
        """Gateway echo of a message change (skipped for ephemeral messages and without GUILD_MESSAGES)."""
        core = self.core
        if msg.get("flags", 0) & MessageFlag.EPHEMERAL:
            return []
        channel = core.channels.get(int(msg["channel_id"]))
        sent = []
        for session in self.shards.owners(channel.guild_id if channel is not None else None):
            if not session.intents & Intent.GUILD_MESSAGES:
                continue
            fut = session.dispatch(event, self._message_event(msg, event, session.intents))
            if fut is not None:
                sent.append(fut)
        return sent

    def _message_event(self, msg: dict[str, Any], event: str, intents: int) -> dict[str, Any]:
        core = self.core
        channel = core.channels.get(int(msg["channel_id"]))
        if event == "MESSAGE_DELETE":
            data: dict[str, Any] = {"id": msg["id"], "channel_id": msg["channel_id"]}
            if channel is not None:
                data["guild_id"] = str(channel.guild_id)
            return data
        data = copy.deepcopy(msg)
        if channel is not None:
            guild = core.guilds[channel.guild_id]
            data["guild_id"] = str(guild.id)
            author_id = int(msg["author"]["id"])
            member = guild.members.get(author_id)
            if member is not None and "webhook_id" not in msg:
                data["member"] = member.payload(with_user=False)
        is_own = int(msg["author"]["id"]) == core.bot_user.id
        mentioned = any(int(u["id"]) == core.bot_user.id for u in msg.get("mentions", []))
        if not is_own and not mentioned and not intents & Intent.MESSAGE_CONTENT:
            data.update({"content": "", "embeds": [], "attachments": [], "components": []})
        return data

    async def send_interaction(self, handle: InteractionHandle) -> None:
        """INTERACTION_CREATE to the session owning the guild, waiting until it is written.

        ``handle.dispatched_at`` is the exact write time; ``handle.session_id`` and ``handle.shard`` say
        which session got it.
        """
        session = self.shards.owner(handle.guild_id)
        if session is None or session.connection is None:
            where = f"guild {handle.guild_id}" if handle.guild_id else "direct messages"
            raise RuntimeError(f"cannot dispatch {handle!r}: no client is connected for {where} to the fake gateway")

        def sent(at: float) -> None:
            handle.dispatched_at = at

        handle.session_id, handle.shard = session.id, session.shard
        handle.dispatched_at = time.perf_counter()
        fut = session.dispatch("INTERACTION_CREATE", handle.payload, on_sent=sent)
        if fut is not None:
            await asyncio.wait_for(asyncio.shield(fut), self.core.default_timeout)

    def announce_guild(self, guild: FakeGuild) -> None:
        """GUILD_CREATE of a guild added while connected, to the sessions owning it."""
        for session in self.shards.owners(guild.id):
            session.dispatch("GUILD_CREATE", self.guild_create_payload(guild, session.intents))

    def guild_create_payload(self, guild: FakeGuild, intents: int) -> dict[str, Any]:
        """GUILD_CREATE lists every member only with GUILD_MEMBERS; otherwise just the bot's own."""
        members = (
            list(guild.members.values()) if intents & Intent.GUILD_MEMBERS else [guild.members[self.core.bot_user.id]]
        )
        return guild.create_payload(include_members=members)

    # ------------------------------------------------------------------ REST: where the gateway is

    def get_gateway(self, ctx: Ctx) -> Answer:
        return 200, {"url": self.core.gateway_url.rstrip("/")}

    def get_gateway_bot(self, ctx: Ctx) -> Answer:
        core = self.core
        return 200, {
            "url": core.gateway_url.rstrip("/"),
            "shards": core.shard_count,
            "session_start_limit": {
                "total": 1000,
                "remaining": 1000 - core.identify_count,
                "reset_after": 86400000,
                "max_concurrency": core.max_concurrency,
            },
        }

    # ------------------------------------------------------------------ the websocket

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        core = self.core
        compress = request.query.get("compress")
        if compress not in (None, "zlib-stream", "zstd-stream") or (compress == "zstd-stream" and not zstd_available()):
            return web.Response(status=400, text=f"unsupported compress={compress}")
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = GatewayConnection(ws, compress=compress, path=request.path, log=core.gateway_log)
        core.connections.append(conn)
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
                    "d": {"heartbeat_interval": core.heartbeat_interval, "_trace": ['["fakediscord"]']},
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
                    core.gateway_log.append(GatewayFrame("recv", payload, time.perf_counter(), conn.id))
                    await self._on_payload(conn, payload)
                    core._notifier.notify()
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
            if conn in core.connections:
                core.connections.remove(conn)
            core._notifier.notify()
        return ws

    async def _on_payload(self, conn: GatewayConnection, payload: Any) -> None:
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
            self.core.presence_updates.append(d)
        elif op == GatewayOp.VOICE_STATE_UPDATE:
            pass
        elif op == GatewayOp.REQUEST_GUILD_MEMBERS:
            self._members_chunk(conn.session, d if isinstance(d, dict) else {})
        else:
            await conn.close(CloseCode.UNKNOWN_OPCODE, "Unknown opcode.")

    async def _identify(self, conn: GatewayConnection, d: Any) -> None:
        core = self.core
        if conn.session is not None:
            await conn.close(CloseCode.ALREADY_AUTHENTICATED, "Already authenticated.")
            return
        if not isinstance(d, dict) or d.get("token") != core.token:
            await conn.close(CloseCode.AUTHENTICATION_FAILED, "Authentication failed.")
            return
        intents = d.get("intents")
        if not isinstance(intents, int) or intents < 0:
            await conn.close(CloseCode.INVALID_INTENTS, "Invalid intent(s).")
            return
        if (
            core.allowed_privileged_intents is not None
            and intents & Intent.PRIVILEGED & ~core.allowed_privileged_intents
        ):
            await conn.close(CloseCode.DISALLOWED_INTENTS, "Disallowed intent(s).")
            return
        shard = self.shards.parse_shard(d.get("shard"))
        refusal = shard if isinstance(shard, Refusal) else self.shards.admit(shard, conn.id)
        if refusal is not None:
            await self._refuse(conn, refusal)
            return
        assert not isinstance(shard, Refusal)
        session = GatewaySession(id=secrets.token_hex(16), token=d["token"], intents=intents, identify=d, shard=shard)
        core.sessions[session.id] = session
        session.connection = conn
        conn.session = session
        core.session = session
        core.identify_count += 1
        self.shards.started(session, conn.id)
        guilds = [g for g in core.guilds.values() if session.owns(g.id)]
        ready: dict[str, Any] = {
            "v": 10,
            "user": {**core.bot_user.payload(), "verified": True, "mfa_enabled": False, "email": None},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": core.resume_gateway_url,
            "application": {"id": str(core.application_id), "flags": core.application_flags},
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
            session.dispatch("GUILD_CREATE", self.guild_create_payload(guild, intents))

    @staticmethod
    async def _refuse(conn: GatewayConnection, refusal: Refusal) -> None:
        if refusal.code is None:  # identified too soon: Discord answers op 9 and the client starts over
            conn.send({"op": GatewayOp.INVALID_SESSION, "d": False, "s": None, "t": None})
        else:
            await conn.close(refusal.code, refusal.reason)

    async def _resume(self, conn: GatewayConnection, d: Any) -> None:
        core = self.core
        d = d if isinstance(d, dict) else {}
        session = core.sessions.get(d.get("session_id", ""))
        seq = d.get("seq") or 0
        if session is None or not session.resumable or d.get("token") != core.token or seq > session.seq:
            conn.send({"op": GatewayOp.INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        old = session.connection
        if old is not None and old is not conn:
            session.connection = None
            asyncio.get_running_loop().create_task(old.close(CloseCode.UNKNOWN_ERROR, "Session resumed elsewhere."))
        session.connection = conn
        conn.session = session
        session.resumes += 1
        core.session = session
        for frame in session.replay_after(seq):
            conn.send(frame)
        session.dispatch("RESUMED", {"_trace": ['["fakediscord"]']})

    def _members_chunk(self, session: GatewaySession, d: Mapping[str, Any]) -> None:
        gids = d.get("guild_id")
        for gid in gids if isinstance(gids, list) else [gids]:
            guild = self.core.guilds.get(int(gid)) if gid is not None else None
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
