"""End-to-end tests of the fake Discord with the real, unmodified discord.py client.

The tiny bot below exists only to exercise the fake; the project's own bot is tested elsewhere.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import ChannelType, FakeDiscord, P, zstd_available

TOKEN = "fake-token.for-tests"
FILMS = ["Dune", "Dune: Part Two", "Drive", "Parasite", "Past Lives"]


# ---------------------------------------------------------------------------- the tiny bot


class ReviewView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=30)

    @discord.ui.select(
        custom_id="rating",
        placeholder="Rate it",
        options=[discord.SelectOption(label=f"{n} stars", value=str(n)) for n in range(1, 6)],
    )
    async def rating(self, interaction: discord.Interaction, select: discord.ui.Select[Any]) -> None:
        await interaction.response.send_message(f"Rated {select.values[0]}", ephemeral=True)

    @discord.ui.button(label="Approve", style=discord.ButtonStyle.success, custom_id="approve")
    async def approve(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.edit_message(content=f"Approved by {interaction.user.name}", view=None)


class Feedback(discord.ui.Modal, title="Feedback"):
    comment: discord.ui.TextInput[Feedback] = discord.ui.TextInput(label="Comment", custom_id="comment")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Thanks: {self.comment.value}", ephemeral=True)


class TinyBot(commands.Bot):
    def __init__(self) -> None:
        super().__init__(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.01)
        self.http_errors: list[discord.HTTPException] = []
        self.seen_messages: list[discord.Message] = []

    async def on_message(self, message: discord.Message) -> None:
        self.seen_messages.append(message)


def build_bot() -> TinyBot:
    bot = TinyBot()

    @bot.tree.command(description="Review a film")
    @app_commands.describe(title="Film title", stars="How many stars")
    async def review(interaction: discord.Interaction, title: str, stars: app_commands.Range[int, 1, 5] = 3) -> None:
        embed = discord.Embed(title=title, description="*" * stars)
        await interaction.response.send_message(
            f"Review of {title} by {interaction.user.mention}",
            embed=embed,
            view=ReviewView(),
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @review.autocomplete("title")
    async def review_title(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f, value=f) for f in FILMS if f.lower().startswith(current.lower())][:25]

    @bot.tree.command(description="Slow search")
    async def search(interaction: discord.Interaction, query: str) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send(f"Results for {query}")
        await interaction.followup.send("Page 2", ephemeral=True)

    @bot.tree.command(description="Answers with an embed Discord rejects, then recovers")
    async def broken(interaction: discord.Interaction) -> None:
        try:
            await interaction.response.send_message(embed=discord.Embed(title="x" * 300))
        except discord.HTTPException as exc:
            bot.http_errors.append(exc)
            await interaction.response.send_message("fallback", ephemeral=True)

    @bot.tree.command(description="Answers too late")
    async def late(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.15)
        try:
            await interaction.response.send_message("finally")
        except discord.HTTPException as exc:
            bot.http_errors.append(exc)

    @bot.tree.command(description="Counts by editing its answer")
    async def count(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("1")
        await interaction.edit_original_response(content="2")
        message = await interaction.original_response()
        await interaction.followup.send(f"original says {message.content}")

    @bot.tree.command(description="Opens a modal")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())

    fest = app_commands.Group(name="fest", description="Festival info")

    @fest.command(description="A year of the festival")
    async def year(interaction: discord.Interaction, year: int) -> None:
        await interaction.response.send_message(f"Edition {year}")

    bot.tree.add_command(fest)
    return bot


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    old_base, old_gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    async with FakeDiscord(token=TOKEN, default_timeout=3.0) as server:
        guild = server.add_guild("Festival")
        server.add_channel(guild.id, "reviews", topic="Film reviews")
        server.add_channel(
            guild.id, "posts", type=ChannelType.FORUM, available_tags=["film", "series"], require_tag=True
        )
        with server.patch_discord():
            yield server
        server.assert_no_errors()
    restored = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    assert restored == (old_base, old_gateway)


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[TinyBot]:
    client = build_bot()
    async with fake.run_client(client):
        await client.tree.sync()
        yield client


def channel_named(fake: FakeDiscord, name: str) -> int:
    return next(c.id for c in fake.default_guild.channels.values() if c.name == name)


def text_channel(bot: TinyBot, fake: FakeDiscord, name: str) -> discord.TextChannel:
    """The bot's view of a text channel the fixture created."""
    channel = bot.get_channel(channel_named(fake, name))
    assert isinstance(channel, discord.TextChannel)
    return channel


