"""Start the real bot, as ``festbot run`` starts it, against the fake Discord in tests/fakediscord."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from bot.client.bot import FestivalBot, serve, sync
from bot.config import Settings
from tests.conftest import FIXTURES, SEED
from tests.fakediscord import FakeDiscord

TOKEN = "fake-token.for-festbot-tests"
EPHEMERAL = 1 << 6  # the message flag of a reply only its caller sees

HOSTILE = """\
@everyone **Bold** claims and a [phishing link](https://evil.example) in the standfirst

The Loud Crowd

Dir: Mira Vance. Canada. 2024. 95 mins

@everyone should see this film, says the critic, and <@&123456789> too: it is **loud**, _brash_ and `raw`. \
A crowd of extras (Pia Lund) takes over a town square, and the film never lets up.

> not a quote || spoiler || ~~struck~~

The film premiered in Midnight Madness at TIFF, where buyers lined up.

Main cast: Pia Lund, @everyone, Joe <@&42>
"""


def crowded_review() -> str:
    """A film with 80 credited people, so its credits need more than one embed page."""
    labels = ["Producers", "Executive producers", "Cinematography", "Editing", "Music", "Sound", "Costume design"]
    lines = [
        f"{label}: " + ", ".join(f"{label.split()[0]} Person{i}{j}" for j in range(8)) for i, label in enumerate(labels)
    ]
    cast = ", ".join(f"Actor Number{j} Longname-Surname" for j in range(24))
    return (
        "A sprawling ensemble piece that earns its length\n\nThe Big Ensemble\n\n"
        "Dir: Ada Crowd. France. 2023. 190 mins\n\n"
        "A family of forty (Actor Number0 Longname-Surname) gathers for a wedding in Lyon,"
        " and nothing goes to plan.\n\n"
        "It premiered in competition at Cannes.\n\n" + "\n".join(lines) + f"\nMain cast: {cast}\n"
    )


def endless_review() -> str:
    """Credits far beyond one embed: 300 people with long names, so they need several pages."""
    crew = ", ".join(f"Crewmember Number{j} Extraordinarily-Longsurname-Hyphenated" for j in range(300))
    return (
        "A long film with longer credits\n\nThe Endless Credits\n\nDir: Bo Long. Sweden. 2024. 240 mins\n\n"
        "A projectionist (Bo Long) watches the credits roll for four hours, and so do we.\n\n"
        f"Crew: {crew}\nMain cast: Bo Long\n"
    )


def harbour_review(year: int, director: str) -> str:
    return (
        f"A fine film from {director}\n\nThe Harbour\n\nDir: {director}. Norway. {year}. 90 mins\n\n"
        "A quiet study of a fishing town and its people, told with care and patience.\n\n"
        "International sales: Fjord Sales, sales@fjord.example.com\n"
    )


def berlinale_review(n: int) -> str:
    return (
        f"Another strong entry\n\nBerlin Story {n}\n\nDir: Kai Weber{n}. Germany. 2022. {80 + n} mins\n\n"
        f"A Berlin story number {n}, which premiered in Panorama at the Berlinale.\n"
    )


def write_corpus(folder: Path) -> Path:
    """The shipped seed plus the parser fixtures plus hostile and large cases, as the bot's seed folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "return-to-dust.txt").write_bytes(SEED.read_bytes())
    for path in (FIXTURES / "reviews").glob("*.txt"):
        if path.name != "return-to-dust.txt":
            (folder / path.name).write_bytes(path.read_bytes())
    (folder / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    (folder / "crowded.txt").write_text(crowded_review(), encoding="utf-8")
    (folder / "endless.txt").write_text(endless_review(), encoding="utf-8")
    (folder / "harbour-2019.txt").write_text(harbour_review(2019, "Ola Berg"), encoding="utf-8")
    (folder / "harbour-2024.txt").write_text(harbour_review(2024, "Kari Lund"), encoding="utf-8")
    for n in range(14):
        (folder / f"berlin-{n:02}.txt").write_text(berlinale_review(n), encoding="utf-8")
    return folder


def settings_for(fake: FakeDiscord, tmp_path: Path, **extra: Any) -> Settings:
    """The bot's settings for a test; ``extra`` may name another database (``FESTBOT_DATABASE_URL``) and more."""
    return Settings(
        DISCORD_TOKEN=TOKEN,
        DISCORD_API_BASE_URL=fake.api_base,
        DISCORD_GATEWAY_URL=fake.gateway_url,
        FESTBOT_SEED_DIR=tmp_path / "corpus",
        FESTBOT_INBOX=tmp_path / "inbox",
        **{"FESTBOT_DB": tmp_path / "festival.db", **extra},
    )


@contextlib.asynccontextmanager
async def fake_discord(default_timeout: float = 10.0) -> AsyncIterator[FakeDiscord]:
    """The fake with one guild, discord.py pointed at it; afterwards, nothing the bot sent was rejectable.

    Identify pacing is off: tests restart the unsharded bot at once, where Discord (and the fake by
    default) would answer op 9 and discord.py would wait 5 s to identify again. The pacing has tests of
    its own (test_fakediscord_shards.py, test_shards_e2e.py).
    """
    async with FakeDiscord(token=TOKEN, default_timeout=default_timeout, identify_window=0) as server:
        server.add_guild("Festival")
        with server.patch_discord():
            yield server
        server.assert_no_errors()


async def until(condition: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running_bot(settings: Settings, *, do_sync: bool = True) -> AsyncIterator[FestivalBot]:
    """``festbot sync`` then ``festbot run``'s coroutine, until the block ends."""
    if do_sync:
        await sync(settings, None)
    ready: asyncio.Future[FestivalBot] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(settings, ready=ready, guild_ready_timeout=0.01))
    try:
        started: set[asyncio.Future[Any]] = {task, ready}
        done, _ = await asyncio.wait(started, timeout=15, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()  # raises the start-up error
            raise RuntimeError("the bot stopped before it was ready")
        if not done:
            raise TimeoutError("the bot did not become ready")
        yield ready.result()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
