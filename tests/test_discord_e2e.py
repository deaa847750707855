"""The real bot, connected to the fake Discord over a real websocket: commands, components, limits."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.client.bot import FestivalBot
from cogs._shared import TITLE_LENGTH
from tests.discord_harness import EPHEMERAL, TOKEN, fake_discord, running_bot, settings_for, write_corpus
from tests.fakediscord import FakeDiscord


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
    found = {}
    for row in message.get("components", []):
        for component in row.get("components", []):
            found[component.get("custom_id") or component.get("url")] = component
    return found


def embed_text(message: dict[str, Any]) -> str:
    return json.dumps(message.get("embeds", []), ensure_ascii=False)


async def review_id(bot: FestivalBot, title: str) -> int:
    hits = await bot.services.searcher.search(title)
    assert hits and hits[0].title == title
    return hits[0].review_id


async def film_id(bot: FestivalBot, title: str) -> int:
    hits = await bot.services.searcher.search(title)
    assert hits and hits[0].title == title
    return hits[0].film_id


# ------------------------------------------------------------------------------------------- sync


async def test_sync_publishes_every_command_with_descriptions(bot: FestivalBot, fake: FakeDiscord) -> None:
    names = {c["name"]: c for c in fake.commands()}
    assert {"review", "credits", "sales", "person", "festival", "announce"} <= set(names)
    review = names["review"]
    assert review["description"].startswith("A festival review")
    options = {o["name"]: o for o in review["options"]}
    assert options["title"]["required"] and options["title"]["autocomplete"]
    assert not options["festival"]["required"]
    announce = names["announce"]
    assert announce["default_member_permissions"] == str(1 << 5)  # Manage Server
    assert announce.get("contexts") in (None, [0]) or announce.get("dm_permission") is False


async def test_sync_to_one_server(fake: FakeDiscord, tmp_path: Path) -> None:
    from bot.client.bot import sync

    write_corpus(tmp_path / "corpus")
    guild = fake.default_guild.id
    synced = await sync(settings_for(fake, tmp_path), guild)
    assert {c.name for c in synced} >= {"review", "announce", "feeds"}
    assert {c["name"] for c in fake.commands(guild)} >= {"review", "announce", "feeds"}
    assert fake.commands() == []  # nothing global


# ----------------------------------------------------------------------------------------- /review


async def test_review_answers_with_the_card_and_buttons(bot: FestivalBot, fake: FakeDiscord) -> None:
    res = await fake.slash_command("review", {"title": "Return to Dust"})
    payload = await res.response()
    assert payload["type"] == 4
    data = payload["data"]
    assert data["allowed_mentions"] == {"parse": []}
    assert not (data.get("flags") or 0) & EPHEMERAL
    (embed,) = data["embeds"]
    assert embed["title"] == "Return To Dust"
    assert embed["description"].startswith("*Anchored by an authentic relationship")
    description = embed["description"]  # the summary: verdict, story and prospects, each verbatim
    assert "**Verdict:** Rather, this poetic tale of an arranged marriage" in description
    assert "**Story:** Set in a Gansu village circa the early 2010s, it chronicles the arranged union" in description
    assert "**Prospects:** Following its international premiere in competition at the Berlinale" in description
    assert description.count("Anchored by an authentic relationship") == 1  # the standfirst is not repeated
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Director"] == "Li Ruijun"
    assert fields["Country"] == "China"
    assert fields["Year"] == "2022"
    assert fields["Runtime"] == "131 mins"
    assert fields["Festival"] == "Berlinale 2022 · Competition"
    assert fields["Pull quote"] == "“It packs a quiet emotional punch”"
    # The seed states an image credit but has no image: the credit would credit nothing, so it is not shown.
    assert embed["footer"]["text"] == "Screen International"
    assert "image" not in embed
    rid = await review_id(bot, "Return To Dust")
    found = buttons(data)
    assert found[f"review:{rid}:credits"]["label"] == "Credits"
    assert found[f"review:{rid}:sales"]["label"] == "Sales contact"
    assert res.latency is not None and res.latency < 3.0


async def test_link_button_when_the_review_has_a_url(bot: FestivalBot, fake: FakeDiscord) -> None:
    data = (await (await fake.slash_command("review", {"title": "The Puppet Sisters"})).response())["data"]
    links = [c for c in buttons(data).values() if c.get("style") == 5]
    assert len(links) == 1 and links[0]["url"].startswith("https://")
    assert data["embeds"][0]["url"] == links[0]["url"]


async def test_autocomplete_returns_ids_and_labels_within_limits(bot: FestivalBot, fake: FakeDiscord) -> None:
    choices = await fake.autocomplete("review", {"title": "retrun to dus"}, focused="title")
    fid = await film_id(bot, "Return To Dust")
    assert choices[0] == {"name": "Return To Dust (2022) - Li Ruijun - Berlinale", "value": f"#f{fid}"}
    empty = await fake.autocomplete("review", {"title": ""}, focused="title")
    assert 0 < len(empty) <= 25  # newest reviews as a useful default
    harbour = await fake.autocomplete("review", {"title": "the harbour"}, focused="title")
    assert len({c["value"] for c in harbour if c["name"].startswith("The Harbour")}) == 2
    for hostile in ["x" * 1024, '"NEAR(', "' OR 1=1 --", "🎬", "*"]:
        got = await fake.autocomplete("review", {"title": hostile}, focused="title")
        assert isinstance(got, list) and all(len(c["name"]) <= 100 for c in got)


async def test_choosing_an_autocomplete_value_opens_that_review(bot: FestivalBot, fake: FakeDiscord) -> None:
    choices = await fake.autocomplete("review", {"title": "the harbour"}, focused="title")
    older = next(c for c in choices if "(2019)" in c["name"])
    data = (await (await fake.slash_command("review", {"title": older["value"]})).response())["data"]
    fields = {f["name"]: f["value"] for f in data["embeds"][0]["fields"]}
    assert fields["Year"] == "2019" and fields["Director"] == "Ola Berg"


async def test_several_matches_offer_a_menu_then_the_pick(bot: FestivalBot, fake: FakeDiscord) -> None:
    res = await fake.slash_command("review", {"title": "The Harbour"})
    data = (await res.response())["data"]
    assert data["flags"] & EPHEMERAL
    menu = data["components"][0]["components"][0]
    assert menu["type"] == 3 and menu["custom_id"] == "pick:review"
    labels = [o["label"] for o in menu["options"]]
    assert labels == ["The Harbour (2024) - Kari Lund", "The Harbour (2019) - Ola Berg"]  # newest first
    picked = await fake.select(await res.original(), "pick:review", [menu["options"][1]["value"]])
    card = (await picked.response())["data"]["embeds"][0]
    assert {f["name"]: f["value"] for f in card["fields"]}["Director"] == "Ola Berg"


async def test_unknown_title_gets_private_suggestions(bot: FestivalBot, fake: FakeDiscord) -> None:
    data = (await (await fake.slash_command("review", {"title": "Return to Dusk and Ashes"})).response())["data"]
    assert data["flags"] & EPHEMERAL
    assert "Return To Dust" in data["content"]
    nothing = (await (await fake.slash_command("review", {"title": "qqqq zzzz"})).response())["data"]
    assert nothing["flags"] & EPHEMERAL and "No review matches" in nothing["content"]


@pytest.mark.parametrize(
    "title", ["x" * TITLE_LENGTH, '"return" NEAR(dust', "' OR 1=1 --", "*", "🎬🍿", "-dust:"]
)  # x * TITLE_LENGTH: the longest title Discord lets through
async def test_hostile_titles_get_a_friendly_answer(bot: FestivalBot, fake: FakeDiscord, title: str) -> None:
    payload = await (await fake.slash_command("review", {"title": title})).response()
    assert payload["type"] == 4
    assert payload["data"].get("flags", 0) & EPHEMERAL or payload["data"].get("embeds")
    assert len(payload["data"].get("content") or "") <= 2000


async def test_markdown_and_mentions_in_a_review_are_inert(bot: FestivalBot, fake: FakeDiscord) -> None:
    data = (await (await fake.slash_command("review", {"title": "The Loud Crowd"})).response())["data"]
    assert data["allowed_mentions"] == {"parse": []}
    text = embed_text(data)
    assert "\\\\*\\\\*Bold\\\\*\\\\*" in text  # JSON-escaped backslashes: \*\*Bold\*\*
    assert "\\\\[phishing link\\\\]" in text
    assert "@everyone" in text  # shown as text, but allowed_mentions pings no one
    rid = await review_id(bot, "The Loud Crowd")
    assert f"review:{rid}:sales" not in buttons(data)  # it names no sales agent: no button that leads nowhere
    answer = (await (await fake.slash_command("sales", {"title": "The Loud Crowd"})).response())["data"]
    assert answer["flags"] & EPHEMERAL and "lists no sales contact" in answer["content"]


# ------------------------------------------------------------------------------ buttons, restarts


async def test_credits_and_sales_buttons(bot: FestivalBot, fake: FakeDiscord) -> None:
    res = await fake.slash_command("review", {"title": "Return to Dust"})
    message = await res.original()
    rid = await review_id(bot, "Return To Dust")
    credits = (await (await fake.click_button(message, f"review:{rid}:credits")).response())["data"]
    assert credits["flags"] & EPHEMERAL
    fields = {f["name"]: f["value"] for f in credits["embeds"][0]["fields"]}
    assert fields["Cinematography"] == "Wang Weihua"
    assert fields["Main cast"].startswith("Wu Renlin, Hai Qing")
    sales = (await (await fake.click_button(message, f"review:{rid}:sales")).response())["data"]
    (field,) = sales["embeds"][0]["fields"]
    assert field["name"] == "M-Appeal" and "sales@m-appeal.com" in field["value"]


async def test_buttons_work_after_a_restart(fake: FakeDiscord, tmp_path: Path) -> None:
    write_corpus(tmp_path / "corpus")
    settings = settings_for(fake, tmp_path)
    async with running_bot(settings) as first:
        message = await (await fake.slash_command("review", {"title": "Return to Dust"})).original()
        rid = await review_id(first, "Return To Dust")
    async with running_bot(settings, do_sync=False):
        click = await fake.click_button(message, f"review:{rid}:credits")
        assert "Wang Weihua" in embed_text((await click.response())["data"])


async def test_eighty_people_fit_one_card_within_limits(bot: FestivalBot, fake: FakeDiscord) -> None:
    data = (await (await fake.slash_command("credits", {"title": "The Big Ensemble"})).response())["data"]
    shown = embed_text(data)
    assert all(f"Actor Number{j} Longname-Surname" in shown for j in range(24))
    assert all(f"Costume Person6{j}" in shown for j in range(8))
    assert not data.get("components")  # one page: no pager


async def test_credits_beyond_one_embed_are_paginated(bot: FestivalBot, fake: FakeDiscord) -> None:
    res = await fake.slash_command("credits", {"title": "The Endless Credits"})
    data = (await res.response())["data"]
    rid = await review_id(bot, "The Endless Credits")
    footer = data["embeds"][0]["footer"]["text"]
    assert footer.startswith("Page 1 of ")
    pages = int(footer.rsplit(" ", 1)[1])
    assert pages >= 3
    nav = buttons(data)
    assert nav[f"credits:{rid}:0"]["disabled"] and not nav[f"credits:{rid}:1"].get("disabled")
    shown = embed_text(data)
    message = await res.original()
    for page in range(1, pages):
        update = await (await fake.click_button(message, f"credits:{rid}:{page}")).response()
        assert update["type"] == 7  # the same message, edited in place
        assert update["data"]["embeds"][0]["footer"]["text"] == f"Page {page + 1} of {pages}"
        shown += embed_text(update["data"])
        message = {**message, **update["data"]}
    assert all(f"Crewmember Number{j} Extraordinarily" in shown for j in range(300))  # nobody lost


# ------------------------------------------------------------------------------ other commands


async def test_sales_by_title_and_by_company(bot: FestivalBot, fake: FakeDiscord) -> None:
    by_title = (await (await fake.slash_command("sales", {"title": "The Salt Road"})).response())["data"]
    companies = [f["name"] for f in by_title["embeds"][0]["fields"]]
    assert len(companies) == 2  # two agents on one line, separated by ';'
    by_company = (await (await fake.slash_command("sales", {"company": "fjord sales"})).response())["data"]
    description = by_company["embeds"][0]["description"]
    assert by_company["embeds"][0]["title"] == "Films handled by Fjord Sales"
    assert description.index("(2024)") < description.index("(2019)")  # newest first
    choices = await fake.autocomplete("sales", {"company": "fjord"}, focused="company")
    assert choices[0] == {"name": "Fjord Sales", "value": "Fjord Sales"}


async def test_person_lists_films_with_roles(bot: FestivalBot, fake: FakeDiscord) -> None:
    data = (await (await fake.slash_command("person", {"name": "li ruijun"})).response())["data"]
    card = data["embeds"][0]
    assert card["title"] == "Films with Li Ruijun"
    assert "Return To Dust (2022)" in card["description"] and "director" in card["description"]
    assert await fake.autocomplete("person", {"name": "wang wei"}, focused="name") == [
        {"name": "Wang Weihua", "value": "Wang Weihua"}
    ]


async def test_festival_listing_paginates(bot: FestivalBot, fake: FakeDiscord) -> None:
    res = await fake.slash_command("festival", {"name": "berlinale", "year": 2022, "section": "Panorama"})
    data = (await res.response())["data"]
    card = data["embeds"][0]
    assert card["title"] == "Reviews from Berlinale 2022 · Panorama"
    assert card["footer"]["text"] == "14 films · 14 reviews · page 1 of 2"
    next_id = next(cid for cid, c in buttons(data).items() if c.get("label") == "Next ▶")
    second = await (await fake.click_button(await res.original(), next_id)).response()
    assert second["type"] == 7
    assert second["data"]["embeds"][0]["footer"]["text"] == "14 films · 14 reviews · page 2 of 2"
    unknown = (await (await fake.slash_command("festival", {"name": "Berlinalle"})).response())["data"]
    assert unknown["flags"] & EPHEMERAL and "Berlinale" in unknown["content"]


# ------------------------------------------------------------------------------ manners under failure


async def test_unexpected_error_gets_an_apology_and_a_log_line(
    bot: FestivalBot, fake: FakeDiscord, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(bot.services.answers, "review", broken)
    with caplog.at_level(logging.ERROR):
        data = (await (await fake.slash_command("review", {"title": "Return to Dust"})).response())["data"]
    assert data["flags"] & EPHEMERAL and data["content"].startswith("Sorry, something went wrong")
    assert any("command /review failed" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_slow_work_is_deferred_then_followed_up(
    bot: FestivalBot, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = bot.services.answers.review

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(1.6)
        return await original(*args, **kwargs)

    monkeypatch.setattr(bot.services.answers, "review", slow)
    res = await fake.slash_command("review", {"title": "Return to Dust"})
    assert (await res.response())["type"] == 5  # deferred within the deadline
    followup = await res.followup(0)
    assert followup["embeds"][0]["title"] == "Return To Dust"


async def test_autocomplete_failure_is_an_empty_list(
    bot: FestivalBot, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("index gone")

    monkeypatch.setattr(bot.services.answers, "autocomplete", broken)
    assert await fake.autocomplete("review", {"title": "dust"}, focused="title") == []


# ------------------------------------------------------------------------------ as a user runs it


async def test_festbot_sync_and_run_as_processes(fake: FakeDiscord, tmp_path: Path, cli_env: dict[str, str]) -> None:
    import signal
    import sys

    from tests.conftest import ROOT

    write_corpus(tmp_path / "corpus")
    env = {
        **cli_env,
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_BASE_URL": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "FESTBOT_SEED_DIR": str(tmp_path / "corpus"),
    }
    sync = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "sync",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(sync.communicate(), 60)
    assert sync.returncode == 0, err.decode()
    assert "Published" in out.decode() and "/review" in out.decode()
    assert TOKEN not in out.decode() + err.decode()

    run = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_until_identified(timeout=30)
        res = await fake.slash_command("review", {"title": "return to dust"})
        assert (await res.response(timeout=30))["data"]["embeds"][0]["title"] == "Return To Dust"
    finally:
        run.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(run.communicate(), 30)
    log = err.decode() + out.decode()
    assert run.returncode == 0, log
    assert "/review guild=" in log and "latency=" in log  # one line per command handled
    assert TOKEN not in log
