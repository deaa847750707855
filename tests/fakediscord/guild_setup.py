"""Test API: build the world a test needs — users, guilds, roles, members, channels, permission overwrites.

Changes made while a client is connected are announced to it over the gateway (GUILD_CREATE,
CHANNEL_CREATE...), as Discord would announce changes made by someone else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from .core import FakeCore
from .gateway import Intent
from .models import ChannelFlag, ChannelType, FakeChannel, FakeGuild, FakeMember, FakeRole, FakeUser, Overwrite
from .permissions import P


class GuildSetup(FakeCore):
    def add_user(self, username: str, *, bot: bool = False, global_name: str | None = None) -> FakeUser:
        """Create a user (not yet a member of any guild)."""
        user = FakeUser(self._ids.next(), username, bot=bot, global_name=global_name)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str = "Test Guild",
        *,
        bot_permissions: int = P.BOT_DEFAULT,
        everyone_permissions: int = P.EVERYONE_DEFAULT,
        owner: FakeUser | None = None,
        general_channel: bool = True,
        shard: int | None = None,
    ) -> FakeGuild:
        """Create a guild with @everyone, the bot's managed role and member, :attr:`tester` and a #general.

        ``shard`` picks its id so that it lives on that shard of :attr:`shard_count`.
        """
        if shard is not None and not 0 <= shard < self.shard_count:
            raise ValueError(f"shard {shard} is not below the fake's shard_count {self.shard_count}")
        gid = self._ids.next() if shard is None else self._ids.next_in_shard(shard, self.shard_count)
        owner = owner or self.add_user(f"{name.lower().replace(' ', '-')}-owner")
        guild = FakeGuild(gid, name, owner.id)
        guild.roles[gid] = FakeRole(gid, gid, "@everyone", permissions=everyone_permissions)
        bot_role = FakeRole(
            self._ids.next(),
            gid,
            self.bot_user.username,
            permissions=bot_permissions,
            position=1,
            bot_id=self.bot_user.id,
        )
        guild.roles[bot_role.id] = bot_role
        guild.members[owner.id] = FakeMember(gid, owner)
        guild.members[self.bot_user.id] = FakeMember(gid, self.bot_user, roles=[bot_role.id])
        guild.members[self.tester.id] = FakeMember(gid, self.tester)
        self.guilds[gid] = guild
        if general_channel:
            self.add_channel(gid, "general", _dispatch=False)
        self._gateway.announce_guild(guild)
        return guild

    def bot_role(self, guild_id: int) -> FakeRole:
        """The bot's managed role in a guild (edit ``.permissions`` to change what the bot may do)."""
        guild = self._guild(guild_id)
        return next(r for r in guild.roles.values() if r.bot_id == self.bot_user.id)

    def add_role(
        self, guild_id: int, name: str, *, permissions: int = 0, color: int = 0, mentionable: bool = False
    ) -> FakeRole:
        """Create a role above existing ones."""
        guild = self._guild(guild_id)
        role = FakeRole(
            self._ids.next(),
            guild_id,
            name,
            permissions=permissions,
            position=len(guild.roles),
            color=color,
            mentionable=mentionable,
        )
        guild.roles[role.id] = role
        self._gateway.dispatch(
            "GUILD_ROLE_CREATE",
            {"guild_id": str(guild_id), "role": role.payload()},
            intent=Intent.GUILDS,
            guild_id=guild_id,
        )
        return role

    def add_member(
        self,
        guild_id: int,
        user: FakeUser | str | None = None,
        *,
        roles: Sequence[FakeRole | int] = (),
        nick: str | None = None,
    ) -> FakeMember:
        """Add a user (created if a name or nothing is given) to a guild."""
        guild = self._guild(guild_id)
        if user is None or isinstance(user, str):
            user = self.add_user(user or f"user{len(self.users)}")
        role_ids = [r.id if isinstance(r, FakeRole) else int(r) for r in roles]
        member = FakeMember(guild_id, user, roles=role_ids, nick=nick)
        guild.members[user.id] = member
        self._gateway.dispatch(
            "GUILD_MEMBER_ADD",
            {**member.payload(), "guild_id": str(guild_id)},
            intent=Intent.GUILD_MEMBERS,
            guild_id=guild_id,
        )
        return member

    def add_channel(
        self,
        guild_id: int,
        name: str,
        *,
        type: int = ChannelType.TEXT,
        parent_id: int | None = None,
        topic: str | None = None,
        overwrites: Sequence[Overwrite] = (),
        available_tags: Sequence[str | Mapping[str, Any]] = (),
        require_tag: bool = False,
        nsfw: bool = False,
        _dispatch: bool = True,
    ) -> FakeChannel:
        """Create a channel (0 text, 2 voice, 4 category, 5 announcement, 15 forum, 16 media).

        ``available_tags`` (forums) may be plain names; ids are assigned.
        """
        guild = self._guild(guild_id)
        tags = []
        for tag in available_tags:
            t = {"name": tag} if isinstance(tag, str) else dict(tag)
            tags.append({"id": str(self._ids.next()), "moderated": False, "emoji_id": None, "emoji_name": None, **t})
        channel = FakeChannel(
            self._ids.next(),
            guild_id,
            name,
            type=type,
            position=sum(1 for c in guild.channels.values() if not c.is_thread),
            parent_id=parent_id,
            topic=topic,
            overwrites=list(overwrites),
            available_tags=tags,
            flags=ChannelFlag.REQUIRE_TAG if require_tag else 0,
            nsfw=nsfw,
        )
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        if _dispatch:
            self._gateway.dispatch("CHANNEL_CREATE", channel.payload(), intent=Intent.GUILDS, guild_id=guild_id)
        return channel

    def set_overwrite(
        self, channel_id: int, target: FakeRole | FakeMember | FakeUser | int, *, allow: int = 0, deny: int = 0
    ) -> Overwrite:
        """Set (replace) a permission overwrite on a channel for a role or member."""
        channel = self._channel_by_id(channel_id)
        guild = self._guild(channel.guild_id)
        tid = target if isinstance(target, int) else target.id
        kind: Literal["role", "member"] = "role" if tid in guild.roles else "member"
        channel.overwrites = [o for o in channel.overwrites if o.id != tid]
        ow = Overwrite(tid, allow=allow, deny=deny, type=kind)
        channel.overwrites.append(ow)
        self._gateway.dispatch("CHANNEL_UPDATE", channel.payload(), intent=Intent.GUILDS, guild_id=guild.id)
        return ow