# ---------------------------------------------------------------------------- connection


async def test_connects_gets_ready_and_the_guild(fake: FakeDiscord, bot: TinyBot) -> None:
    assert [g.name for g in bot.guilds] == ["Festival"]
    guild = bot.guilds[0]
    assert {c.name for c in guild.channels} == {"general", "reviews", "posts"}
    assert isinstance(guild.get_channel(channel_named(fake, "posts")), discord.ForumChannel)
    assert bot.user is not None and bot.user.id == fake.application_id
    assert bot.application_id == fake.application_id
    me = guild.me
    assert me.guild_permissions.send_messages and not me.guild_permissions.administrator
    startup = [r.route for r in fake.requests[:2]]
    assert startup == ["GET /users/@me", "GET /oauth2/applications/@me"]
    assert all(r.headers["Authorization"] == f"Bot {TOKEN}" for r in fake.requests)
    identify = next(f.payload for f in fake.gateway_log if f.direction == "recv" and f.payload["op"] == 2)
    assert identify["d"]["intents"] == discord.Intents.default().value
    sent_ops = [
        (f.payload["op"], f.payload.get("t"), f.payload.get("s")) for f in fake.gateway_log if f.direction == "send"
    ]
    assert sent_ops[0] == (10, None, None)
    assert (0, "READY", 1) in sent_ops and (0, "GUILD_CREATE", 2) in sent_ops
    assert any(op == 11 for op, _, _ in sent_ops), "the immediate heartbeat after HELLO must be ACKed"
    assert bot.latency < 1


async def test_tree_sync_stores_commands(fake: FakeDiscord, bot: TinyBot) -> None:
    synced = await fake.wait_for_command_sync()
    assert sorted(c["name"] for c in synced) == ["broken", "count", "feedback", "fest", "late", "review", "search"]
    review = fake.command("review")
    assert review is not None
    options = {o["name"]: o for o in review["options"]}
    assert options["title"] == {
        "type": 3,
        "name": "title",
        "description": "Film title",
        "required": True,
        "autocomplete": True,
    }
    assert options["stars"]["min_value"] == 1 and options["stars"]["max_value"] == 5
    fest = fake.command("fest")
    assert fest is not None and fest["options"][0]["type"] == 1
    put = fake.requests_matching("PUT /applications/{application_id}/commands")
    assert len(put) == 1 and put[0].status == 200
    # Re-syncing keeps command ids stable, like Discord.
    first_ids = {c["name"]: c["id"] for c in synced}
    await bot.tree.sync()
    assert {c["name"]: c["id"] for c in fake.commands()} == first_ids


async def test_guild_sync_goes_to_guild_store(fake: FakeDiscord, bot: TinyBot) -> None:
    guild = discord.Object(fake.default_guild.id)
    bot.tree.copy_global_to(guild=guild)
    await bot.tree.sync(guild=guild)
    assert {c["name"] for c in fake.commands(fake.default_guild.id)} >= {"review", "search"}
    res = await fake.slash_command("review", {"title": "Drive"})
    assert res.payload["data"]["guild_id"] == str(fake.default_guild.id)
    assert (await res.response())["type"] == 4


# ---------------------------------------------------------------------------- interactions


async def test_slash_command_round_trip_exact_payload(fake: FakeDiscord, bot: TinyBot) -> None:
    res = await fake.slash_command("review", {"title": "Dune", "stars": 4})
    body = await res.response()
    assert body == {
        "type": 4,
        "data": {
            "tts": False,
            "content": f"Review of Dune by <@{fake.tester.id}>",
            "embeds": [{"flags": 0, "type": "rich", "title": "Dune", "description": "****"}],
            "components": [
                {
                    "type": 1,
                    "components": [
                        {
                            "type": 3,
                            "custom_id": "rating",
                            "min_values": 1,
                            "max_values": 1,
                            "disabled": False,
                            "required": True,
                            "placeholder": "Rate it",
                            "options": [
                                {"label": f"{n} stars", "value": str(n), "default": False} for n in range(1, 6)
                            ],
                        }
                    ],
                },
                {
                    "type": 1,
                    "components": [
                        {"type": 2, "style": 3, "disabled": False, "label": "Approve", "custom_id": "approve"}
                    ],
                },
            ],
            "allowed_mentions": {"parse": []},
        },
    }
    assert res.callback is not None and res.callback.query == {"with_response": "1"}
    assert not res.callback.multipart, "discord.py sends interaction responses without files as JSON"
    assert res.latency is not None and 0 <= res.latency < fake.interaction_deadline
    original = await res.original()
    assert original["type"] == 20 and original["interaction_metadata"]["name"] == "review"
    assert original["mentions"][0]["id"] == str(fake.tester.id)
    assert [c["id"] for row in original["components"] for c in [row, *row["components"]]] == [1, 2, 3, 4]


