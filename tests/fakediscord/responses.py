"""REST routes by which the bot answers interactions: the callback, then followups and edits via the webhook.

These are authorised by the interaction's token, not the bot token, and Discord does not
check channel permissions for them. Both tokens expire: the callback must arrive within
``interaction_deadline`` of the dispatch, webhook calls within ``token_lifetime``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import limits
from .gateway_server import GatewayServer
from .interactions import ALLOWED_CALLBACKS, CallbackType, InteractionHandle, InteractionType
from .messages import MessageStore
from .models import FakeChannel, MessageFlag
from .records import UploadedFile
from .rest import Answer, Ctx, Route, api_error, form_error, spec_errors, unknown
from .spec import FieldError

if TYPE_CHECKING:
    from .core import FakeCore

CALLBACK_PATH = "/interactions/{interaction_id}/{interaction_token}/callback"
WEBHOOK_PATH = "/webhooks/{webhook_id}/{webhook_token}"
ORIGINAL_PATH = "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
WEBHOOK_MESSAGE_PATH = "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"

# The spec describes the callback body as a union; validate against the member for the callback type.
CALLBACK_SCHEMAS = {
    1: "PongInteractionCallbackRequest",
    4: "CreateMessageInteractionCallbackRequest",
    5: "CreateMessageInteractionCallbackRequest",
    6: "UpdateMessageInteractionCallbackRequest",
    7: "UpdateMessageInteractionCallbackRequest",
    8: "ApplicationCommandAutocompleteCallbackRequest",
    9: "ModalInteractionCallbackRequest",
    12: "LaunchActivityInteractionCallbackRequest",
}


class ResponseRoutes:
    def __init__(self, core: FakeCore, messages: MessageStore, gateway: GatewayServer) -> None:
        self.core = core
        self.messages = messages
        self.gateway = gateway

    def routes(self) -> list[Route]:
        return [
            Route("POST", CALLBACK_PATH, self.callback, "webhook", check=_check_callback),
            Route("POST", WEBHOOK_PATH, self.followup, "webhook", check=_check_followup),
            Route("GET", ORIGINAL_PATH, self.get_message, "webhook"),
            Route("PATCH", ORIGINAL_PATH, self.edit_message, "webhook", check=_check_edit),
            Route("DELETE", ORIGINAL_PATH, self.delete_message, "webhook"),
            Route("GET", WEBHOOK_MESSAGE_PATH, self.get_message, "webhook"),
            Route("PATCH", WEBHOOK_MESSAGE_PATH, self.edit_message, "webhook", check=_check_edit),
            Route("DELETE", WEBHOOK_MESSAGE_PATH, self.delete_message, "webhook"),
        ]

    # ------------------------------------------------------------------ the callback

    def callback(self, ctx: Ctx) -> Answer:
        core = self.core
        iid = ctx.params["interaction_id"]
        handle = core._interactions_by_id.get(int(iid)) if iid.isdigit() else None
        if handle is None or handle.token != ctx.params["interaction_token"]:
            raise unknown("interaction")
        if handle.acknowledged:
            raise api_error(400, 40060, "Interaction has already been acknowledged.")
        if handle.dispatched_at is not None and ctx.rec.time - handle.dispatched_at > core.interaction_deadline:
            raise unknown("interaction")
        body = ctx.json if isinstance(ctx.json, dict) else {}
        ctype = body.get("type")
        if ctype not in ALLOWED_CALLBACKS.get(handle.type, ()):
            raise form_error(
                [
                    FieldError(
                        ("type",),
                        "INTERACTION_CALLBACK_TYPE_INVALID",
                        f"Callback type {ctype} is not valid for interaction type {handle.type}",
                    )
                ]
            )
        data = body.get("data") or {}
        channel = core._channel_by_id(handle.channel_id)
        message: dict[str, Any] | None = None
        if ctype == CallbackType.CHANNEL_MESSAGE:
            if limits.is_empty_message(data, has_files=bool(ctx.files)):
                raise api_error(400, 50006, "Cannot send an empty message")
            flags = int(data.get("flags") or 0) & MessageFlag.INTERACTION
            message = self._response_message(handle, channel, data, ctx.files, flags)
            handle.original_message_id = int(message["id"])
            self.gateway.publish_message(message, "MESSAGE_CREATE")
        elif ctype == CallbackType.DEFERRED_CHANNEL_MESSAGE:
            flags = MessageFlag.LOADING | (int(data.get("flags") or 0) & MessageFlag.EPHEMERAL)
            message = self._response_message(handle, channel, {}, [], flags)
            handle.original_message_id = int(message["id"])
            self.gateway.publish_message(message, "MESSAGE_CREATE")
        elif ctype in (CallbackType.DEFERRED_UPDATE_MESSAGE, CallbackType.UPDATE_MESSAGE):
            source = core.messages.get(handle.source_message_id or -1)
            if source is None:
                raise unknown("message")
            handle.original_message_id = int(source["id"])
            if ctype == CallbackType.UPDATE_MESSAGE:
                self.messages.apply_edit(source, data, ctx.files)
                self.gateway.publish_message(source, "MESSAGE_UPDATE")
                message = source
        handle.callback = ctx.rec
        handle.responded_at = ctx.rec.time
        handle.response_type = ctype
        if not ctx.flag("with_response"):
            return 204, None
        result: dict[str, Any] = {
            "interaction": {
                "id": str(handle.id),
                "type": handle.type,
                "response_message_loading": ctype == CallbackType.DEFERRED_CHANNEL_MESSAGE,
                "response_message_ephemeral": bool(message and message["flags"] & MessageFlag.EPHEMERAL),
            }
        }
        if message is not None:
            result["interaction"]["response_message_id"] = message["id"]
            result["resource"] = {"type": ctype, "message": copy.deepcopy(message)}
        return 200, result

    def _response_message(
        self,
        handle: InteractionHandle,
        channel: FakeChannel,
        data: Mapping[str, Any],
        files: Sequence[UploadedFile],
        flags: int,
    ) -> dict[str, Any]:
        """A message sent as the interaction's webhook (type 20 answers a slash command, 0 anything else)."""
        msg_type = 20 if handle.type == InteractionType.APPLICATION_COMMAND else 0
        return self.messages.create(
            channel,
            data,
            files,
            author=self.core.bot_user,
            msg_type=msg_type,
            flags=flags,
            webhook=True,
            interaction=handle,
        )

    # ------------------------------------------------------------------ the interaction webhook

    def _webhook_handle(self, ctx: Ctx) -> InteractionHandle:
        core = self.core
        handle = core._interactions_by_token.get(ctx.params["webhook_token"])
        if handle is None or ctx.params["webhook_id"] != str(core.application_id) or not handle.acknowledged:
            raise unknown("webhook")
        if handle.dispatched_at is not None and ctx.rec.time - handle.dispatched_at > core.token_lifetime:
            raise api_error(401, 50027, "Invalid Webhook Token")
        return handle

    def _webhook_message(self, ctx: Ctx, handle: InteractionHandle) -> dict[str, Any]:
        """``@original`` or one of this interaction's followups; any other message id is unknown."""
        mid_s = ctx.params.get("message_id")
        if mid_s is None:  # @original
            mid = handle.original_message_id
        else:
            mid = int(mid_s) if mid_s.isdigit() else None
            if mid not in handle.followup_ids and mid != handle.original_message_id:
                mid = None
        msg = self.core.messages.get(mid) if mid is not None else None
        if msg is None:
            raise unknown("message")
        return msg

    def followup(self, ctx: Ctx) -> Answer:
        handle = self._webhook_handle(ctx)
        body = ctx.json if isinstance(ctx.json, dict) else {}
        if limits.is_empty_message(body, has_files=bool(ctx.files)):
            raise api_error(400, 50006, "Cannot send an empty message")
        original = self.core.messages.get(handle.original_message_id or -1)
        if (
            handle.response_type == CallbackType.DEFERRED_CHANNEL_MESSAGE
            and original is not None
            and original["flags"] & MessageFlag.LOADING
        ):
            # Discord: a followup to an unresolved defer resolves the loading message (keeping its ephemerality).
            self.messages.apply_edit(original, body, ctx.files, mark_edited=False)
            msg = original
            self.gateway.publish_message(msg, "MESSAGE_UPDATE")
        else:
            flags = int(body.get("flags") or 0) & MessageFlag.INTERACTION
            channel = self.core._channel_by_id(handle.channel_id)
            msg = self._response_message(handle, channel, body, ctx.files, flags)
            self.gateway.publish_message(msg, "MESSAGE_CREATE")
        handle.followup_ids.append(int(msg["id"]))
        handle.followup_requests.append(ctx.rec)
        if ctx.flag("wait"):
            return 200, copy.deepcopy(msg)
        return 204, None

    def get_message(self, ctx: Ctx) -> Answer:
        handle = self._webhook_handle(ctx)
        return 200, copy.deepcopy(self._webhook_message(ctx, handle))

    def edit_message(self, ctx: Ctx) -> Answer:
        handle = self._webhook_handle(ctx)
        msg = self._webhook_message(ctx, handle)
        was_loading = bool(msg["flags"] & MessageFlag.LOADING)
        body = ctx.json if isinstance(ctx.json, dict) else {}
        self.messages.apply_edit(msg, body, ctx.files, mark_edited=not was_loading)
        if "message_id" not in ctx.params or int(ctx.params["message_id"]) == handle.original_message_id:
            handle.edit_requests.append(ctx.rec)
        self.gateway.publish_message(msg, "MESSAGE_UPDATE")
        return 200, copy.deepcopy(msg)

    def delete_message(self, ctx: Ctx) -> Answer:
        handle = self._webhook_handle(ctx)
        msg = self._webhook_message(ctx, handle)
        if int(msg["id"]) == handle.original_message_id:
            handle.original_deleted = True
        self.messages.delete(msg)
        return 204, None


# ---------------------------------------------------------------------- body checks


def _check_callback(ctx: Ctx) -> list[FieldError]:
    body = ctx.json
    ctype = body.get("type") if isinstance(body, dict) else None
    name = CALLBACK_SCHEMAS.get(ctype) if isinstance(ctype, int) else None
    extra: list[FieldError] = []
    if ctype in (4, 7) and isinstance(body, dict):
        extra += limits.message_limit_errors(body.get("data"), prefix=("data",))
    if ctype == 8:
        extra += limits.autocomplete_limit_errors(body)
    return spec_errors(ctx, extra, schema=name)


def _check_followup(ctx: Ctx) -> list[FieldError]:
    return spec_errors(ctx, limits.message_limit_errors(ctx.json), schema="IncomingWebhookRequestPartial")


def _check_edit(ctx: Ctx) -> list[FieldError]:
    return spec_errors(ctx, limits.message_limit_errors(ctx.json))
