"""``festbot web``: the pages alone over a read-only replica, as a real subprocess; it never writes the database."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.storage.connection import StoreError
from bot.storage.migrations import latest_version
from bot.storage.store import open_store
from tests.conftest import SEED, second_critic

FESTBOT = [sys.executable, "-m", "bot.cli"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def festbot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FESTBOT, *args], env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def replica(cli_env: dict[str, str]) -> Path:
    """A database the primary wrote (the seed), closed: what a replica is handed."""
    assert festbot(cli_env, "ingest", str(SEED)).returncode == 0
    return Path(cli_env["FESTBOT_DB"])


@contextlib.asynccontextmanager
async def serving(env: dict[str, str], *args: str) -> AsyncIterator[str]:
    """``festbot web --port 0`` until the block ends (then SIGTERM); yields the address it printed."""
    process = await asyncio.create_subprocess_exec(
        *FESTBOT, "web", "--port", "0", *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        assert "(read-only) at http://127.0.0.1:" in line, line or (await process.stderr.read()).decode()  # type: ignore[union-attr]
        yield line.rsplit(" at ", 1)[1].strip().rstrip("/")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0  # a clean stop on SIGTERM


async def status_of(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def test_festbot_web_serves_a_replica_and_never_writes_it(cli_env: dict[str, str], replica: Path) -> None:
    before = digest(replica)
    async with serving(cli_env) as base:
        status, html = await status_of(base + "/films/1")
        assert status == 200 and "Return To Dust" in html
        status, html = await status_of(base + "/search?q=retun+to+dsut")
        assert status == 200 and "/films/1" in html
        # The primary keeps writing (another process): the replica shows what it wrote.
        (Path(cli_env["FESTBOT_DB"]).parent / "critic.txt").write_text(second_critic("Ana Ruiz"), encoding="utf-8")
        assert festbot(cli_env, "ingest", str(Path(cli_env["FESTBOT_DB"]).parent / "critic.txt")).returncode == 0
        before = digest(replica)  # what the primary wrote, checkpointed or not, is the primary's
        status, html = await status_of(base + "/films/1")
        assert status == 200 and "Ana Ruiz" in html
        status, health = await status_of(base + "/healthz")  # for its service manager: reads, never writes
        assert status == 200 and '"database_readable": true' in health and "writable" not in health
        status, exposition = await status_of(base + "/metrics")
        assert status == 200 and "festbot_outbox_depth" in exposition
    with sqlite3.connect(replica) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == latest_version()
    assert digest(replica) == before
    assert not list(replica.parent.glob("*.bak"))  # nothing was migrated, so nothing was backed up


async def test_a_replica_of_an_older_schema_is_refused_untouched(cli_env: dict[str, str], replica: Path) -> None:
    with sqlite3.connect(replica) as db:
        db.execute(f"PRAGMA user_version = {latest_version() - 1}")
    before = digest(replica)
    ran = festbot(cli_env, "web", "--port", "0")
    assert ran.returncode == 1 and ran.stdout == ""
    assert ran.stderr.count("\n") == 1 and "older than this festbot's" in ran.stderr
    assert "does not migrate it" in ran.stderr and "Traceback" not in ran.stderr
    assert digest(replica) == before and not list(replica.parent.glob("*.bak"))


def test_festbot_web_says_in_one_line_what_is_missing(cli_env: dict[str, str], tmp_path: Path) -> None:
    missing = festbot(cli_env, "web", "--port", "0")
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    assert "There is no database at" in missing.stderr and not Path(cli_env["FESTBOT_DB"]).exists()
    no_port = festbot(cli_env, "web")
    assert no_port.returncode == 1 and "FESTBOT_HTTP_PORT=8080, or festbot web --port 8080" in no_port.stderr
    bad_port = festbot(cli_env, "web", "--port", "70000")
    assert bad_port.returncode == 2 and "not a port number" in bad_port.stderr


def test_an_address_in_use_is_one_line(cli_env: dict[str, str], replica: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        ran = festbot(cli_env, "web", "--port", port)
        # festbot run opens the pages before it connects to Discord: the same line, and no connection tried.
        bot = festbot({**cli_env, "DISCORD_TOKEN": "x.y.z", "FESTBOT_HTTP_PORT": port}, "run")
    for failed in (ran, bot):
        assert failed.returncode == 1 and failed.stderr.count("\n") == 1, failed.stderr
        assert failed.stderr.startswith(f"festbot: cannot serve the web pages on 127.0.0.1:{port} (FESTBOT_HTTP_HOST")


async def test_a_read_only_store_refuses_every_write(replica: Path) -> None:
    async with open_store(replica, read_only=True) as store:
        assert await store.count() == 1
        with pytest.raises(StoreError, match="open read-only"):
            await store.set_meta("anything", "x")
        stored = await store.get(1)
        assert stored is not None
        with pytest.raises(StoreError, match="open read-only"):
            await store.ingest(stored.review)
    with sqlite3.connect(replica) as db:
        assert db.execute("SELECT count(*) FROM meta WHERE key = 'anything'").fetchone()[0] == 0
