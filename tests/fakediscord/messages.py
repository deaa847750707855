"""Message objects as Discord builds them: ids, mentions, attachments, component ids, edits and deletes.

Used by every route that creates or changes a message (channel messages, forum posts,
interaction responses and followups) and by tests posting as a user, so a message looks the
same whichever way it was made.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .gateway_server import GatewayServer
from .interactions import InteractionHandle, InteractionType
from .models import FakeChannel, FakeGuild, FakeUser, MessageFlag, iso_now
from .records import UploadedFile
from .rest import api_error

if TYPE_CHECKING:
    from .core import FakeCore

_MENTION_USER = re.compile(r"<@!?(\d+)>")
_MENTION_ROLE = re.compile(r"<@&(\d+)>")
_FILE_FIELD = re.compile(r"files\[(\d+)\]")


class MessageStore:
    """Creates, edits and deletes the message dicts kept in ``core.messages``."""

    def __init__(self, core: FakeCore, gateway: GatewayServer) -> None:
        self.core = core
        self.gateway = gateway

    def create(
        self,
        channel: FakeChannel,
        body: Mapping[str, Any],
        files: Sequence[UploadedFile],
        *,
        author: FakeUser,
        msg_type: int = 0,
        flags: int = 0,
        webhook: bool = False,
        interaction: InteractionHandle | None = None,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        """Store a new message in ``channel`` (no gateway event: callers publish when Discord would)."""
        core = self.core
        mid = message_id or core._ids.next()
        guild = core.guilds.get(channel.guild_id)
        msg: dict[str, Any] = {
            "id": str(mid),
            "channel_id": str(channel.id),
            "type": msg_type,
            "content": body.get("content") or "",
            "author": author.payload(),
            "attachments": self._attachments(channel.id, body, files, []),
            "embeds": normalize_embeds(body.get("embeds")),
            "components": normalize_components(body.get("components")),
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": bool(body.get("tts")),
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "flags": flags,
        }
        self._set_mentions(msg, body, guild)
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        if webhook:
            msg["webhook_id"] = str(core.application_id)
            msg["application_id"] = str(core.application_id)
        if interaction is not None:
            user = core.users[interaction.user_id].payload()
            meta: dict[str, Any] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": user,
                "authorizing_integration_owners": {"0": str(interaction.guild_id)},
            }
            if interaction.type == InteractionType.APPLICATION_COMMAND:
                meta.update({"name": interaction.name, "command_type": 1})
                msg["interaction"] = {
                    "id": str(interaction.id),
                    "type": interaction.type,
                    "name": interaction.name,
                    "user": user,
                }
            if interaction.source_message_id:
                meta["interacted_message_id"] = str(interaction.source_message_id)
            if interaction.original_message_id and interaction.original_message_id != mid:
                meta["original_response_message_id"] = str(interaction.original_message_id)
            msg["interaction_metadata"] = meta
        core.messages[mid] = msg
        core.channel_message_ids.setdefault(channel.id, []).append(mid)
        channel.last_message_id = mid
        if channel.is_thread:
            channel.message_count += 1
        return msg

    def apply_edit(
        self, msg: dict[str, Any], body: Mapping[str, Any], files: Sequence[UploadedFile], *, mark_edited: bool = True
    ) -> None:
        """Edit in place; raises 50006 (leaving ``msg`` untouched) if the result would be empty."""
        core = self.core
        new = copy.deepcopy(msg)
        channel = core.channels.get(int(msg["channel_id"]))
        if "content" in body:
            new["content"] = body.get("content") or ""
        if "embeds" in body:
            new["embeds"] = normalize_embeds(body.get("embeds"))
        if "components" in body:
            new["components"] = normalize_components(body.get("components"))
        if body.get("flags") is not None:
            f = int(body["flags"])
            new["flags"] = (
                (new["flags"] & ~MessageFlag.SUPPRESS_EMBEDS)
                | (f & MessageFlag.SUPPRESS_EMBEDS)
                | (f & MessageFlag.COMPONENTS_V2)
            )
        if "attachments" in body or files:
            new["attachments"] = self._attachments(int(msg["channel_id"]), body, files, msg.get("attachments", []))
        if "content" in body:
            self._set_mentions(new, body, core.guilds.get(channel.guild_id) if channel else None)
        new["flags"] &= ~MessageFlag.LOADING
        if not (new["content"].strip() or new["embeds"] or new["components"] or new["attachments"]):
            raise api_error(400, 50006, "Cannot send an empty message")
        if mark_edited:
            new["edited_timestamp"] = iso_now()
        msg.clear()
        msg.update(new)

    def delete(self, msg: dict[str, Any]) -> None:
        """Remove a message and publish MESSAGE_DELETE."""
        core = self.core
        mid = int(msg["id"])
        core.messages.pop(mid, None)
        ids = core.channel_message_ids.get(int(msg["channel_id"]), [])
        if mid in ids:
            ids.remove(mid)
        self.gateway.publish_message(msg, "MESSAGE_DELETE")

    def _set_mentions(self, msg: dict[str, Any], body: Mapping[str, Any], guild: FakeGuild | None) -> None:
        users = self.core.users
        content = msg.get("content") or ""
        mentioned = []
        for uid in dict.fromkeys(int(u) for u in _MENTION_USER.findall(content)):
            if uid in users:
                mentioned.append(users[uid].payload())
        msg["mentions"] = mentioned
        msg["mention_roles"] = [
            rid for rid in dict.fromkeys(_MENTION_ROLE.findall(content)) if guild and int(rid) in guild.roles
        ]
        allowed = body.get("allowed_mentions")
        parse_everyone = allowed is None or "everyone" in (allowed.get("parse") or [])
        msg["mention_everyone"] = bool(parse_everyone and ("@everyone" in content or "@here" in content))

    def _attachments(
        self, channel_id: int, body: Mapping[str, Any], files: Sequence[UploadedFile], existing: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The message's attachment objects: ``body["attachments"]`` keeps existing ones by id and adds uploads
        by ``files[n]`` index; without it, every upload is attached."""
        by_index: dict[int, UploadedFile] = {}
        for n, f in enumerate(files):
            m = _FILE_FIELD.fullmatch(f.field)
            by_index[int(m.group(1)) if m else n] = f
        specs = body.get("attachments")
        if specs is None:
            specs = [{"id": i} for i in by_index] if by_index else None
        if specs is None:
            return existing
        keep = {a["id"]: a for a in existing}
        out = []
        for spec in specs:
            sid = str(spec.get("id"))
            if sid in keep:
                out.append(keep[sid])
                continue
            upload = by_index.get(int(sid)) if sid.isdigit() else None
            if upload is None:
                continue
            aid = self.core._ids.next()
            self.core.attachment_data[aid] = upload.data
            url = f"{self.core.base_url}/attachments/{channel_id}/{aid}/{upload.filename}"
            att = {
                "id": str(aid),
                "filename": spec.get("filename") or upload.filename,
                "size": len(upload.data),
                "url": url,
                "proxy_url": url,
                "content_type": upload.content_type,
            }
            if spec.get("description"):
                att["description"] = spec["description"]
            out.append(att)
        return out


