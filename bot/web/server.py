"""Serving the pages: beside the bot in ``festbot run``, or alone over a read-only replica in ``festbot web``."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import AsyncIterator, Iterable

from aiohttp import web
from aiohttp.typedefs import Middleware

from bot.config import Settings, SettingsError
from bot.services import Services, open_services
from bot.web.app import make_app
from bot.web.ops import ops_routes

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def serve_pages(
    services: Services,
    host: str,
    port: int,
    *,
    routes: Iterable[web.AbstractRouteDef] = (),
    middlewares: Iterable[Middleware] = (),
) -> AsyncIterator[str]:
    """Listen on ``host:port`` (0: any free port) until the block ends; yields the pages' base address.

    An address that cannot be listened on (in use, not this machine's) is a :class:`SettingsError`
    naming the settings, so ``festbot`` reports it in one line.
    """
    runner = web.AppRunner(make_app(services, routes=routes, middlewares=middlewares), access_log=log)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            raise SettingsError(
                f"cannot serve the web pages on {host}:{port} (FESTBOT_HTTP_HOST, FESTBOT_HTTP_PORT):"
                f" {exc.strerror or exc}"
            ) from exc
        bound = runner.addresses[0][1] if runner.addresses else port  # port 0 is only known once bound
        shown = f"[{host}]" if ":" in host else host
        address = f"http://{shown}:{bound}"
        log.info("web pages at %s/", address)
        yield address
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def web_pages(
    services: Services,
    *,
    routes: Iterable[web.AbstractRouteDef] = (),
    middlewares: Iterable[Middleware] = (),
) -> AsyncIterator[str | None]:
    """The pages beside the running bot when ``FESTBOT_HTTP_PORT`` is set; nothing otherwise (yields None).

    ``routes`` and ``middlewares`` are mounted on the same server (a health check, metrics).
    """
    settings = services.settings
    if settings.http_port is None:
        yield None
        return
    async with serve_pages(
        services, settings.http_host, settings.http_port, routes=routes, middlewares=middlewares
    ) as address:
        yield address


async def ready_to_serve(services: Services) -> None:
    """Build the search indexes before the first request (which would wait seconds for them at 100k reviews).

    Then set them aside from the garbage collector: a full collection would otherwise walk their
    millions of objects, a 70 ms pause at 100,000 reviews that lands on whichever request triggers it.
    """
    await services.searcher.refresh()
    gc.collect()
    gc.freeze()


async def serve_replica(settings: Settings, host: str, port: int, started: asyncio.Future[str] | None = None) -> None:
    """``festbot web``: the pages alone, over the database opened read-only, until cancelled."""
    async with open_services(settings, read_only=True) as services:
        await ready_to_serve(services)
        ops = ops_routes(services, gateway=None, read_only=True)  # /healthz and /metrics for its service manager
        async with serve_pages(services, host, port, routes=ops) as address:
            print(f"serving the web pages of {settings.db_path} (read-only) at {address}/", flush=True)
            if started is not None and not started.done():
                started.set_result(address)
            await asyncio.Event().wait()


def run_replica(settings: Settings, host: str, port: int) -> int:
    """Run :func:`serve_replica` until SIGINT or SIGTERM."""

    async def main() -> None:
        task = asyncio.ensure_future(serve_replica(settings, host, port))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(main())
    return 0