async def test_subcommand_with_inferred_option_types(fake: FakeDiscord, bot: TinyBot) -> None:
    res = await fake.slash_command("fest year", {"year": 2024})
    assert res.payload["data"]["options"] == [
        {"type": 1, "name": "year", "options": [{"name": "year", "type": 4, "value": 2024}]}
    ]
    assert (await res.response())["data"]["content"] == "Edition 2024"


async def test_options_are_checked_against_the_synced_command(fake: FakeDiscord, bot: TinyBot) -> None:
    with pytest.raises(ValueError, match="unknown option"):
        await fake.slash_command("review", {"film": "Dune"})
    with pytest.raises(ValueError, match="must be <= 5"):
        await fake.slash_command("review", {"title": "Dune", "stars": 9})
    with pytest.raises(ValueError, match="required"):
        await fake.slash_command("review", {"stars": 2})


async def test_deferred_response_then_followups(fake: FakeDiscord, bot: TinyBot) -> None:
    res = await fake.slash_command("search", {"query": "palme d'or"})
    assert await res.response() == {"type": 5}
    first = await res.followup(0)
    second = await res.followup(1)
    original = await res.original()
    # A followup to an unresolved defer fills in the "thinking" message, as on Discord.
    assert first["id"] == original["id"] and first["content"] == "Results for palme d'or"
    assert not first["flags"] & 128
    assert second["content"] == "Page 2" and second["flags"] == 64
    assert [r.json["content"] for r in res.followup_requests] == ["Results for palme d'or", "Page 2"]
    assert res.followup_requests[0].query == {"wait": "1", "with_components": "0"}


async def test_edit_and_fetch_original_response(fake: FakeDiscord, bot: TinyBot) -> None:
    res = await fake.slash_command("count")
    assert (await res.response())["data"]["content"] == "1"
    assert (await res.edit(0))["content"] == "2"
    assert (await res.followup(0))["content"] == "original says 2"
    original = await res.original()
    assert original["content"] == "2" and original["edited_timestamp"] is not None
    assert [r.route for r in fake.requests if "webhooks" in r.path] == [
        "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original",
        "GET /webhooks/{webhook_id}/{webhook_token}/messages/@original",
        "POST /webhooks/{webhook_id}/{webhook_token}",
    ]


async def test_autocomplete_returns_choices(fake: FakeDiscord, bot: TinyBot) -> None:
    choices = await fake.autocomplete("review", {"title": "du"}, focused="title")
    assert choices == [{"name": "Dune", "value": "Dune"}, {"name": "Dune: Part Two", "value": "Dune: Part Two"}]
    handle = fake.interactions[-1]
    assert handle.payload["type"] == 4
    assert handle.payload["data"]["options"] == [{"name": "title", "type": 3, "value": "du", "focused": True}]


async def test_select_and_button_on_a_view(fake: FakeDiscord, bot: TinyBot) -> None:
    res = await fake.slash_command("review", {"title": "Parasite"})
    message = await res.original()

    chosen = await fake.select(message, "rating", ["5"])
    assert await chosen.response() == {"type": 4, "data": {"tts": False, "content": "Rated 5", "flags": 64}}

    click = await fake.click_button(message, "approve")
    assert await click.response() == {
        "type": 7,
        "data": {"tts": False, "content": "Approved by tester", "components": []},
    }
    updated = fake.messages[int(message["id"])]
    assert updated["content"] == "Approved by tester" and updated["components"] == []
    assert updated["edited_timestamp"] is not None
    with pytest.raises(LookupError, match="no component 'approve'"):
        await fake.click_button(updated, "approve")


async def test_button_on_a_channel_message(fake: FakeDiscord, bot: TinyBot) -> None:
    channel = text_channel(bot, fake, "reviews")
    await channel.typing()
    sent = await channel.send("Pick one", view=ReviewView())
    stored = (await fake.wait_for_messages(channel.id))[0]
    assert stored["id"] == str(sent.id) and stored["nonce"] == sent.nonce
    click = await fake.click_button(sent.id, "approve")
    assert (await click.response())["type"] == 7
    assert fake.messages[sent.id]["content"] == "Approved by tester"


