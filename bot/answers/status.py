"""The read-only views of the bot's settings: feeds and subscriptions, as Discord and the console show them.

In Discord each server sees its own; the console (the operator, with no server) sees every server's.
"""

from __future__ import annotations

import itertools

from bot.answers.announcements import subscriptions_reply
from bot.answers.cards import EMBEDS_LIMIT, Card, Reply
from bot.health import TaskHealth
from bot.storage import feeds as feedstore
from bot.storage.ledger import Ledger
from bot.storage.store import Store


async def feeds_reply(store: Store, guild_id: int | None) -> Reply:
    """One server's feeds with their last fetch, errors and counts; every feed, with its owner, for ``None``."""
    feeds = await feedstore.all_feeds(store, guild_id=guild_id)
    if not feeds:
        return Reply.notice("No feeds yet. Add one with /feeds add.")
    card = Card.make("Review feeds", "\n".join(f"• {feed.line(owner=guild_id is None)}" for feed in feeds))
    return Reply(cards=[card], ephemeral=True)


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
