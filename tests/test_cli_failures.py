"""When the world around a command fails, ``festbot`` says so in one line on stderr and exits non-zero.

Each failure is real: a wrong setting, a missing or broken festival table, a database file with
bytes overwritten, a disk that is actually full (a tiny tmpfs in a mount namespace of its own), and
Discord at a closed loopback port or refusing the token (the fake Discord in tests/fakediscord).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.failures import describe
from tests.conftest import FIXTURES, ROOT, SEED
from tests.discord_harness import TOKEN
from tests.fakediscord import FakeDiscord
from tests.test_cli import festbot

#: One invocation of each command, reaching everything it needs (settings, table, database, Discord).
COMMANDS: dict[str, tuple[str, ...]] = {
    "run": ("run",),
    "ask": ("ask", "/review Return to Dust"),
    "ingest": ("ingest", str(SEED)),
    "parse": ("parse", str(SEED)),
    "sync": ("sync",),
    "feeds": ("feeds", "poll"),
    "festivals": ("festivals", "list"),
}
DATABASE_COMMANDS = ("run", "ask", "ingest", "sync", "feeds")
_LOG_LINE = re.compile(r"^(\x1b\[[\d;]*m)*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def env(cli_env: dict[str, str]) -> dict[str, str]:
    """A token, and Discord at a closed port: ``run`` and ``sync`` reach their own failure, never the internet."""
    port = closed_port()
    return cli_env | {
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_BASE_URL": f"http://127.0.0.1:{port}/api/v10",
        "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/",
    }


def failure(out: str, err: str, returncode: int) -> str:
    """The one line a failure printed; besides it stderr holds at most informational log lines."""
    assert returncode not in (0, None), (out, err)
    assert "Traceback" not in err and "voice will NOT be supported" not in err, err
    lines = err.splitlines()
    said = [line for line in lines if line.startswith("festbot")]
    assert len(said) == 1, err
    logged = [line for line in lines if _LOG_LINE.match(line)]
    assert set(lines) == {*said, *logged}, err
    assert not [line for line in logged if re.search(r"WARNING|ERROR|CRITICAL", line)], err
    return said[0]


def failed(result: subprocess.CompletedProcess[str]) -> str:
    return failure(result.stdout, result.stderr, result.returncode)


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_log_level_is_one_line(env: dict[str, str], command: str) -> None:
    line = failed(festbot(env | {"FESTBOT_LOG_LEVEL": "VERBOSE"}, *COMMANDS[command]))
    assert "FESTBOT_LOG_LEVEL='VERBOSE'" in line and "DEBUG, INFO, WARNING, ERROR, CRITICAL" in line


def test_a_log_level_in_any_case_is_fine(env: dict[str, str]) -> None:
    assert festbot(env | {"FESTBOT_LOG_LEVEL": "debug"}, *COMMANDS["festivals"]).returncode == 0


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_festival_table_is_one_line(env: dict[str, str], tmp_path: Path, command: str) -> None:
    missing = tmp_path / "nowhere" / "festivals.json"
    line = failed(festbot(env | {"FESTBOT_FESTIVALS": str(missing)}, *COMMANDS[command]))
    assert f"cannot read the festival table {missing}" in line and "FESTBOT_FESTIVALS" in line


@pytest.mark.parametrize(
    ("text", "says"),
    [("{", "is not valid JSON"), ('{"festivals": [{"name": 1}]}', "festivals.0.name"), ("\xff", "not valid JSON")],
)
@pytest.mark.parametrize("command", ["ask", "parse"])
def test_an_invalid_festival_table_is_one_line(
    env: dict[str, str], tmp_path: Path, text: str, says: str, command: str
) -> None:
    table = tmp_path / "festivals.json"
    table.write_bytes(text.encode("latin-1"))
    assert says in failed(festbot(env | {"FESTBOT_FESTIVALS": str(table)}, *COMMANDS[command]))


@pytest.fixture(scope="module")
def stocked_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real database with the test corpus in it, made by ``festbot ingest``."""
    folder = tmp_path_factory.mktemp("stocked")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FESTBOT_"))}
    env["FESTBOT_DB"] = str(folder / "festival.db")
    result = festbot(env, "ingest", str(FIXTURES / "reviews"))
    assert result.returncode == 0, result.stderr
    return folder / "festival.db"


@pytest.mark.parametrize(
    ("offset", "says"), [(4096 * 2, "database disk image is malformed"), (0, "file is not a database")]
)
@pytest.mark.parametrize("command", DATABASE_COMMANDS)
def test_a_damaged_database_is_one_line(
    env: dict[str, str], stocked_db: Path, tmp_path: Path, offset: int, says: str, command: str
) -> None:
    damaged = tmp_path / "festival.db"
    data = bytearray(stocked_db.read_bytes())
    data[offset:] = b"\xaa" * (len(data) - offset)  # every page from there on overwritten
    damaged.write_bytes(bytes(data))
    line = failed(festbot(env | {"FESTBOT_DB": str(damaged)}, *COMMANDS[command]))
    assert f"the database {damaged} is damaged ({says})" in line and "backup" in line


