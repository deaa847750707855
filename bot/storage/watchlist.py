"""The members' watchlists over one store: what the ``/watch`` commands and the direct-message worker call."""

from __future__ import annotations

import time

from bot.domain.models import Watch, WatchJob
from bot.storage import watches
from bot.storage.store import Store


class Watchlist:
    """Each method is one transaction or one read."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, *, user_id: int, guild_id: int, channel_id: int | None, kind: str, value: str) -> str:
        """``added``, ``exists`` or ``full``."""
        return await self.store.write(
            lambda conn: watches.add(
                conn, user_id=user_id, guild_id=guild_id, channel_id=channel_id, kind=kind, value=value
            )
        )

    async def watches(self, user_id: int) -> list[Watch]:
        return await watches.listed(self.store.reads, user_id)

    async def remove(self, user_id: int, value: str, kind: str | None = None) -> int:
        return await self.store.write(watches.remove, user_id, kind, value)

    async def clear(self, user_id: int) -> int:
        return await self.store.write(watches.clear, user_id)

    async def resume(self, user_id: int) -> int:
        return await self.store.write(watches.resume, user_id)

    async def notice(self, user_id: int, guild_id: int) -> str | None:
        return await watches.notice(self.store.reads, user_id, guild_id)

    async def take_notice(self, user_id: int, guild_id: int) -> str | None:
        """The notice to tell now, no longer pending (:meth:`restore_notice` if telling it fails)."""
        return await self.store.write(watches.take_notice, user_id, guild_id)

    async def restore_notice(self, user_id: int, guild_id: int, notice: str) -> None:
        await self.store.write(watches.restore_notice, user_id, guild_id, notice)

    async def told(self, user_id: int) -> None:
        await self.store.write(watches.clear_notice, user_id)

    # -- the direct-message worker's side --------------------------------------------------------------

    async def claim_due(self, limit: int, exclude: set[int] | frozenset[int] = frozenset()) -> list[WatchJob]:
        return await self.store.write(watches.claim_due, limit, time.time(), frozenset(exclude))

    async def record_sent(self, delivery_id: int, message_id: int) -> None:
        await self.store.write(watches.record_sent, delivery_id, message_id)

    async def record_retry(self, delivery_id: int, delay: float, error: str) -> None:
        await self.store.write(watches.record_retry, delivery_id, delay, error)

    async def record_failed(self, delivery_id: int, error: str) -> None:
        await self.store.write(watches.record_failed, delivery_id, error)

    async def set_dm_channel(self, user_id: int, channel_id: int) -> None:
        await self.store.write(watches.set_dm_channel, user_id, channel_id)

    async def dms_closed(self, user_id: int, reason: str) -> None:
        await self.store.write(watches.dms_closed, user_id, reason)

    async def next_due_at(self) -> float | None:
        return await watches.next_due_at(self.store.reads)

    async def deliveries(self, user_id: int) -> list[tuple[int, str, str]]:
        return await watches.deliveries_for(self.store.reads, user_id)
