"""Checking ``/announce subscribe``'s delivery options (style, hour, timezone, thread) before anything is stored."""

from __future__ import annotations

from bot.domain.models import DeliveryOptions
from bot.domain.schedule import zone_problem

#: A digest's hour when none is given: mid-morning, after the overnight reviews are in.
DEFAULT_DIGEST_HOUR = 9


def delivery_options(
    style: str, hour: int | None, timezone: str | None, thread: bool, *, forum: bool, setup_channel_id: int | None
) -> DeliveryOptions | str:
    """The options to store, or a one-line reason they cannot be (an unknown zone, an hour without a digest)."""
    zone_name = timezone.strip() if timezone and timezone.strip() else None
    if style != "digest":
        if hour is not None or zone_name is not None:
            return "`hour` and `timezone` set a daily digest's time: add `style:digest`, or leave them out."
        return DeliveryOptions(thread=thread and not forum, setup_channel_id=setup_channel_id)
    if hour is not None and not 0 <= hour <= 23:
        return "`hour` is the hour of the day the digest is posted, 0 to 23."
    if zone_name is not None and (problem := zone_problem(zone_name)) is not None:
        return problem
    if thread:
        return "A digest is one post a day; `thread` opens one under each review's post: use it with embed or compact."
    return DeliveryOptions(
        digest_hour=DEFAULT_DIGEST_HOUR if hour is None else hour,
        timezone=zone_name or "UTC",
        setup_channel_id=setup_channel_id,
    )
