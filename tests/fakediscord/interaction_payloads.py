"""INTERACTION_CREATE payloads as Discord builds them: options typed and checked against the synced command,
``resolved`` users/members/roles/channels, component values and modal submissions.

Where a test asks for something the Discord client would never send (an unknown option, a
value outside the declared choices or limits), building fails with ValueError: such a test
has a bug, and the bot should not be blamed for mishandling an impossible interaction.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .commands import find_command
from .interactions import InteractionType
from .models import FakeChannel, FakeGuild, FakeMember, FakeRole, FakeUser
from .permissions import compute_channel_permissions

if TYPE_CHECKING:
    from .core import FakeCore


class _Auto:
    def __repr__(self) -> str:
        return "AUTO"


AUTO: Any = _Auto()
"""Default of ``command_guild_id``: decide from where the command was synced."""


class InteractionPayloads:
    def __init__(self, core: FakeCore) -> None:
        self.core = core

    def command(
        self,
        itype: int,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
        *,
        focused: str | None,
        guild: FakeGuild,
        channel: FakeChannel,
        member: FakeMember,
        member_permissions: int | None,
        locale: str,
        command_guild_id: int | None,
    ) -> dict[str, Any]:
        """A chat-input command or autocomplete interaction; ``name`` may include subcommands (``"review add"``)."""
        core = self.core
        parts = name.split()
        root = parts[0]
        cmd = find_command(core, root, guild.id)
        if cmd is None:
            if core.require_synced_commands:
                raise LookupError(f"command {root!r} was never synced to the fake (require_synced_commands=True)")
            cmd_guild = None if command_guild_id is AUTO else command_guild_id
            cmd_id = core._unsynced_command_ids.setdefault((root, cmd_guild), core._ids.next())
            schema: list[dict[str, Any]] | None = None
        else:
            cmd_guild = int(cmd["guild_id"]) if cmd.get("guild_id") else None
            cmd_id = int(cmd["id"])
            schema = cmd.get("options") or []

        top: list[dict[str, Any]] = []
        current = top
        for i, sub in enumerate(parts[1:]):
            sub_schema = None
            if schema is not None:
                sub_schema = next((o for o in schema if o["name"] == sub and o.get("type") in (1, 2)), None)
                if sub_schema is None:
                    raise ValueError(f"{' '.join(parts[: i + 1])!r} has no subcommand {sub!r}")
                stype = sub_schema["type"]
                schema = sub_schema.get("options") or []
            else:
                stype = 2 if i < len(parts) - 2 else 1
            node: dict[str, Any] = {"type": stype, "name": sub, "options": []}
            current.append(node)
            current = node["options"]
        resolved: dict[str, dict[str, Any]] = {}
        current.extend(
            self._options(
                schema,
                options,
                focused=focused,
                resolved=resolved,
                guild=guild,
                member=member,
                autocomplete=itype == InteractionType.AUTOCOMPLETE,
            )
        )
        _drop_empty_options(top)

        data: dict[str, Any] = {"id": str(cmd_id), "name": root, "type": 1}
        if top:
            data["options"] = top
        if cmd_guild:
            data["guild_id"] = str(cmd_guild)
        if resolved:
            data["resolved"] = resolved
        payload = self._base(itype, guild, channel, member, member_permissions, locale)
        payload["data"] = data
        return payload

    def component(
        self,
        msg: dict[str, Any],
        comp: Mapping[str, Any],
        values: list[Any] | None,
        *,
        guild: FakeGuild,
        channel: FakeChannel,
        member: FakeMember,
        member_permissions: int | None,
        locale: str,
    ) -> dict[str, Any]:
        """A button click (``values`` None) or select choice on ``msg``; entity selects resolve their values."""
        payload = self._base(InteractionType.MESSAGE_COMPONENT, guild, channel, member, member_permissions, locale)
        payload["message"] = copy.deepcopy(msg)
        data: dict[str, Any] = {"custom_id": comp["custom_id"], "component_type": comp["type"]}
        if "id" in comp:
            data["id"] = comp["id"]
        if values is not None:
            if comp["type"] == 3:
                data["values"] = [str(v) for v in values]
            else:
                resolved: dict[str, dict[str, Any]] = {}
                otype = {5: 6, 6: 8, 7: 9, 8: 7}[comp["type"]]  # select type -> the option type it resolves like
                ids = [v if isinstance(v, int) else int(getattr(v, "id", v)) for v in values]
                for oid in ids:
                    self._resolve(otype, oid, resolved, guild, member)
                data["values"] = [str(i) for i in ids]
                data["resolved"] = resolved
        payload["data"] = data
        return payload

    def modal_submit(
        self,
        modal: Mapping[str, Any],
        values: Mapping[str, str | Sequence[str]],
        *,
        guild: FakeGuild,
        channel: FakeChannel,
        member: FakeMember,
        locale: str,
        source_message_id: int | None,
    ) -> dict[str, Any]:
        """The submission of ``modal`` with ``values`` by input custom_id; inputs not given keep their value."""
        remaining = dict(values)
        components = [_modal_submit_component(c, remaining) for c in modal.get("components") or []]
        if remaining:
            raise ValueError(f"modal {modal.get('custom_id')!r} has no inputs {sorted(remaining)!r}")
        payload = self._base(InteractionType.MODAL_SUBMIT, guild, channel, member, None, locale)
        payload["data"] = {"custom_id": modal["custom_id"], "components": components}
        if source_message_id and source_message_id in self.core.messages:
            payload["message"] = copy.deepcopy(self.core.messages[source_message_id])
        return payload

    def _base(
        self,
        itype: int,
        guild: FakeGuild,
        channel: FakeChannel,
        member: FakeMember,
        member_permissions: int | None,
        locale: str,
    ) -> dict[str, Any]:
        core = self.core
        perms = (
            compute_channel_permissions(guild, member, channel)
            if member_permissions is None
            else int(member_permissions)
        )
        app_perms = compute_channel_permissions(guild, guild.members[core.bot_user.id], channel)
        member_payload = member.payload()
        member_payload["permissions"] = str(perms)
        channel_payload = channel.payload()
        channel_payload["permissions"] = str(app_perms)
        return {
            "id": str(core._ids.next()),
            "application_id": str(core.application_id),
            "type": itype,
            "token": "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(96),
            "version": 1,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": guild.locale, "features": list(guild.features)},
            "guild_locale": guild.locale,
            "locale": locale,
            "channel_id": str(channel.id),
            "channel": channel_payload,
            "member": member_payload,
            "app_permissions": str(app_perms),
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }

    def _options(
        self,
        schema: list[dict[str, Any]] | None,
        values: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
        *,
        focused: str | None,
        resolved: dict[str, dict[str, Any]],
        guild: FakeGuild,
        member: FakeMember,
        autocomplete: bool,
    ) -> list[dict[str, Any]]:
        """Option objects from ``{"name": value}`` (typed by the synced ``schema``, else inferred), or raw ones."""
        if values is not None and not isinstance(values, Mapping):
            raw = [copy.deepcopy(dict(opt)) for opt in values]
            for opt in raw:
                if focused is not None and opt.get("name") == focused:
                    opt["focused"] = True
            return raw
        given: dict[str, Any] = dict(values or {})
        if focused is not None and focused not in given:
            given[focused] = ""
        by_name = {o["name"]: o for o in schema} if schema is not None else None
        out = []
        for name, value in given.items():
            spec = None
            if by_name is not None:
                spec = by_name.get(name)
                if spec is None:
                    raise ValueError(f"unknown option {name!r}; the synced command has {sorted(by_name)!r}")
            otype = spec["type"] if spec else _infer_option_type(value)
            option: dict[str, Any] = {"name": name, "type": otype}
            if autocomplete and name == focused:
                option["value"] = value if isinstance(value, str) else str(value)
                option["focused"] = True
            else:
                option["value"] = self._option_value(otype, value, resolved, guild, member)
                if spec is not None:
                    _check_option_constraints(spec, option["value"])
            out.append(option)
        if by_name is not None and not autocomplete:
            missing = [o["name"] for o in schema or [] if o.get("required") and o["name"] not in given]
            if missing:
                raise ValueError(f"required option(s) {missing!r} missing")
        return out

    def _option_value(
        self, otype: int, value: Any, resolved: dict[str, dict[str, Any]], guild: FakeGuild, member: FakeMember
    ) -> Any:
        if otype in (6, 7, 8, 9):
            oid = value if isinstance(value, int) else int(getattr(value, "id", value))
            self._resolve(otype, oid, resolved, guild, member)
            return str(oid)
        if otype == 4:
            if isinstance(value, bool):
                raise TypeError("integer option given a bool")
            return int(value)
        if otype == 10:
            return float(value) if not isinstance(value, int) else value
        if otype == 5:
            return bool(value)
        if otype == 11:
            raise NotImplementedError("attachment options are not supported by the fake; pass raw options and resolved")
        return str(value)

    def _resolve(
        self, otype: int, oid: int, resolved: dict[str, dict[str, Any]], guild: FakeGuild, invoker: FakeMember
    ) -> None:
        """Fill ``resolved`` like Discord: users (+members), roles, channels with the invoker's permissions."""
        core = self.core
        sid = str(oid)
        if otype in (6, 9) and oid in core.users:
            resolved.setdefault("users", {})[sid] = core.users[oid].payload()
            member = guild.members.get(oid)
            if member is not None:
                mp = member.payload(with_user=False)
                mp["permissions"] = str(compute_channel_permissions(guild, member, None))
                resolved.setdefault("members", {})[sid] = mp
            return
        if otype in (8, 9) and oid in guild.roles:
            resolved.setdefault("roles", {})[sid] = guild.roles[oid].payload()
            return
        if otype == 7 and oid in core.channels:
            ch = core.channels[oid]
            cp = ch.payload()
            cp["permissions"] = str(compute_channel_permissions(guild, invoker, ch))
            resolved.setdefault("channels", {})[sid] = cp
            return
        raise ValueError(
            f"option value {oid} does not refer to a known {'user/role' if otype == 9 else 'object'} of the fake"
        )


