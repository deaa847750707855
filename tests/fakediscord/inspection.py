"""Test API: read what the bot did (commands, messages, requests, permissions) and wait until it has done it.

Messages and commands come back as deep copies, so a test cannot change the fake's state by
accident. A wait that times out raises TimeoutError with the fake's recent requests and rejections.
"""

from __future__ import annotations

import copy
import fnmatch
from collections.abc import Iterable
from typing import Any

from .commands import find_command
from .core import FakeCore
from .gateway import GatewaySession
from .permissions import compute_channel_permissions
from .records import RecordedRequest


class Inspection(FakeCore):
    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """Commands as last synced (global, or for one guild)."""
        store = self.global_commands if guild_id is None else self.guild_commands.get(guild_id, {})
        return [copy.deepcopy(c) for c in store.values()]

    def command(self, name: str, guild_id: int | None = None) -> dict[str, Any] | None:
        """A synced command by name (guild first, then global)."""
        found = find_command(self, name, guild_id)
        return copy.deepcopy(found) if found else None

    def channel_messages(self, channel_id: int) -> list[dict[str, Any]]:
        """Messages currently in a channel, oldest first (ephemeral ones included)."""
        return [
            copy.deepcopy(self.messages[m]) for m in self.channel_message_ids.get(channel_id, []) if m in self.messages
        ]

    def direct_messages(self, user_id: int) -> list[dict[str, Any]]:
        """The bot's direct messages to a user, oldest first."""
        channel_id = self.dm_channels.get(user_id)
        return [] if channel_id is None else self.channel_messages(channel_id)

    def bot_permissions_in(self, channel_id: int) -> int:
        """The bot's effective permissions in a channel, as the fake computes them."""
        channel = self._channel_by_id(channel_id)
        guild = self._guild(channel.guild_id)
        return compute_channel_permissions(guild, guild.members[self.bot_user.id], channel)

    def requests_matching(self, route: str, *, status: int | None = None) -> list[RecordedRequest]:
        """Requests whose ``"METHOD /template"`` or ``"METHOD /path"`` matches ``route`` (fnmatch)."""
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

    def assert_identifies_paced(self) -> None:
        """Fail if any IDENTIFY came sooner than :attr:`identify_window` after another of its bucket."""
        if self.identify_violations:
            lines = "\n".join(f"  {v}" for v in self.identify_violations)
            raise AssertionError(f"fakediscord saw {len(self.identify_violations)} IDENTIFY(s) too soon:\n{lines}")

    def live_sessions(self) -> dict[int | None, GatewaySession]:
        """The connected sessions by shard id (None: an unsharded one)."""
        return {s.shard[0] if s.shard else None: s for s in self.sessions.values() if s.live}

    # ------------------------------------------------------------------ waiting

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

    async def wait_for_shards(
        self, shard_ids: Iterable[int] | None = None, timeout: float | None = None
    ) -> dict[int, GatewaySession]:
        """Wait until every shard (all of :attr:`shard_count` by default) has a live session whose READY and
        GUILD_CREATEs are written; return them by shard id."""
        wanted = sorted(range(self.shard_count) if shard_ids is None else shard_ids)

        def probe() -> dict[int, GatewaySession] | None:
            live = self.live_sessions()
            return {i: s for i, s in live.items() if i in wanted} if all(i in live for i in wanted) else None

        sessions = await self._notifier.wait_for(
            probe, timeout=self._t(timeout), what=f"live sessions for shards {wanted}", context=self._diagnostics
        )
        for session in sessions.values():
            if session.connection is not None:
                await session.connection.drain()
        return sessions

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
