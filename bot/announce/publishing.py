"""Follow mode's budget: Discord publishes (crossposts) at most 10 messages per announcement channel per hour.

A review for a home channel is posted and published together, or not yet: when the channel's hour is
full, its delivery waits until the oldest publish of the hour is an hour old, instead of drawing a 429
whose wait (up to an hour) would hold a sending slot. The window starts from the database (what was
posted there in the last hour, by any process), so a new deliverer after a takeover or a restart
knows what its predecessor spent.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from bot.announce.worker import SlidingWindow
from bot.storage.ledger import Ledger

#: Discord: 10 publishes per channel per hour; a little margin for clocks and the request's own time.
PUBLISH_LIMIT = (10, 3600.0)
PUBLISH_MARGIN = 5.0


class PublishBudget:
    """Each home channel's publishes in the last hour, and how long until the next may go."""

    def __init__(
        self, ledger: Ledger, limit: tuple[int, float] | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.ledger = ledger
        self.limit = limit or PUBLISH_LIMIT
        self._clock = clock
        self._windows: dict[int, SlidingWindow] = {}

    async def _window(self, channel_id: int) -> SlidingWindow:
        window = self._windows.get(channel_id)
        if window is None:
            count, period = self.limit
            window = SlidingWindow(count, period, margin=PUBLISH_MARGIN)
            since = dt.datetime.fromtimestamp(self._clock() - window.period, dt.UTC).isoformat(timespec="seconds")
            for stamp in await self.ledger.posted_since(channel_id, since):
                window.record(dt.datetime.fromisoformat(stamp).timestamp())
            self._windows[channel_id] = window
        return window

    async def delay(self, channel_id: int) -> float:
        """Seconds until ``channel_id`` may publish again (0: now)."""
        return (await self._window(channel_id)).delay(self._clock())

    async def spend(self, channel_id: int) -> None:
        (await self._window(channel_id)).record(self._clock())
