"""What announcements and the ``/announce`` commands say, without Discord."""

from __future__ import annotations

from bot.answers.cards import CONTENT_LIMIT, Card, Reply, escape
from bot.answers.film_cards import review_card
from bot.answers.labels import byline, rating_text
from bot.answers.links import NO_LINKS, Links
from bot.answers.stamps import stamp
from bot.domain.models import DeliveryRecord, StoredReview, Subscription
from bot.domain.text import truncate
from bot.health import TaskHealth, TaskState
from bot.matching.matcher import Verdict, match

STATE_LABELS = {
    "queued": "⏳ queued",
    "sending": "📤 sending",
    "retrying": "🔁 retrying",
    "sent": "✅ sent",
    "failed": "❌ failed",
    "held": "⏸ held (subscription paused)",
}


def logline(stored: StoredReview) -> str:
    """One line for compact announcements: the summary's logline, else the standfirst or pull quote."""
    review = stored.review
    if stored.summary and stored.summary.logline:
        return stored.summary.logline
    return truncate(review.headline or review.pull_quote or (review.body[0] if review.body else ""), 200)


def announcement(stored: StoredReview, subscription: Subscription, links: Links = NO_LINKS) -> Reply:
    """The post for one subscription: the full review card, or one compact line with the links.

    With public web pages, the card has a "Film page" button and the compact line ends with the
    film page's address.
    """
    ping = f"<@&{subscription.role_id}> " if subscription.role_id else ""
    review = stored.review
    if subscription.style == "compact":
        facts = ", ".join(str(p) for p in (review.year, ", ".join(review.directors[:2])) if p)
        film_page = links.film(stored.film_id)
        link = (f" <{review.url}>" if review.url else "") + (f" · film page <{film_page}>" if film_page else "")
        line = f"{ping}**{escape(review.display_title)}**" + (f" ({escape(facts)})" if facts else "")
        # Each outlet's review of a film is its own post: say whose it is and how it rated the film.
        verdict = " ".join(part for part in (review.publication, rating_text(review.rating)) if part)
        if verdict:
            line += f" — {escape(verdict)}"
        text = f"{line} — {escape(logline(stored))}"
        return Reply(content=truncate(text, CONTENT_LIMIT - len(link)) + link)
    card = review_card(stored, links)
    return card.model_copy(update={"content": ping.strip(), "ephemeral": False})


def thread_name(stored: StoredReview) -> str:
    """A forum post's title: the film's title and year, and whose review it is (Discord allows 100 characters).

    Each review of a film is a post of its own, and the sender takes a post of the same name as one it
    already made (thread creation takes no nonce): so the name says whose review it is, and an unsigned
    review, which nothing else tells apart (two Screen-layout files are both "Screen International"),
    carries its number.
    """
    review = stored.review
    if review.reviewer:
        by = byline(review.publication, review.reviewer)
    else:
        by = f"{review.publication} · #{stored.id}" if review.publication else f"#{stored.id}"
    title = f"{review.display_title} ({review.year})" if review.year else review.display_title
    return f"{truncate(title, 100 - len(by) - 3)} · {by}" if len(by) <= 60 else truncate(f"{title} · {by}", 100)


TASK_STATES = {
    TaskState.STARTING: "⏳ starting",
    TaskState.RUNNING: "✅ running",
    TaskState.RETRYING: "⚠️ retrying",
    TaskState.RESTARTING: "🔁 restarting",
    TaskState.STOPPED: "⏹ stopped",
    TaskState.STANDBY: "💤 standby",
}


def tasks_text(tasks: list[TaskHealth]) -> str:
    """One line per background task: its state, since when if it is unwell, and why."""
    lines = []
    for task in tasks:
        line = f"{TASK_STATES[task.state]} — {task.name}"
        if not task.healthy:
            line += f" since {stamp(task.since, 'R')}"
            if task.restarts:
                line += f" ({task.restarts} restart{'s' if task.restarts != 1 else ''})"
            if task.problem:
                line += f": {escape(truncate(task.problem, 200))}"
        elif task.state == TaskState.STANDBY and task.problem:
            line += f": {escape(truncate(task.problem, 200))}"
        lines.append(line)
    return "\n".join(lines)


def delivery_text(sub: Subscription) -> str:
    """How a subscription posts: its style, or its daily digest's hour and zone, and threads."""
    if sub.is_digest:
        return f"digest daily at {sub.digest_hour:02d}:00 {sub.timezone or 'UTC'}"
    return sub.style + (", a thread under each post" if sub.thread and not sub.forum else "")