# ------------------------------------------------------------------------------------------ a full disk

_FULL_DISK = """
mount -t tmpfs -o size=1m tmpfs "$DISK" || exit 97
[ -n "$STOCK" ] && cp "$STOCK" "$DISK/festival.db"
cp "$TABLE" "$DISK/festivals.json"
free=$(df --output=avail -B1 "$DISK" | tail -1)
head -c $((free - ROOM)) /dev/zero > "$DISK/filler" 2>/dev/null
"$@" 2>"$DISK/../stderr"
echo "exit=$?"
ls -a "$DISK"
[ -n "$STOCK" ] && "$PYTHON" -c "$CHECK" "$DISK/festival.db"
"""
_CHECK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
print("check", integrity, conn.execute("SELECT count(*) FROM reviews").fetchone()[0])
"""


def on_a_full_disk(env: dict[str, str], tmp_path: Path, *args: str, stock: Path | None, room: int) -> tuple[str, str]:
    """Run ``festbot args`` with its database and table on a 1 MiB filesystem with ``room`` bytes left.

    The filesystem is a tmpfs in a mount namespace of the command's own (as root, or as a user who
    may create user namespaces); it disappears with the command.
    """
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) to mount a tiny filesystem")
    disk = tmp_path / "disk"
    disk.mkdir()
    script_env = env | {
        "DISK": str(disk),
        "STOCK": str(stock or ""),
        "TABLE": str(ROOT / "bot" / "shipped" / "festivals.json"),
        "ROOM": str(room),
        "PYTHON": sys.executable,
        "CHECK": _CHECK,
        "FESTBOT_DB": str(disk / "festival.db"),
        "FESTBOT_FESTIVALS": str(disk / "festivals.json"),
        "FESTBOT_DATA_DIR": str(disk),
    }
    command = [sys.executable, "-m", "bot.cli", *args]
    ran = subprocess.run(
        ["unshare", "--mount", "--map-root-user", "sh", "-c", _FULL_DISK, "sh", *command],
        cwd=ROOT,
        env=script_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if "exit=" not in ran.stdout:
        pytest.skip(f"cannot mount a tiny filesystem here: {ran.stderr.strip()[:200]}")
    return ran.stdout, (tmp_path / "stderr").read_text(encoding="utf-8")


def new_reviews(folder: Path, count: int) -> Path:
    folder.mkdir()
    for n in range(count):
        (folder / f"story-{n}.txt").write_text(
            f"Another strong entry\n\nBerlin Story {n}\n\nDir: Kai Weber{n}. Germany. 2022. {80 + n} mins\n\n"
            f"A Berlin story number {n}, which premiered in Panorama at the Berlinale.\n",
            encoding="utf-8",
        )
    return folder


#: Room for the database's shared-memory index (32 KiB), none for what the command writes.
ROOM = 40 * 1024


@pytest.mark.parametrize(
    ("args", "stocked"),
    [
        (("ingest", "NEW"), True),
        (("feeds", "add", "https://example.com/reviews.rss"), True),
        (COMMANDS["ask"], False),  # a new database: created, migrated and seeded on first use
        (COMMANDS["run"], False),
        (COMMANDS["sync"], False),
    ],
)
def test_a_full_disk_is_one_line_and_nothing_half_written(
    env: dict[str, str], stocked_db: Path, tmp_path: Path, args: tuple[str, ...], stocked: bool
) -> None:
    args = tuple(str(new_reviews(tmp_path / "new", 60)) if arg == "NEW" else arg for arg in args)
    out, err = on_a_full_disk(env, tmp_path, *args, stock=stocked_db if stocked else None, room=ROOM)
    returncode = int(re.search(r"exit=(\d+)", out)[1])  # type: ignore[index]
    line = failure("", err, returncode)
    assert "is full (database or disk is full)" in line and "Free some space" in line
    if stocked:
        # The write that failed was rolled back whole: the database is intact and holds what it held.
        with sqlite3.connect(stocked_db) as conn:
            before = conn.execute("SELECT count(*) FROM reviews").fetchone()[0]
        assert f"check ok {before}" in out


def test_a_full_database_is_described_without_a_tiny_filesystem(tmp_path: Path) -> None:
    """Where no filesystem can be mounted, the same SQLite error from a real file capped in pages."""
    path = tmp_path / "festival.db"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE reviews (body BLOB)")
        conn.execute("PRAGMA max_page_count = 3")
        with pytest.raises(sqlite3.OperationalError) as full:
            conn.execute("INSERT INTO reviews VALUES (randomblob(100000))")
    line = describe(full.value, path)
    assert line.startswith(f"the disk holding the database {path} is full (database or disk is full)")


def test_a_full_disk_leaves_the_festival_table_as_it_was(env: dict[str, str], tmp_path: Path) -> None:
    out, err = on_a_full_disk(
        env, tmp_path, "festivals", "edition", "Berlinale", "2031", "2031-02-13", "2031-02-23", stock=None, room=0
    )
    line = failure("", err, int(re.search(r"exit=(\d+)", out)[1]))  # type: ignore[index]
    assert "cannot save" in line and "festival-editions.json (unchanged)" in line and "the disk is full" in line
    assert "festival-editions.json" not in out  # no half-written copy left behind, nor an empty file


# ------------------------------------------------------------------------------------------ Discord


@pytest.mark.parametrize("command", ["run", "sync"])
def test_an_unreachable_discord_api_is_one_line(env: dict[str, str], command: str) -> None:
    line = failed(festbot(env, command))
    assert f"cannot reach Discord at {env['DISCORD_API_BASE_URL']}" in line and "DISCORD_API_BASE_URL" in line


async def festbot_against(fake: FakeDiscord, env: dict[str, str], *args: str) -> tuple[str, str, int]:
    """``festbot`` as a subprocess while this test's event loop serves the fake Discord."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        cwd=ROOT,
        env=env | {"DISCORD_API_BASE_URL": fake.api_base},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return out.decode(), err.decode(), process.returncode or 0


