"""SIGTERM and SIGINT end every long-running command cleanly, as a service manager or Ctrl-C sends them.

Each test runs ``festbot`` as a subprocess, signals it part way, and checks what a person running it
on a server would: it ends within 5 s (a liveness bound, not a speed target), with one log line saying
it is stopping and why, no worker process left behind, and the SQLite database closed (no ``-wal``).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.conftest import ROOT
from tests.discord_harness import TOKEN, fake_discord, write_corpus

#: How long a stopped command may take to end: the issue's bound.
STOP_WITHIN = 5.0


def berlin_files(folder: Path, count: int) -> Path:
    folder.mkdir()
    for n in range(count):
        (folder / f"story-{n:05}.txt").write_text(
            f"Another strong entry\n\nBerlin Story {n}\n\nDir: Kai Weber{n}. Germany. 2022. {80 + n % 60} mins\n\n"
            f"A Berlin story number {n}, which premiered in Panorama at the Berlinale.\n",
            encoding="utf-8",
        )
    return folder


def start(env: dict[str, str], *args: str, stdin: int | None = subprocess.DEVNULL) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=env,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str], sig: signal.Signals) -> tuple[float, list[psutil.Process], str, str]:
    """Send ``sig``; how long the process took to end, the children it had, and what it printed."""
    children = psutil.Process(process.pid).children(recursive=True)
    sent = time.monotonic()
    process.send_signal(sig)
    try:
        # read(), not communicate(): communicate reads the pipe's descriptor and would miss lines this
        # side's buffer already holds (after a readline). stderr is a few lines; it cannot fill its pipe.
        assert process.stdout is not None and process.stderr is not None
        out = process.stdout.read()
        err = process.stderr.read()
        process.wait(timeout=60)
    finally:
        process.kill()
    return time.monotonic() - sent, children, out, err


def _status(process: psutil.Process) -> str | None:
    try:
        return str(process.status())
    except psutil.NoSuchProcess:
        return None


def assert_no_leftovers(children: list[psutil.Process], db: Path) -> None:
    _, alive = psutil.wait_procs(children, timeout=1)
    # A zombie has ended; it only waits to be reaped by whatever adopted it (this sandbox's init may not).
    running = [p for p in alive if _status(p) not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD, None)]
    assert running == [], f"worker processes left running: {running}"
    assert not Path(f"{db}-wal").exists(), "the database was not closed (its -wal file is left)"
    assert not Path(f"{db}-shm").exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_ingest_stops_its_workers_and_says_what_it_stored(cli_env: dict[str, str], tmp_path: Path, sig) -> None:
    folder = berlin_files(tmp_path / "reviews", 5000)
    process = start(cli_env, "ingest", str(folder))
    assert process.stdout is not None
    first = process.stdout.readline()  # the first batch is stored: workers are running, more to come
    assert first.startswith("added"), first + (process.stderr.read() if process.stderr else "")
    took, children, out, err = stop(process, sig)
    assert took < STOP_WITHIN, f"took {took:.1f}s to stop"
    assert process.returncode == 128 + sig
    assert len(children) >= 2  # the parsing workers (and multiprocessing's resource tracker) it had
    assert_no_leftovers(children, Path(cli_env["FESTBOT_DB"]))
    assert f"stopping ingest: {sig.name} received" in err
    (summary,) = [line for line in err.splitlines() if line.startswith("festbot: stopped after")]
    stored = 1 + out.count("\n")  # the line read above, and the rest
    assert f"festbot: stopped after {stored} files ({stored} stored, 0 rejected)" in summary
    assert "Traceback" not in err
    # What it said it stored is stored: running it again finds those unchanged and adds the rest.
    again = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ingest", str(folder)], cwd=ROOT, env=cli_env, capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("unchanged ") == stored and again.stdout.count("added ") == 5000 - stored


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_console_closes_the_database_on_a_signal(cli_env: dict[str, str], tmp_path: Path, sig) -> None:
    """The local console (``festbot run`` at a terminal, no token) waits on the keyboard; a signal still ends it."""
    keyboard, terminal = os.openpty()
    try:
        process = start(cli_env, "run", stdin=terminal)
        os.close(terminal)
        assert process.stdout is not None
        while "Type a command" not in (line := process.stdout.readline()):
            assert line, "the console ended before its prompt"
        assert Path(f"{cli_env['FESTBOT_DB']}-wal").exists()  # open: the database is in WAL mode
        took, children, _, err = stop(process, sig)
    finally:
        os.close(keyboard)
    assert took < STOP_WITHIN, f"took {took:.1f}s to stop"
    assert process.returncode == 128 + sig, err
    assert f"stopping the console: {sig.name} received" in err and "Traceback" not in err
    assert_no_leftovers(children, Path(cli_env["FESTBOT_DB"]))


async def test_the_bot_stops_cleanly_on_sigterm(cli_env: dict[str, str], tmp_path: Path) -> None:
    async with fake_discord() as fake:
        env = cli_env | {
            "DISCORD_TOKEN": TOKEN,
            "DISCORD_API_BASE_URL": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "FESTBOT_SEED_DIR": str(write_corpus(tmp_path / "corpus")),
            "FESTBOT_LOG_FORMAT": "json",  # the bot's log through discord.py's setup, one JSON object a line
        }
        run = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
        )
        try:
            await fake.wait_until_identified(timeout=30)
            children = psutil.Process(run.pid).children(recursive=True)
            sent = time.monotonic()
            run.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(run.communicate(), 60)
            took = time.monotonic() - sent
        finally:
            if run.returncode is None:
                run.kill()
    log = err.decode()
    assert run.returncode == 0, log  # a service stopped on purpose: a clean stop, not a failure
    assert took < STOP_WITHIN, f"took {took:.1f}s to stop"
    entries = [json.loads(line) for line in log.splitlines()]
    assert [e["message"] for e in entries].count("stopping the bot: SIGTERM received") == 1
    assert any(e["logger"].startswith("discord.") for e in entries)  # discord.py's own records, as JSON too
    assert_no_leftovers(children, Path(cli_env["FESTBOT_DB"]))
