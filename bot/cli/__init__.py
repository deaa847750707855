"""``festbot``: ingest, parse, ask, run and sync from a terminal; the arguments are read in ``arguments.py``."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import os
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

from bot import log_format
from bot.cli.arguments import URL_ARGUMENT, parser
from bot.config import Settings, SettingsError, load_settings
from bot.domain.festival_editions import load_table, save_edition
from bot.domain.festivals import FestivalTable
from bot.failures import describe
from bot.parsing.parser import parse_review_text
from bot.parsing.text_file import ReviewParseError, decode_review_bytes
from bot.sources.ingest import FileOutcome, FileTooLarge, ingest_paths, read_capped
from bot.stopping import Stopped, until_stopped
from bot.summary.summarizer import summarize

log = logging.getLogger(__name__)

CONNECT_HELP = (
    "To connect to Discord: create an application at https://discord.com/developers/applications, add a bot,\n"
    "copy its token into a .env file as DISCORD_TOKEN=..., invite it with the 'bot' and 'applications.commands'\n"
    "scopes, then run `festbot sync` once and `festbot run` again (see README.md)."
)
SET_UP_DISCORD = (
    "DISCORD_TOKEN is not set: copy the bot's token from https://discord.com/developers/applications "
    "(your application's Bot page) into .env or the environment as DISCORD_TOKEN=... (see README.md)"
)
#: The largest id SQLite stores (feeds are numbered by it) and the largest Discord snowflake.


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; whatever fails, the user gets one line on stderr and a non-zero status."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            # A reply echoing odd input must not fail on a terminal that cannot show every character.
            stream.reconfigure(errors="replace")
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail(str(exc))
    if args.command != "run" or settings.discord_token is None:
        # The Discord bot logs through discord.py's own setup (run_bot); everything else here.
        # Terminal commands print their own results (sync also reports what it published); DEBUG
        # adds the traceback of a failure to its one line.
        quiet = logging.DEBUG if settings.log_level == "DEBUG" else logging.WARNING
        log_format.setup(settings.log_level_number if args.command in ("sync", "web") else quiet, settings.log_format)
    try:
        return _command(args, settings)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (festbot festivals list | head): nothing more to say, nowhere to say it;
        # stdout goes to /dev/null so the flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        log.debug("festbot %s failed", args.command, exc_info=True)
        return _fail(describe(exc, settings.db_path))


def _fail(message: str) -> int:
    print(f"festbot: {message}", file=sys.stderr)
    return 1


def _command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command in ("parse", "summarize"):
        return _parse(args, settings)
    if args.command == "ingest":
        return _stoppable(_ingest(args, settings), "ingest")
    if args.command == "ask":
        return _stoppable(_ask(" ".join(args.line), settings), "ask")
    if args.command == "resummarize":
        return _stoppable(_resummarize(settings), "resummarize")
    if args.command == "feeds":
        return _stoppable(_feeds(args, settings), "feeds")
    if args.command == "festivals":
        return _festivals(args, settings)
    if args.command in ("backup", "restore"):
        return _backup_or_restore(args, settings)
    if args.command == "run":
        return _run(args, settings)
    if args.command == "sync":
        return _sync(settings, args.guild)
    if args.command == "web":
        return _web(settings, args.host, args.port)
    return 2


def _stoppable(work: Coroutine[Any, Any, int], what: str) -> int:
    """Run a command's coroutine; SIGTERM or SIGINT ends it cleanly (database closed, workers stopped), 128+signal."""
    try:
        return asyncio.run(until_stopped(work, what=what))
    except Stopped as stopped:
        return stopped.exit_status


