"""The object a test gets back for each interaction it dispatches, to await what the bot answered."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .records import RecordedRequest

if TYPE_CHECKING:
    from .core import FakeCore


class InteractionType:
    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class CallbackType:
    PONG = 1
    CHANNEL_MESSAGE = 4
    DEFERRED_CHANNEL_MESSAGE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    AUTOCOMPLETE_RESULT = 8
    MODAL = 9


# Which callback types Discord accepts for which interaction type.
ALLOWED_CALLBACKS: dict[int, tuple[int, ...]] = {
    InteractionType.APPLICATION_COMMAND: (4, 5, 9, 12),
    InteractionType.MESSAGE_COMPONENT: (4, 5, 6, 7, 9, 12),
    InteractionType.AUTOCOMPLETE: (8,),
    InteractionType.MODAL_SUBMIT: (4, 5, 6, 7),
}


@dataclass(eq=False)
class InteractionHandle:
    """One dispatched interaction and everything the bot did with it.

    Times are ``time.perf_counter()`` values: :attr:`dispatched_at` is when the
    INTERACTION_CREATE frame was written to the socket, :attr:`responded_at` when the
    callback request arrived, so :attr:`latency` is the bot's end-to-end reaction time.
    """

    fake: FakeCore
    id: int
    token: str
    type: int
    payload: dict[str, Any]
    guild_id: int | None
    channel_id: int
    user_id: int
    name: str | None = None
    custom_id: str | None = None
    source_message_id: int | None = None
    dispatched_at: float | None = None
    session_id: str | None = None  # the gateway session it was dispatched to (the one owning its guild)
    shard: tuple[int, int] | None = None  # that session's shard, None when it is unsharded
    responded_at: float | None = None
    callback: RecordedRequest | None = None
    response_type: int | None = None
    original_message_id: int | None = None
    original_deleted: bool = False
    followup_ids: list[int] = field(default_factory=list)
    followup_requests: list[RecordedRequest] = field(default_factory=list)
    edit_requests: list[RecordedRequest] = field(default_factory=list)

    # ------------------------------------------------------------------ state

    @property
    def acknowledged(self) -> bool:
        return self.callback is not None

    @property
    def latency(self) -> float | None:
        """Seconds from dispatch to the callback request (None until answered)."""
        if self.dispatched_at is None or self.responded_at is None:
            return None
        return self.responded_at - self.dispatched_at

    @property
    def deferred(self) -> bool:
        return self.response_type in (CallbackType.DEFERRED_CHANNEL_MESSAGE, CallbackType.DEFERRED_UPDATE_MESSAGE)

    @property
    def modal(self) -> dict[str, Any] | None:
        """The modal the bot opened (callback type 9 data), if any."""
        if self.response_type == CallbackType.MODAL and self.callback is not None:
            data: dict[str, Any] | None = self.callback.json.get("data")
            return data
        return None

    def __repr__(self) -> str:
        what = self.name or self.custom_id or ""
        return f"<InteractionHandle id={self.id} type={self.type} {what!r} response_type={self.response_type}>"

    # ------------------------------------------------------------------ waiting

    def _timeout(self, timeout: float | None) -> float:
        return self.fake.default_timeout if timeout is None else timeout

    async def response(self, timeout: float | None = None) -> dict[str, Any]:
        """The exact JSON body of the bot's callback (``{"type": 4, "data": {...}}``)."""
        req = await self.fake._notifier.wait_for(
            lambda: self.callback,
            timeout=self._timeout(timeout),
            what=f"the callback of {self!r}",
            context=self.fake._diagnostics,
        )
        body: dict[str, Any] = req.json
        return body

    async def original(self, timeout: float | None = None, *, resolved: bool = True) -> dict[str, Any]:
        """The current original-response message object.

        With ``resolved`` (default) a deferred "thinking" message is only returned once the
        bot has filled it in (edit or first followup).
        """

        def probe() -> dict[str, Any] | None:
            if self.original_message_id is None:
                return None
            msg = self.fake.messages.get(self.original_message_id)
            if msg is None or (resolved and msg.get("flags", 0) & 128):
                return None
            return copy.deepcopy(msg)

        return await self.fake._notifier.wait_for(
            probe,
            timeout=self._timeout(timeout),
            what=f"the original response of {self!r}",
            context=self.fake._diagnostics,
        )

    async def followup(self, n: int = 0, timeout: float | None = None) -> dict[str, Any]:
        """The ``n``-th followup message object (0-based). After a defer, followup 0 *is* the original."""

        def probe() -> dict[str, Any] | None:
            if len(self.followup_ids) <= n:
                return None
            msg = self.fake.messages.get(self.followup_ids[n])
            return copy.deepcopy(msg) if msg is not None else self.followup_requests[n].response

        return await self.fake._notifier.wait_for(
            probe, timeout=self._timeout(timeout), what=f"followup #{n} of {self!r}", context=self.fake._diagnostics
        )

    async def edit(self, n: int = 0, timeout: float | None = None) -> dict[str, Any]:
        """The JSON body of the ``n``-th ``PATCH .../messages/@original`` request."""
        req = await self.fake._notifier.wait_for(
            lambda: self.edit_requests[n] if len(self.edit_requests) > n else None,
            timeout=self._timeout(timeout),
            what=f"edit #{n} of the original response of {self!r}",
            context=self.fake._diagnostics,
        )
        body: dict[str, Any] = req.json
        return body

    async def choices(self, timeout: float | None = None) -> list[dict[str, Any]]:
        """Autocomplete choices the bot returned (callback type 8)."""
        body = await self.response(timeout)
        if body.get("type") != CallbackType.AUTOCOMPLETE_RESULT:
            raise AssertionError(f"expected an autocomplete result (type 8), got {body!r}")
        return list((body.get("data") or {}).get("choices") or [])
