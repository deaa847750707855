"""Answers that travel, through the fake Discord: timestamps, pagers that answer only their owner,
contacts as vCard and CSV attachments, and /help read from the command tree."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.client.bot import FestivalBot
from tests.discord_harness import EPHEMERAL, fake_discord, running_bot, settings_for, write_corpus
from tests.fakediscord import FakeDiscord

#: The Puppet Sisters' review was published 2024-09-02T08:15:00Z (its front matter).
PUPPETS_PUBLISHED = 1725264900
CHANNEL_MESSAGE, UPDATE_MESSAGE = 4, 7


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with fake_discord(5.0) as server:
        yield server


@pytest.fixture
async def bot(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[FestivalBot]:
    write_corpus(tmp_path / "corpus")
    async with running_bot(settings_for(fake, tmp_path)) as running:
        yield running


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        c.get("label"): c
        for row in message.get("components", [])
        for c in row.get("components", [])
        if c.get("type") == 2
    }


def footer(message: dict[str, Any]) -> str:
    return str(message["embeds"][0]["footer"]["text"])


# -------------------------------------------------------------------------------------- timestamps


async def test_dates_are_discord_timestamps(bot: FestivalBot, fake: FakeDiscord) -> None:
    """A review's date is the embed's timestamp (each reader's own time zone); dates in text are ``<t:…:D>``."""
    card = (await (await fake.slash_command("review", {"title": "The Puppet Sisters"})).response())["data"]["embeds"][0]
    assert card["timestamp"].startswith("2024-09-02T08:15:00")
    assert "2024" not in card.get("footer", {}).get("text", "")  # no fixed UTC date beside it
    listing = (await (await fake.slash_command("sales", {"company": "Ponente Film"})).response())["data"]
    description = listing["embeds"][0]["description"]
    assert f"<t:{PUPPETS_PUBLISHED}:D>" in description
    assert "\ue000" not in description and "\ue001" not in description  # the answers' marks never leak


# ------------------------------------------------------------------------------------ owned pagers


async def test_a_public_listing_pages_only_for_who_asked(bot: FestivalBot, fake: FakeDiscord) -> None:
    options = {"name": "berlinale", "year": 2022, "section": "Panorama"}
    asked = await fake.slash_command("festival", options)
    first = (await asked.response())["data"]
    assert not first.get("flags", 0) & EPHEMERAL and footer(first).endswith("page 1 of 2")
    listing = await asked.original()
    next_id = buttons(listing)["Next ▶"]["custom_id"]
    assert next_id.endswith(f"@{fake.tester.id}")  # the pager names its owner

    other = fake.add_member(fake.default_guild.id, "other")
    copy = await (await fake.click_button(listing, next_id, user=other)).response()
    assert copy["type"] == CHANNEL_MESSAGE and copy["data"]["flags"] & EPHEMERAL
    assert footer(copy["data"]).endswith("page 2 of 2")
    unchanged = await asked.original()
    assert footer(unchanged).endswith("page 1 of 2") and unchanged["components"] == listing["components"]
    assert not unchanged.get("edited_timestamp")

    # The copy's own pager is the other member's: it pages the copy in place.
    prev_id = buttons(copy["data"])["◀ Previous"]["custom_id"]
    assert prev_id.endswith(f"@{other.user.id}")

    owner_turn = await (await fake.click_button(listing, next_id)).response()
    assert owner_turn["type"] == UPDATE_MESSAGE and footer(owner_turn["data"]).endswith("page 2 of 2")
    assert footer(await asked.original()).endswith("page 2 of 2")


async def test_a_slow_copy_stays_private(bot: FestivalBot, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy that takes long is deferred privately: the "thinking" message and the page only the presser sees."""
    asked = await fake.slash_command("festival", {"name": "berlinale", "year": 2022, "section": "Panorama"})
    listing = await asked.original()
    original = bot.services.answers.festival

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(1.6)
        return await original(*args, **kwargs)

    monkeypatch.setattr(bot.services.answers, "festival", slow)
    other = fake.add_member(fake.default_guild.id, "slow")
    click = await fake.click_button(listing, buttons(listing)["Next ▶"]["custom_id"], user=other)
    deferred = await click.response()
    assert deferred["type"] == 5 and deferred["data"]["flags"] & EPHEMERAL
    copy = await click.original()
    assert copy["flags"] & EPHEMERAL and footer(copy).endswith("page 2 of 2")
    assert footer(await asked.original()).endswith("page 1 of 2")


# ------------------------------------------------------------------------------------- attachments


async def download(attachment: dict[str, Any]) -> bytes:
    async with aiohttp.ClientSession() as session, session.get(attachment["url"]) as response:
        assert response.status == 200
        return await response.read()


async def test_sales_contacts_come_as_vcard_and_csv(bot: FestivalBot, fake: FakeDiscord) -> None:
    asked = await fake.slash_command("sales", {"title": "The Salt Road"})
    data = (await asked.response())["data"]
    assert data["flags"] & EPHEMERAL
    fields = {f["name"]: f["value"] for f in data["embeds"][0]["fields"]}
    # A website written without a scheme is a link to its https address; one with a scheme stays as it is.
    assert "[www.marea-alta.example.com](https://www.marea-alta.example.com)" in fields["Marea Alta Distribución"]
    assert "[https://northbeam.example.org](https://northbeam.example.org)" in fields["Northbeam Films"]

    (callback,) = [
        r for r in fake.requests_matching("POST /interactions/{interaction_id}/{interaction_token}/callback") if r.files
    ]
    assert callback.multipart and [f.field for f in callback.files] == ["files[0]", "files[1]"]
    message = await asked.original()
    by_name = {a["filename"]: a for a in message["attachments"]}
    assert set(by_name) == {"the-salt-road-sales.vcf", "the-salt-road-sales.csv"}

    vcf = (await download(by_name["the-salt-road-sales.vcf"])).decode()
    assert vcf.count("BEGIN:VCARD") == 2 and vcf.count("END:VCARD") == 2
    assert "ORG:Marea Alta Distribución" in vcf and "URL:https://www.marea-alta.example.com" in vcf
    assert "EMAIL;TYPE=INTERNET,WORK:festivals@northbeam.example.org" in vcf
    assert all(len(line.encode()) <= 75 for line in vcf.split("\r\n"))

    rows = list(csv.DictReader(io.StringIO((await download(by_name["the-salt-road-sales.csv"])).decode())))
    assert [r["company"] for r in rows] == ["Marea Alta Distribución", "Northbeam Films"]
    assert rows[0]["websites"] == "https://www.marea-alta.example.com"
    assert rows[1]["emails"] == "sales@northbeam.example.org; festivals@northbeam.example.org"
    assert rows[1]["film"] == "The Salt Road (La Travesía de la Sal)"


async def test_the_sales_button_attaches_the_contacts_too(bot: FestivalBot, fake: FakeDiscord) -> None:
    review = await (await fake.slash_command("review", {"title": "Return to Dust"})).original()
    sales_id = buttons(review)["Sales contact"]["custom_id"]
    click = await fake.click_button(review, sales_id)
    data = (await click.response())["data"]
    assert data["flags"] & EPHEMERAL
    message = await click.original()
    names = sorted(a["filename"] for a in message["attachments"])
    assert names == ["return-to-dust-sales.csv", "return-to-dust-sales.vcf"]
    vcf = (await download(next(a for a in message["attachments"] if a["filename"].endswith(".vcf")))).decode()
    assert "FN:M-Appeal" in vcf and "EMAIL;TYPE=INTERNET,WORK:sales@m-appeal.com" in vcf


# -------------------------------------------------------------------------------------------- /help


async def test_help_lists_every_registered_command(bot: FestivalBot, fake: FakeDiscord) -> None:
    data = (await (await fake.slash_command("help")).response())["data"]
    assert data["flags"] & EPHEMERAL
    text = data["embeds"][0]["description"]
    lines = text.split("\n")
    expected = []
    for command in fake.commands():
        subcommands = [o for o in command.get("options", []) if o["type"] == 1]
        for sub in subcommands or [command]:
            name = f"{command['name']} {sub['name']}" if subcommands else command["name"]
            expected.append((name, sub["description"]))
    assert len(lines) == len(expected)
    for name, description in expected:
        assert any(line.startswith(f"**/{name}** — {description}") for line in lines), name
    assert any(line.startswith("**/announce list**") and "(Manage Server)" in line for line in lines)
    assert any(line.startswith("**/review**") and "Manage Server" not in line for line in lines)