async def test_channel_message_edit_history_delete(fake: FakeDiscord, bot: TinyBot) -> None:
    channel = text_channel(bot, fake, "reviews")
    human = await fake.send_user_message(channel.id, "first!")
    draft = await channel.send("draft")
    edited = await draft.edit(content="final")
    assert edited.content == "final" and fake.messages[draft.id]["edited_timestamp"] is not None
    assert [m.id async for m in channel.history(limit=10)] == [draft.id, int(human["id"])]
    theirs = await channel.fetch_message(int(human["id"]))
    with pytest.raises(discord.Forbidden) as info:
        await theirs.edit(content="hijacked")
    assert info.value.code == 50005
    await draft.delete()
    assert [m["content"] for m in fake.channel_messages(channel.id)] == ["first!"]
    assert [e.status for e in fake.errors] == [403]
    fake.errors.clear()


async def test_file_upload_is_stored_and_served(fake: FakeDiscord, bot: TinyBot) -> None:
    channel = text_channel(bot, fake, "reviews")
    sent = await channel.send("Poster", file=discord.File(io.BytesIO(b"not really a png"), filename="poster.png"))
    [request] = fake.requests_matching("POST /channels/*/messages")
    assert request.multipart and [f.filename for f in request.files] == ["poster.png"]
    assert [a["filename"] for a in fake.messages[sent.id]["attachments"]] == ["poster.png"]
    assert await sent.attachments[0].read() == b"not really a png"


async def test_uploads_are_checked_as_discord_documents_them(fake: FakeDiscord) -> None:
    """``files[n]`` parts beside ``payload_json``, attachments naming uploaded indexes; anything else is refused."""
    url = f"{fake.api_base}/channels/{channel_named(fake, 'reviews')}/messages"
    headers = {"Authorization": f"Bot {TOKEN}"}

    def form(payload: dict[str, Any] | None, *files: tuple[str, str]) -> aiohttp.FormData:
        data = aiohttp.FormData()
        if payload is not None:
            data.add_field("payload_json", json.dumps(payload), content_type="application/json")
        for field, name in files:
            data.add_field(field, b"BEGIN:VCARD\r\nEND:VCARD\r\n", filename=name, content_type="text/vcard")
        return data

    good = {"content": "contacts", "attachments": [{"id": 0, "filename": "a.vcf"}, {"id": 1, "filename": "b.csv"}]}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=form(good, ("files[0]", "a.vcf"), ("files[1]", "b.csv")), headers=headers) as r:
            assert r.status == 200
            sent = await r.json()
        assert [a["filename"] for a in sent["attachments"]] == ["a.vcf", "b.csv"]
        async with http.get(sent["attachments"][0]["url"]) as r:
            assert await r.read() == b"BEGIN:VCARD\r\nEND:VCARD\r\n"
        refused: list[tuple[dict[str, Any] | None, list[tuple[str, str]]]] = [
            (good, [("file", "a.vcf"), ("files[1]", "b.csv")]),  # not files[n]
            (good, [("files[0]", "a.vcf"), ("files[0]", "b.csv")]),  # the same n twice
            (good, [("files[0]", "a.vcf")]),  # attachments name files[1], never uploaded
            (None, [("files[0]", "a.vcf")]),  # no payload_json
            ({"content": "many"}, [(f"files[{n}]", f"{n}.vcf") for n in range(11)]),  # more than ten
        ]
        for payload, files in refused:
            async with http.post(url, data=form(payload, *files), headers=headers) as r:
                assert r.status == 400, (payload, files)
                assert (await r.json())["code"] == 50035
    fake.errors.clear()


async def test_resolved_user_and_channel_options(fake: FakeDiscord) -> None:
    client = build_bot()

    @client.tree.command(description="Points at someone somewhere")
    async def point(interaction: discord.Interaction, who: discord.Member, where: discord.TextChannel) -> None:
        await interaction.response.send_message(f"{who.display_name} -> #{where.name}")

    critic = fake.add_member(fake.default_guild.id, "critic", nick="The Critic")
    async with fake.run_client(client):
        await client.tree.sync()
        reviews = fake.channels[channel_named(fake, "reviews")]
        res = await fake.slash_command("point", {"who": critic, "where": reviews})
        assert (await res.response())["data"]["content"] == "The Critic -> #reviews"
        resolved = res.payload["data"]["resolved"]
        assert set(resolved) == {"users", "members", "channels"}


