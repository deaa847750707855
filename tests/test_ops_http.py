"""``/healthz`` and ``/metrics`` of a running bot, scraped by a real HTTP client as a monitor would.

The bot runs against the fake Discord: a /review, an announcement (after one 429 from Discord) and a
scrape of the metrics, which must count each of them; then Discord goes away and the health check
turns 503, naming the gateway.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from bot.console.repl import run_console
from tests.discord_harness import fake_discord, running_bot, settings_for, until, write_corpus
from tests.fakediscord import FakeDiscord, P


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord(5.0) as server:
        yield server


async def scrape(http: aiohttp.ClientSession, base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, by name and labels, as Prometheus's own parser reads the page."""
    async with http.get(f"{base}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def health(http: aiohttp.ClientSession, base: str) -> tuple[int, dict[str, Any]]:
    async with http.get(f"{base}/healthz") as response:
        return response.status, await response.json()


async def test_metrics_count_commands_and_deliveries_and_health_follows_the_gateway(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    write_corpus(tmp_path / "corpus")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    channel = fake.add_channel(fake.default_guild.id, "news").id
    async with (
        running_bot(settings_for(fake, tmp_path, FESTBOT_HTTP_PORT=port)) as bot,
        aiohttp.ClientSession() as http,
    ):
        before = await scrape(http, base)
        ok = ("festbot_commands_total", (("command", "review"), ("outcome", "ok")))
        sent = ("festbot_deliveries_total", (("outcome", "sent"),))
        limited = ("festbot_discord_rate_limited_total", ())

        reviewed = await fake.slash_command("review", {"title": "Return to Dust"})
        await reviewed.response()
        rid = (await bot.services.searcher.search("Return To Dust"))[0].review_id
        await (await fake.click_button(await reviewed.original(), f"review:{rid}:credits")).response()
        options = {"channel": channel, "festival": "all", "style": "compact"}
        await (await fake.slash_command("announce subscribe", options, member_permissions=P.ALL)).response()
        fake.inject("POST /channels/*/messages", 429, 1, retry_after=0.05)  # discord.py waits it out, then sends
        await bot.services.store.ingest(
            (await bot.services.store.get(1)).review.model_copy(update={"url": "https://example.com/another"}),  # type: ignore[union-attr]
            announce=True,
        )
        bot.get_cog("Announce").announcer.wake()  # type: ignore[union-attr]
        await until(lambda: bool(fake.channel_messages(channel)), what="the announcement")

        after = await scrape(http, base)
        assert after[ok] == before.get(ok, 0) + 1
        latency = ("festbot_command_latency_seconds_count", (("command", "review"), ("outcome", "ok")))
        assert after[latency] == before.get(latency, 0) + 1
        assert after[("festbot_command_latency_seconds_count", (("command", "announce subscribe"), ("outcome", "ok")))]
        button = ("festbot_commands_total", (("command", "component:review"), ("outcome", "ok")))
        assert after[button] == before.get(button, 0) + 1  # buttons and menus are counted too, by kind
        assert after[sent] >= before.get(sent, 0) + 1
        assert after[limited] >= before.get(limited, 0) + 1
        assert after[("festbot_outbox_depth", ())] == 0  # sent: nothing waits
        assert after[("festbot_outbox_oldest_age_seconds", ())] == 0
        assert after[("festbot_gateway_connected", ())] == 1
        assert ("festbot_reviews_ingested_total", (("source", "file"), ("status", "added"))) in after  # the seed

        status, body = await health(http, base)
        assert status == 200, body
        assert body["status"] == "ok" and body["gateway_connected"] is True
        assert body["database_writable"] is True and body["delivery_worker_alive"] is True
        assert "last_feed_poll_age_seconds" in body and body["tasks"]["delivery worker"] == "running"

        await fake.close()  # Discord goes away: the gateway socket is closed and reconnecting fails
        await until(lambda: not bot.is_ready() or bot.ws is None or not bot.ws.open, what="the gateway to drop")
        status, body = await health(http, base)
        assert status == 503 and body["status"] == "unhealthy"
        assert body["gateway_connected"] is False and body["database_writable"] is True
        assert (await scrape(http, base))[("festbot_gateway_connected", ())] == 0


async def test_the_console_serves_health_without_a_gateway(tmp_path: Path) -> None:
    """The local console (no token) has no gateway or delivery worker to judge: healthy while its database is."""
    port = free_port()
    settings = Settings(
        FESTBOT_DB=tmp_path / "console.db",
        FESTBOT_DATA_DIR=tmp_path / "data",
        FESTBOT_SEED_DIR=write_corpus(tmp_path / "corpus"),
        FESTBOT_HTTP_PORT=port,
    )
    seen: list[tuple[int, dict[str, Any]]] = []

    def read_line() -> str:
        if seen:
            return "/quit"
        import asyncio

        async def probe() -> None:
            async with aiohttp.ClientSession() as http:
                seen.append(await health(http, f"http://127.0.0.1:{port}"))

        asyncio.run(probe())
        return ""

    assert await run_console(settings, "", read_line=read_line) == 0
    ((status, body),) = seen
    assert status == 200 and body["database_writable"] is True
    assert "gateway_connected" not in body and "delivery_worker_alive" not in body
