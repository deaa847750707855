"""Test API: what a human does in the Discord client — run a slash command, type for autocomplete, click a
button, pick from a select, submit a modal, post a message — each delivered to the bot over the gateway.

A test may only do what the client lets a user do: a disabled button cannot be clicked and a
select takes only its own options, so such attempts raise instead of producing an
interaction Discord would never send.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping, Sequence
from typing import Any

from .core import FakeCore
from .interaction_payloads import AUTO
from .interactions import InteractionHandle, InteractionType
from .models import FakeChannel, FakeGuild, FakeMember, FakeUser

Actor = FakeUser | FakeMember | int | None
"""Who acts: a user, a member or a user id; None is :attr:`~.core.FakeCore.tester`."""


class UserActions(FakeCore):
    async def slash_command(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user: Actor = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
        command_guild_id: int | None = AUTO,
    ) -> InteractionHandle:
        """Dispatch a chat-input command (INTERACTION_CREATE type 2) and return its handle.

        ``name`` may include subcommands (``"review add"``). ``options`` is either
        ``{"option": value}`` (types taken from the synced command, else inferred from the
        Python values; users/channels/roles may be Fake objects or ids and are put in
        ``resolved``) or a raw list of Discord option objects. ``command_guild_id`` only
        matters for commands that were never synced: it says whether discord.py should look
        the command up among guild commands.
        """
        return await self._command_interaction(
            InteractionType.APPLICATION_COMMAND,
            name,
            options,
            focused=None,
            guild_id=guild_id,
            channel_id=channel_id,
            user=user,
            member_permissions=member_permissions,
            locale=locale,
            command_guild_id=command_guild_id,
        )

    async def autocomplete_interaction(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        focused: str,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user: Actor = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
        command_guild_id: int | None = AUTO,
    ) -> InteractionHandle:
        """Dispatch an autocomplete interaction (type 4) for option ``focused``; return its handle."""
        return await self._command_interaction(
            InteractionType.AUTOCOMPLETE,
            name,
            options,
            focused=focused,
            guild_id=guild_id,
            channel_id=channel_id,
            user=user,
            member_permissions=member_permissions,
            locale=locale,
            command_guild_id=command_guild_id,
        )

    async def autocomplete(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        focused: str,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        """Dispatch an autocomplete interaction and return the choices the bot answered with."""
        handle = await self.autocomplete_interaction(name, options, focused=focused, **kwargs)
        return await handle.choices(timeout)

    async def click_button(
        self,
        message: Mapping[str, Any] | int,
        custom_id: str,
        *,
        user: Actor = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Click a button on a message the bot posted (INTERACTION_CREATE type 3)."""
        msg = self._message_for_component(message)
        comp = _find_component(msg, custom_id)
        if comp.get("type") != 2:
            raise TypeError(f"component {custom_id!r} is not a button (type {comp.get('type')})")
        if comp.get("disabled"):
            raise ValueError(f"button {custom_id!r} is disabled; a user cannot click it")
        return await self._component_interaction(
            msg, comp, None, user=user, member_permissions=member_permissions, locale=locale
        )

    async def select(
        self,
        message: Mapping[str, Any] | int,
        custom_id: str,
        values: Sequence[Any],
        *,
        user: Actor = None,
        member_permissions: int | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Choose ``values`` in a select menu on a message the bot posted (type 3)."""
        msg = self._message_for_component(message)
        comp = _find_component(msg, custom_id)
        ctype = comp.get("type")
        if ctype not in (3, 5, 6, 7, 8):
            raise TypeError(f"component {custom_id!r} is not a select menu (type {ctype})")
        if comp.get("disabled"):
            raise ValueError(f"select {custom_id!r} is disabled")
        lo, hi = comp.get("min_values", 1), comp.get("max_values", 1)
        lo = 1 if lo is None else lo
        hi = 1 if hi is None else hi
        if not lo <= len(values) <= hi:
            raise ValueError(f"select {custom_id!r} takes {lo}..{hi} values, got {len(values)}")
        if ctype == 3:
            allowed = [o["value"] for o in comp.get("options") or []]
            bad = [v for v in values if v not in allowed]
            if bad:
                raise ValueError(f"values {bad!r} are not options of {custom_id!r} (options: {allowed!r})")
        return await self._component_interaction(
            msg, comp, list(values), user=user, member_permissions=member_permissions, locale=locale
        )

    async def submit_modal(
        self,
        source: InteractionHandle,
        values: Mapping[str, str | Sequence[str]],
        *,
        user: Actor = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Submit the modal the bot opened in answer to ``source`` (INTERACTION_CREATE type 5)."""
        modal = source.modal
        if modal is None:
            raise ValueError(f"{source!r} did not answer with a modal")
        guild = self._guild(source.guild_id) if source.guild_id else self.default_guild
        channel = self._channel_by_id(source.channel_id)
        member = self._member(guild, user if user is not None else source.user_id)
        payload = self._payloads.modal_submit(
            modal,
            values,
            guild=guild,
            channel=channel,
            member=member,
            locale=locale,
            source_message_id=source.source_message_id,
        )
        handle = self._new_handle(
            payload, guild, channel, member, custom_id=modal["custom_id"], source_message_id=source.source_message_id
        )
        await self._gateway.send_interaction(handle)
        return handle

    async def send_user_message(self, channel_id: int, content: str, *, user: Actor = None) -> dict[str, Any]:
        """A human posts in a channel: stored, and MESSAGE_CREATE is dispatched (content blanked without the
        MESSAGE_CONTENT intent unless the bot is mentioned, as on Discord)."""
        channel = self._channel_by_id(channel_id)
        guild = self._guild(channel.guild_id)
        member = self._member(guild, user)
        msg = self._messages.create(channel, {"content": content}, [], author=member.user)
        sent = self._gateway.publish_message(msg, "MESSAGE_CREATE")
        if sent:
            await asyncio.wait_for(asyncio.shield(asyncio.gather(*sent)), self.default_timeout)
        return copy.deepcopy(msg)

    # ------------------------------------------------------------------ internals

    async def _command_interaction(
        self,
        itype: int,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
        *,
        focused: str | None,
        guild_id: int | None,
        channel_id: int | None,
        user: Actor,
        member_permissions: int | None,
        locale: str,
        command_guild_id: int | None,
    ) -> InteractionHandle:
        guild, channel, member = self._context(guild_id, channel_id, user)
        payload = self._payloads.command(
            itype,
            name,
            options,
            focused=focused,
            guild=guild,
            channel=channel,
            member=member,
            member_permissions=member_permissions,
            locale=locale,
            command_guild_id=command_guild_id,
        )
        handle = self._new_handle(payload, guild, channel, member, name=name)
        await self._gateway.send_interaction(handle)
        return handle

    async def _component_interaction(
        self,
        msg: dict[str, Any],
        comp: Mapping[str, Any],
        values: list[Any] | None,
        *,
        user: Actor,
        member_permissions: int | None,
        locale: str,
    ) -> InteractionHandle:
        channel = self._channel_by_id(int(msg["channel_id"]))
        guild = self._guild(channel.guild_id)
        member = self._member(guild, user)
        payload = self._payloads.component(
            msg,
            comp,
            values,
            guild=guild,
            channel=channel,
            member=member,
            member_permissions=member_permissions,
            locale=locale,
        )
        handle = self._new_handle(
            payload, guild, channel, member, custom_id=comp["custom_id"], source_message_id=int(msg["id"])
        )
        await self._gateway.send_interaction(handle)
        return handle

    def _context(
        self, guild_id: int | None, channel_id: int | None, user: Actor
    ) -> tuple[FakeGuild, FakeChannel, FakeMember]:
        """Where and by whom a command is run: the channel decides the guild; defaults are the default guild's."""
        if channel_id is not None:
            channel = self._channel_by_id(channel_id)
            guild = self._guild(channel.guild_id)
        else:
            guild = self._guild(guild_id) if guild_id is not None else self.default_guild
            channel = self.default_channel(guild.id)
        if guild_id is not None and channel.guild_id != guild_id:
            raise ValueError(f"channel {channel.id} is not in guild {guild_id}")
        return guild, channel, self._member(guild, user)

    def _member(self, guild: FakeGuild, user: Actor) -> FakeMember:
        if user is None:
            uid = self.tester.id
        elif isinstance(user, int):
            uid = user
        else:
            uid = user.id
        member = guild.members.get(uid)
        if member is None:
            raise ValueError(f"user {uid} is not a member of guild {guild.id}; use fake.add_member()")
        return member

    def _new_handle(
        self,
        payload: dict[str, Any],
        guild: FakeGuild,
        channel: FakeChannel,
        member: FakeMember,
        *,
        name: str | None = None,
        custom_id: str | None = None,
        source_message_id: int | None = None,
    ) -> InteractionHandle:
        handle = InteractionHandle(
            fake=self,
            id=int(payload["id"]),
            token=payload["token"],
            type=payload["type"],
            payload=payload,
            guild_id=guild.id,
            channel_id=channel.id,
            user_id=member.id,
            name=name,
            custom_id=custom_id,
            source_message_id=source_message_id,
        )
        self.interactions.append(handle)
        self._interactions_by_id[handle.id] = handle
        self._interactions_by_token[handle.token] = handle
        return handle

    def _message_for_component(self, message: Mapping[str, Any] | int) -> dict[str, Any]:
        mid = int(message if isinstance(message, int) else message["id"])
        msg = self.messages.get(mid)
        if msg is None:
            raise LookupError(f"message {mid} does not exist (deleted, or never sent through the fake)")
        return msg


def _find_component(msg: Mapping[str, Any], custom_id: str) -> dict[str, Any]:
    """The component with ``custom_id`` anywhere in the message's component tree."""
    found: list[dict[str, Any]] = []
    ids: list[str] = []

    def walk(items: Sequence[Any]) -> None:
        for comp in items:
            if not isinstance(comp, dict):
                continue
            if "custom_id" in comp:
                ids.append(comp["custom_id"])
                if comp["custom_id"] == custom_id:
                    found.append(comp)
            walk(comp.get("components") or [])
            for key in ("accessory", "component"):
                if isinstance(comp.get(key), dict):
                    walk([comp[key]])

    walk(msg.get("components") or [])
    if not found:
        raise LookupError(f"message {msg['id']} has no component {custom_id!r}; it has {ids!r}")
    return found[0]