async def test_modal_open_and_submit(fake: FakeDiscord, bot: TinyBot) -> None:
    res = await fake.slash_command("feedback")
    modal = (await res.response())["data"]
    assert modal["title"] == "Feedback"
    assert modal["components"][0]["components"][0]["custom_id"] == "comment"
    submitted = await fake.submit_modal(res, {"comment": "Great festival"})
    assert (await submitted.response())["data"] == {"tts": False, "content": "Thanks: Great festival", "flags": 64}


# ---------------------------------------------------------------------------- rejections


async def test_overlong_embed_title_is_rejected_by_spec_validation(fake: FakeDiscord, bot: TinyBot) -> None:
    channel = text_channel(bot, fake, "reviews")
    with pytest.raises(discord.HTTPException) as info:
        await channel.send(embed=discord.Embed(title="x" * 257))
    assert info.value.status == 400 and info.value.code == 50035
    assert fake.errors[-1].response["errors"] == {
        "embeds": {
            "0": {
                "title": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 256 or fewer in length."}]}
            }
        }
    }
    assert fake.channel_messages(channel.id) == []

    # The same through an interaction: the rejected callback does not acknowledge it.
    res = await fake.slash_command("broken")
    assert (await res.response())["data"]["content"] == "fallback"
    assert [(e.status, e.code) for e in bot.http_errors] == [(400, 50035)]
    assert len(fake.errors) == 2
    fake.errors.clear()


async def test_limits_the_spec_does_not_express(fake: FakeDiscord, bot: TinyBot) -> None:
    channel = text_channel(bot, fake, "reviews")
    embeds = [discord.Embed(description="d" * 4000), discord.Embed(description="d" * 2001)]
    with pytest.raises(discord.HTTPException) as info:
        await channel.send(embeds=embeds)
    assert fake.errors[-1].response["errors"]["embeds"]["_errors"][0]["code"] == "MAX_EMBED_SIZE_EXCEEDED"
    with pytest.raises(discord.HTTPException) as info:
        await channel.send("c" * 2001)
    assert info.value.code == 50035
    with pytest.raises(discord.HTTPException) as info:
        await channel.send(embed=discord.Embed(title="ok").add_field(name="empty", value=" "))
    assert "fields" in str(fake.errors[-1].response)
    assert len(fake.errors) == 3
    fake.errors.clear()


async def test_double_acknowledgement_and_deadline(fake: FakeDiscord, bot: TinyBot) -> None:
    res = await fake.slash_command("review", {"title": "Dune"})
    await res.response()
    async with aiohttp.ClientSession() as http:
        url = f"{fake.api_base}/interactions/{res.id}/{res.token}/callback"
        async with http.post(url, json={"type": 4, "data": {"content": "again"}}) as resp:
            assert resp.status == 400
            assert await resp.json() == {"message": "Interaction has already been acknowledged.", "code": 40060}

    fake.interaction_deadline = 0.05
    late = await fake.slash_command("late")
    await fake.wait_for_request("POST /interactions/*", count=2)
    for _ in range(100):
        if bot.http_errors:
            break
        await asyncio.sleep(0.01)
    assert [(e.status, e.code) for e in bot.http_errors] == [(404, 10062)]
    assert not late.acknowledged
    assert [e.status for e in fake.errors] == [400, 404]
    fake.errors.clear()


