"""Benchmarks through the fake Discord: command latency, announcement fan-out, and the bot's memory.

All three run the real bot (``festbot run``'s code) against ``tests/fakediscord``'s server on
loopback, as the end-to-end tests do.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import discord

from bench.queries import Query
from bench.report import Section, summary_ms, verdict
from bot.client.bot import sync
from bot.config import Settings
from bot.parsing.parser import parse_review_text
from tests.discord_harness import TOKEN, running_bot
from tests.fakediscord import FakeDiscord

ROOT = Path(__file__).resolve().parent.parent
LATENCY_RATIO = 1.5
LATENCY_P99_MS = 30.0
FANOUT_RATIO = 1.15
MEMORY_MB = 150.0


def settings(fake: FakeDiscord, db: Path | str, scratch: Path) -> Settings:
    """The bot's settings over ``db``: a SQLite file, or a PostgreSQL URL (bench/scale.py)."""
    where: dict[str, Any] = {"FESTBOT_DATABASE_URL": db} if isinstance(db, str) else {"FESTBOT_DB": db}
    return Settings(
        DISCORD_TOKEN=TOKEN,
        DISCORD_API_BASE_URL=fake.api_base,
        DISCORD_GATEWAY_URL=fake.gateway_url,
        **where,
        FESTBOT_SEED_DIR=scratch / "no-seed",
        FESTBOT_INBOX=scratch / "inbox",
        FESTBOT_LOG_LEVEL="WARNING",
    )


# ------------------------------------------------------------------------------------------ latency


def _credits_button(message: dict[str, Any]) -> str | None:
    """The custom id of a /review card's Credits button (None for a menu of several films)."""
    for row in message.get("components", []):
        for component in row.get("components", []):
            if str(component.get("custom_id", "")).endswith(":credits"):
                return str(component["custom_id"])
    return None


async def _latency(db: Path | str, queries: list[Query], rounds: int) -> dict[str, list[float]]:
    exact = [q for q in queries if q.kind == "exact"]
    prefixes = [q for q in queries if q.kind in ("prefix", "typo", "partial")]
    with tempfile.TemporaryDirectory() as scratch:
        async with FakeDiscord(token=TOKEN, default_timeout=10.0) as fake:
            fake.add_guild("Festival")
            with fake.patch_discord():
                async with running_bot(settings(fake, db, Path(scratch))) as bot:

                    @bot.tree.command(name="noop", description="Does nothing: the baseline of a command's cost")
                    async def noop(interaction: discord.Interaction[Any]) -> None:
                        await interaction.response.send_message("ok")

                    await bot.tree.sync()
                    # Ten /review cards to click Credits on, made before timing starts (a title that
                    # several films share gets a menu instead of a card, and is skipped here).
                    messages = []
                    for query in exact:
                        res = await fake.slash_command("review", {"title": query.text})
                        message = await res.original()
                        if _credits_button(message):
                            messages.append((message, _credits_button(message)))
                        if len(messages) == 10:
                            break
                    times: dict[str, list[float]] = {"noop": [], "/review": [], "autocomplete": [], "button": []}
                    for n in range(rounds + 5):
                        handles = {
                            "noop": await fake.slash_command("noop", {}),
                        }
                        await handles["noop"].response()
                        handles["/review"] = await fake.slash_command("review", {"title": exact[n % len(exact)].text})
                        await handles["/review"].response()
                        handles["autocomplete"] = await fake.autocomplete_interaction(
                            "review", {"title": prefixes[n % len(prefixes)].text}, focused="title"
                        )
                        await handles["autocomplete"].response()
                        message, button = messages[n % len(messages)]
                        handles["button"] = await fake.click_button(message, button)
                        await handles["button"].response()
                        if n >= 5:  # the first rounds warm caches and connections
                            for name, handle in handles.items():
                                assert handle.latency is not None
                                times[name].append(handle.latency)
                    fake.assert_no_errors()
                    return times


