"""Discord's permission bits and the algorithm that turns roles and overwrites into a member's permissions."""

from __future__ import annotations

from .models import FakeChannel, FakeGuild, FakeMember


class P:
    """Permission bits (the subset the fake reasons about, plus common ones for building roles)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38

    ALL = (1 << 53) - 1

    # What @everyone gets in a freshly created guild (no admin/moderation bits).
    EVERYONE_DEFAULT = (
        CREATE_INSTANT_INVITE
        | ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | MENTION_EVERYONE
        | USE_EXTERNAL_EMOJIS
        | CONNECT
        | SPEAK
        | CHANGE_NICKNAME
        | USE_APPLICATION_COMMANDS
        | CREATE_PUBLIC_THREADS
        | CREATE_PRIVATE_THREADS
        | SEND_MESSAGES_IN_THREADS
    )
    # A typical bot invite: chat, embeds, files, threads, reactions; no admin.
    BOT_DEFAULT = (
        VIEW_CHANNEL
        | SEND_MESSAGES
        | SEND_MESSAGES_IN_THREADS
        | CREATE_PUBLIC_THREADS
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | ADD_REACTIONS
        | USE_EXTERNAL_EMOJIS
        | USE_APPLICATION_COMMANDS
    )


def compute_base_permissions(guild: FakeGuild, member: FakeMember) -> int:
    """Guild-level permissions: @everyone | member roles; owner and administrators get everything."""
    if member.id == guild.owner_id:
        return P.ALL
    perms = guild.everyone.permissions
    for role_id in member.roles:
        role = guild.roles.get(role_id)
        if role is not None:
            perms |= role.permissions
    if perms & P.ADMINISTRATOR:
        return P.ALL
    return perms


def compute_channel_permissions(guild: FakeGuild, member: FakeMember, channel: FakeChannel | None) -> int:
    """Discord's permission algorithm: base, then @everyone, role and member overwrites, then implicit denies."""
    perms = compute_base_permissions(guild, member)
    if perms == P.ALL or channel is None:
        return perms
    source = channel
    if channel.is_thread and channel.parent_id in guild.channels:
        source = guild.channels[channel.parent_id]
    by_id = {o.id: o for o in source.overwrites}
    everyone = by_id.get(guild.id)
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for o in source.overwrites:
        if o.type == "role" and o.id in member.roles:
            allow |= o.allow
            deny |= o.deny
    perms = (perms & ~deny) | allow
    own = by_id.get(member.id)
    if own is not None and own.type == "member":
        perms = (perms & ~own.deny) | own.allow
    if not perms & P.VIEW_CHANNEL:
        return 0
    if not perms & P.SEND_MESSAGES and not channel.is_thread:
        perms &= ~(P.SEND_TTS_MESSAGES | P.MENTION_EVERYONE | P.EMBED_LINKS | P.ATTACH_FILES)
    return perms