async def test_auth_and_unknown_routes(fake: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{fake.api_base}/users/@me") as resp:
            assert resp.status == 401 and await resp.json() == {"message": "401: Unauthorized", "code": 0}
        headers = {"Authorization": f"Bot {TOKEN}"}
        async with http.get(f"{fake.api_base}/nope", headers=headers) as resp:
            assert resp.status == 404 and await resp.json() == {"message": "404: Not Found", "code": 0}
            assert resp.headers["Content-Type"] == "application/json"
        async with http.get(f"{fake.api_base}/channels/42", headers=headers) as resp:
            assert resp.status == 404 and await resp.json() == {"message": "Unknown Channel", "code": 10003}
        async with http.get(f"{fake.api_base}/gateway") as resp:
            assert (await resp.json())["url"].startswith("ws://127.0.0.1:")
        async with http.get(f"{fake.api_base}/users/@me", headers=headers) as resp:
            assert resp.status == 200
            for name in (
                "X-RateLimit-Limit",
                "X-RateLimit-Remaining",
                "X-RateLimit-Reset",
                "X-RateLimit-Reset-After",
                "X-RateLimit-Bucket",
            ):
                assert name in resp.headers
    assert [e.status for e in fake.errors] == [401, 404, 404]
    fake.errors.clear()


async def test_missing_permissions_and_access(fake: FakeDiscord, bot: TinyBot) -> None:
    channel_id = channel_named(fake, "reviews")
    channel = text_channel(bot, fake, "reviews")
    fake.set_overwrite(channel_id, fake.bot_role(fake.default_guild.id), deny=P.SEND_MESSAGES)
    with pytest.raises(discord.Forbidden) as info:
        await channel.send("hi")
    assert info.value.code == 50013
    fake.set_overwrite(channel_id, fake.bot_role(fake.default_guild.id), deny=P.VIEW_CHANNEL)
    with pytest.raises(discord.Forbidden) as info:
        await channel.send("hi")
    assert info.value.code == 50001
    # The interaction payload reports the bot's reduced permissions too.
    res = await fake.slash_command("review", {"title": "Dune"}, channel_id=channel_id)
    assert res.payload["app_permissions"] == "0"
    await res.response()  # interaction responses are webhooks: channel permissions do not apply
    fake.errors.clear()


async def test_a_thread_from_a_message_once_per_message(fake: FakeDiscord, bot: TinyBot) -> None:
    channel_id = channel_named(fake, "reviews")
    message = await text_channel(bot, fake, "reviews").send("A review")
    thread = await message.create_thread(name="Talk about it", auto_archive_duration=1440)
    assert thread.id == message.id and thread.parent_id == channel_id  # Discord gives it the message's id
    assert fake.channels[thread.id].type == ChannelType.PUBLIC_THREAD
    assert fake.channel_messages(channel_id)[0]["flags"] & (1 << 5)  # HAS_THREAD
    with pytest.raises(discord.HTTPException) as info:
        await message.create_thread(name="Again")
    assert info.value.code == 160004
    other = await text_channel(bot, fake, "reviews").send("Another")
    fake.set_overwrite(channel_id, fake.bot_role(fake.default_guild.id), deny=P.CREATE_PUBLIC_THREADS)
    with pytest.raises(discord.Forbidden) as info:
        await other.create_thread(name="Not allowed")
    assert info.value.code == 50013
    with pytest.raises(discord.HTTPException) as info:  # the spec's limit on the name
        await bot.http.start_thread_with_message(channel_id, other.id, name="x" * 101, auto_archive_duration=1440)
    assert info.value.status == 400
    fake.errors.clear()


async def test_forum_post_and_required_tag(fake: FakeDiscord, bot: TinyBot) -> None:
    forum = bot.get_channel(channel_named(fake, "posts"))
    assert isinstance(forum, discord.ForumChannel)
    with pytest.raises(discord.HTTPException) as info:
        await forum.create_thread(name="Dune", content="A review")
    assert info.value.code == 40067
    created = await forum.create_thread(name="Dune", content="A review", applied_tags=[forum.available_tags[0]])
    assert created.thread.id == created.message.id
    assert fake.channels[created.thread.id].parent_id == forum.id
    assert fake.channel_messages(created.thread.id)[0]["content"] == "A review"
    fake.errors.clear()


# ---------------------------------------------------------------------------- extension points


async def test_nonce_deduplication(fake: FakeDiscord, bot: TinyBot) -> None:
    channel = text_channel(bot, fake, "reviews")
    first = await channel.send("Announcement", nonce=1234)
    again = await channel.send("Announcement", nonce=1234)
    assert again.id == first.id
    assert len(fake.channel_messages(channel.id)) == 1
    sent = fake.requests_matching("POST /channels/*/messages")
    assert [r.json["enforce_nonce"] for r in sent] == [True, True]


async def test_rate_limit_buckets_pace_discord_py(fake: FakeDiscord, bot: TinyBot) -> None:
    fake.rate_limits.enabled = True
    fake.rate_limits.set_rule("POST /channels/{channel_id}/messages", limit=2, window=0.15)
    channel = text_channel(bot, fake, "reviews")
    start = time.perf_counter()
    for n in range(5):
        await channel.send(f"announcement {n}")
    assert time.perf_counter() - start >= 0.28  # two exhausted windows
    assert len(fake.channel_messages(channel.id)) == 5
    assert fake.errors == []  # discord.py waited on the headers instead of hitting 429


async def test_rate_limit_429_shapes(fake: FakeDiscord) -> None:
    fake.rate_limits.enabled = True
    fake.rate_limits.set_rule("POST /channels/{channel_id}/messages", limit=1, window=5)
    fake.rate_limits.global_limit = 3
    url = f"{fake.api_base}/channels/{channel_named(fake, 'reviews')}/messages"
    headers = {"Authorization": f"Bot {TOKEN}"}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"content": "a"}, headers=headers) as resp:
            assert resp.status == 200
        async with http.post(url, json={"content": "b"}, headers=headers) as resp:
            assert resp.status == 429
            body = await resp.json()
            assert body["global"] is False and 0 < body["retry_after"] <= 5
            assert resp.headers["X-RateLimit-Scope"] == "user" and resp.headers["Via"]
        async with http.get(f"{fake.api_base}/users/@me", headers=headers) as resp:
            assert resp.status == 200
        async with http.get(f"{fake.api_base}/users/@me", headers=headers) as resp:
            assert resp.status == 429
            assert resp.headers["X-RateLimit-Global"] == "true"
            assert (await resp.json())["global"] is True
    fake.errors.clear()


