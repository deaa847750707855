"""``festbot resummarize``: stored summaries made by an older summariser are brought up to date, on both engines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.domain.festivals import FestivalTable
from bot.domain.models import Review, Summary
from bot.parsing.parser import parse_review_text
from bot.storage.store import Store, open_store
from bot.summary.summarizer import summarize
from tests.conftest import ROOT, SEED, database_env

DEV = ROOT / "bench" / "review_set" / "dev"

STALE = Summary(verdict=["An old verdict."], story=[], prospects=[], logline="old")


def _reviews(festivals: FestivalTable) -> list[Review]:
    paths = [SEED, DEV / "brambleshank.txt", DEV / "honey-tax.txt"]
    return [parse_review_text(p.read_text(encoding="utf-8"), source=p.name, table=festivals) for p in paths]


async def test_every_stale_summary_is_replaced_and_a_second_run_changes_nothing(
    store: Store, festivals: FestivalTable
) -> None:
    reviews = _reviews(festivals)
    for review in reviews:
        await store.ingest(review, summary=STALE)
    await store.ingest(reviews[0].model_copy(update={"title": "No Summary Yet"}))  # stored before summaries
    before = store.reviews_generation

    assert await store.resummarize(summarize, page=2) == (4, 4)  # pages of two: the paging is exercised

    rows = await store.reads.fetchall("SELECT id FROM reviews ORDER BY id")
    for (review_id,) in rows:
        stored = await store.get(int(review_id))
        assert stored is not None
        assert stored.summary == summarize(stored.review)
        assert stored.summary.verdict and stored.summary.prospects
    assert store.reviews_generation > before, "caches of verdict lines must learn of the change"
    assert await store.resummarize(summarize) == (4, 0)


async def test_an_empty_database_is_no_failure(store: Store) -> None:
    assert await store.resummarize(summarize) == (0, 0)


async def test_the_command_reports_the_count(database: Path | str, festivals: FestivalTable) -> None:
    async with open_store(database) as store:
        for review in _reviews(festivals):
            await store.ingest(review, summary=STALE)
    env = {**os.environ, **database_env(database)}
    run = [sys.executable, "-m", "bot.cli", "resummarize"]
    first = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "re-summarised 3 reviews: 3 summaries changed"
    again = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert again.stdout.strip() == "re-summarised 3 reviews: 0 summaries changed"
    async with open_store(database) as store:
        row = await store.reads.fetchone("SELECT count(*) FROM reviews WHERE summary LIKE '%An old verdict%'")
        assert row is not None and row[0] == 0