def latency(section: Section, db: Path, queries: list[Query], rounds: int) -> None:
    times = asyncio.run(_latency(db, queries, rounds))
    noop = summary_ms(times["noop"])
    section.add(
        f"From INTERACTION_CREATE written to the gateway socket to the interaction callback received by the fake "
        f"(`InteractionHandle.latency`), {rounds} of each, interleaved; `/review` with exact titles, autocomplete "
        f"with prefixes, typos and partial titles, the Credits button of a /review card. Baseline: `/noop`, a "
        f'command registered in the bench that answers "ok".'
    )
    section.add("")
    section.add("| command | p50 ms | p99 ms | max ms | p50 / noop p50 | p99 / noop p99 |")
    section.add("| --- | --- | --- | --- | --- | --- |")
    verdicts = []
    for name, values in times.items():
        s = summary_ms(values)
        r50, r99 = s["p50"] / noop["p50"], s["p99"] / noop["p99"]
        section.add(f"| {name} | {s['p50']:.1f} | {s['p99']:.1f} | {s['max']:.1f} | {r50:.2f} | {r99:.2f} |")
        if name != "noop":
            verdicts.append(
                f"{name}: ≤ {LATENCY_RATIO}x noop (p50) {verdict(r50 <= LATENCY_RATIO)}, "
                f"p99 ≤ {LATENCY_P99_MS:.0f} ms {verdict(s['p99'] <= LATENCY_P99_MS)}"
            )
    section.add("")
    for line in verdicts:
        section.add(f"- Targets, {line}.")


# ------------------------------------------------------------------------------------------ fan-out

REVIEW = (
    "---\nfestival: Berlinale\nsection: Competition\nurl: https://reviews.example.com/the-wide-net\n---\n"
    "A bold new voice arrives\n\nThe Wide Net\n\nDir: Ana Lima. Portugal. 2026. 98 mins\n\n"
    "A fisherman (Rui Costa) returns to a village that has forgotten him.\n\n"
    "It premiered in competition at the Berlinale and should travel widely.\n"
)