async def test_fault_injection(fake: FakeDiscord, bot: TinyBot) -> None:
    channel = text_channel(bot, fake, "reviews")
    fake.inject("POST /channels/*/messages", 403)
    with pytest.raises(discord.Forbidden):
        await channel.send("blocked")
    fake.inject("POST /channels/{channel_id}/messages", 429, retry_after=0.01)
    ok = await channel.send("retried")
    assert fake.messages[ok.id]["content"] == "retried"
    assert [r.status for r in fake.injected] == [403, 429]
    assert fake.errors == []


async def test_user_message_respects_message_content_intent(fake: FakeDiscord, bot: TinyBot) -> None:
    channel_id = channel_named(fake, "reviews")
    await fake.send_user_message(channel_id, "hello there")
    await fake.send_user_message(channel_id, f"{fake.bot_user.mention} hi")
    for _ in range(100):
        if len(bot.seen_messages) == 2:
            break
        await asyncio.sleep(0.01)
    assert [m.content for m in bot.seen_messages] == ["", f"<@{fake.bot_user.id}> hi"]
    assert bot.seen_messages[0].author.id == fake.tester.id


# ---------------------------------------------------------------------------- gateway details


async def test_resume_after_reconnect(fake: FakeDiscord, bot: TinyBot) -> None:
    session = fake.session
    assert session is not None
    await fake.reconnect()
    assert fake.session is session and session.resumes == 1
    assert session.connection is not None and session.connection.path == "/resume"
    resume = next(f.payload for f in reversed(fake.gateway_log) if f.direction == "recv" and f.payload["op"] == 6)
    assert resume["d"]["session_id"] == session.id and resume["d"]["seq"] >= 2
    assert fake.identify_count == 1
    res = await fake.slash_command("review", {"title": "Drive"})
    assert (await res.response())["type"] == 4


async def test_disallowed_privileged_intent_closes_4014(fake: FakeDiscord) -> None:
    fake.allowed_privileged_intents = 0
    intents = discord.Intents.default()
    intents.members = True
    client = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.01)
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with fake.run_client(client):
            pass
    identifies = [f for f in fake.gateway_log if f.direction == "recv" and f.payload["op"] == 2]
    assert len(identifies) == 1 and identifies[0].payload["d"]["intents"] & (1 << 1)


async def test_fast_heartbeats_are_acked(fake: FakeDiscord) -> None:
    fake.heartbeat_interval = 20
    client = build_bot()
    async with fake.run_client(client):
        connection = fake.session.connection if fake.session else None
        assert connection is not None
        for _ in range(100):
            if connection.heartbeats >= 4:
                break
            await asyncio.sleep(0.01)
        assert connection.heartbeats >= 4
        assert client.latency < 0.5  # discord.py measured ACK round trips


async def test_client_without_compression(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> None:
    original = discord.gateway.DiscordWebSocket.from_client.__func__  # type: ignore[attr-defined]

    async def uncompressed(cls: Any, client: Any, /, **kwargs: Any) -> Any:
        kwargs["compress"] = False
        return await original(cls, client, **kwargs)

    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "from_client", classmethod(uncompressed))
    client = build_bot()
    async with fake.run_client(client):
        assert fake.session is not None and fake.session.connection is not None
        assert fake.session.connection.compress is None
        await client.tree.sync()
        res = await fake.slash_command("review", {"title": "Drive"})
        assert (await res.response())["type"] == 4


