"""The console's typed commands against a real database: any line gets a reply, and the console goes on."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answers.cards import Reply
from bot.config import Settings
from bot.console.command_line import (
    COMMANDS,
    DESCRIPTIONS,
    NEEDS_DISCORD,
    CommandLineError,
    parse_command_line,
    run_command_line,
)
from bot.console.repl import APOLOGY, render_reply, run_console
from bot.services import Services, open_services
from tests.discord_harness import write_corpus

#: Option values that broke the console once, or look as if they might.
ODD_VALUES = [
    "²",  # str.isdigit() says yes, int() says no
    "٣",  # an Arabic-Indic digit: int() reads it
    "99999999999999999999",  # more than SQLite's 64-bit integers
    "-1",
    "0",
    "1e9",
    "#99999999999999999999",
    "#0",
    "\x00",
    "\udcff",  # a byte that was not UTF-8, as the terminal hands it over
    "\ud800",  # any other lone surrogate
    " ",
    "",
]

typed_text = st.text(st.characters(exclude_categories=()), max_size=40)
values = st.one_of(typed_text, st.integers().map(str), st.sampled_from(ODD_VALUES))
option_names = st.sampled_from(sorted({o for opts in COMMANDS.values() for o in opts} | {"bogus", "YEAR"}))
command_names = st.sampled_from(
    [*(f"/{name}" for name in (*COMMANDS, *NEEDS_DISCORD)), "review", "/REVIEW", "/x", "/", "", "/announce", "/feeds x"]
)
command_lines = st.one_of(
    typed_text,
    st.builds(
        lambda command, head, options: " ".join([command, head, *(f"{name}:{value}" for name, value in options)]),
        command_names,
        values,
        st.lists(st.tuples(option_names, values), max_size=4),
    ),
)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[asyncio.AbstractEventLoop, Services]]:
    """One database for every example: the test corpus (several pages of Berlinale reviews, long credits)."""
    folder = tmp_path_factory.mktemp("console")
    app = Settings(FESTBOT_DB=folder / "festival.db", FESTBOT_SEED_DIR=write_corpus(folder / "corpus"))
    loop = asyncio.new_event_loop()
    opened = open_services(app)
    services = loop.run_until_complete(opened.__aenter__())
    try:
        yield loop, services
    finally:
        loop.run_until_complete(opened.__aexit__(None, None, None))
        loop.close()


def ask(console: tuple[asyncio.AbstractEventLoop, Services], line: str) -> str:
    loop, services = console
    reply = loop.run_until_complete(run_command_line(services.answers, line))
    assert isinstance(reply, Reply)
    rendered = render_reply(reply)
    rendered.encode("utf-8")  # printable: no lone surrogate echoed back
    return rendered


@given(command_lines)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_line_is_read_or_refused_with_a_reason(line: str) -> None:
    try:
        name, found = parse_command_line(line)
    except CommandLineError as exc:
        reasons = ("Unknown command", "needs Discord: run festbot run with a token", "here, ask for page:N")
        assert any(reason in str(exc) for reason in reasons)
        return
    assert name in COMMANDS and set(found) <= set(COMMANDS[name])


@given(command_lines)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_line_gets_a_reply(console: tuple[asyncio.AbstractEventLoop, Services], line: str) -> None:
    assert ask(console, line).strip()


@pytest.mark.parametrize("value", ["²", "٣", "99999999999999999999", "1899", "2101", "-1", "0", "20 22"])
def test_a_year_out_of_range_says_which_years_there_are(
    console: tuple[asyncio.AbstractEventLoop, Services], value: str
) -> None:
    assert "The year must be a number from 1900 to 2100" in ask(console, f"/festival Berlinale year:{value}")


@pytest.mark.parametrize("value", ["²", "0", "10001", "99999999999999999999", "two"])
def test_a_page_out_of_range_says_which_pages_there_are(
    console: tuple[asyncio.AbstractEventLoop, Services], value: str
) -> None:
    assert "The page must be a number from 1 to 10000" in ask(console, f"/festival Berlinale page:{value}")


def test_pages_are_typed_as_the_buttons_say(console: tuple[asyncio.AbstractEventLoop, Services]) -> None:
    first = ask(console, "/festival Berlinale")
    assert "page 1 of 2" in first
    assert "[Next ▶] -> /festival Berlinale page:2" in first
    second = ask(console, "/festival Berlinale page:2")
    assert "page 2 of 2" in second and "[◀ Previous] -> /festival Berlinale page:1" in second
    assert "page 2 of 2" in ask(console, "/festival Berlinale page:9999")  # past the end: the last page
    credits = ask(console, "/credits The Endless Credits")
    assert "-> /credits #" in credits and "page:2" in credits


async def test_a_failing_command_is_an_apology_and_the_console_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A table vanishing under the console (a real failure of a real database) spoils one answer only."""
    app = Settings(FESTBOT_DB=tmp_path / "festival.db", FESTBOT_SEED_DIR=write_corpus(tmp_path / "corpus"))

    def rename(old: str, new: str) -> None:
        with sqlite3.connect(app.db_path) as conn:
            conn.execute(f"ALTER TABLE {old} RENAME TO {new}")

    script = iter(["/review Return to Dust", "break", "/review Return to Dust", "mend", "/review Return to Dust"])

    def typed() -> str:
        line = next(script, "/quit")
        if line == "break":
            rename("reviews", "reviews_elsewhere")
            line = next(script)
        elif line == "mend":
            rename("reviews_elsewhere", "reviews")
            line = next(script)
        return line

    assert await run_console(app, "(help)", read_line=typed) == 0
    out = capsys.readouterr().out
    answers = out.split("Director: Li Ruijun")
    assert len(answers) == 3  # answered before and after the failure
    assert APOLOGY in answers[1] and "no such table" in answers[1]
    assert "Traceback" not in out


