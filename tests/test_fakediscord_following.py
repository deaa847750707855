"""The fake's channel following and publishing refuse what Discord refuses, and copy what Discord copies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.fakediscord import ChannelType, FakeDiscord, P
from tests.fakediscord.following import CROSSPOSTED, IS_CROSSPOST

TOKEN = "fake-token.for-tests"
HEADERS = {"Authorization": f"Bot {TOKEN}"}


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(token=TOKEN, rate_limits=True) as server:
        yield server


async def call(fake: FakeDiscord, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.post(f"{fake.api_base}{path}", json=body, headers=HEADERS) as r:
        return r.status, await r.json()


async def test_follow_publish_and_copy(fake: FakeDiscord) -> None:
    home_guild = fake.add_guild("Home")
    home = fake.add_channel(home_guild.id, "news", type=ChannelType.ANNOUNCEMENT).id
    plain = fake.add_channel(home_guild.id, "chat").id
    club = fake.add_guild("Club", bot_permissions=P.BOT_DEFAULT | P.MANAGE_WEBHOOKS)
    target = fake.add_channel(club.id, "reviews").id
    closed = fake.add_channel(fake.add_guild("Closed").id, "reviews").id

    assert (await call(fake, f"/channels/{plain}/followers", {"webhook_channel_id": str(target)}))[1]["code"] == 50024
    status, body = await call(fake, f"/channels/{home}/followers", {"webhook_channel_id": str(closed)})
    assert (status, body["code"]) == (403, 50013)  # no Manage Webhooks in the target
    status, body = await call(fake, f"/channels/{home}/followers", {})
    assert (status, body["code"]) == (400, 50035)  # the spec's required field
    status, body = await call(fake, f"/channels/{home}/followers", {"webhook_channel_id": str(target)})
    assert status == 200 and body["channel_id"] == str(home) and int(body["webhook_id"]) == fake.followers[home][target]

    status, message = await call(fake, f"/channels/{home}/messages", {"content": "The Salt Road: a review"})
    assert status == 200 and fake.channel_messages(target) == []  # not copied before it is published
    status, published = await call(fake, f"/channels/{home}/messages/{message['id']}/crosspost")
    assert status == 200 and published["flags"] & CROSSPOSTED
    (copy,) = fake.channel_messages(target)
    assert copy["content"] == "The Salt Road: a review" and copy["flags"] & IS_CROSSPOST
    assert copy["webhook_id"] == body["webhook_id"] and copy["message_reference"]["message_id"] == message["id"]
    status, again = await call(fake, f"/channels/{home}/messages/{message['id']}/crosspost")
    assert (status, again["code"]) == (400, 40033)
    status, chat = await call(fake, f"/channels/{plain}/messages", {"content": "hello"})
    assert (await call(fake, f"/channels/{plain}/messages/{chat['id']}/crosspost"))[1]["code"] == 50024
    fake.errors.clear()


async def test_publishing_is_limited_to_ten_an_hour_per_channel(fake: FakeDiscord) -> None:
    home = fake.add_channel(fake.add_guild("Home").id, "news", type=ChannelType.ANNOUNCEMENT).id
    fake.rate_limits.set_rule("POST /channels/{channel_id}/messages", 20, 5.0)  # the posts are not what is tested
    statuses = []
    for n in range(11):
        _, message = await call(fake, f"/channels/{home}/messages", {"content": f"review {n}"})
        statuses.append((await call(fake, f"/channels/{home}/messages/{message['id']}/crosspost"))[0])
    assert statuses == [200] * 10 + [429]
    fake.errors.clear()
