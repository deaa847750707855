"""Slash-command lines typed in a terminal (``/review Return to Dust``) -> the same answers Discord gets."""

from __future__ import annotations

import re

from bot.answers.cards import Reply
from bot.answers.service import Answers

#: Each command's options; the first takes any text not given as ``name:value``.
COMMANDS: dict[str, tuple[str, ...]] = {
    "review": ("title", "festival"),
    "credits": ("title",),
    "sales": ("title", "company"),
    "person": ("name",),
    "festival": ("name", "year", "section"),
}


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


async def run_command_line(answers: Answers, line: str) -> Reply:
    """Answer a typed command exactly as the Discord command would."""
    try:
        name, values = parse_command_line(line)
    except CommandLineError as exc:
        return Reply.notice(str(exc))
    if name == "review":
        if not values.get("title"):
            return Reply.notice("Usage: /review <title> [festival:NAME]")
        return await answers.review(values["title"], values.get("festival"))
    if name == "credits":
        return await answers.credits(values.get("title", ""))
    if name == "sales":
        return await answers.sales(values.get("title"), values.get("company"))
    if name == "person":
        return await answers.person(values.get("name", ""))
    year_text = values.get("year", "").strip()
    if year_text and not year_text.isdigit():
        return Reply.notice("The year must be a number, e.g. /festival Berlinale year:2022")
    return await answers.festival(values.get("name", ""), int(year_text) if year_text else None, values.get("section"))
