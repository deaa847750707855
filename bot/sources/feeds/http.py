"""One GET within limits, for feeds and article pages.

Every request is bounded by a timeout, a size limit enforced while the body streams in, and a
redirect limit, so no publisher can hang the poller or fill its memory; the session it runs on
(:func:`client_session`) refuses addresses the :class:`~bot.sources.feeds.guard.FetchPolicy` does not
allow, at every hop. Whatever goes wrong comes back as a :class:`FetchError` whose reason is fit for a
log line, whose ``retryable`` says whether trying later can help and whose ``retry_after`` is how long
the server asked us to wait.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import math
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp

from bot.sources.feeds.guard import AddressRefused, FetchPolicy, guarded_session

USER_AGENT = "festbot/0.1 (festival review feed reader)"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Content types that cannot be a feed whatever the body says; anything else is left to feedparser.
_BINARY_PREFIXES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip")
_SNIFF_HTML = re.compile(rb"^\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html|<head|<body)", re.IGNORECASE | re.DOTALL)
#: Longer URLs are refused: browsers and servers commonly stop at 2,048 characters, and a stored key
#: or log line built from a URL should stay short.
MAX_URL_LENGTH = 2048
_BLANK_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")


class FetchError(Exception):
    """A request that produced nothing usable; ``retryable`` says whether trying later can help."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        #: Seconds the server asked us to wait (its ``Retry-After``, capped), when it said.
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[Any, ...]:
        # Raised in a worker process too (parsing a feed document): it must come back whole, keywords included.
        return (_fetch_error, (self.reason, self.retryable, self.retry_after))


def _fetch_error(reason: str, retryable: bool, retry_after: float | None) -> FetchError:
    return FetchError(reason, retryable=retryable, retry_after=retry_after)


@dataclass(frozen=True)
class FetchLimits:
    """Bounds on every request, so no publisher can hang the poller or fill its memory."""

    timeout: float = 20.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    #: The longest a ``Retry-After`` is honoured: a server asking for a week gets six hours.
    max_retry_after: float = 6 * 3600.0


@dataclass(frozen=True)
class Fetched:
    """A response read whole (within limits); ``status`` 304 has an empty body."""

    url: str
    status: int
    body: bytes
    content_type: str
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None


def url_problem(url: str) -> str | None:
    """Why ``url`` is not an absolute http(s) URL we would fetch, in a few words; None when it is one."""
    text = url.strip()
    if not text:
        return "empty"
    if _BLANK_OR_CONTROL.search(text):
        return "not a valid URL (it contains spaces or control characters)"
    if len(text) > MAX_URL_LENGTH:
        return f"longer than {MAX_URL_LENGTH:,} characters"
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port  # noqa: B018 - parsed on access, and raises for a port out of range
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):  # urlsplit lower-cases the scheme: HTTP:// is a URL
        return "not an http(s) URL"
    if not parts.hostname:
        return "not a valid URL (no host)"
    return None


def http_url(url: str) -> str | None:
    """``url`` without its fragment if it is an absolute http(s) URL (see :func:`url_problem`), else None."""
    if url_problem(url) is not None:
        return None
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url.strip())._replace(fragment=""))


def client_session(policy: FetchPolicy) -> aiohttp.ClientSession:
    """A session that names the bot to publishers and fetches only what ``policy`` allows.

    Open it inside the running event loop. A session made any other way skips the address checks.
    """
    return guarded_session(policy, headers={"User-Agent": USER_AGENT})


def parse_retry_after(value: str | None, *, cap: float, now: dt.datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delay-seconds or an HTTP-date), within ``[0, cap]``.

    None when there is no header or it is neither form: the caller's own back-off applies then.
    """
    if value is None or not (text := value.strip()):
        return None
    if text.isascii() and text.isdigit():
        # Twenty digits would still parse, but nothing longer than the cap needs to.
        return cap if len(text) > 12 else min(float(int(text)), cap)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)  # HTTP-dates are GMT
    seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    return min(max(seconds, 0.0), cap) if math.isfinite(seconds) else None


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    *,
    limits: FetchLimits,
    kind: Literal["feed", "page"],
    headers: dict[str, str] | None = None,
) -> Fetched:
    """GET ``url`` within ``limits``; raises :class:`FetchError` with a reason fit for a log line."""
    problem = url_problem(url)
    if problem is not None:
        raise FetchError(problem, retryable=False)
    try:
        async with asyncio.timeout(limits.timeout):
            async with session.get(
                url,
                headers=headers,
                allow_redirects=True,
                max_redirects=limits.max_redirects,
                timeout=aiohttp.ClientTimeout(total=limits.timeout),
            ) as response:
                return await _read(response, limits=limits, kind=kind)
    except AddressRefused as exc:
        raise FetchError(exc.reason, retryable=False) from exc
    except aiohttp.TooManyRedirects as exc:
        raise FetchError(f"too many redirects (more than {limits.max_redirects})", retryable=True) from exc
    except TimeoutError as exc:
        raise FetchError(f"timed out after {limits.timeout:g} s", retryable=True) from exc
    except aiohttp.InvalidURL as exc:
        raise FetchError(f"not a valid URL: {exc}", retryable=False) from exc
    except aiohttp.ClientResponseError as exc:
        raise FetchError(f"bad HTTP response: {exc.message or exc}", retryable=True) from exc
    except aiohttp.ClientError as exc:
        raise FetchError(f"network error: {exc or type(exc).__name__}", retryable=True) from exc


async def _read(response: aiohttp.ClientResponse, *, limits: FetchLimits, kind: Literal["feed", "page"]) -> Fetched:
    if response.status == 304:
        return Fetched(
            url=str(response.url),
            status=304,
            body=b"",
            content_type="",
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
        )
    if not 200 <= response.status < 300:
        retryable = response.status >= 500 or response.status in (408, 425, 429)
        raise FetchError(
            f"HTTP {response.status} {response.reason or ''}".strip()[:200],
            retryable=retryable,
            retry_after=parse_retry_after(response.headers.get("Retry-After"), cap=limits.max_retry_after)
            if retryable
            else None,
        )
    content_type = response.content_type.lower()
    # Decide on the type before reading: a 50 MB PDF is refused without downloading it.
    if kind == "page" and content_type not in HTML_TYPES and content_type not in ("application/octet-stream", ""):
        raise FetchError(f"not an HTML page (content type {content_type})", retryable=False)
    if kind == "feed" and content_type.startswith(_BINARY_PREFIXES):
        raise FetchError(f"not a feed (content type {content_type})", retryable=False)
    too_large = f"response is larger than {limits.max_bytes:,} bytes"
    if response.content_length is not None and response.content_length > limits.max_bytes:
        raise FetchError(too_large, retryable=False)
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > limits.max_bytes:
            raise FetchError(too_large, retryable=False)
    if kind == "page" and content_type not in HTML_TYPES and not _SNIFF_HTML.match(bytes(body[:2048])):
        raise FetchError("not an HTML page (no content type, and the body is not HTML)", retryable=False)
    return Fetched(
        url=str(response.url),
        status=response.status,
        body=bytes(body),
        content_type=content_type,
        charset=response.charset,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )
