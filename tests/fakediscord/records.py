"""What the fake remembers about traffic (requests, uploads) and the primitive tests wait on."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")
_PENDING = object()


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    field: str
    filename: str
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    """One HTTP request the bot made, with the fake's answer.

    ``time`` is ``time.perf_counter()`` when the request arrived (comparable with
    :attr:`InteractionHandle.dispatched_at`); ``json`` is the parsed body (``payload_json`` for
    multipart requests).
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    time: float
    wall_time: float
    template: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    files: list[UploadedFile] = field(default_factory=list)
    multipart: bool = False
    status: int | None = None
    response: Any = None
    injected: bool = False

    @property
    def route(self) -> str:
        """``"METHOD /template"`` (or the raw path for unknown routes)."""
        return f"{self.method} {self.template or self.path}"

    def __str__(self) -> str:
        body = repr(self.response)
        if len(body) > 600:
            body = body[:600] + "..."
        return f"{self.method} {self.path} -> {self.status} {body}"


class Notifier:
    """Lets tests wait for a condition over the fake's state, re-checking whenever the state changes."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def notify(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait_for(
        self,
        probe: Callable[[], T | None],
        *,
        timeout: float,
        what: str,
        context: Callable[[], str] = lambda: "",
    ) -> T:
        """Return ``probe()`` once it is not None; raise ``TimeoutError`` (with diagnostics) after ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = probe()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                extra = context()
                raise TimeoutError(
                    f"fakediscord: timed out after {timeout:g}s waiting for {what}" + (f"\n{extra}" if extra else "")
                )
            if self._event is None:
                self._event = asyncio.Event()
            event = self._event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
