"""Sharding as Discord enforces it: which session owns which guild, and what an IDENTIFY must respect.

Discord checks an IDENTIFY's ``shard: [id, count]`` (close 4010 for a bad one, 4011 when a bot in
more guilds than one session may hold identifies without sharding), allows one live session per
shard, and paces session starts: one IDENTIFY per ``identify_window`` seconds per rate-limit bucket
(``shard_id % max_concurrency``), across every connection of the bot, answering a faster one with
op 9 INVALID_SESSION. The fake records each IDENTIFY (:attr:`~.core.FakeCore.identifies`) and each
pacing violation (:attr:`~.core.FakeCore.identify_violations`), so a test can assert that several
processes starting together took turns.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .gateway import CloseCode, GatewaySession

if TYPE_CHECKING:
    from .core import FakeCore

Shard = tuple[int, int]


@dataclass(frozen=True)
class IdentifyRecord:
    """One IDENTIFY that got as far as the shard checks, and what became of it."""

    shard: Shard | None
    bucket: int
    at: float  # time.monotonic() when the fake read it
    outcome: str  # "ready", "paced" (op 9), or the close code it got ("4010", "4011")
    connection_id: int
    session_id: str | None = None


@dataclass(frozen=True)
class IdentifyViolation:
    """An IDENTIFY sent sooner than the window after the previous one of its bucket."""

    shard: Shard | None
    bucket: int
    at: float
    previous_at: float
    window: float

    @property
    def gap(self) -> float:
        return self.at - self.previous_at

    def __str__(self) -> str:
        return (
            f"IDENTIFY of shard {list(self.shard) if self.shard else 'unsharded'} (bucket {self.bucket}) came"
            f" {self.gap:.3f}s after the previous one of its bucket; Discord allows one per {self.window:g}s"
        )


@dataclass(frozen=True)
class Refusal:
    """Why an IDENTIFY is refused: a close code, or (``code`` None) op 9 INVALID_SESSION."""

    code: int | None
    reason: str


class ShardGate:
    """The checks an IDENTIFY passes before it gets a session, and the routing of events to sessions."""

    def __init__(self, core: FakeCore) -> None:
        self.core = core
        self._last_identify: dict[int, float] = {}

    # ------------------------------------------------------------------ identify

    def parse_shard(self, value: Any) -> Shard | Refusal | None:
        """The IDENTIFY's ``shard``, or the 4010 Discord closes with: id below count, count as recommended."""
        if value is None:
            return None
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            return Refusal(CloseCode.INVALID_SHARD, "Invalid shard.")
        shard_id, count = value
        if not 0 <= shard_id < count or count != self.core.shard_count:
            return Refusal(CloseCode.INVALID_SHARD, "Invalid shard.")
        return (shard_id, count)

    def bucket(self, shard: Shard | None) -> int:
        return (shard[0] if shard else 0) % max(1, self.core.max_concurrency)

    def admit(self, shard: Shard | None, connection_id: int) -> Refusal | None:
        """Pacing, then sharding-required, then one live session per shard; records a refused attempt."""
        core = self.core
        bucket = self.bucket(shard)
        now = time.monotonic()
        previous = self._last_identify.get(bucket)
        self._last_identify[bucket] = now
        refusal: Refusal | None = None
        if previous is not None and core.identify_window > 0 and now - previous < core.identify_window:
            core.identify_violations.append(IdentifyViolation(shard, bucket, now, previous, core.identify_window))
            refusal = Refusal(None, "identified too soon after another session of its bucket")
        elif self._guild_count(shard) > core.guilds_per_shard:
            refusal = Refusal(CloseCode.SHARDING_REQUIRED, "Sharding required.")
        elif any(s.live and s.shard == shard for s in core.sessions.values()):
            refusal = Refusal(CloseCode.INVALID_SHARD, "Invalid shard.")  # that shard already has a live session
        if refusal is not None:
            outcome = "paced" if refusal.code is None else str(refusal.code)
            core.identifies.append(IdentifyRecord(shard, bucket, now, outcome, connection_id))
        return refusal

    def started(self, session: GatewaySession, connection_id: int) -> None:
        """A new session takes its shard over: an earlier one of that shard can no longer be resumed."""
        for other in self.core.sessions.values():
            if other is not session and other.shard == session.shard and not other.live:
                other.resumable = False
        bucket = self.bucket(session.shard)
        at = self._last_identify[bucket]
        self.core.identifies.append(IdentifyRecord(session.shard, bucket, at, "ready", connection_id, session.id))

    def _guild_count(self, shard: Shard | None) -> int:
        return sum(1 for gid in self.core.guilds if shard is None or (gid >> 22) % shard[1] == shard[0])

    # ------------------------------------------------------------------ routing

    def routable(self) -> list[GatewaySession]:
        """Sessions that still read (or will replay) what is sent to them, oldest first."""
        return [s for s in self.core.sessions.values() if not s.ended]

    def owners(self, guild_id: int | None) -> list[GatewaySession]:
        """The sessions that get a guild's events; events of no guild go to shard 0 (or the unsharded session)."""
        if guild_id is None:
            return [s for s in self.routable() if s.shard is None or s.shard[0] == 0][-1:]
        return [s for s in self.routable() if s.owns(guild_id)]

    def owner(self, guild_id: int | None) -> GatewaySession | None:
        """The one session a guild's interactions go to: a connected owner, else the latest one."""
        owners = self.owners(guild_id)
        connected = [s for s in owners if s.connection is not None and not s.connection.closed]
        chosen = connected or owners
        return chosen[-1] if chosen else None