async def _fanout(channels: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        async with FakeDiscord(token=TOKEN, default_timeout=10.0, rate_limits=True) as fake:
            guild = fake.add_guild("Festival")
            ids = [fake.add_channel(guild.id, f"news-{i}").id for i in range(channels)]
            with fake.patch_discord():
                async with running_bot(settings(fake, Path(scratch) / "fanout.db", Path(scratch))) as bot:
                    for channel in ids:
                        await bot.services.ledger.subscribe(guild_id=guild.id, channel_id=channel, festival=None)
                    await asyncio.sleep(1.1)  # start-up's REST calls out of the global window
                    before = len(fake.requests)
                    review = parse_review_text(REVIEW, table=bot.services.festivals)
                    t0 = time.perf_counter()
                    await bot.services.store.ingest(review, source="bench:fanout")
                    bot.get_cog("Announce").announcer.wake()  # type: ignore[union-attr]
                    deadline = time.monotonic() + 120
                    # Not channel_messages(), which deep-copies every message: polled every 20 ms in the bot's
                    # own event loop, that delayed the fan-out it measures more and more as messages piled up.
                    posted = fake.channel_message_ids
                    while sum(1 for c in ids if posted.get(c)) < channels and time.monotonic() < deadline:
                        await asyncio.sleep(0.02)
                    await asyncio.sleep(1.5)  # anything sent twice would arrive now
                    posts = [
                        r
                        for r in fake.requests[before:]
                        if r.method == "POST" and r.template == "/channels/{channel_id}/messages"
                    ]
                    ok = [r for r in posts if r.status == 200]
                    counts = [len(fake.channel_messages(c)) for c in ids]
                    return {
                        "t0": t0,
                        "first": min(r.time for r in ok) - t0,
                        "last": max(r.time for r in ok) - t0,
                        "sent": len(ok),
                        "rate_limited": sum(1 for r in fake.requests[before:] if r.status == 429),
                        "rate_limited_routes": sorted(
                            {
                                f"{r.route} ({'global' if (r.response or {}).get('global') else 'route'})"
                                for r in fake.requests[before:]
                                if r.status == 429
                            }
                        ),
                        "duplicates": sum(max(0, n - 1) for n in counts),
                        "lost": sum(1 for n in counts if n == 0),
                        "window": fake.rate_limits.global_window,
                        "limit": fake.rate_limits.global_limit,
                    }


def fanout(section: Section, channels: int) -> None:
    r = asyncio.run(_fanout(channels))
    windows = -(-channels // int(r["limit"]))  # ceil
    floor = (windows - 1) * r["window"]
    bound = floor + r["first"]
    ratio = r["last"] / bound
    section.add(
        f"One new review to {channels} subscribed channels, the fake enforcing Discord's limits "
        f"({int(r['limit'])} requests per fixed {r['window']:.0f} s window globally, 5 messages per 5 s per channel)."
    )
    section.add("")
    section.add(
        f"- Bound: the emulator's global window opens at a window's first request and lasts {r['window']:.0f} s, so "
        f"{channels} requests need {windows} windows and the last can go out no earlier than {windows - 1} x "
        f"{r['window']:.0f} s = {floor:.1f} s after the first. The first request reached the fake "
        f"{r['first'] * 1000:.0f} ms after the review was stored (claim, load, render, HTTP: one request's "
        f"own latency), "
        f"so the bound for the last is {floor:.1f} + {r['first']:.2f} = **{bound:.2f} s** after the review was stored."
    )
    section.add(
        f"- Measured: the last message reached the fake **{r['last']:.2f} s** after the review was stored = "
        f"**{ratio:.3f}x the bound**; target ≤ {FANOUT_RATIO}x: {verdict(ratio <= FANOUT_RATIO)}."
    )
    section.add(
        f"- Sent {int(r['sent'])}, duplicates **{int(r['duplicates'])}**, lost **{int(r['lost'])}**, "
        f"429 responses drawn **{int(r['rate_limited'])}** (target 0: {verdict(r['rate_limited'] == 0)})"
        + (f": {', '.join(r['rate_limited_routes'])}." if r["rate_limited"] else ".")  # type: ignore[arg-type]
    )


# ------------------------------------------------------------------------------------------ memory


def _rss(pid: int) -> tuple[float, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = {line.split(":")[0]: line.split(":")[1].strip() for line in status.splitlines() if ":" in line}
    return int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024


async def _memory(db: Path, queries: list[Query], rounds: int) -> tuple[float, float]:
    exact = [q for q in queries if q.kind == "exact"]
    prefixes = [q for q in queries if q.kind in ("prefix", "typo", "partial")]
    with tempfile.TemporaryDirectory() as scratch:
        async with FakeDiscord(token=TOKEN, default_timeout=15.0) as fake:
            fake.add_guild("Festival")
            config = settings(fake, db, Path(scratch))
            with fake.patch_discord():
                await sync(config, None)
            env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FESTBOT_"))}
            env.update(
                DISCORD_TOKEN=TOKEN,
                DISCORD_API_BASE_URL=fake.api_base,
                DISCORD_GATEWAY_URL=fake.gateway_url,
                FESTBOT_DB=str(db),
                FESTBOT_SEED_DIR=str(Path(scratch) / "no-seed"),
                FESTBOT_INBOX=str(Path(scratch) / "inbox"),
                FESTBOT_LOG_LEVEL="WARNING",
            )
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", cwd=ROOT, env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            try:
                await fake.wait_until_identified(timeout=60)
                await asyncio.sleep(0.5)
                for n in range(rounds):
                    res = await fake.slash_command("review", {"title": exact[n % len(exact)].text})
                    await res.response(timeout=15)
                    await fake.autocomplete("review", {"title": prefixes[n % len(prefixes)].text}, focused="title")
                    if n % 5 == 0:
                        message = await res.original()
                        button = _credits_button(message)
                        if button:  # a card (not a menu of several films)
                            click = await fake.click_button(message, button)
                            await click.response(timeout=15)
                return _rss(process.pid)
            finally:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
                await process.wait()


def memory(
    section: Section, db: Path, small_db: Path, queries: list[Query], rounds: int, reviews: int, small: int
) -> None:
    peak, now = asyncio.run(_memory(db, queries, rounds))
    base_peak, base_now = asyncio.run(_memory(small_db, queries, rounds))
    section.add(
        f"`festbot run` as a subprocess against the fake, after {rounds} /review, {rounds} autocompletes and "
        f"up to {rounds // 5} Credits clicks; peak RSS is the kernel's VmHWM. Baseline: the same bot and commands "
        f"over the {small:,}-review database of the ingest benchmark, in the same run."
    )
    section.add("")
    section.add(
        f"- {reviews:,} reviews stored: peak RSS **{peak:.0f} MB** (RSS at the end {now:.0f} MB); "
        f"target ≤ {MEMORY_MB:.0f} MB: {verdict(peak <= MEMORY_MB)}."
    )
    section.add(
        f"- Baseline: peak RSS {base_peak:.0f} MB (at the end {base_now:.0f} MB); ratio {peak / base_peak:.2f}x."
    )
