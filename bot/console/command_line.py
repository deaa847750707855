"""Slash-command lines typed in a terminal (``/review Return to Dust``) -> the same answers Discord gets.

Discord checks a slash command's options before the bot sees them (``app_commands.Range`` in the
cogs); a typed line has no such gate, so the same ranges are checked here.
"""

from __future__ import annotations

import re

from bot.answers.cards import Reply
from bot.answers.service import Answers
from bot.domain.festivals import FIRST_YEAR, LAST_YEAR

#: Each command's options; the first takes any text not given as ``name:value``.
COMMANDS: dict[str, tuple[str, ...]] = {
    "review": ("title", "festival"),
    "credits": ("title", "page"),
    "sales": ("title", "company", "page"),
    "person": ("name", "page"),
    "festival": ("name", "year", "section", "page"),
}
#: Pages the console lets you ask for (a listing shows its last page for any page past its end).
MAX_PAGE = 10_000


class CommandLineError(ValueError):
    """A typed command that cannot be run; the message says how to type it."""


def usage() -> str:
    lines = [
        f"  /{name} " + " ".join(f"[{opt}:...]" if i else f"<{opt}>" for i, opt in enumerate(opts))
        for name, opts in COMMANDS.items()
    ]
    return "Commands:\n" + "\n".join(lines)


def parse_command_line(line: str) -> tuple[str, dict[str, str]]:
    """``/sales company:M-Appeal`` -> (``sales``, ``{"company": "M-Appeal"}``)."""
    match = re.match(r"^\s*/?(\w+)\s*(.*)$", line, re.DOTALL)
    if not match or match[1].lower() not in COMMANDS:
        raise CommandLineError(f"Unknown command {line.strip()[:40]!r}.\n{usage()}")
    name, rest = match[1].lower(), match[2]
    options = COMMANDS[name]
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
    if not (text.isascii() and text.isdigit() and low <= int(text) <= high):
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
    except CommandLineError as exc:
        return Reply.notice(str(exc))
    index = page - 1 if page else 0
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
