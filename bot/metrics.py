"""What ``/metrics`` serves, in Prometheus's text format: counters fed from where things happen.

Beside the flow, like :mod:`bot.health`: the delivery worker, the feed poller, ingest and the client
record here, and the web server renders it; it imports nothing of the bot. The figures are the
process's own (one registry per process, not the library's global one, so nothing else registers
into it), counted from start: Prometheus's ``rate()`` and ``increase()`` are made for that.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

#: Slash commands (and the buttons and menus that answer like them) by name and outcome (``ok``, ``error``).
COMMANDS = Counter(
    "festbot_commands", "Commands handled, by command and outcome.", ["command", "outcome"], registry=REGISTRY
)
#: From the interaction's creation at Discord to the answer: what the person waited. Buckets around Discord's 3 s.
COMMAND_LATENCY = Histogram(
    "festbot_command_latency_seconds",
    "Seconds from the interaction's creation to its answer, by command and outcome.",
    ["command", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0),
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "festbot_deliveries",
    "Announcement deliveries by outcome: sent, retried, failed (gave up), paused (subscription paused).",
    ["outcome"],
    registry=REGISTRY,
)
OUTBOX_DEPTH = Gauge(
    "festbot_outbox_depth", "Deliveries waiting to be sent (queued, retrying or sending).", registry=REGISTRY
)
OUTBOX_OLDEST = Gauge(
    "festbot_outbox_oldest_age_seconds", "Age of the oldest delivery still waiting (0 when none).", registry=REGISTRY
)
RATE_LIMITED = Counter(
    "festbot_discord_rate_limited",
    "429 responses drawn from Discord's REST API (discord.py waits them out).",
    registry=REGISTRY,
)
FEED_POLLS = Counter("festbot_feed_polls", "Feed fetches attempted by the poller.", registry=REGISTRY)
FEED_ERRORS = Counter(
    "festbot_feed_poll_errors", "Feed fetches that failed (the feed is backed off).", registry=REGISTRY
)
REVIEWS_INGESTED = Counter(
    "festbot_reviews_ingested",
    "Reviews stored, by source (file: festbot ingest and the inbox; feed; page: one URL) and status.",
    ["source", "status"],
    registry=REGISTRY,
)
GATEWAY_CONNECTED = Gauge(
    "festbot_gateway_connected", "1 while the bot's gateway connection is up, 0 otherwise.", registry=REGISTRY
)

_last_feed_poll: float | None = None  # time.monotonic() of the latest finished feed fetch, any feed


def command_done(command: str, outcome: str, seconds: float) -> None:
    COMMANDS.labels(command, outcome).inc()
    COMMAND_LATENCY.labels(command, outcome).observe(max(seconds, 0.0))


def delivery(outcome: str) -> None:
    DELIVERIES.labels(outcome).inc()


def feed_polled(*, failed: bool) -> None:
    """One feed fetched (or failed to be); the time feeds the health check's last-poll age."""
    global _last_feed_poll
    FEED_POLLS.inc()
    if failed:
        FEED_ERRORS.inc()
    _last_feed_poll = time.monotonic()


def last_feed_poll_age() -> float | None:
    """Seconds since a feed was last fetched, or None when none has been in this process."""
    return None if _last_feed_poll is None else time.monotonic() - _last_feed_poll


def ingested(source: str, status: str) -> None:
    if status in ("added", "updated", "unchanged"):
        REVIEWS_INGESTED.labels(source, status).inc()


def outbox(depth: int, oldest_age: float | None) -> None:
    OUTBOX_DEPTH.set(depth)
    OUTBOX_OLDEST.set(oldest_age or 0.0)


def render() -> bytes:
    """Every metric in Prometheus's text exposition format."""
    return generate_latest(REGISTRY)
