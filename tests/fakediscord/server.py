"""A fake Discord (REST under ``/api/v10`` + gateway websocket) that the real discord.py client talks to.

Why: end-to-end tests should exercise the bot's real discord.py wiring (command tree, views,
webhooks, gateway parsing) and assert on the exact payloads it sends, which mocks of discord.py
objects cannot do. Everything listens on 127.0.0.1 with an ephemeral port.

This module runs the server and a client against it, and controls the gateway connection;
the rest of the test API comes from :class:`~.guild_setup.GuildSetup`,
:class:`~.user_actions.UserActions` and :class:`~.inspection.Inspection`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import Any

from aiohttp import web

from .gateway import GatewayOp, GatewaySession
from .guild_setup import GuildSetup
from .inspection import Inspection
from .ratelimit import Fault, make_fault
from .user_actions import UserActions


class FakeDiscord(GuildSetup, UserActions, Inspection):
    """A fake Discord server for end-to-end tests of a discord.py bot.

    Typical use::

        async with FakeDiscord(token="t") as fake:
            guild = fake.add_guild("Fest")
            async with fake.run_client(bot):
                res = await fake.slash_command("review", {"title": "Dune"})
                assert (await res.response())["data"]["content"] == "..."
            fake.assert_no_errors()

    Options (keyword-only; except ``application_id``, ``bot_name`` and ``rate_limits`` each is kept as an
    attribute of the same name that a test may change later):

    * ``token``, ``application_id``, ``bot_name``: who the bot is.
    * ``heartbeat_interval`` (ms) sent in HELLO.
    * ``interaction_deadline``: seconds the bot has to call back (Discord: 3);
      ``token_lifetime``: seconds its interaction webhook stays valid (Discord: 15 min).
    * ``rate_limits``: enforce buckets (see :class:`~.ratelimit.RateLimiter`); headers are always sent.
    * ``validate``: check request bodies against Discord's spec and limits.
    * ``enforce_permissions``: answer 403 when the bot lacks a channel permission.
    * ``default_timeout``: seconds every wait gives up after.
    * ``allowed_privileged_intents``: the privileged intents enabled for the app (None: all).
    * ``nonce_window``: seconds within which ``enforce_nonce`` deduplicates a channel message.
    * ``require_synced_commands``: refuse to dispatch commands the bot never synced.
    * ``shard_count``: what ``GET /gateway/bot`` recommends, and the count a sharded IDENTIFY must give
      (see :mod:`.sharding`); ``guilds_per_shard``: the most guilds one session may hold (Discord: 2500;
      more closes with 4011 sharding required).
    * ``max_concurrency``: ``GET /gateway/bot``'s ``session_start_limit.max_concurrency``, which makes the
      identify buckets (``shard_id % max_concurrency``); ``identify_window``: seconds between two IDENTIFYs
      of one bucket (Discord: 5; 0 turns the check off). A faster one is answered with op 9 and recorded in
      :attr:`identify_violations` (see :meth:`assert_identifies_paced`).
    """

    _runner: web.AppRunner | None = None  # while started

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> FakeDiscord:
        """Listen on 127.0.0.1 (ephemeral port)."""
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/", self._gateway.websocket)
        app.router.add_get("/resume", self._gateway.websocket)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._rest.attachment)
        app.router.add_route("*", "/api/{tail:.*}", self._rest.handle)
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

    # ------------------------------------------------------------------ running a client

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
                elif not task.cancelled() and (exc := task.exception()) is not None and not failed:
                    raise exc

    async def _race(self, task: asyncio.Task[Any], coro: Awaitable[Any], timeout: float, what: str) -> None:
        """Await ``coro`` unless the client task ends first (its exception is raised, with our diagnostics)."""
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

    # ------------------------------------------------------------------ faults and the gateway connection

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

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an arbitrary DISPATCH event and wait until it is written.

        It goes where Discord would send it: to the sessions owning ``data["guild_id"]``, or shard 0's.
        """
        if self.session is None:
            raise RuntimeError("no gateway session")
        guild_id = data.get("guild_id")
        sent = self._gateway.dispatch(event, data, guild_id=int(guild_id) if guild_id is not None else None)
        if sent:
            await asyncio.wait_for(asyncio.shield(asyncio.gather(*sent)), self.default_timeout)

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