def _backup_or_restore(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage import engines

    if args.command == "backup":
        version = engines.backup(settings.database, args.target)
        print(f"backed up {settings.db_path} (schema version {version}) to {args.target}")
        return 0
    kept = engines.restore(args.backup, settings.database)
    where = f"; the database it replaced was copied to {kept}" if kept else ""
    print(f"restored {settings.db_path} from {args.backup}{where}")
    return 0


def festival_table(settings: Settings) -> FestivalTable:
    """The festival table the settings name, with the user's own editions (data directory) merged over it."""
    return load_table(settings.festivals_file, settings.editions_file)


def _festivals(args: argparse.Namespace, settings: Settings) -> int:
    table = festival_table(settings)
    if args.festivals_command == "edition":
        if args.start.year != args.year:
            return _fail(f"the {args.year} edition must start in {args.year}, not on {args.start}")
        try:
            updated = table.with_edition(args.name, args.year, args.start, args.end)
        except KeyError:
            print(f"festbot: no festival called {args.name!r} (see festbot festivals list)", file=sys.stderr)
            return 1
        except ValueError as exc:
            print(f"festbot: {exc}", file=sys.stderr)
            return 1
        festival = updated.find(args.name)
        assert festival is not None
        try:
            # The user's file in the data directory, never the shipped table (package data, a tracked file).
            save_edition(settings.editions_file, festival.name, args.year, args.start, args.end)
        except OSError as exc:  # a write error names no file; this one does, and says nothing changed
            return _fail(f"cannot save {settings.editions_file} (unchanged): {describe(exc, settings.db_path)}")
        dates = f"{args.start:%-d %b %Y} to {args.end:%-d %b %Y}"
        print(f"{festival.name} {args.year}: {dates} (saved to {settings.editions_file})")
        return 0
    chosen = [table.find(args.name)] if args.name else table.festivals
    if chosen == [None]:
        print(f"festbot: no festival called {args.name!r}", file=sys.stderr)
        return 1
    guessed = False
    for festival in chosen:
        assert festival is not None
        editions = ", ".join(
            f"{e.year} ({'~' if e.note else ''}{e.start:%-d %b}-{e.end:%-d %b})" for e in festival.editions
        )
        guessed = guessed or any(e.note for e in festival.editions)
        print(f"{festival.name}: {editions or 'no dates yet'}")
        if args.name:
            print("  aliases: " + ", ".join(festival.aliases))
            print("  sections: " + ", ".join(s.name for s in festival.sections))
    if guessed:
        print("~ the customary slot, not the festival's announcement: correct it with festbot festivals edition")
    return 0


def _parse(args: argparse.Namespace, settings: Settings) -> int:
    path: Path = args.file
    try:
        text = decode_review_bytes(read_capped(path), str(path))
        review = parse_review_text(
            text,
            source=str(path),
            festival=getattr(args, "festival", None),
            table=festival_table(settings),
        )
    except FileTooLarge as exc:
        return _fail(f"{path}: cannot read the file: {exc}")
    except OSError as exc:
        print(f"festbot: {path}: cannot read the file ({exc.strerror or exc})", file=sys.stderr)
        return 1
    except ReviewParseError as exc:
        print(f"festbot: {exc}", file=sys.stderr)
        return 1
    if args.command == "summarize":
        summary = summarize(review)
        if args.json:
            print(json.dumps(summary.model_dump(), ensure_ascii=False, indent=2))
        else:
            for part in ("verdict", "story", "prospects"):
                print(f"{part.capitalize()}: {' '.join(getattr(summary, part)) or '-'}\n")
            print(f"Logline: {summary.logline}")
        return 0
    if args.json:
        print(json.dumps(review.parse_json(), ensure_ascii=False, indent=2))
    else:
        data = review.parse_json()
        for key, value in data.items():
            if key == "body":
                print(f"body: {len(value)} paragraphs")
            elif value not in (None, [], {}):
                print(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    return 0


async def _resummarize(settings: Settings) -> int:
    """Stored summaries were made by the summariser of their day; this brings every one up to date."""
    from bot.storage.store import open_store

    async with open_store(settings.database) as store:
        seen, changed = await store.resummarize(summarize)
    reviews = f"{seen} review{'s' if seen != 1 else ''}"
    print(f"re-summarised {reviews}: {changed} summar{'ies' if changed != 1 else 'y'} changed")
    return 0


async def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from bot.services import fetch_policy
    from bot.sources.feeds.pages import ingest_url
    from bot.sources.workers import WorkerPool
    from bot.storage.store import open_store

    table = festival_table(settings)
    urls = [p for p in args.paths if URL_ARGUMENT.match(p)]
    paths = [Path(p) for p in args.paths if p not in urls]
    lines: list[str] = []  # one per file or page handled, printed as soon as it is stored
    rejected = 0

    def show(outcome: FileOutcome) -> None:
        # Each file's line as its batch is stored: a stop part way (SIGTERM) never hides what was stored.
        nonlocal rejected
        lines.append(outcome.line())
        rejected += outcome.status == "rejected"
        print(lines[-1], flush=True)

    try:
        # Pages are read in a worker process, as in the bot, so a pathological one is stopped at the time limit.
        async with (
            open_store(settings.database) as store,
            WorkerPool(workers=1, time_limit=settings.read_time_limit) as jobs,
        ):
            if paths:
                await ingest_paths(store, paths, festival=args.festival, table=table, report=show)
            for url in urls:
                page = await ingest_url(
                    store, url, table=table, festival=args.festival, policy=fetch_policy(settings), jobs=jobs
                )
                lines.append(page.line())
                rejected += page.status in ("rejected", "failed", "error")
                print(lines[-1], flush=True)
    except asyncio.CancelledError:
        # Stopped (SIGTERM, SIGINT): the workers are stopped and the database closed by now; say how far it got.
        print(
            f"festbot: stopped after {len(lines)} files ({len(lines) - rejected} stored, {rejected} rejected);"
            " run the same command again to finish: what is stored stays as it is",
            file=sys.stderr,
            flush=True,
        )
        raise
    if not lines:
        print("festbot: no review files found in the given paths", file=sys.stderr)
        return 1
    return 1 if rejected else 0


async def _feeds(args: argparse.Namespace, settings: Settings) -> int:
    """The operator's view: every server's feeds, each with its owner; feeds added here are the operator's."""
    from bot.services import fetch_policy
    from bot.sources.feeds.feed_list import FeedError, add_feed, list_feeds, remove_feed
    from bot.sources.feeds.poller import FeedPoller
    from bot.sources.workers import WorkerPool
    from bot.storage.store import open_store

    async with open_store(settings.database) as store:
        try:
            if args.feeds_command == "add":
                feed = await add_feed(
                    store, args.url, festival=args.festival, interval=args.every, policy=fetch_policy(settings)
                )
                print(f"added feed #{feed.id}: {feed.url} (the running bot reads it within a minute)")
            elif args.feeds_command == "remove":
                if not await remove_feed(store, args.feed):
                    print(f"festbot: no feed {args.feed!r} (see festbot feeds list)", file=sys.stderr)
                    return 1
                print(f"removed feed {args.feed}")
        except FeedError as exc:
            print(f"festbot: {exc}", file=sys.stderr)
            return 1
        if args.feeds_command == "poll":
            table = festival_table(settings)
            async with (
                WorkerPool(workers=1, time_limit=settings.read_time_limit) as jobs,
                FeedPoller(store, table=table, policy=fetch_policy(settings), jobs=jobs) as poller,
            ):
                results = await poller.poll_all()
            for outcomes in results.values():
                for outcome in outcomes:
                    print(outcome.line())
        if args.feeds_command in ("list", "poll"):
            feeds = await list_feeds(store)
            for feed in feeds:
                print(feed.line(owner=True))
            if not feeds:
                print("no feeds yet: festbot feeds add URL [--festival NAME]")
    return 0


async def _ask(line: str, settings: Settings) -> int:
    from bot.console.command_line import run_command_line
    from bot.console.repl import render_reply
    from bot.services import open_services

    async with open_services(settings) as services:
        reply = await run_command_line(services.answers, line)
    sys.stdout.write(render_reply(reply))
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    given = {"shards": args.shards, "shard_count": args.shard_count}
    settings = settings.model_copy(update={name: value for name, value in given.items() if value is not None})
    settings.shard_plan()  # refused here, in one line, before anything starts
    if settings.discord_token is None:
        from bot.console.repl import run_console

        if not sys.stdin.isatty():
            # Under a service manager the console would read end-of-input at once and exit 0,
            # as if the bot had run: say what is missing instead.
            return _fail(SET_UP_DISCORD + "; without it `festbot run` is a local console, which needs a terminal")

        try:
            return asyncio.run(until_stopped(run_console(settings, CONNECT_HELP), what="the console"))
        except Stopped as stopped:
            # Closed cleanly (database, web pages); only the keyboard's reader thread is still blocked in
            # input(), holding stdin's lock, which the interpreter's shutdown would wait on and abort over.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(stopped.exit_status)
    from bot.client.bot import run_bot

    return run_bot(settings)


def _web(settings: Settings, host: str | None, port: int | None) -> int:
    port = port if port is not None else settings.http_port
    if port is None:
        return _fail("say which port to serve the web pages on: FESTBOT_HTTP_PORT=8080, or festbot web --port 8080")
    from bot.web.server import run_replica

    return run_replica(settings, host or settings.http_host, port)


def _sync(settings: Settings, guild: int | None) -> int:
    if settings.discord_token is None:
        return _fail(SET_UP_DISCORD)
    from bot.client.bot import sync_commands

    return sync_commands(settings, guild)