def subscriptions_reply(
    subscriptions: list[Subscription],
    tasks: list[TaskHealth] | None = None,
    alerts_channel: int | None = None,
    *,
    show_alerts: bool = False,
) -> Reply:
    """The server's subscriptions and, below them, how the background tasks that deliver them are doing and
    (``show_alerts``, one server's listing) where its health alerts go."""
    fields = [("Background tasks", tasks_text(tasks))] if tasks else []
    if subscriptions and show_alerts:
        where = f"<#{alerts_channel}>" if alerts_channel else "the channel each subscription or feed was set up from"
        fields.append(("Health alerts", f"Paused subscriptions and failing feeds are reported in {where}."))
    if not subscriptions:
        text = "This server has no announcement subscriptions. Add one with /announce subscribe."
        if not fields:
            return Reply.notice(text)
        return Reply(cards=[Card.make("Announcement subscriptions", text, fields=fields)], ephemeral=True)
    lines = []
    for sub in subscriptions:
        what = sub.festival or "every festival"
        if sub.section:
            what += f" · {sub.section}"
        extras = [delivery_text(sub)]
        if sub.role_id:
            extras.append(f"pings <@&{sub.role_id}>")
        if sub.forum:
            extras.append("a forum post per review")
        state = "active" if sub.active else f"⏸ paused: {escape(sub.paused_reason or '')}"
        line = f"<#{sub.channel_id}> — {escape(what)} ({', '.join(extras)}) — {state}"
        if not sub.filters.empty:
            line += f"\n  filters: {escape(sub.filters.describe())}"
        lines.append(line)
    card = Card.make("Announcement subscriptions", "\n".join(lines), fields=fields)
    return Reply(cards=[card], ephemeral=True)


def filter_verdict(sub: Subscription, stored: StoredReview) -> Verdict | None:
    """What the subscription's filters say of the review; None when it has none."""
    return None if sub.filters.empty else match(stored.review, sub.filters)


def matches(sub: Subscription, stored: StoredReview) -> bool:
    """Whether the review belongs in the subscription's channel: festival, section and filters."""
    verdict = filter_verdict(sub, stored)
    return sub.matches(stored.review.festival) and (verdict is None or verdict.matched)


def explain(sub: Subscription, stored: StoredReview, record: DeliveryRecord | None) -> str:
    """Why one channel did or did not get one review, naming the filter that let it through or kept it out."""
    verdict = filter_verdict(sub, stored)
    if record is not None:
        state = STATE_LABELS.get(record.state, record.state)
        if record.action == "edit" and record.state != "sent":
            state += " (an edit of the announced message)"
        error = f" — last error: {escape(record.last_error)}" if record.last_error and record.state != "sent" else ""
        why = f" — {escape(verdict.reason)}" if verdict is not None and verdict.matched else ""
        return f"{state}{why}{error}"
    festival = stored.review.festival
    if sub.festival and (festival is None or festival.name != sub.festival):
        source = escape(festival.name) if festival else "no known festival"
        return f"filtered out: the review is from {source}, not {escape(sub.festival)}"
    if sub.section and (festival is None or (festival.section or "").casefold() != sub.section.casefold()):
        where = festival.section if festival and festival.section else "no known section"
        return f"filtered out: the review is in {escape(where)}, not {escape(sub.section)}"
    if verdict is not None and not verdict.matched:
        return f"filtered out: {escape(verdict.reason)}"
    if not sub.active:
        return f"not sent: the subscription is paused ({escape(sub.paused_reason or '')})"
    if sub.is_digest:
        return "listed in the day's digest (a digest posts no review on its own)"
    return (
        "not sent: the review was stored before this subscription (use /announce backfill)"
        " or came from a feed's back catalogue"
    )


def log_reply(records: list[DeliveryRecord]) -> Reply:
    if not records:
        return Reply.notice("No announcements have been queued for this server yet.")
    lines = [
        f"{STATE_LABELS.get(r.state, r.state)} — {escape(truncate(r.title, 60))} → <#{r.channel_id}>"
        + (" (edit)" if r.action == "edit" else "")
        + (f" — {escape(truncate(r.last_error, 80))}" if r.last_error and r.state != "sent" else "")
        for r in records
    ]
    return Reply(cards=[Card.make("Recent announcements", "\n".join(lines))], ephemeral=True)


def title_log_reply(stored: StoredReview, subscriptions: list[Subscription], records: list[DeliveryRecord]) -> Reply:
    if not subscriptions:
        return Reply.notice("This server has no announcement subscriptions.")
    by_subscription = {r.subscription_id: r for r in records}
    # A channel gets a review once, under one of its subscriptions that match it: the others say how that went.
    by_channel = {r.channel_id: r for r in records}

    def record(sub: Subscription) -> DeliveryRecord | None:
        if sub.id in by_subscription or not matches(sub, stored):
            return by_subscription.get(sub.id)
        return by_channel.get(sub.channel_id)

    lines = "\n".join(
        f"<#{sub.channel_id}> ({escape(sub.festival or 'all festivals')}): " + explain(sub, stored, record(sub))
        for sub in subscriptions
    )
    card = Card.make(f"Announcements of {escape(stored.review.display_title)}", lines)
    return Reply(cards=[card], ephemeral=True)


def preview_text(sub: Subscription, posted: StoredReview | None, newest: StoredReview | None) -> str:
    """What ``/announce test`` says: which review it previewed and which filter let it through, and, when
    the festival's newest review was kept out by the filters, which filter kept it out."""
    where = f"<#{sub.channel_id}>"
    lines = []
    if posted is None:
        lines.append(f"No review matches {where}'s subscription yet.")
    else:
        lines.append(f"Posted a preview of {escape(posted.review.display_title)} in {where}.")
        verdict = filter_verdict(sub, posted)
        if verdict is not None:
            lines.append(f"{escape(posted.review.display_title)}: {escape(verdict.reason)}.")
    if newest is not None and (posted is None or newest.id != posted.id):
        verdict = filter_verdict(sub, newest)
        if verdict is not None and not verdict.matched:
            lines.append(f"Newer, {escape(newest.review.display_title)}: {escape(verdict.reason)}.")
    return "\n".join(lines)
