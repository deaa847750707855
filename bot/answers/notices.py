"""What the bot says about announcing rather than about a review: daily digests and health alerts.

A digest is one card: a line per review (title, outlet, rating, verdict line), within Discord's limits,
ending "and N more" when the day had more than fit. An alert says what broke, why, and how to fix it;
or that it works again.
"""

from __future__ import annotations

import datetime as dt

from bot.answers.announcements import logline
from bot.answers.cards import DESCRIPTION_LIMIT, Card, Reply, escape, fit
from bot.answers.labels import rating_text
from bot.answers.links import NO_LINKS, Links
from bot.domain.models import AlertFacts, StoredReview, Subscription
from bot.domain.text import truncate

#: Each review's line is at most this long, so one prolix verdict cannot crowd out the others.
LINE_LIMIT = 400
DIGEST_COLOR = 0x5865F2


def verdict_line(stored: StoredReview) -> str:
    """The critic's verdict in one line: the summary's first verdict sentence, else the logline."""
    if stored.summary and stored.summary.verdict:
        return stored.summary.verdict[0]
    return logline(stored)


def digest_line(stored: StoredReview, links: Links = NO_LINKS) -> str:
    review = stored.review
    title = escape(review.display_title) + (f" ({review.year})" if review.year else "")
    head = f"[{title}]({review.url})" if review.url and review.url.startswith(("http://", "https://")) else title
    outlet = " ".join(part for part in (review.publication, rating_text(review.rating)) if part)
    line = f"**{head}**" + (f" — {escape(outlet)}" if outlet else "")
    verdict = verdict_line(stored)
    if verdict:
        line += f"\n{escape(truncate(verdict, 200))}"
    return fit(line, LINE_LIMIT)


def digest_reply(sub: Subscription, day: dt.date, reviews: list[StoredReview], links: Links = NO_LINKS) -> Reply:
    """The day's post: every review that fits, oldest first, then how many more there were."""
    what = (sub.festival or "Festival reviews") + (f" · {sub.section}" if sub.section else "")
    title = f"{what}: {len(reviews)} new review{'s' if len(reviews) != 1 else ''}"
    lines: list[str] = []
    used = 0
    budget = DESCRIPTION_LIMIT - 40  # room for the "and N more" line
    for i, stored in enumerate(reviews):
        line = digest_line(stored, links)
        if used + len(line) + 2 > budget:
            lines.append(f"… and {len(reviews) - i} more (see /festival)")
            break
        lines.append(line)
        used += len(line) + 2
    footer = f"Digest for {day:%A} {day.day} {day:%B %Y}"
    card = Card.make(title, "\n\n".join(lines), footer=footer, color=DIGEST_COLOR)
    ping = f"<@&{sub.role_id}>" if sub.role_id else ""
    return Reply(content=ping, cards=[card])


def alert_text(facts: AlertFacts) -> str:
    """One notice: what broke (or works again), why, and what to do about it."""
    reason = f" ({truncate(facts.reason, 300)})" if facts.reason else ""
    if facts.kind == "subscription":
        where = f"<#{facts.channel_id}>" if facts.channel_id else "a channel"
        if facts.event == "recovered":
            return f"✅ Announcements of {escape(facts.what)} in {where} are running again."
        return (
            f"⚠️ Announcements of {escape(facts.what)} in {where} are paused{escape(reason)}. Give me View Channel,"
            f" Send Messages and Embed Links there (Create Public Threads for threads), then run"
            f" `/announce subscribe` for {where} again to resume it (`/announce backfill` posts what it missed)."
        )
    url = f"<{facts.what}>"
    if facts.event == "recovered":
        return f"✅ The feed {url} works again (#{facts.subject_id})."
    return (
        f"⚠️ The feed {url} (#{facts.subject_id}) has been failing for over an hour{escape(reason)}. Check that the"
        f" address opens in a browser and is still the publication's feed; `/feeds remove` stops it. I keep"
        " trying, and will say when it works again."
    )


def alert_reply(facts: AlertFacts) -> Reply:
    return Reply(content=truncate(alert_text(facts), 2000))
