"""One film, several outlets' reviews, through the real bot and the fake Discord: /review, its menu,
autocomplete, /festival, and one announcement per review."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.client.bot import FestivalBot
from bot.domain.models import Rating
from bot.parsing.parser import parse_review_text
from tests.discord_harness import EPHEMERAL, fake_discord, running_bot, settings_for, until, write_corpus
from tests.fakediscord import ChannelType, FakeDiscord

#: Three outlets' reviews of one film, oldest first: (publication, reviewer, day in February, rating).
OUTLETS: list[tuple[str, str, int, Rating | None]] = [
    ("Screen International", "Jane Critic", 14, Rating(text="★★★★☆", score=80)),
    ("Variety", "Peter Writer", 15, Rating(text="B+", score=83)),
    ("The Hollywood Reporter", "Tom Hale", 16, None),
]


def lamplighter(publication: str, reviewer: str, day: int) -> str:
    """A review of *The Lamplighter* as each outlet writes it (THR gives no year)."""
    year = "" if publication == "The Hollywood Reporter" else " 2026."
    slug = publication.lower().replace(" ", "-")
    return (
        f"---\nurl: https://{slug}.example.com/the-lamplighter\npublished_at: 2026-02-{day}T09:00:00Z\n"
        f"reviewer: {reviewer}\nfestival: Berlinale\nsection: Competition\n---\n"
        f"{reviewer} on a widow's winter\n\nThe Lamplighter\n\nDir: Ana Lima. Portugal.{year} 98 mins\n\n"
        f"A widow keeps the harbour light burning through a long winter. {reviewer} finds it a film of"
        f" rare patience, made for {publication} readers who like a slow burn.\n\n"
        "It premiered in competition at the Berlinale and should travel widely.\n\n"
        "International sales: Harbour Films, sales@harbour.example.com\n"
    )


async def publish(bot: FestivalBot, publication: str, reviewer: str, day: int, rating: Rating | None) -> int:
    review = parse_review_text(lamplighter(publication, reviewer, day), table=bot.services.festivals)
    rated = review.model_copy(update={"publication": publication, "rating": rating})
    status = await bot.services.store.ingest(rated, source=f"test:{publication}")
    assert status.status == "added"
    bot.get_cog("Announce").announcer.wake()  # type: ignore[union-attr]
    return status.review_id


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord(10.0) as server:
        yield server


@pytest.fixture
async def bot(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[FestivalBot]:
    write_corpus(tmp_path / "corpus")
    async with running_bot(settings_for(fake, tmp_path)) as running:
        yield running


def components(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c.get("custom_id") or c.get("url"): c for row in message.get("components", []) for c in row["components"]}


async def test_review_shows_every_outlet_newest_first_and_the_menu_opens_one(
    bot: FestivalBot, fake: FakeDiscord
) -> None:
    ids = [await publish(bot, *outlet) for outlet in OUTLETS]
    res = await fake.slash_command("review", {"title": "the lamplighter"})
    data = (await res.response())["data"]
    assert not (data.get("flags") or 0) & EPHEMERAL  # one public answer, as for one review
    (embed,) = data["embeds"]
    assert embed["title"] == "The Lamplighter"
    description = embed["description"]
    thr, variety, screen = (description.index(f"**{p}") for p in ("The Hollywood Reporter", "Variety", "Screen"))
    assert thr < variety < screen  # newest first
    # Dates are Discord timestamps (each reader's own time zone): 15 and 14 Feb 2026, 09:00 UTC.
    assert "**Variety · Peter Writer** — B+ (83/100) · <t:1771146000:D>" in description
    assert "**Screen International · Jane Critic** — ★★★★☆ (80/100) · <t:1771059600:D>" in description
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    facts = (fields["Year"], fields["Director"], fields["Festival"])
    assert facts == ("2026", "Ana Lima", "Berlinale 2026 · Competition")
    assert embed["footer"]["text"].startswith("3 reviews")
    film_id = (await bot.services.store.get(ids[0])).film_id  # type: ignore[union-attr]
    found = components(data)
    menu = found[f"film:{film_id}:reviews"]
    assert menu["type"] == 3
    assert [(o["label"], o["value"], o.get("description")) for o in menu["options"]] == [
        ("The Hollywood Reporter · Tom Hale", f"#{ids[2]}", "16 Feb 2026"),
        ("Variety · Peter Writer", f"#{ids[1]}", "B+ (83/100) · 15 Feb 2026"),
        ("Screen International · Jane Critic", f"#{ids[0]}", "★★★★☆ (80/100) · 14 Feb 2026"),
    ]

    opened = await fake.select(await res.original(), f"film:{film_id}:reviews", [f"#{ids[1]}"])
    card = (await opened.response())["data"]
    assert card["flags"] & EPHEMERAL  # the full review, for whoever chose it
    (full,) = card["embeds"]
    assert full["url"] == "https://variety.example.com/the-lamplighter"
    assert {f["name"]: f["value"] for f in full["fields"]}["Rating"] == "B+ (83/100)"
    assert "Variety · Review by Peter Writer" in full["footer"]["text"]
    assert f"review:{ids[1]}:credits" in components(card)


async def test_the_film_menu_works_after_a_restart(fake: FakeDiscord, tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus")
    settings = settings_for(fake, tmp_path)
    async with running_bot(settings) as first:
        ids = [await publish(first, *outlet) for outlet in OUTLETS[:2]]
        message = await (await fake.slash_command("review", {"title": "the lamplighter"})).original()
        film_id = (await first.services.store.get(ids[0])).film_id  # type: ignore[union-attr]
    async with running_bot(settings, do_sync=False):
        opened = await fake.select(message, f"film:{film_id}:reviews", [f"#{ids[0]}"])
        (full,) = (await opened.response())["data"]["embeds"]
        assert full["url"] == "https://screen-international.example.com/the-lamplighter"


async def test_one_review_is_answered_as_before_and_search_finds_the_film_once(
    bot: FestivalBot, fake: FakeDiscord
) -> None:
    (only,) = [await publish(bot, *OUTLETS[0])]
    data = (await (await fake.slash_command("review", {"title": "the lamplighter"})).response())["data"]
    assert f"review:{only}:credits" in components(data)  # the review's own card, its buttons
    assert {f["name"]: f["value"] for f in data["embeds"][0]["fields"]}["Rating"] == "★★★★☆ (80/100)"
    for outlet in OUTLETS[1:]:
        await publish(bot, *outlet)
    choices = await fake.autocomplete("review", {"title": "lamplight"}, focused="title")
    film_id = (await bot.services.store.get(only)).film_id  # type: ignore[union-attr]
    # the film is offered once, whatever else in the shipped data shares the word ("The Lamplighter's Tax")
    ours = [c for c in choices if c["name"].startswith("The Lamplighter (")]
    assert ours == [{"name": "The Lamplighter (2026) - Ana Lima - Berlinale - 3 reviews", "value": f"#f{film_id}"}]
    hits = await bot.services.searcher.search("ana lima")  # through the director's name too: one film
    assert [(h.film_id, h.reviews) for h in hits] == [(film_id, 3)]


async def test_festival_lists_the_film_once_with_its_reviews_and_ratings(bot: FestivalBot, fake: FakeDiscord) -> None:
    for outlet in OUTLETS:
        await publish(bot, *outlet)
    res = await fake.slash_command("festival", {"name": "Berlinale", "section": "Competition"})
    embed = (await res.response())["data"]["embeds"][0]
    (line,) = [line for line in embed["description"].splitlines() if "Lamplighter" in line]
    assert "— 3 reviews: The Hollywood Reporter · Variety B+ (83/100) · Screen International ★★★★☆ (80/100)" in line
    assert embed["footer"]["text"].endswith("reviews")


async def test_each_outlets_review_is_its_own_announcement_with_its_rating(bot: FestivalBot, fake: FakeDiscord) -> None:
    guild = fake.default_guild.id
    cards = fake.add_channel(guild, "cards").id
    lines = fake.add_channel(guild, "lines").id
    forum = fake.add_channel(guild, "forum", type=ChannelType.FORUM).id
    await bot.services.ledger.subscribe(guild_id=guild, channel_id=cards, festival="Berlinale")
    await bot.services.ledger.subscribe(guild_id=guild, channel_id=lines, festival="Berlinale", style="compact")
    await bot.services.ledger.subscribe(guild_id=guild, channel_id=forum, festival="Berlinale", forum=True)
    for outlet in OUTLETS[:2]:
        await publish(bot, *outlet)
    await until(
        lambda: len(fake.channel_messages(cards)) == 2 and len(fake.channel_messages(lines)) == 2,
        what="two posts in each channel",
    )
    await until(lambda: len(fake.requests_matching(f"POST /channels/{forum}/threads")) == 2, what="two forum posts")
    posted = fake.channel_messages(cards)
    ratings = [{f["name"]: f["value"] for f in m["embeds"][0]["fields"]}["Rating"] for m in posted]
    assert sorted(ratings) == ["B+ (83/100)", "★★★★☆ (80/100)"]
    compact = sorted(m["content"] for m in fake.channel_messages(lines))
    assert compact[0].startswith("**The Lamplighter** (2026, Ana Lima) — Screen International ★★★★☆ (80/100) — ")
    assert compact[1].startswith("**The Lamplighter** (2026, Ana Lima) — Variety B+ (83/100) — ")
    names = sorted(r.json["name"] for r in fake.requests_matching(f"POST /channels/{forum}/threads"))
    assert names == [
        "The Lamplighter (2026) · Screen International · Jane Critic",
        "The Lamplighter (2026) · Variety · Peter Writer",
    ]
