"""One GET within limits, for feeds and article pages.

Every request is bounded by a timeout, a size limit enforced while the body streams in, and a
redirect limit, so no publisher can hang the poller or fill its memory. Whatever goes wrong comes
back as a :class:`FetchError` whose reason is fit for a log line and whose ``retryable`` says whether
trying later can help.
"""

from __future__ import annotations

import asyncio
import re
import urllib.parse
from dataclasses import dataclass
from typing import Literal

import aiohttp

USER_AGENT = "festbot/0.1 (festival review feed reader)"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Content types that cannot be a feed whatever the body says; anything else is left to feedparser.
_BINARY_PREFIXES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip")
_SNIFF_HTML = re.compile(rb"^\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html|<head|<body)", re.IGNORECASE | re.DOTALL)


class FetchError(Exception):
    """A request that produced nothing usable; ``retryable`` says whether trying later can help."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class FetchLimits:
    """Bounds on every request, so no publisher can hang the poller or fill its memory."""

    timeout: float = 20.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5


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


def http_url(url: str) -> str | None:
    """``url`` without its fragment if it is an absolute http(s) URL, else None."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return urllib.parse.urlunsplit(parts._replace(fragment=""))


def client_session() -> aiohttp.ClientSession:
    """A session that names the bot to publishers; open it inside the running event loop."""
    return aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    *,
    limits: FetchLimits,
    kind: Literal["feed", "page"],
    headers: dict[str, str] | None = None,
) -> Fetched:
    """GET ``url`` within ``limits``; raises :class:`FetchError` with a reason fit for a log line."""
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
        raise FetchError(f"HTTP {response.status} {response.reason or ''}".strip(), retryable=retryable)
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
