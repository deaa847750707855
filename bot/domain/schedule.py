"""When a daily digest falls due: a local hour in an IANA time zone, as unix seconds. No I/O.

A digest lists the reviews collected since the previous one, up to its own moment; its day is the local
date of that moment. Moments are computed in the zone, so a day across a daylight-saving change is 23 or
25 hours long and the post still comes at the hour members see on their clocks.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import zoneinfo

from bot.domain.text import fold

#: Zones offered by autocomplete first: the festival cities' and UTC.
COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Rome",
    "America/New_York",
    "America/Los_Angeles",
    "America/Toronto",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Sydney",
)


def zone(name: str | None) -> zoneinfo.ZoneInfo:
    """The zone called ``name`` (UTC when None); ``ZoneInfoNotFoundError`` or ``ValueError`` if there is none."""
    return zoneinfo.ZoneInfo(name or "UTC")


def zone_problem(name: str) -> str | None:
    """None if ``name`` is an IANA time zone, else a one-line reason (with the nearest names, if any)."""
    if name in all_zones():
        return None
    near = zones_matching(name, limit=3) or difflib.get_close_matches(name, sorted(all_zones()), n=3)
    hint = f" Did you mean {', '.join(near)}?" if near else " Use a name such as Europe/Berlin or UTC."
    return f"“{name[:60]}” is not a time zone I know.{hint}"


@functools.cache
def all_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zones_matching(typed: str, limit: int = 25) -> list[str]:
    """Zone names containing what was typed (case and accents aside), common ones first; for autocomplete."""
    wanted = fold(typed)
    common = [z for z in COMMON_ZONES if wanted in fold(z)]
    rest = sorted(z for z in all_zones() if wanted in fold(z) and z not in COMMON_ZONES and "/" in z)
    return (common + rest)[:limit]


def digest_moment(hour: int, zone_name: str | None, now: float) -> tuple[dt.date, float]:
    """The latest digest moment at or before ``now``: its local date, and it in unix seconds."""
    tz = zone(zone_name)
    local = dt.datetime.fromtimestamp(now, tz)
    day = local.date() if local.hour >= hour else local.date() - dt.timedelta(days=1)
    return day, _at(day, hour, tz)


def _at(day: dt.date, hour: int, tz: zoneinfo.ZoneInfo) -> float:
    # A wall time skipped by a daylight-saving jump resolves to the moment after it (fold=0 rules).
    return dt.datetime.combine(day, dt.time(hour), tz).timestamp()
