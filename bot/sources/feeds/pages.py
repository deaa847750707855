"""One article page: fetched, decoded and read into review text; stored by URL with :func:`ingest_url`."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass

import aiohttp
from pydantic import BaseModel, ConfigDict

from bot import metrics
from bot.domain.festivals import FestivalTable
from bot.domain.models import Review, Summary
from bot.parsing.parser import parse_review_text
from bot.parsing.text_file import ReviewParseError
from bot.sources.article.front_matter import review_document
from bot.sources.article.metadata import PageMeta, page_metadata
from bot.sources.article.review_text import extract_review_text, text_digest
from bot.sources.article.tree import ExtractError
from bot.sources.feeds.guard import FetchPolicy
from bot.sources.feeds.http import FetchError, FetchLimits, client_session, fetch, http_url, url_problem
from bot.sources.ingest import store_review
from bot.sources.workers import IN_PROCESS, JobFailed, Jobs
from bot.storage import feeds as feedstore
from bot.storage.store import Store
from bot.summary.summarizer import summarize

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


def page_document(
    page: ArticlePage,
    *,
    festival: str | None,
    published_at: dt.datetime | None = None,
    reviewer: str | None = None,
) -> str:
    """The page's text with what its metadata states as front matter; a feed entry's date and author first."""
    return review_document(
        page.text,
        url=page.canonical_url,
        published_at=published_at or page.meta.published_at,
        reviewer=reviewer or page.meta.author,
        festival=festival,
        publication=page.meta.publication,
        rating=page.meta.rating,
        image_url=page.meta.image_url,
    )


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


def read_page(body: bytes, charset: str | None, url: str) -> tuple[PageMeta, str] | str:
    """A worker's job: a page's bytes decoded and read into its metadata and review text, or why it holds none."""
    html = decode_html(body, charset)
    try:
        return page_metadata(html, url=url), extract_review_text(html, url=url)
    except ExtractError as exc:
        return f"no article on the page: {exc}"


def read_document(document: str, source: str, table: FestivalTable) -> tuple[Review, Summary] | str:
    """A worker's job: a page's text, with its front matter, parsed and summarised; or why it is not a review."""
    try:
        review = parse_review_text(document, source=source, table=table)
    except ReviewParseError as exc:
        return f"not a review: {exc.reason}"
    return review, summarize(review)


async def fetch_page(
    session: aiohttp.ClientSession, url: str, limits: FetchLimits, jobs: Jobs = IN_PROCESS
) -> ArticlePage:
    """Fetch and read one article page; raises :class:`FetchError` (not retryable) when it holds no article.

    trafilatura and lxml are CPU work: the running bot reads pages in its worker processes (``jobs``).
    """
    fetched = await fetch(session, url, limits=limits, kind="page")
    try:
        read = await jobs.run(read_page, fetched.body, fetched.charset, fetched.url)
    except JobFailed as exc:
        raise FetchError(exc.reason, retryable=False) from exc
    if isinstance(read, str):
        raise FetchError(read, retryable=False)
    meta, text = read
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
    jobs: Jobs = IN_PROCESS,
) -> PageOutcome:
    """Fetch one article page and store it as a review (``festbot ingest URL``).

    A page a feed already brought is updated silently (announce=False) rather than announced twice.
    Without a ``session``, one is opened that fetches only what ``policy`` allows (by default, only
    public addresses).
    ``jobs`` is where the page is read and parsed (see :func:`fetch_page`).
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
            page = await fetch_page(session, clean, limits, jobs)
        except FetchError as exc:
            return PageOutcome(url=clean, status="failed" if exc.retryable else "rejected", reason=exc.reason)
    known = await feedstore.find_page(store, canonical_url=page.canonical_url, digest=page.digest)
    document = page_document(page, festival=festival)
    try:
        read = await jobs.run(read_document, document, page.canonical_url, table)
    except JobFailed as exc:
        read = exc.reason
    if isinstance(read, str):
        return PageOutcome(url=page.canonical_url, status="rejected", reason=read)
    review, summary = read
    announce = announce and known is None
    result = await store_review(store, review, source=page.canonical_url, announce=announce, summary=summary)
    metrics.ingested("page", result.status)
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
