"""Files and folders -> parser -> store, one transaction per file, with a verdict per file."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from bot.festivals import FestivalTable
from bot.models import IngestStatus, Review
from bot.parser import ReviewParseError, decode_review_bytes, parse_review_text
from bot.store import Store
from bot.summary import summarize

log = logging.getLogger(__name__)

REVIEW_SUFFIXES = (".txt", ".text")
SEEDED_KEY = "seeded"


class FileOutcome(BaseModel):
    """What happened to one file: ``added``, ``updated``, ``unchanged`` or ``rejected`` (with the reason)."""

    model_config = ConfigDict(frozen=True)

    path: Path
    status: str
    review_id: int | None = None
    title: str | None = None
    reason: str | None = None

    def line(self) -> str:
        if self.status == "rejected":
            return f"rejected   {self.path}: {self.reason}"
        return f"{self.status:<10} {self.path}: {self.title} (#{self.review_id})"


async def store_review(store: Store, review: Review, *, source: str, announce: bool = True) -> IngestStatus:
    """The one way a parsed review enters the store, from any source: summarised, then stored."""
    return await store.ingest(review, source=source, summary=summarize(review), announce=announce)


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given; folders walked for review files in a stable order, hidden files skipped."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and child.suffix.lower() in REVIEW_SUFFIXES and not hidden:
                    yield child
        else:
            yield path


async def ingest_file(
    store: Store, path: Path, *, festival: str | None = None, table: FestivalTable | None = None, announce: bool = True
) -> FileOutcome:
    """Parse and store one file; a file that cannot be read or parsed is rejected whole."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return FileOutcome(path=path, status="rejected", reason=f"cannot read the file ({exc.strerror or exc})")
    try:
        review = parse_review_text(
            decode_review_bytes(data, str(path)), source=str(path), festival=festival, table=table
        )
    except ReviewParseError as exc:
        return FileOutcome(path=path, status="rejected", reason=exc.reason)
    result = await store_review(store, review, source=f"file:{path.resolve()}", announce=announce)
    return FileOutcome(path=path, status=result.status, review_id=result.review_id, title=result.title)


async def ingest_paths(
    store: Store,
    paths: Iterable[Path],
    *,
    festival: str | None = None,
    table: FestivalTable | None = None,
    announce: bool = True,
) -> list[FileOutcome]:
    table = table or FestivalTable.load()
    outcomes = []
    for path in expand_paths(paths):
        outcome = await ingest_file(store, path, festival=festival, table=table, announce=announce)
        log.info("%s", outcome.line())
        outcomes.append(outcome)
    return outcomes


async def ensure_seeded(store: Store, reviews_dir: Path, table: FestivalTable | None = None) -> None:
    """Load the shipped reviews once, so a fresh clone answers for *Return to Dust* with no other step.

    They are a back catalogue: stored, never announced.
    """
    if await store.get_meta(SEEDED_KEY) or not reviews_dir.is_dir():
        return
    outcomes = await ingest_paths(store, [reviews_dir], table=table, announce=False)
    for outcome in outcomes:
        if outcome.status == "rejected":
            log.warning("shipped review not loaded: %s", outcome.line())
    await store.set_meta(SEEDED_KEY, str(len(outcomes)))
