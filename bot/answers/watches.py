"""What ``/watch`` says, and the direct message a watch sends, without Discord."""

from __future__ import annotations

from bot.answers.cards import Card, Reply, escape
from bot.answers.film_cards import review_card
from bot.answers.links import NO_LINKS, Links
from bot.domain.models import StoredReview, Watch
from bot.storage.watches import MAX_WATCHES


def added_text(status: str, kind: str, value: str, paused: bool) -> str:
    what = f"{kind} “{escape(value)}”"
    if status == "full":
        return f"You already follow {MAX_WATCHES} things, the most one member can. Remove one with /watch remove."
    text = (
        f"You already follow {what}."
        if status == "exists"
        else f"Following {what}: I'll send you a direct message when a review of it is stored."
    )
    if paused:
        text += " Your watches are paused (I couldn't DM you): open your DMs, then run /watch resume."
    return text


def watches_reply(watches: list[Watch]) -> Reply:
    """The member's watches (only they see it), with whether they are paused and why."""
    if not watches:
        return Reply.notice("You follow nothing yet. Add a person, company, festival, country or word with /watch add.")
    lines = [
        f"{watch.kind}: {escape(watch.value)}"
        + (f" — ⏸ paused: {escape(watch.paused_reason)}" if watch.paused_reason else "")
        for watch in watches
    ]
    footer = "Matching reviews come by direct message, once each. /watch remove or /watch clear to stop."
    card = Card.make("Your watchlist", "\n".join(lines) + "\n\n" + footer)
    return Reply(cards=[card], ephemeral=True)


def removed_text(count: int, value: str) -> str:
    if not count:
        return f"You don't follow “{escape(value)}”. See /watch list."
    return f"Stopped following “{escape(value)}”."


def cleared_text(count: int) -> str:
    return (
        f"Erased your data: {count} watch{'es' if count != 1 else ''}, and every record of what I sent you."
        if count
        else "Erased your data: nothing of yours was kept."
    )


def resumed_text(count: int) -> str:
    if not count:
        return "None of your watches was paused."
    return f"Resumed {count} watch{'es' if count != 1 else ''}: matching reviews come by direct message again."


def direct_message(stored: StoredReview, reason: str, links: Links = NO_LINKS) -> Reply:
    """The review card, saying which watch matched; only link buttons (the others answer in a server)."""
    card = review_card(stored, links)
    return card.model_copy(
        update={
            "content": f"New review matching {escape(reason)}:",
            "buttons": [button for button in card.buttons if button.url],
            "select": None,
            "ephemeral": False,
        }
    )
