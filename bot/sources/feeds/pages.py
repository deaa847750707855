"""One article page: fetched, decoded and read into review text; stored by URL with :func:`ingest_url`."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
from dataclasses import dataclass

import aiohttp
from pydantic import BaseModel, ConfigDict

from bot.domain.festivals import FestivalTable
from bot.parsing.parser import parse_review_text
from bot.parsing.text_file import ReviewParseError
from bot.sources.article.front_matter import review_document
from bot.sources.article.metadata import PageMeta, page_metadata
from bot.sources.article.review_text import extract_review_text, text_digest
from bot.sources.article.tree import ExtractError
from bot.sources.feeds.guard import FetchPolicy
from bot.sources.feeds.http import FetchError, FetchLimits, client_session, fetch, http_url, url_problem
from bot.sources.ingest import store_review
from bot.storage import feeds as feedstore
from bot.storage.store import Store

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)


class PageOutcome(BaseModel):
    """What became of one page: ``added``, ``updated``, ``unchanged``, ``duplicate``, ``rejected``, ``failed``
    (to be retried) or ``error`` (an unexpected exception, logged with its traceback)."""

    model_config = ConfigDict(frozen=True)

    url: str
    status: str
    review_id: int | None = None
    title: str | None = None
    reason: str | None = None
    announce: bool | None = None

    def line(self) -> str:
        if self.status in ("rejected", "failed", "error"):
            return f"{self.status:<10} {self.url}: {self.reason}"
        return f"{self.status:<10} {self.url}: {self.title} (#{self.review_id})"


@dataclass(frozen=True)
class ArticlePage:
    """A fetched page read into review text; ``digest`` finds the same text under another URL."""

    url: str
    canonical_url: str
    meta: PageMeta
    text: str
    digest: str


def decode_html(body: bytes, charset: str | None) -> str:
    """Bytes of a page as text: the HTTP charset, else the ``<meta charset>``, else UTF-8, else Windows-1252."""
    declared = _META_CHARSET.search(body[:4096])
    candidates = [charset, declared.group(1).decode("ascii", "ignore") if declared else None, "utf-8"]
    for encoding in candidates:
        if not encoding:
            continue
        try:
            return body.decode(encoding).lstrip("\ufeff")
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp1252", errors="replace")


def _extract(html: str, url: str) -> tuple[PageMeta, str]:
    return page_metadata(html, url=url), extract_review_text(html, url=url)


async def fetch_page(session: aiohttp.ClientSession, url: str, limits: FetchLimits) -> ArticlePage:
    """Fetch and read one article page; raises :class:`FetchError` (not retryable) when it holds no article."""
    fetched = await fetch(session, url, limits=limits, kind="page")
    html = decode_html(fetched.body, fetched.charset)
    try:
        # trafilatura and lxml are CPU work: off the event loop, so other feeds keep moving.
        meta, text = await asyncio.to_thread(_extract, html, fetched.url)
    except ExtractError as exc:
        raise FetchError(f"no article on the page: {exc}", retryable=False) from exc
    return ArticlePage(url=url, canonical_url=meta.canonical_url or url, meta=meta, text=text, digest=text_digest(text))


async def ingest_url(
    store: Store,
    url: str,
    *,
    table: FestivalTable,
    festival: str | None = None,
    session: aiohttp.ClientSession | None = None,
    limits: FetchLimits | None = None,
    policy: FetchPolicy | None = None,
    announce: bool = True,
) -> PageOutcome:
    """Fetch one article page and store it as a review (``festbot ingest URL``).

    A page a feed already brought is updated silently (announce=False) rather than announced twice.
    Without a ``session``, one is opened that fetches only what ``policy`` allows (by default, only
    public addresses).
    """
    limits = limits or FetchLimits()
    problem = url_problem(url)
    clean = http_url(url)
    if problem is not None or clean is None:
        shown = url.strip() if len(url.strip()) <= 200 else url.strip()[:197] + "..."
        return PageOutcome(url=shown, status="rejected", reason=problem)
    async with contextlib.AsyncExitStack() as stack:
        if session is None:
            session = await stack.enter_async_context(client_session(policy or FetchPolicy()))
        try:
            page = await fetch_page(session, clean, limits)
        except FetchError as exc:
            return PageOutcome(url=clean, status="failed" if exc.retryable else "rejected", reason=exc.reason)
    known = await feedstore.find_page(store, canonical_url=page.canonical_url, digest=page.digest)
    document = review_document(
        page.text,
        url=page.canonical_url,
        published_at=page.meta.published_at,
        reviewer=page.meta.author,
        festival=festival,
    )
    try:
        review = parse_review_text(document, source=page.canonical_url, table=table)
    except ReviewParseError as exc:
        return PageOutcome(url=page.canonical_url, status="rejected", reason=f"not a review: {exc.reason}")
    announce = announce and known is None
    result = await store_review(store, review, source=page.canonical_url, announce=announce)
    if known is None:
        await feedstore.save_entry(
            store,
            feed_id=None,
            entry_key=page.canonical_url,
            now=dt.datetime.now(dt.UTC),
            status=result.status,
            url=clean,
            canonical_url=page.canonical_url,
            content_hash=page.digest,
            review_id=result.review_id,
            announce=announce,
        )
    return PageOutcome(
        url=page.canonical_url, status=result.status, review_id=result.review_id, title=result.title, announce=announce
    )
