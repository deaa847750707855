"""``/healthz`` and ``/metrics`` for whoever runs the bot: a service manager, a container's HEALTHCHECK, Prometheus.

Mounted on the web pages' server (one listener, ``FESTBOT_HTTP_PORT``) by ``festbot run``, and by
``festbot web`` on its read-only replica. The health check answers 200 when the process can do its job
(the gateway connected, the database taking writes, the delivery worker running; for a replica, the
database answering reads) and 503 otherwise, with each check in the JSON body; the last feed poll's age
is reported, not judged (a bot with no feeds never polls).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot import metrics
from bot.services import Services

log = logging.getLogger(__name__)

#: The background task whose death means announcements stop (bot/announce, started by cogs/announce.py).
DELIVERY_WORKER = "delivery worker"
#: A health check must answer even when the database hangs: a probe slower than this counts as a failure.
PROBE_TIMEOUT = 3.0


def ops_routes(
    services: Services, *, gateway: Callable[[], bool] | None, read_only: bool = False
) -> list[web.RouteDef]:
    """The two routes over ``services``; ``gateway`` tells whether Discord's gateway is connected (None: no bot);
    ``read_only``: a replica, whose database is checked by a read, never a write."""

    async def healthz(request: web.Request) -> web.Response:
        checks: dict[str, object] = {}
        if gateway is not None:
            checks["gateway_connected"] = gateway()
            metrics.GATEWAY_CONNECTED.set(1 if checks["gateway_connected"] else 0)
        if read_only:
            checks["database_readable"] = await _readable(services)
        else:
            checks["database_writable"] = await _writable(services)
        worker = services.health.get(DELIVERY_WORKER)
        if gateway is not None:
            checks["delivery_worker_alive"] = worker is not None and worker.healthy
        age = metrics.last_feed_poll_age()
        healthy = all(value is True for value in checks.values())
        body = {
            "status": "ok" if healthy else "unhealthy",
            **checks,
            "last_feed_poll_age_seconds": None if age is None else round(age, 1),
            "tasks": {t.name: t.state.value for t in services.health.snapshot()},
        }
        return web.json_response(body, status=200 if healthy else 503, headers={"Cache-Control": "no-store"})

    async def metrics_page(request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(PROBE_TIMEOUT):
                depth, oldest = await services.ledger.outbox()
            age = (dt.datetime.now(dt.UTC) - oldest).total_seconds() if oldest is not None else None
            metrics.outbox(depth, age)
        except Exception:  # the counters are still worth serving; the gauges keep their last values
            log.warning("metrics: cannot read the outbox", exc_info=True)
        if gateway is not None:
            metrics.GATEWAY_CONNECTED.set(1 if gateway() else 0)
        response = web.Response(body=metrics.render(), headers={"Cache-Control": "no-store"})
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    return [web.get("/healthz", healthz), web.get("/metrics", metrics_page)]


async def _writable(services: Services) -> bool:
    return await _probe(services.ledger.probe_write(), "take writes")


async def _readable(services: Services) -> bool:
    return await _probe(services.ledger.outbox(), "answer reads")


async def _probe(check: Awaitable[object], what: str) -> bool:
    """Whether ``check`` completes within :data:`PROBE_TIMEOUT` (a hung database counts as a failure)."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT):
            await check
    except Exception as exc:
        log.warning("health check: the database does not %s (%s)", what, exc)
        return False
    return True