def normalize_embeds(embeds: Any) -> list[dict[str, Any]]:
    """Copy embeds as Discord stores them: null fields dropped, ``type`` defaulting to ``rich``."""
    out = []
    for embed in embeds or []:
        e = {k: v for k, v in copy.deepcopy(embed).items() if v is not None}
        e.setdefault("type", "rich")
        out.append(e)
    return out


def normalize_components(components: Any) -> list[dict[str, Any]]:
    """Copy components and number them the way Discord does (``id`` in tree order when absent)."""
    out = copy.deepcopy(list(components or []))
    counter = 0
    used = set()

    def collect(items: list[Any]) -> None:
        for comp in items:
            if isinstance(comp, dict):
                if isinstance(comp.get("id"), int):
                    used.add(comp["id"])
                collect(comp.get("components") or [])
                for key in ("accessory", "component"):
                    if isinstance(comp.get(key), dict):
                        collect([comp[key]])

    def number(items: list[Any]) -> None:
        nonlocal counter
        for comp in items:
            if not isinstance(comp, dict):
                continue
            if not isinstance(comp.get("id"), int):
                counter += 1
                while counter in used:
                    counter += 1
                comp["id"] = counter
            number(comp.get("components") or [])
            for key in ("accessory", "component"):
                if isinstance(comp.get(key), dict):
                    number([comp[key]])

    collect(out)
    number(out)
    return out
