"""The ``festbot`` command line: its arguments, each checked into a clear one-line error before anything runs."""

from __future__ import annotations

import argparse
import datetime as dt
import re
from pathlib import Path
from typing import NoReturn

from bot.config import MAX_SHARDS, parse_shard_ids
from bot.domain.festivals import FIRST_YEAR, LAST_YEAR

MAX_ROW_ID = 2**63 - 1
MAX_SNOWFLAKE = 2**64 - 1


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line (it prints the whole usage block first by default)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _whole(text: str, low: int, high: int, what: str) -> int:
    # ASCII digits only: "²".isdigit() is true, and int() of it fails.
    if not (text.isascii() and text.isdigit() and low <= int(text) <= high):
        raise argparse.ArgumentTypeError(f"not {what}: {text!r}")
    return int(text)


def _year(text: str) -> int:
    return _whole(text.strip(), FIRST_YEAR, LAST_YEAR, f"a year from {FIRST_YEAR} to {LAST_YEAR}")


def _port(text: str) -> int:
    return _whole(text.strip(), 0, 65535, "a port number from 0 (any free port) to 65535")


def _guild(text: str) -> int:
    return _whole(text.strip(), 1, MAX_SNOWFLAKE, "a Discord server id (a number such as 1234567890123456789)")


def _shard_ids(text: str) -> tuple[int, ...]:
    try:
        return parse_shard_ids(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _shard_count(text: str) -> int:
    return _whole(text.strip(), 1, MAX_SHARDS, f"a shard count (1 to {MAX_SHARDS})")


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD, e.g. 2027-02-11)") from None


def _feed(text: str) -> int | str:
    """A feed's number or URL; a number no feed can have is refused here rather than by the database."""
    stripped = text.strip()
    if not stripped.isdigit():
        return stripped
    return _whole(stripped, 1, MAX_ROW_ID, "a feed number")


#: ``scheme://`` in any case: an argument like this is a URL (``HTTP://`` too), never a file path.
URL_ARGUMENT = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.-]*://")


def parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="festbot", description="Film-festival review bot for Discord.")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="store review files, folders of them, or review pages by URL")
    ingest.add_argument("paths", nargs="+", metavar="PATH_OR_URL")
    ingest.add_argument("--festival", help='festival edition for files that name none, e.g. "Berlinale 2022"')

    parse = sub.add_parser("parse", help="parse one review file and print what was read")
    parse.add_argument("file", type=Path, metavar="FILE")
    parse.add_argument("--json", action="store_true", help="print the parsed review as JSON")
    parse.add_argument("--festival", help='festival edition when the file names none, e.g. "Berlinale 2022"')

    summarize = sub.add_parser("summarize", help="print the verdict, story, prospects and logline of one review file")
    summarize.add_argument("file", type=Path, metavar="FILE")
    summarize.add_argument("--json", action="store_true", help="print the summary as JSON")

    sub.add_parser(
        "resummarize", help="summarise every stored review again with this version's summariser (after an upgrade)"
    )

    ask = sub.add_parser("ask", help='print what the bot would answer, e.g. festbot ask "/review Return to Dust"')
    ask.add_argument("line", nargs="+", metavar="COMMAND")

    feeds = sub.add_parser("feeds", help="the review feeds the running bot polls: add, list, remove, poll")
    feeds_sub = feeds.add_subparsers(dest="feeds_command", required=True)
    feeds_add = feeds_sub.add_parser("add", help="read an RSS or Atom feed of reviews")
    feeds_add.add_argument("url", metavar="URL")
    feeds_add.add_argument("--festival", help='festival edition for its entries, e.g. "Berlinale 2026"')
    feeds_add.add_argument(
        "--every", type=float, default=300.0, metavar="SECONDS", help="poll interval, 60 to 86400 (default 300)"
    )
    feeds_sub.add_parser("list", help="the feeds with their state")
    feeds_sub.add_parser("remove", help="stop reading a feed").add_argument("feed", type=_feed, metavar="ID_OR_URL")
    feeds_sub.add_parser("poll", help="poll every feed once now")

    festivals = sub.add_parser("festivals", help="the festival calendar: list festivals, add or correct an edition")
    fsub = festivals.add_subparsers(dest="festivals_command", required=True)
    flist = fsub.add_parser("list", help="festivals with their sections and known editions")
    flist.add_argument("name", nargs="?", help="one festival (any alias)")
    edition = fsub.add_parser("edition", help="add or correct one edition's dates")
    edition.add_argument("name", help="festival (any alias), e.g. Berlinale")
    edition.add_argument("year", type=_year)
    edition.add_argument("start", type=_day, help="first day, YYYY-MM-DD")
    edition.add_argument("end", type=_day, help="last day, YYYY-MM-DD")

    backup = sub.add_parser("backup", help="copy the database to a new file, consistently, even while the bot runs")
    backup.add_argument("target", type=Path, metavar="PATH")
    restore = sub.add_parser("restore", help="put a backup back in place of the database (stop the bot first)")
    restore.add_argument("backup", type=Path, metavar="BACKUP")

    run = sub.add_parser("run", help="run the Discord bot (or a local console when no DISCORD_TOKEN is set)")
    run.add_argument("--shards", type=_shard_ids, metavar="IDS", help="only these shards: 0-3, 5 or 0,2,4")
    run.add_argument("--shard-count", type=_shard_count, metavar="N", help="total shards, the same for every process")
    web = sub.add_parser("web", help="serve the web pages alone, reading the database without ever writing to it")
    web.add_argument("--host", help="address to listen on (default FESTBOT_HTTP_HOST, else 127.0.0.1)")
    web.add_argument("--port", type=_port, help="port to listen on (default FESTBOT_HTTP_PORT; 0: any free port)")
    sync = sub.add_parser("sync", help="publish the slash commands to Discord")
    sync.add_argument("--guild", type=_guild, help="publish to one server only (instant), instead of globally")
    return parser
