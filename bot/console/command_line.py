"""Slash-command lines typed in a terminal (``/review Return to Dust``) -> the same answers Discord gets.

Discord checks a slash command's options before the bot sees them (``app_commands.Range`` in the
cogs); a typed line has no such gate, so the same ranges are checked here.

Every command that only reads works here as in Discord; the console is the operator's, so
``/announce list`` and ``/feeds list`` show every server's. Commands that change a server or post
to it need Discord, and say so. ``tests/test_console.py`` holds these tables to the bot's command tree.
"""

from __future__ import annotations

import re

from bot.answers.cards import Reply
from bot.answers.help import CommandHelp, help_reply
from bot.answers.service import Answers
from bot.answers.status import announce_log, every_servers_subscriptions, feeds_reply
from bot.domain.festivals import FIRST_YEAR, LAST_YEAR

#: Each command's options; the first takes any text not given as ``name:value``.
COMMANDS: dict[str, tuple[str, ...]] = {
    "review": ("title", "festival"),
    "credits": ("title", "page"),
    "sales": ("title", "company", "page"),
    "person": ("name", "page"),
    "festival": ("name", "year", "section", "page"),
    "announce list": (),
    "announce log": ("title", "server"),
    "feeds list": (),
    "help": (),
}
#: What each command does, for ``/help`` (the Discord bot reads its own from the command tree).
DESCRIPTIONS: dict[str, str] = {
    "review": "a film's reviews: verdict, story, prospects, rating and the film's facts",
    "credits": "the film's full credits, paged",
    "sales": "a film's sales agents (contacts saved as .vcf and .csv in Discord), or a company's films",
    "person": "every reviewed film where a person is credited, with the role",
    "festival": "the films reviewed at one festival edition, with their ratings",
    "announce list": "every server's announcement subscriptions and their state",
    "announce log": "a server's recent deliveries; with a title, why each channel did or did not get that film",
    "feeds list": "every review feed, with its owner, last fetch, errors and counts",
    "help": "this list",
}
#: Commands that change a server's settings or post to its channels: Discord only.
NEEDS_DISCORD: tuple[str, ...] = (
    "announce subscribe",
    "announce unsubscribe",
    "announce test",
    "announce backfill",
    "announce follow",
    "announce unfollow",
    "announce alerts",
    "feeds add",
    "feeds remove",
    # A watchlist is a member's own, answered by direct message: the console has no member to watch for.
    "watch add",
    "watch list",
    "watch remove",
    "watch resume",
    "watch clear",
)
#: Command groups: their first word needs the second (``/announce list``).
GROUPS = frozenset(name.split()[0] for name in (*COMMANDS, *NEEDS_DISCORD) if " " in name)
NEEDS_DISCORD_TEXT = "needs Discord: run festbot run with a token (DISCORD_TOKEN in .env)"
#: Pages the console lets you ask for (a listing shows its last page for any page past its end).
MAX_PAGE = 10_000
#: The largest server id the database stores (SQLite's and PostgreSQL's 64-bit signed integers).
MAX_SNOWFLAKE = 2**63 - 1


class CommandLineError(ValueError):
    """A typed command that cannot be run; the message says how to type it."""


#: Commands whose first option may be left out.
OPTIONAL_FIRST = frozenset({"announce log"})


def syntax(name: str) -> str:
    """``/festival <name> [year:...] [section:...] [page:...]``."""
    first = "[{}]" if name in OPTIONAL_FIRST else "<{}>"
    options = [f"[{opt}:...]" if i else first.format(opt) for i, opt in enumerate(COMMANDS[name])]
    return " ".join([f"/{name}", *options])


def usage() -> str:
    lines = [f"  {syntax(name)}" for name in COMMANDS]
    lines.append("  next / prev: the next or previous page of the last listing")
    needs = ", ".join(f"/{name}" for name in NEEDS_DISCORD)
    return "Commands:\n" + "\n".join(lines) + f"\nThese need Discord: {needs}."


