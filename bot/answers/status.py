"""The read-only views of the bot's settings: feeds and subscriptions, as Discord and the console show them.

In Discord each server sees its own; the console (the operator, with no server) sees every server's.
"""

from __future__ import annotations

import itertools

from bot.answers.announcements import log_reply, subscriptions_reply, title_log_reply
from bot.answers.cards import EMBEDS_LIMIT, Card, Reply, escape
from bot.answers.service import Answers
from bot.answers.stamps import stamp
from bot.domain.text import truncate
from bot.health import TaskHealth
from bot.storage import feeds as feedstore
from bot.storage.feeds import Feed
from bot.storage.ledger import Ledger
from bot.storage.store import Store


async def feeds_reply(store: Store, guild_id: int | None) -> Reply:
    """One server's feeds with their last fetch, errors and counts; every feed, with its owner, for ``None``."""
    feeds = await feedstore.all_feeds(store, guild_id=guild_id)
    if not feeds:
        return Reply.notice("No feeds yet. Add one with /feeds add.")
    card = Card.make("Review feeds", "\n".join(f"• {feed_line(feed, owner=guild_id is None)}" for feed in feeds))
    return Reply(cards=[card], ephemeral=True)


def feed_line(feed: Feed, *, owner: bool) -> str:
    """:meth:`Feed.line` (``festbot feeds list``'s) with its times as timestamps: "5 minutes ago", "in 3 minutes"."""
    festival = f" [{feed.festival}]" if feed.festival else ""
    if owner:
        festival += f" (server {feed.guild_id})" if feed.guild_id is not None else " (operator)"
    fetched = stamp(feed.last_fetch_at, "R") if feed.last_fetch_at else "never"
    state = f"error: {feed.last_error}" if feed.last_error else (feed.last_status or "not fetched yet")
    parts = [
        f"#{feed.id} {feed.url}{festival}",
        f"every {feed.interval_seconds:g}s",
        f"last fetch {fetched} ({state})",
        f"next poll {stamp(feed.next_poll_at, 'R') if feed.next_poll_at else 'now'}",
        f"entries {feed.entries_seen} seen, {feed.entries_stored} stored, {feed.entries_rejected} rejected,"
        f" {feed.entries_failed} to retry",
    ]
    if feed.last_entry_error:
        parts.append(f"last entry problem: {feed.last_entry_error}")
    return " | ".join(parts)


async def every_servers_subscriptions(store: Store, tasks: list[TaskHealth] | None = None) -> Reply:
    """Every server's subscriptions, a card per server (the first ten servers), as ``/announce list`` shows one."""
    subscriptions = await Ledger(store).subscriptions(None)
    if not subscriptions:
        return subscriptions_reply([], tasks)
    cards: list[Card] = []
    servers = itertools.groupby(sorted(subscriptions, key=lambda s: s.guild_id), key=lambda s: s.guild_id)
    for guild_id, listed in itertools.islice(servers, EMBEDS_LIMIT):
        (card,) = subscriptions_reply(list(listed), tasks if not cards else None).cards
        cards.append(card.model_copy(update={"title": f"Announcement subscriptions · server {guild_id}"}))
    return Reply(cards=cards, ephemeral=True)


async def announce_log(answers: Answers, guild_id: int | None, title: str | None = None) -> Reply:
    """A server's recent deliveries, or for one film why each of its channels did or did not get it.

    The console has no server of its own: without ``guild_id`` it takes the one server that has
    subscriptions, and otherwise asks which.
    """
    ledger = Ledger(answers.store)
    if guild_id is None:
        servers = sorted({s.guild_id for s in await ledger.subscriptions(None)})
        if not servers:
            return Reply.notice("No server has announcement subscriptions yet.")
        if len(servers) > 1:
            listed = ", ".join(str(server) for server in servers[:20])
            return Reply.notice(f"Which server? Add server:ID, one of {listed}.")
        guild_id = servers[0]
    if not title:
        return log_reply(await ledger.log(guild_id))
    found = await answers.resolve(title)
    if isinstance(found, list):
        shown = escape(truncate(title.strip(), 80))
        return Reply.notice(f"No one film matches “{shown}”: name it as /review does (its title, or #number).")
    records = await ledger.log(guild_id, found.id, limit=100)
    return title_log_reply(found, await ledger.subscriptions(guild_id), records)
