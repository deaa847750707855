"""Discord answers link to the web pages when FESTBOT_PUBLIC_URL is set, and ``festbot run`` serves them.

Without the setting nothing changes: no button, no link. With it, /review's card (one review or a
film's several) has a "Film page" link button, and announcements link to the film page: the full
card by its button, the compact line by the address at its end.
"""

from __future__ import annotations

import datetime as dt
import socket
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.answers.announcements import announcement
from bot.answers.cards import Button, Reply
from bot.answers.film_cards import review_card
from bot.answers.links import NO_LINKS, Links
from bot.client.bot import FestivalBot
from bot.config import Settings
from bot.console.repl import run_console
from bot.domain.models import StoredReview, Subscription
from bot.parsing.parser import parse_review_text
from tests.conftest import SEED, second_critic
from tests.discord_harness import fake_discord, running_bot, settings_for, until, write_corpus
from tests.fakediscord import FakeDiscord, P

PUBLIC = "https://festbot.example/pages"


def stored_seed(film_id: int | None = 7) -> StoredReview:
    review = parse_review_text(SEED.read_text(encoding="utf-8"))
    now = dt.datetime(2031, 5, 14, tzinfo=dt.UTC)
    return StoredReview(id=3, review=review, film_id=film_id, content_hash="x", created_at=now, updated_at=now)


def film_buttons(reply: Reply) -> list[Button]:
    return [b for b in reply.buttons if b.label == "Film page"]


def test_the_review_card_has_a_film_page_button_only_with_a_public_address() -> None:
    assert film_buttons(review_card(stored_seed())) == []
    assert film_buttons(review_card(stored_seed(), NO_LINKS)) == []
    (button,) = film_buttons(review_card(stored_seed(), Links(PUBLIC)))
    assert button.url == f"{PUBLIC}/films/7" and button.style == "link" and button.custom_id is None
    assert film_buttons(review_card(stored_seed(film_id=None), Links(PUBLIC))) == []
    plain = review_card(stored_seed())
    linked = review_card(stored_seed(), Links(PUBLIC))
    assert linked.model_copy(update={"buttons": linked.buttons[:-1]}) == plain  # nothing else changes


def test_announcements_link_to_the_film_page() -> None:
    embed = Subscription(id=1, guild_id=1, channel_id=2, festival=None, style="embed")
    compact = embed.model_copy(update={"style": "compact"})
    assert film_buttons(announcement(stored_seed(), embed)) == []
    assert "/films/" not in announcement(stored_seed(), compact).content
    (button,) = film_buttons(announcement(stored_seed(), embed, Links(PUBLIC)))
    assert button.url == f"{PUBLIC}/films/7"
    line = announcement(stored_seed(), compact, Links(PUBLIC)).content
    assert line.endswith(f" · film page <{PUBLIC}/films/7>") and "\n" not in line


# ------------------------------------------------------------------------------ through the fake Discord


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord(5.0) as server:
        yield server


def link_buttons(message: dict[str, Any]) -> dict[str, str]:
    return {c["label"]: c["url"] for row in message.get("components", []) for c in row["components"] if c.get("url")}


async def test_festbot_run_serves_the_pages_and_review_links_to_them(fake: FakeDiscord, tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus")
    port = free_port()
    settings = settings_for(fake, tmp_path, FESTBOT_HTTP_PORT=port, FESTBOT_PUBLIC_URL=PUBLIC + "/")
    async with running_bot(settings) as bot:
        film = (await bot.services.searcher.search("Return To Dust"))[0].film_id
        data = (await (await fake.slash_command("review", {"title": "Return to Dust"})).response())["data"]
        assert link_buttons(data) == {"Film page": f"{PUBLIC}/films/{film}"}
        several = await _film_with_reviews(bot)
        data = (await (await fake.slash_command("review", {"title": f"#f{several}"})).response())["data"]
        assert link_buttons(data) == {"Film page": f"{PUBLIC}/films/{several}"}  # a film's card of many reviews
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/films/{film}") as response:
            assert response.status == 200 and "Return To Dust" in await response.text()


async def test_without_a_port_or_address_the_bot_is_as_before(fake: FakeDiscord, tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus")
    async with running_bot(settings_for(fake, tmp_path)) as bot:
        assert bot.services.settings.http_port is None
        data = (await (await fake.slash_command("review", {"title": "Return to Dust"})).response())["data"]
        assert link_buttons(data) == {}


async def _film_with_reviews(bot: FestivalBot, announce: bool = False) -> int:
    """A film of the corpus with two reviews: a second critic's review of the seed's film, stored now."""
    review = parse_review_text(second_critic(), table=bot.services.festivals)
    status = await bot.services.store.ingest(review, announce=announce)
    stored = await bot.services.store.get(status.review_id)
    assert stored is not None and stored.film_id is not None
    assert len(await bot.services.store.film_reviews(stored.film_id)) == 2
    return stored.film_id


async def test_announcements_through_discord_link_to_the_film_page(fake: FakeDiscord, tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus")
    guild = fake.default_guild.id
    full, compact = fake.add_channel(guild, "full").id, fake.add_channel(guild, "compact").id
    async with running_bot(settings_for(fake, tmp_path, FESTBOT_PUBLIC_URL=PUBLIC)) as bot:
        for channel, style in ((full, "embed"), (compact, "compact")):
            options = {"channel": channel, "festival": "all", "style": style}
            await (await fake.slash_command("announce subscribe", options, member_permissions=P.ALL)).response()
        film = await _film_with_reviews(bot, announce=True)
        bot.get_cog("Announce").announcer.wake()  # type: ignore[union-attr]
        await until(lambda: bool(fake.channel_messages(full) and fake.channel_messages(compact)), what="announcements")
    (card,) = fake.channel_messages(full)
    assert link_buttons(card)["Film page"] == f"{PUBLIC}/films/{film}"
    (line,) = fake.channel_messages(compact)
    assert line["content"].endswith(f" · film page <{PUBLIC}/films/{film}>")


async def test_the_local_console_serves_the_pages_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``festbot run`` without a token (``make run``'s console) serves the pages beside it, as the bot does."""
    port = free_port()
    settings = Settings(FESTBOT_DB=tmp_path / "console.db", FESTBOT_SEED_DIR=write_corpus(tmp_path / "corpus"),
                        FESTBOT_HTTP_PORT=port)  # fmt: skip
    fetched: list[str] = []

    def read_line() -> str:  # the console's input, run on a thread: a reader opens a page meanwhile
        if fetched:
            raise EOFError
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/search?q=return+to+dust", timeout=30) as page:
            fetched.append(page.read().decode())
        return "/review Return to Dust"

    assert await run_console(settings, "", read_line) == 0
    assert "Return To Dust" in fetched[0]
    assert f"The web pages are at http://127.0.0.1:{port}/" in capsys.readouterr().out
