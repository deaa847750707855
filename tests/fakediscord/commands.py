"""REST routes for application commands (global and per guild), and the lookup of a synced command by name."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import limits
from .rest import MISSING_ACCESS, Answer, Ctx, Route, api_error, spec_errors, unknown
from .spec import FieldError

if TYPE_CHECKING:
    from .core import FakeCore

Store = dict[int, dict[str, Any]]
"""Commands by id, as stored for one scope (global, or one guild)."""


def find_command(core: FakeCore, name: str, guild_id: int | None) -> dict[str, Any] | None:
    """The chat-input command a user typing ``/name`` in ``guild_id`` gets: the guild's own first, then global."""
    if guild_id is not None:
        for cmd in core.guild_commands.get(guild_id, {}).values():
            if cmd["name"] == name and cmd.get("type", 1) == 1:
                return cmd
    for cmd in core.global_commands.values():
        if cmd["name"] == name and cmd.get("type", 1) == 1:
            return cmd
    return None


class CommandRoutes:
    def __init__(self, core: FakeCore) -> None:
        self.core = core

    def routes(self) -> list[Route]:
        cmds = "/applications/{application_id}/commands"
        gcmds = "/applications/{application_id}/guilds/{guild_id}/commands"
        routes = []
        for base in (cmds, gcmds):
            routes += [
                Route("GET", base, self.list_commands, "bot"),
                Route("PUT", base, self.overwrite_commands, "bot", check=_check_overwrite),
                Route("POST", base, self.create_command, "bot", check=_check_one),
                Route("GET", base + "/{command_id}", self.get_command, "bot"),
                Route("PATCH", base + "/{command_id}", self.edit_command, "bot", check=_check_one),
                Route("DELETE", base + "/{command_id}", self.delete_command, "bot"),
            ]
        return routes

    def _store(self, ctx: Ctx) -> tuple[Store, int | None]:
        """The commands of the scope the path names; another application's or an unknown guild's is Missing Access."""
        core = self.core
        if ctx.params["application_id"] != str(core.application_id):
            raise api_error(*MISSING_ACCESS)
        gid = ctx.params.get("guild_id")
        if gid is None:
            return core.global_commands, None
        if not gid.isdigit() or int(gid) not in core.guilds:
            raise api_error(*MISSING_ACCESS)
        return core.guild_commands.setdefault(int(gid), {}), int(gid)

    def _stored_command(self, ctx: Ctx) -> tuple[Store, int | None, dict[str, Any]]:
        store, gid = self._store(ctx)
        cid = ctx.params["command_id"]
        cmd = store.get(int(cid)) if cid.isdigit() else None
        if cmd is None:
            raise unknown("command")
        return store, gid, cmd

    def _materialize(
        self, body: Mapping[str, Any], existing: Mapping[str, Any] | None, guild_id: int | None
    ) -> dict[str, Any]:
        """The command object Discord stores: an existing command keeps its id, every write gets a new version."""
        core = self.core
        dmp = body.get("default_member_permissions")
        cmd: dict[str, Any] = {
            "id": existing["id"] if existing else str(core._ids.next()),
            "application_id": str(core.application_id),
            "version": str(core._ids.next()),
            "default_member_permissions": None if dmp is None else str(dmp),
            "type": body.get("type") or 1,
            "name": body["name"],
            "name_localizations": body.get("name_localizations"),
            "description": body.get("description") or "",
            "description_localizations": body.get("description_localizations"),
            "dm_permission": body.get("dm_permission", True) if guild_id is None else None,
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
            "nsfw": bool(body.get("nsfw", False)),
        }
        if body.get("options"):
            cmd["options"] = copy.deepcopy(body["options"])
        if guild_id is not None:
            cmd["guild_id"] = str(guild_id)
            cmd.pop("dm_permission")
        return cmd

    def list_commands(self, ctx: Ctx) -> Answer:
        store, _ = self._store(ctx)
        return 200, [copy.deepcopy(c) for c in store.values()]

    def overwrite_commands(self, ctx: Ctx) -> Answer:
        """Bulk overwrite (what ``tree.sync()`` does): commands matched by name and type keep their ids."""
        store, gid = self._store(ctx)
        by_key = {(c["name"], c["type"]): c for c in store.values()}
        new: Store = {}
        for body in ctx.json or []:
            existing = by_key.get((body["name"], body.get("type") or 1))
            cmd = self._materialize(body, existing, gid)
            new[int(cmd["id"])] = cmd
        store.clear()
        store.update(new)
        result = [copy.deepcopy(c) for c in new.values()]
        self.core.command_syncs.append((gid, result))
        return 200, result

    def create_command(self, ctx: Ctx) -> Answer:
        """Creating a command whose name and type exist updates it (200), otherwise adds it (201)."""
        store, gid = self._store(ctx)
        body = ctx.json or {}
        existing = next(
            (c for c in store.values() if c["name"] == body.get("name") and c["type"] == (body.get("type") or 1)), None
        )
        cmd = self._materialize(body, existing, gid)
        store[int(cmd["id"])] = cmd
        return (200 if existing else 201), copy.deepcopy(cmd)

    def get_command(self, ctx: Ctx) -> Answer:
        return 200, copy.deepcopy(self._stored_command(ctx)[2])

    def edit_command(self, ctx: Ctx) -> Answer:
        store, gid, cmd = self._stored_command(ctx)
        merged = {**cmd, **(ctx.json or {})}
        updated = self._materialize(merged, cmd, gid)
        store[int(cmd["id"])] = updated
        return 200, copy.deepcopy(updated)

    def delete_command(self, ctx: Ctx) -> Answer:
        store, _, cmd = self._stored_command(ctx)
        del store[int(cmd["id"])]
        return 204, None


def _check_overwrite(ctx: Ctx) -> list[FieldError]:
    return spec_errors(ctx, limits.command_errors(ctx.json))


def _check_one(ctx: Ctx) -> list[FieldError]:
    """The checks for a list of commands, applied to one (paths lose their leading list index)."""
    errors = limits.command_errors([ctx.json])
    return spec_errors(ctx, [FieldError(e.path[1:], e.code, e.message) for e in errors])