# ---------------------------------------------------------------------------------- console parity


def test_the_console_knows_every_command_the_bot_registers() -> None:
    """Each of the bot's commands either runs here or says it needs Discord; none is left out or made up."""
    from discord import app_commands
    from discord.ext import commands

    from bot.client.bot import EXTENSIONS

    registered = set()
    for extension in EXTENSIONS:
        module = importlib.import_module(extension)
        for _, cog in inspect.getmembers(module, lambda m: inspect.isclass(m) and issubclass(m, commands.Cog)):
            group = getattr(cog, "__cog_group_name__", None) if issubclass(cog, commands.GroupCog) else None
            for attr in vars(cog).values():
                if isinstance(attr, app_commands.Command):
                    registered.add(f"{group} {attr.name}" if group else attr.name)
    assert set(COMMANDS) | set(NEEDS_DISCORD) == registered
    assert not set(COMMANDS) & set(NEEDS_DISCORD)
    assert set(DESCRIPTIONS) == set(COMMANDS)


@pytest.mark.parametrize("line", ["/announce subscribe channel:1 festival:all", "/feeds add https://example.com/rss"])
def test_commands_that_change_a_server_say_they_need_discord(
    console: tuple[asyncio.AbstractEventLoop, Services], line: str
) -> None:
    name = " ".join(line.split()[:2])
    assert f"{name} needs Discord: run festbot run with a token" in ask(console, line)


def test_help_lists_what_runs_here_and_what_needs_discord(console: tuple[asyncio.AbstractEventLoop, Services]) -> None:
    shown = " ".join(ask(console, "/help").split())  # lines are wrapped to the terminal's width
    for name in COMMANDS:
        assert f"/{name}" in shown and DESCRIPTIONS[name] in shown
    for name in NEEDS_DISCORD:
        assert f"/{name} — needs Discord" in shown
    assert "next, /prev" in shown