async def test_default_client_uses_stream_compression(fake: FakeDiscord, bot: TinyBot) -> None:
    assert fake.session is not None and fake.session.connection is not None
    expected = "zstd-stream" if zstd_available() else "zlib-stream"
    assert fake.session.connection.compress == expected


async def test_raw_gateway_protocol_plain_and_zlib(fake: FakeDiscord) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{fake.gateway_url}?v=10&encoding=json") as ws:
            hello = await ws.receive_json(timeout=2)
            assert hello == {
                "op": 10,
                "d": {"heartbeat_interval": 41250, "_trace": ['["fakediscord"]']},
                "s": None,
                "t": None,
            }
            await ws.send_json({"op": 1, "d": None})
            assert (await ws.receive_json(timeout=2))["op"] == 11
            await ws.send_json({"op": 2, "d": {"token": TOKEN, "intents": 513, "properties": {}}})
            ready = await ws.receive_json(timeout=2)
            guild_create = await ws.receive_json(timeout=2)
            assert (ready["t"], ready["s"]) == ("READY", 1)
            assert ready["d"]["resume_gateway_url"] == fake.resume_gateway_url
            assert (guild_create["t"], guild_create["s"]) == ("GUILD_CREATE", 2)
            assert [m["user"]["id"] for m in guild_create["d"]["members"]] == [str(fake.bot_user.id)]

        async with http.ws_connect(f"{fake.gateway_url}?v=10&encoding=json&compress=zlib-stream") as ws:
            inflater = zlib.decompressobj()
            frame = await ws.receive(timeout=2)
            assert frame.type is aiohttp.WSMsgType.BINARY and frame.data.endswith(b"\x00\x00\xff\xff")
            assert b'"op":10' in inflater.decompress(frame.data)
            await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 0}})
            closing = await ws.receive(timeout=2)
            assert closing.type is aiohttp.WSMsgType.CLOSE and closing.data == 4004


@pytest.mark.skipif(not zstd_available(), reason="zstandard not installed, so discord.py would not ask for zstd-stream")
async def test_raw_gateway_zstd(fake: FakeDiscord) -> None:  # pragma: no cover - environment dependent
    import zstandard

    url = f"{fake.gateway_url}?v=10&encoding=json&compress=zstd-stream"
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        frame = await ws.receive(timeout=2)
        text = zstandard.ZstdDecompressor().decompressobj().decompress(frame.data)
        assert b'"op":10' in text


async def test_direct_messages_open_once_and_closed_dms_refuse_with_50007(fake: FakeDiscord) -> None:
    """Create DM answers Discord's PrivateChannelResponse, the same channel each time; a user whose DMs are
    closed gets the channel but each message is refused (403, 50007); a body Discord rejects is rejected."""
    headers = {"Authorization": f"Bot {TOKEN}"}
    user = fake.add_user("viewer")
    async with aiohttp.ClientSession() as http:
        opened = []
        for _ in range(2):
            async with http.post(
                f"{fake.api_base}/users/@me/channels", headers=headers, json={"recipient_id": str(user.id)}
            ) as resp:
                assert resp.status == 200
                opened.append(await resp.json())
        assert opened[0] == opened[1] and opened[0]["type"] == 1
        assert opened[0]["recipients"][0]["id"] == str(user.id) and "guild_id" not in opened[0]
        messages = f"{fake.api_base}/channels/{opened[0]['id']}/messages"
        async with http.post(messages, headers=headers, json={"content": "hello"}) as resp:
            assert resp.status == 200
        assert [m["content"] for m in fake.direct_messages(user.id)] == ["hello"]
        fake.closed_dms.add(user.id)
        async with http.post(messages, headers=headers, json={"content": "again"}) as resp:
            assert resp.status == 403
            assert await resp.json() == {"message": "Cannot send messages to this user", "code": 50007}
        async with http.post(
            f"{fake.api_base}/users/@me/channels", headers=headers, json={"recipient_id": "not a snowflake"}
        ) as resp:
            assert resp.status == 400
    assert len(fake.direct_messages(user.id)) == 1
    assert [e.status for e in fake.errors] == [403, 400]
    fake.errors.clear()