def help_text() -> Reply:
    """``/help`` in the console: what can be typed here, one line each, and what needs Discord."""
    listed = [CommandHelp(name=syntax(name).removeprefix("/"), description=DESCRIPTIONS[name]) for name in COMMANDS]
    listed.append(CommandHelp(name="next, /prev", description="the next or previous page of the last listing"))
    listed += [CommandHelp(name=name, description=NEEDS_DISCORD_TEXT) for name in NEEDS_DISCORD]
    return help_reply(listed).model_copy(update={"ephemeral": False})


def parse_command_line(line: str) -> tuple[str, dict[str, str]]:
    """``/sales company:M-Appeal`` -> (``sales``, ``{"company": "M-Appeal"}``)."""
    match = re.match(r"^\s*/?(\w+)\s*(.*)$", line, re.DOTALL)
    name, rest = (match[1].lower(), match[2]) if match else ("", "")
    if name in GROUPS and (sub := re.match(r"^(\w+)\s*(.*)$", rest, re.DOTALL)):
        name, rest = f"{name} {sub[1].lower()}", sub[2]
    if name in NEEDS_DISCORD:
        raise CommandLineError(f"/{name} {NEEDS_DISCORD_TEXT}.")
    if name in ("next", "prev", "previous"):
        # The interactive console pages its last listing; a single question (festbot ask) has none.
        raise CommandLineError(f"{name} turns the pages of the console's last listing; here, ask for page:N.")
    if name not in COMMANDS:
        raise CommandLineError(f"Unknown command {line.strip()[:40]!r}.\n{usage()}")
    options = COMMANDS[name]
    if not options:
        return name, {}
    pattern = re.compile(r"(?:^|\s)(" + "|".join(options) + r"):", re.IGNORECASE)
    marks = list(pattern.finditer(rest))
    values: dict[str, str] = {}
    head = rest[: marks[0].start()] if marks else rest
    if head.strip():
        values[options[0]] = head.strip()
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(rest)
        values[mark[1].lower()] = rest[mark.end() : end].strip()
    return name, values


def _number(values: dict[str, str], option: str, low: int, high: int, example: str) -> int | None:
    """An option that must be a whole number in ``low..high``; ``None`` when it was not given."""
    text = values.get(option, "").strip()
    if not text:
        return None
    # ASCII digits only: "²".isdigit() is true and int("²") fails; a 30-digit year overflows SQLite.
    if not (text.isascii() and text.isdigit() and len(text) <= 20 and low <= int(text) <= high):
        raise CommandLineError(f"The {option} must be a number from {low} to {high}, e.g. {example}")
    return int(text)


def printable(text: str) -> str:
    """Text as a terminal hands it over, undecodable bytes arriving as lone surrogates, made encodable.

    A lone surrogate cannot be written to stdout (or stored as UTF-8): echoed back in a reply it
    would fail there, after the answer was found.
    """
    try:
        raw = text.encode("utf-8", "surrogateescape")  # bytes the terminal sent that were not UTF-8
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")  # any other lone surrogate
    return raw.decode("utf-8", "replace")


async def run_command_line(answers: Answers, line: str) -> Reply:
    """Answer a typed command exactly as the Discord command would; bad input gets a notice saying why."""
    try:
        name, values = parse_command_line(printable(line))
        page = _number(values, "page", 1, MAX_PAGE, f"/{name} ... page:2") if "page" in COMMANDS[name] else None
        year = _number(values, "year", FIRST_YEAR, LAST_YEAR, "/festival Berlinale year:2022")
        server = _number(values, "server", 1, MAX_SNOWFLAKE, "/announce log server:80351110224678912")
    except CommandLineError as exc:
        return Reply.notice(str(exc))
    index = page - 1 if page else 0
    if name == "help":
        return help_text()
    if name == "announce list":
        return await every_servers_subscriptions(answers.store)
    if name == "announce log":
        return await announce_log(answers, server, values.get("title"))
    if name == "feeds list":
        return await feeds_reply(answers.store, None)
    if name == "review":
        if not values.get("title"):
            return Reply.notice("Usage: /review <title> [festival:NAME]")
        return await answers.review(values["title"], values.get("festival"))
    if name == "credits":
        return await answers.credits(values.get("title", ""), index)
    if name == "sales":
        return await answers.sales(values.get("title"), values.get("company"), index)
    if name == "person":
        return await answers.person(values.get("name", ""), index)
    return await answers.festival(values.get("name", ""), year, values.get("section"), index)
