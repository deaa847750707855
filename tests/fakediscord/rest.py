"""The REST core: routing, and what every request goes through before its handler, plus Discord's error answers.

Area modules (``channels.py``, ``responses.py``...) contribute :class:`Route` objects whose
handlers take a :class:`Ctx` and return ``(status, body)`` or raise :class:`DiscordHTTPError`.
:class:`RestApi` records each request, then applies an injected fault, the auth check, rate
limits and body validation, in that order, before calling the handler.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import aiohttp
from aiohttp import web

from . import spec
from .ratelimit import Fault
from .records import RecordedRequest, UploadedFile

if TYPE_CHECKING:
    from .core import FakeCore

API_VERSION = "v10"

Answer = tuple[int, Any]
"""What a handler returns: HTTP status and JSON body (None for an empty body)."""

Auth = Literal["bot", "none", "webhook"]
"""``bot``: needs ``Authorization: Bot <token>`` and counts against the global rate limit;
``webhook``: authorised by the token in the path; ``none``: no auth, no rate limit."""


class DiscordHTTPError(Exception):
    """An error answer in Discord's JSON shape."""

    def __init__(self, status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def api_error(status: int, code: int, message: str, **extra: Any) -> DiscordHTTPError:
    return DiscordHTTPError(status, {"message": message, "code": code, **extra})


def unknown(kind: str) -> DiscordHTTPError:
    """The 404 Discord answers for an id that does not exist (or that the bot may not know about)."""
    table = {
        "channel": (10003, "Unknown Channel"),
        "guild": (10004, "Unknown Guild"),
        "member": (10007, "Unknown Member"),
        "message": (10008, "Unknown Message"),
        "user": (10013, "Unknown User"),
        "webhook": (10015, "Unknown Webhook"),
        "interaction": (10062, "Unknown interaction"),
        "command": (10063, "Unknown application command"),
        "application": (10002, "Unknown Application"),
    }
    code, message = table[kind]
    return api_error(404, code, message)


def form_error(errors: Sequence[spec.FieldError]) -> DiscordHTTPError:
    return api_error(400, 50035, "Invalid Form Body", errors=spec.discord_error_tree(errors))


MISSING_ACCESS = (403, 50001, "Missing Access")
MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")
NOT_FOUND_BODY = {"message": "404: Not Found", "code": 0}


@dataclass
class Ctx:
    """One request as a handler sees it: the recorded request and the path parameters."""

    request: web.Request
    rec: RecordedRequest
    params: dict[str, str]

    @property
    def json(self) -> Any:
        return self.rec.json

    @property
    def files(self) -> list[UploadedFile]:
        return self.rec.files

    @property
    def template(self) -> str:
        return self.rec.template or self.rec.path

    @property
    def method(self) -> str:
        return self.rec.method

    def flag(self, name: str) -> bool:
        return self.request.query.get(name, "").lower() in ("1", "true")


BodyCheck = Callable[[Ctx], list[spec.FieldError]]


def spec_errors(ctx: Ctx, extra: Sequence[spec.FieldError] = (), *, schema: str | None = None) -> list[spec.FieldError]:
    """Violations of the named component schema (default: the route's own body schema, if any), of the
    uploads' form (multipart requests), then ``extra``."""
    validator = spec.component_validator(schema) if schema else spec.route_validator(ctx.template, ctx.method)
    found = spec.schema_errors(validator, ctx.json) if validator is not None else []
    return found + upload_errors(ctx) + list(extra)


#: A file part's field name, as Discord's reference names uploads: ``files[0]`` ... ``files[9]``.
FILE_FIELD = re.compile(r"files\[(\d{1,2})\]")
#: The most files one message may carry.
MAX_FILES = 10


def upload_errors(ctx: Ctx) -> list[spec.FieldError]:
    """A multipart request's uploads as Discord's reference asks (Uploading Files): each file part is
    ``files[n]`` with a file name, n unique, at most ten; the JSON body comes as ``payload_json``, and
    each of its ``attachments`` that names an upload by index ``n`` has a ``files[n]`` part."""
    if not ctx.rec.multipart:
        return []
    errors: list[spec.FieldError] = []
    uploaded: set[int] = set()
    for upload in ctx.files:
        match = FILE_FIELD.fullmatch(upload.field)
        if match is None or int(match[1]) in uploaded:
            errors.append(
                spec.FieldError((upload.field,), "INVALID_FILE_FIELD", "Upload fields are files[n], n unique.")
            )
            continue
        uploaded.add(int(match[1]))
        if not upload.filename:
            errors.append(spec.FieldError((upload.field,), "BASE_TYPE_REQUIRED", "This field is required"))
    if len(ctx.files) > MAX_FILES:
        errors.append(spec.FieldError(("files",), "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FILES} or fewer in length."))
    if ctx.files and ctx.json is None:
        errors.append(spec.FieldError(("payload_json",), "BASE_TYPE_REQUIRED", "This field is required"))
    body = ctx.json.get("data") if isinstance(ctx.json, dict) and "/callback" in ctx.template else ctx.json
    where: tuple[str, ...] = ("data",) if body is not ctx.json else ()
    specs = body.get("attachments") if isinstance(body, dict) else None
    for n, attachment in enumerate(specs if isinstance(specs, list) else []):
        ref = str(attachment.get("id", "")) if isinstance(attachment, dict) else ""
        # An index names this request's upload; a snowflake, an attachment the message already has.
        if ref.isdigit() and int(ref) < 1000 and int(ref) not in uploaded:
            errors.append(
                spec.FieldError(
                    (*where, "attachments", n, "id"), "ATTACHMENT_NOT_FOUND", f"No files[{ref}] was uploaded."
                )
            )
    return errors


@dataclass
class Route:
    """``METHOD /template`` with its handler; ``check`` replaces the default body validation (:func:`spec_errors`)."""

    method: str
    template: str
    handler: Callable[[Ctx], Answer]
    auth: Auth
    check: BodyCheck | None = None
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        pattern = ""
        for part in re.split(r"(\{[a-z_]+\})", self.template):
            if part.startswith("{") and part.endswith("}"):
                pattern += f"(?P<{part[1:-1]}>[^/]+)"
            else:
                pattern += re.escape(part)
        self.regex = re.compile(pattern + "/?")


class RestApi:
    """Answers everything under ``/api/``, plus the attachment downloads the fake's message objects link to."""

    def __init__(self, core: FakeCore, routes: Sequence[Route]) -> None:
        self.core = core
        # First match wins, so a literal segment (``/users/@me``) must come before a parameter (``/users/{id}``).
        self.routes = list(routes)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        core = self.core
        tail = request.match_info["tail"]
        version, _, rest = tail.partition("/")
        path = "/" + rest
        rec = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query),
            headers=dict(request.headers),
            time=time.perf_counter(),
            wall_time=time.time(),
        )
        core.requests.append(rec)
        headers: dict[str, str] = {"Via": "1.1 google"}
        try:
            if version != API_VERSION:
                raise DiscordHTTPError(404, dict(NOT_FOUND_BODY))
            route, params = self._match(request.method, path)
            rec.template, rec.params = route.template, params
            await self._read_body(request, rec)
            fault = self._take_fault(request.method, path, route.template)
            if fault is not None:
                rec.injected = True
                headers.update(fault.headers)
                raise DiscordHTTPError(fault.status, copy.deepcopy(fault.body))
            if route.auth == "bot" and request.headers.get("Authorization") != f"Bot {core.token}":
                raise DiscordHTTPError(401, {"message": "401: Unauthorized", "code": 0})
            if route.auth != "none":
                decision = core.rate_limits.check(
                    request.method, route.template, params, counts_global=route.auth == "bot"
                )
                headers.update(decision.headers)
                if decision.rejected is not None:
                    raise DiscordHTTPError(decision.status, decision.rejected)
            ctx = Ctx(request, rec, params)
            if core.validate:
                errors = route.check(ctx) if route.check is not None else spec_errors(ctx)
                if errors:
                    raise form_error(errors)
            status, body = route.handler(ctx)
        except DiscordHTTPError as exc:
            status, body = exc.status, exc.body
            headers.update(exc.headers)
        rec.status, rec.response = status, body
        if status >= 400:
            (core.injected if rec.injected else core.errors).append(rec)
        core._notifier.notify()
        if body is None:
            return web.Response(status=status, headers=headers)
        headers["Content-Type"] = "application/json"
        return web.Response(status=status, body=json.dumps(body).encode(), headers=headers)

    async def attachment(self, request: web.Request) -> web.StreamResponse:
        data = self.core.attachment_data.get(int(request.match_info["attachment_id"]))
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    def _match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        method_mismatch = False
        for route in self.routes:
            m = route.regex.fullmatch(path)
            if m is None:
                continue
            if route.method != method:
                method_mismatch = True
                continue
            return route, m.groupdict()
        if method_mismatch:
            raise DiscordHTTPError(405, {"message": "405: Method Not Allowed", "code": 0})
        raise DiscordHTTPError(404, dict(NOT_FOUND_BODY))

    async def _read_body(self, request: web.Request, rec: RecordedRequest) -> None:
        if request.content_type == "multipart/form-data":
            rec.multipart = True
            reader = await request.multipart()
            index = 0
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, aiohttp.BodyPartReader):
                    continue
                if part.name == "payload_json":
                    rec.json = _parse_json(await part.read())
                elif part.filename is not None:
                    rec.files.append(
                        UploadedFile(
                            part.name or f"files[{index}]",
                            part.filename,
                            part.headers.get("Content-Type"),
                            bytes(await part.read()),
                        )
                    )
                    index += 1
            return
        raw = await request.read()
        if raw:
            rec.json = _parse_json(raw)

    def _take_fault(self, method: str, path: str, template: str) -> Fault | None:
        for fault in self.core.faults:
            if fault.remaining > 0 and fault.matches(method, path, template):
                fault.remaining -= 1
                fault.hits += 1
                return fault
        return None


def _parse_json(raw: bytes | bytearray) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise api_error(400, 50109, "The request body contains invalid JSON.") from None