async def test_an_unreachable_gateway_is_one_line(env: dict[str, str]) -> None:
    """Discord's REST answers but its gateway does not: discord.py itself fails with an AttributeError."""
    async with FakeDiscord(token=TOKEN) as fake:
        fake.add_guild("Festival")
        out, err, returncode = await festbot_against(fake, env, "run")
    line = failure(out, err, returncode)
    assert f"cannot open the Discord gateway at {env['DISCORD_GATEWAY_URL']}" in line
    assert "DISCORD_GATEWAY_URL" in line


@pytest.mark.parametrize("command", ["run", "sync"])
async def test_a_refused_token_is_one_line_on_stderr(env: dict[str, str], command: str) -> None:
    async with FakeDiscord(token=TOKEN) as fake:
        out, err, returncode = await festbot_against(fake, env | {"DISCORD_TOKEN": "not.the-token"}, command)
    assert "Discord refused the token (DISCORD_TOKEN)" in failure(out, err, returncode)
    assert out == ""


async def test_sync_publishes_without_a_warning(env: dict[str, str]) -> None:
    """No "voice will NOT be supported" (the bot has no voice) on a run that goes well."""
    async with FakeDiscord(token=TOKEN) as fake:
        out, err, returncode = await festbot_against(fake, env, "sync")
    assert returncode == 0, err
    assert out.startswith("Published ")
    assert "voice will NOT be supported" not in err and not re.search(r"WARNING|ERROR", err), err


# -------------------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("festivals", "edition", "Berlinale", "2027", "2027-02-31", "2027-03-01"), "not a date: '2027-02-31'"),
        (("festivals", "edition", "Berlinale", "99999", "2027-02-11", "2027-02-21"), "not a year from 1900 to 2100"),
        (("festivals", "edition", "Berlinale", "²", "2027-02-11", "2027-02-21"), "not a year from 1900 to 2100"),
        (("festivals", "edition", "Berlinale", "2027", "2031-02-11", "2031-02-21"), "must start in 2027"),
        (("sync", "--guild", "99999999999999999999999"), "not a Discord server id"),
        (("sync", "--guild", "-5"), "not a Discord server id"),
        (("feeds", "add", "https://example.com/rss", "--every", "inf"), "the poll interval must be"),
        (("feeds", "add", "https://example.com/rss", "--every", "nan"), "the poll interval must be"),
        (("feeds", "remove", "99999999999999999999999"), "not a feed number"),
        (("feeds", "remove", "²"), "not a feed number"),
    ],
)
def test_a_bad_argument_is_one_line_and_changes_nothing(
    env: dict[str, str], tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    table = tmp_path / "festivals.json"
    table.write_bytes((ROOT / "bot" / "shipped" / "festivals.json").read_bytes())
    result = festbot(env | {"FESTBOT_FESTIVALS": str(table)}, *args)
    line = failed(result)
    assert says in line and "fromisoformat" not in line
    assert table.read_bytes() == (ROOT / "bot" / "shipped" / "festivals.json").read_bytes()
