"""Replies as terminal text: what ``festbot ask`` and the no-token console print.

Dates read as UTC dates (Discord shows each reader their own time zone), channel and role mentions
as their numbers, attached files by name and size; ``next`` and ``prev`` press a listing's pager.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import sys
import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.answers.cards import NEXT_LABEL, PREVIOUS_LABEL, Card, Reply
from bot.answers.component_ids import CreditsPage, FestivalPage, ListPage, ReviewAction, decode
from bot.answers.stamps import date_text, plain_text
from bot.config import Settings

if TYPE_CHECKING:
    from bot.answers.service import Answers

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong while answering that; other commands still work."

_UNESCAPE = re.compile(r"\\(.)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\\*])\*(?!\*)(.+?)(?<!\\)\*")
_LINK = re.compile(r"(?<!\\)\[((?:\\.|[^\]\\])*)\]\((https?://[^)\s]+)\)")
_CHANNEL = re.compile(r"<#(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")
WIDTH = 88
#: What typed alone presses a listing's pager button.
PAGER_WORDS = {
    "next": NEXT_LABEL,
    "n": NEXT_LABEL,
    "prev": PREVIOUS_LABEL,
    "previous": PREVIOUS_LABEL,
    "p": PREVIOUS_LABEL,
}


def _link(match: re.Match[str]) -> str:
    shown, target = match[1], match[2]
    return target if _UNESCAPE.sub(r"\1", shown) in (target, target.removeprefix("https://")) else f"{shown} <{target}>"


def _plain(text: str) -> str:
    """Discord markdown to plain text: bold/italic markers dropped, links as their address, escapes resolved."""
    text = _ROLE.sub(r"@role:\1", _CHANNEL.sub(r"#channel:\1", _LINK.sub(_link, text)))
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
    footer = " · ".join(part for part in (card.footer, date_text(card.timestamp)) if part)
    if footer:
        lines += ["", *_wrap(footer)]
    return lines


def render_reply(reply: Reply) -> str:
    reply = reply.with_text(plain_text)
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
        if any(b.label in (NEXT_LABEL, PREVIOUS_LABEL) for b in clickable):
            lines.append("(type next or prev to turn the page)")
    if reply.files:
        files = ", ".join(f"{f.name} ({len(f.data):,} bytes)" for f in reply.files)
        lines += ["", f"Attached in Discord: {files}"]
    return "\n".join(lines).rstrip() + "\n"


def pager_line(reply: Reply | None, word: str) -> str | None:
    """The command a pager word (``next``, ``prev``) stands for after ``reply``; None when it has no such page."""
    label = PAGER_WORDS.get(word.strip().lower().lstrip("/"))
    if reply is None or label is None:
        return None
    button = next((b for b in reply.buttons if b.label == label and not b.disabled), None)
    hint = _button_hint(button.custom_id) if button else ""
    return hint.removeprefix(" -> ") or None


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
    from bot.web.server import web_pages

    async with open_services(settings) as services, web_pages(services) as pages:
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
        last: Reply | None = None  # the last reply with buttons: what next and prev page
        while True:
            try:
                line = await loop.run_in_executor(None, read_line or _prompt)
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            if line.strip() in {"/quit", "/exit", "quit", "exit"}:
                return 0
            if not line.strip():
                continue
            if line.strip().lower().lstrip("/") in PAGER_WORDS:
                typed = pager_line(last, line)
                if typed is None:
                    sys.stdout.write(render_reply(Reply.notice(_NO_PAGE)) + "\n")
                    continue
                line = typed
            reply = await answer_line(services.answers, line)
            if reply.buttons:
                last = reply
            sys.stdout.write(render_reply(reply) + "\n")


_NO_PAGE = "There is no such page: next and prev turn the pages of the last listing."


def _prompt() -> str:
    return input("> ")