async def test_announce_list_and_feeds_list_show_every_server(tmp_path: Path) -> None:
    from bot.sources.feeds.feed_list import add_feed
    from bot.sources.feeds.guard import FetchPolicy

    app = Settings(FESTBOT_DB=tmp_path / "festival.db", FESTBOT_SEED_DIR=write_corpus(tmp_path / "corpus"))
    async with open_services(app) as services:
        assert "no announcement subscriptions" in render_reply(
            await run_command_line(services.answers, "/announce list")
        )
        assert "No feeds yet" in render_reply(await run_command_line(services.answers, "/feeds list"))
        await services.ledger.subscribe(guild_id=111, channel_id=222, festival="Berlinale", section="Panorama")
        await services.ledger.subscribe(guild_id=333, channel_id=444, festival=None, style="compact")
        await services.ledger.pause((await services.ledger.subscriptions(333))[0].id, "Missing Access")
        policy = FetchPolicy(allow_private=True)
        await add_feed(services.store, "https://feeds.example.com/reviews.xml", guild_id=111, policy=policy)
        await add_feed(services.store, "https://operator.example.com/rss", policy=policy)
        subscriptions = render_reply(await run_command_line(services.answers, "/announce list"))
        which = render_reply(await run_command_line(services.answers, "/announce log"))
        log = render_reply(await run_command_line(services.answers, "/announce log title:Return to Dust server:111"))
        feeds = render_reply(await run_command_line(services.answers, "/feeds list"))
    assert "Announcement subscriptions · server 111" in subscriptions
    assert "#channel:222 — Berlinale · Panorama (embed) — active" in subscriptions
    assert "Announcement subscriptions · server 333" in subscriptions
    assert "#channel:444 — every festival (compact) — ⏸ paused: Missing Access" in subscriptions
    assert "Which server? Add server:ID, one of 111, 333." in which
    assert "Announcements of Return To Dust" in log
    assert "#channel:222 (Berlinale): filtered out: the review is in Competition, not Panorama" in log
    assert "https://feeds.example.com/reviews.xml" in feeds and "(server 111)" in feeds
    assert "https://operator.example.com/rss" in feeds and "(operator)" in feeds
    assert "last fetch never (not fetched yet) | next poll now" in " ".join(feeds.split())


async def test_next_and_prev_turn_the_last_listings_pages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = Settings(FESTBOT_DB=tmp_path / "festival.db", FESTBOT_SEED_DIR=write_corpus(tmp_path / "corpus"))
    script = iter(["next", "/festival Berlinale", "next", "next", "prev", "/quit"])
    assert await run_console(app, "(help)", read_line=lambda: next(script)) == 0
    out = capsys.readouterr().out
    pages = [line for line in out.splitlines() if " · page " in line]
    assert [p.rsplit("page ", 1)[1] for p in pages] == ["1 of 2", "2 of 2", "1 of 2"]
    assert out.count("There is no such page") == 2  # before any listing, and past the last page
    assert "(type next or prev to turn the page)" in out


def test_next_without_a_console_says_how_to_ask_for_a_page(console: tuple[asyncio.AbstractEventLoop, Services]) -> None:
    assert "here, ask for page:N" in ask(console, "next")


def test_dates_read_as_dates_in_the_console(console: tuple[asyncio.AbstractEventLoop, Services]) -> None:
    """Discord shows ``<t:…>`` in each reader's time zone; the console a readable UTC date, and no marks."""
    listing = " ".join(ask(console, "/sales company:Ponente Film").split())
    assert "2 Sep 2024" in listing and "<t:" not in listing and "\ue000" not in listing
    review = " ".join(ask(console, "/review The Puppet Sisters").split())
    assert "2 Sep 2024" in review and "<t:" not in review


def test_sales_in_the_console_names_the_attachments_and_links(
    console: tuple[asyncio.AbstractEventLoop, Services],
) -> None:
    shown = ask(console, "/sales The Salt Road")
    assert "https://www.marea-alta.example.com" in shown
    assert "the-salt-road-sales.vcf" in shown and "the-salt-road-sales.csv" in shown