def _modal_submit_component(comp: Mapping[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """One top-level modal component as submitted, popping the values it consumes from ``values``."""

    def field_value(inner: Mapping[str, Any]) -> dict[str, Any]:
        cid = inner.get("custom_id")
        out: dict[str, Any] = {"type": inner["type"], "custom_id": cid}
        if "id" in inner:
            out["id"] = inner["id"]
        given = values.pop(cid, None) if cid else None
        if inner["type"] == 4:
            value = given if given is not None else (inner.get("value") or "")
            if inner.get("required", True) and not value:
                raise ValueError(f"text input {cid!r} is required")
            out["value"] = value
        else:
            out["values"] = list(given or [])
        return out

    ctype = comp.get("type")
    out: dict[str, Any]
    if ctype == 1:
        out = {"type": 1, "components": [field_value(c) for c in comp.get("components") or []]}
    elif ctype == 18:
        out = {"type": 18, "component": field_value(comp["component"])}
    else:
        out = {"type": ctype}
    if "id" in comp:
        out["id"] = comp["id"]
    return out


def _infer_option_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    if isinstance(value, FakeUser | FakeMember):
        return 6
    if isinstance(value, FakeChannel):
        return 7
    if isinstance(value, FakeRole):
        return 8
    return 3


def _check_option_constraints(spec: Mapping[str, Any], value: Any) -> None:
    """The Discord client refuses to send values outside these; a test doing so has a bug."""
    name = spec["name"]
    choices = spec.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise ValueError(f"{value!r} is not a choice of option {name!r} ({[c['value'] for c in choices]!r})")
    if isinstance(value, str):
        if spec.get("min_length") is not None and len(value) < spec["min_length"]:
            raise ValueError(f"option {name!r} needs at least {spec['min_length']} characters")
        if spec.get("max_length") is not None and len(value) > spec["max_length"]:
            raise ValueError(f"option {name!r} allows at most {spec['max_length']} characters")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if spec.get("min_value") is not None and value < spec["min_value"]:
            raise ValueError(f"option {name!r} must be >= {spec['min_value']}")
        if spec.get("max_value") is not None and value > spec["max_value"]:
            raise ValueError(f"option {name!r} must be <= {spec['max_value']}")


def _drop_empty_options(options: list[dict[str, Any]]) -> None:
    """Discord omits ``options`` of a subcommand (group) that has none."""
    for opt in options:
        if opt.get("type") in (1, 2):
            if opt.get("options"):
                _drop_empty_options(opt["options"])
            else:
                opt.pop("options", None)
