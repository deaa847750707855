"""The web pages' server time over the ingest benchmark's database, against a static "ok" route in the same run.

The pages are served as ``festbot web`` serves them (the database opened read-only, so the shared
benchmark database is never changed) on a loopback port, with two things mounted through
``make_app``'s extension points: the baseline route ``/ok`` and a middleware timing every request
on the server, from the request parsed to the response made (what a page costs the server, without
the client's share). Requests go round robin over the page kinds, so load and noise fall on all of
them alike. Each kind draws its addresses from the database with a seeded generator: films (the
most-reviewed ones too), reviews, the largest festival edition's grid sorted by an outlet's column
and filtered by section, searches from the lookup query set, and a revalidation (304).
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote, urlencode

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler

from bench.queries import Query
from bench.report import Section, percentile, summary_ms, verdict
from bot.answers.links import festival_path
from bot.config import Settings
from bot.services import open_services
from bot.web.server import ready_to_serve, serve_pages

TARGET_P99_MS = 50.0
KINDS = ("ok", "home", "film", "busy film", "review", "grid", "grid sorted", "search", "304")


def _addresses(db: Path, queries: list[Query], seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    with sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True) as conn:
        films = rng.sample([r[0] for r in conn.execute("SELECT id FROM films ORDER BY id")], 200)
        busy = [
            r[0] for r in conn.execute("SELECT film_id FROM reviews GROUP BY film_id ORDER BY count(*) DESC LIMIT 20")
        ]
        reviews = rng.sample([r[0] for r in conn.execute("SELECT id FROM reviews ORDER BY id")], 200)
        festival, year, _ = conn.execute(
            "SELECT r.festival, COALESCE(r.festival_year, f.year) AS y, count(*) AS n FROM reviews r"
            " JOIN films f ON f.id = r.film_id WHERE r.festival IS NOT NULL AND y IS NOT NULL"
            " GROUP BY r.festival, y ORDER BY n DESC LIMIT 1"
        ).fetchone()
        sections = [r[0] for r in conn.execute(
            "SELECT DISTINCT section FROM reviews WHERE festival = ? AND section IS NOT NULL", (festival,)
        )]  # fmt: skip
        outlets = [r[0] for r in conn.execute(
            "SELECT DISTINCT COALESCE(publication, reviewer) FROM reviews WHERE festival = ? LIMIT 20", (festival,)
        ) if r[0]]  # fmt: skip
    grid = festival_path(festival, year)
    sorted_grids = [
        grid + "?" + urlencode({"sort": f"@{outlet}", "dir": rng.choice(["asc", "desc"]), "section": section})
        for outlet in outlets or ["average"]
        for section in [*sections[:4], ""]
    ]
    return {
        "ok": ["/ok"],
        "home": ["/"],
        "film": [f"/films/{i}" for i in films],
        "busy film": [f"/films/{i}" for i in busy],
        "review": [f"/reviews/{i}" for i in reviews],
        "grid": [grid],
        "grid sorted": sorted_grids,
        "search": ["/search?q=" + quote(q.text) for q in queries[:200]],
        "304": [f"/films/{i}" for i in films[:50]],
        "_edition": [f"{festival} {year}"],
    }


async def _measure(db: Path, queries: list[Query], rounds: int, seed: int) -> tuple[dict[str, list[float]], dict]:
    addresses = _addresses(db, queries, seed)
    server: dict[str, list[float]] = defaultdict(list)
    client: dict[str, list[float]] = defaultdict(list)
    facts: dict[str, object] = {"edition": addresses.pop("_edition")[0]}
    current: list[str] = [""]

    @web.middleware
    async def timed(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        response = await handler(request)
        server[current[0]].append(time.perf_counter() - started)
        return response

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    settings = Settings(FESTBOT_DB=db)
    async with open_services(settings, read_only=True) as services:
        started = time.perf_counter()
        await ready_to_serve(services)  # as festbot web starts
        facts["index_build_s"] = time.perf_counter() - started
        facts["reviews"] = await services.store.count()
        async with (
            serve_pages(services, "127.0.0.1", 0, routes=[web.get("/ok", ok)], middlewares=[timed]) as base,
            aiohttp.ClientSession() as http,
        ):
            async with http.get(base + addresses["grid"][0]) as response:
                page = await response.text()
                facts["grid_rows"] = page.count('<th scope="row"')
                facts["grid_bytes"] = len(page.encode())
            tags: dict[str, str] = {}
            for path in addresses["304"]:  # the tags to revalidate with (pages settle two seconds after a change)
                async with http.get(base + path) as response:
                    tags[path] = response.headers.get("ETag", "")
            rng = random.Random(seed)
            for n in range(rounds + 5):
                for kind in KINDS:
                    path = rng.choice(addresses[kind])
                    headers = {"If-None-Match": tags[path]} if kind == "304" and tags[path] else {}
                    current[0] = kind if n >= 5 else "warm-up"
                    sent = time.perf_counter()
                    async with http.get(base + path, headers=headers) as response:
                        await response.read()
                        expected = 304 if headers else 200
                        assert response.status == expected, f"{path}: {response.status}"
                    if n >= 5:
                        client[kind].append(time.perf_counter() - sent)
    facts["client"] = client
    facts["revalidated"] = all(tags.values())
    return server, facts


def run(section: Section, db: Path, queries: list[Query], rounds: int, seed: int) -> None:
    server, facts = asyncio.run(_measure(db, queries, rounds, seed))
    client: dict[str, list[float]] = facts["client"]  # type: ignore[assignment]
    section.add(
        f"`festbot web`'s pages over the ingest benchmark's database ({facts['reviews']:,} reviews, opened read-only),"
        f" {rounds} requests of each kind, round robin, after 5 warm-up rounds. Server time: from the request"
        " parsed to the response made, measured by a middleware mounted through `make_app(middlewares=...)`."
        ' Baseline: `/ok`, a route mounted through `make_app(routes=...)` that answers "ok", in the same run.'
    )
    section.add()
    section.add(
        f"- Largest festival edition: {facts['edition']}, its grid {facts['grid_rows']} films,"
        f" {facts['grid_bytes'] / 1024:.0f} KiB of HTML; search index built in {facts['index_build_s']:.1f} s at"
        " start-up (before the first request, then frozen out of the garbage collector's way, as `festbot web` does)."
    )
    if not facts["revalidated"]:
        section.add("- The database changed within two seconds of the run: no ETags, so the 304 row is 200s.")
    section.add()
    section.add("| page | server p50 ms | server p99 ms | max ms | p50 / ok p50 | client p50 ms | client p99 ms |")
    section.add("| --- | --- | --- | --- | --- | --- | --- |")
    base = summary_ms(server["ok"])["p50"]
    misses = []
    for kind in KINDS:
        s, c = summary_ms(server[kind]), summary_ms(client[kind])
        section.add(
            f"| {kind} | {s['p50']:.2f} | {s['p99']:.2f} | {s['max']:.2f} | {s['p50'] / base:.1f} |"
            f" {c['p50']:.2f} | {percentile([x * 1000 for x in client[kind]], 99):.2f} |"
        )
        if kind != "ok" and s["p99"] > TARGET_P99_MS:
            misses.append(kind)
    section.add()
    section.add(
        f"- Target: every page's server p99 under {TARGET_P99_MS:.0f} ms: {verdict(not misses)}"
        + (f" ({', '.join(misses)} over)" if misses else "")
        + "."
    )
