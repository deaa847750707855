"""Replies as terminal text: what ``festbot ask`` and the no-token console print."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import re
import sys
import textwrap
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.answers.cards import Card, Reply
from bot.answers.component_ids import CreditsPage, FestivalPage, ListPage, ReviewAction, decode
from bot.config import Settings

if TYPE_CHECKING:
    from bot.answers.service import Answers

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong while answering that; other commands still work."

_UNESCAPE = re.compile(r"\\(.)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\\*])\*(?!\*)(.+?)(?<!\\)\*")
WIDTH = 88


def _plain(text: str) -> str:
    """Discord markdown to plain text: bold/italic markers dropped, escapes resolved."""
    return _UNESCAPE.sub(r"\1", _ITALIC.sub(r"\1", _BOLD.sub(r"\1", text)))


def _wrap(text: str, indent: str = "") -> list[str]:
    lines: list[str] = []
    for paragraph in _plain(text).split("\n"):
        wrapped = textwrap.wrap(paragraph, WIDTH - len(indent)) or [""]
        lines.extend(indent + line for line in wrapped)
    return lines


def render_card(card: Card) -> list[str]:
    title = _plain(card.title)
    lines = [title, "=" * min(len(title), WIDTH)]
    if card.url:
        lines.append(card.url)
    if card.description:
        lines += ["", *_wrap(card.description)]
    inline = [f for f in card.fields if f.inline]
    if inline:
        lines += ["", *_wrap(" | ".join(f"{_plain(f.name)}: {_plain(f.value)}" for f in inline))]
    for field in (f for f in card.fields if not f.inline):
        lines += ["", _plain(field.name) + ":", *_wrap(field.value, "  ")]
    if card.footer:
        lines += ["", *_wrap(card.footer)]
    return lines


def render_reply(reply: Reply) -> str:
    lines: list[str] = []
    if reply.ephemeral:
        lines.append("(only you can see this)")
    if reply.content:
        lines += _wrap(reply.content)
    for card in reply.cards:
        lines += ["", *render_card(card)] if lines else render_card(card)
    if reply.select:
        lines.append("")
        lines += [
            f"  [{o.value}] {_plain(o.label)}" + (f" — {_plain(o.description)}" if o.description else "")
            for o in reply.select.options
        ]
        if reply.select.options:
            lines.append(f"  (ask again with one of these, e.g. /review {reply.select.options[0].value})")
    clickable = [b for b in reply.buttons if not b.disabled or b.custom_id is None]
    if clickable:
        labels = [f"[{b.label}]" + (f" {b.url}" if b.url else _button_hint(b.custom_id)) for b in clickable]
        lines += ["", "Buttons: " + "  ".join(labels)]
    return "\n".join(lines).rstrip() + "\n"


def _button_hint(custom_id: str | None) -> str:
    """The typed command that does what a button does, so the console can 'press' it."""
    match decode(custom_id or ""):
        case ReviewAction(review_id, target):
            return f" -> /{target} #{review_id}"
        case CreditsPage(review_id, page):
            return f" -> /credits #{review_id} page:{page + 1}"
        case ListPage("person", name, page):
            return f" -> /person {name} page:{page + 1}"
        case ListPage("company", name, page):
            return f" -> /sales company:{name} page:{page + 1}"
        case FestivalPage(name, year, section, page):
            chosen = (f" year:{year}" if year else "") + (f" section:{section}" if section else "")
            return f" -> /festival {name}{chosen} page:{page + 1}"
        case _:
            return ""


async def answer_line(answers: Answers, line: str) -> Reply:
    """The reply to one typed line; a failure nobody foresaw is an apology, and the console goes on."""
    from bot.console.command_line import run_command_line

    try:
        return await run_command_line(answers, line)
    except Exception as exc:
        # The traceback is for whoever runs with FESTBOT_LOG_LEVEL=DEBUG, not for the person typing.
        log.debug("console line %r failed", line[:200], exc_info=True)
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())
        return Reply.notice(f"{APOLOGY} ({reason[:200]})")


async def run_console(settings: Settings, connect_help: str, read_line: Callable[[], str] | None = None) -> int:
    """Local console: type slash commands, see the answers the Discord bot would give.

    ``read_line`` (``input`` with a prompt by default) blocks, so it runs off the event loop.
    """
    from bot.console.command_line import usage
    from bot.services import open_services
    from bot.web.ops import ops_routes
    from bot.web.server import web_pages

    async with (
        open_services(settings) as services,
        web_pages(services, routes=ops_routes(services, gateway=None)) as pages,
    ):
        count = await services.store.count()
        print(f"festbot console: no DISCORD_TOKEN set, so answering here instead of on Discord.\n{connect_help}\n")
        if pages:
            print(f"The web pages are at {pages}/")
        noun = "review" if count == 1 else "reviews"
        print(f"{count} {noun} in {settings.db_path}. Type a command, e.g. /review Return to Dust")
        print(usage() + "\n  /quit\n")
        if read_line is None and isinstance(sys.stdin, io.TextIOWrapper):
            # Bytes that are not UTF-8 arrive as surrogates (made printable per line) instead of
            # failing input() itself.
            sys.stdin.reconfigure(errors="surrogateescape")
        loop = asyncio.get_running_loop()
        while True:
            try:
                line = await _read_off_loop(loop, read_line or _prompt)
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            if line.strip() in {"/quit", "/exit", "quit", "exit"}:
                return 0
            if line.strip():
                reply = await answer_line(services.answers, line)
                sys.stdout.write(render_reply(reply) + "\n")


def _read_off_loop(loop: asyncio.AbstractEventLoop, read: Callable[[], str]) -> asyncio.Future[str]:
    """``read()`` in a daemon thread: a stop (SIGTERM) must not wait for a line the person may never type.

    The loop's default executor would hold the process at exit until ``input()`` returned.
    """
    future: asyncio.Future[str] = loop.create_future()

    def settle(value: str | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value or "")

    def work() -> None:
        try:
            value, error = read(), None
        except BaseException as exc:  # EOFError, KeyboardInterrupt: handed to the loop as they are
            value, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits any more
            loop.call_soon_threadsafe(settle, value, error)

    threading.Thread(target=work, name="console-input", daemon=True).start()
    return future


def _prompt() -> str:
    return input("> ")
