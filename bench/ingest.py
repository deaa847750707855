"""Ingest from files: reviews per second at two sizes, growth, and the database's size.

Baseline, in the same run: reading, parsing and summarising the first files in one process, with
nothing stored — the CPU work every review costs before any of it reaches SQLite. The ingest figures
are compared with it, so a loaded machine shows in both.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from pathlib import Path

from bench import corpus
from bench.report import Section, verdict
from bot.domain.festivals import FestivalTable
from bot.sources.ingest import ingest_paths, read_review
from bot.storage.store import open_store
from bot.summary.summarizer import summarize

TARGET_RATE = 1000.0
TARGET_GROWTH = 12.0


def fresh(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def db_bytes(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(os.path.getsize(f"{db}{s}") for s in ("", "-wal") if os.path.exists(f"{db}{s}"))


def baseline_rate(root: Path, count: int, table: FestivalTable) -> float:
    """Reviews per second read, parsed and summarised in this process, nothing stored."""
    paths = [root / corpus.relative_path(i) for i in range(count)]
    started = time.perf_counter()
    for path in paths:
        review = read_review(path, None, table)
        assert not hasattr(review, "status"), review
        summarize(review)  # type: ignore[arg-type]
    return count / (time.perf_counter() - started)


async def timed_ingest(root: Path, count: int, db: Path, table: FestivalTable) -> tuple[float, float, dict[str, int]]:
    """Seconds taken, CPU seconds of this (the writing) process, and how many files got each status."""
    fresh(db)
    async with open_store(db) as store:
        started, cpu = time.perf_counter(), time.process_time()
        outcomes = await ingest_paths(store, corpus.shards(root, count), table=table)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    statuses: dict[str, int] = {}
    for outcome in outcomes:
        statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
    return elapsed, cpu, statuses


def run(section: Section, out: Path, seed: int, small: int, large: int) -> Path:
    """Ingest ``small`` then ``large`` reviews into fresh databases; returns the large one for the other benches."""
    table = FestivalTable.load()
    started = time.perf_counter()
    root = corpus.ensure_corpus(out, seed, large)
    section.add(
        f"- Corpus: seed {seed}, {large:,} files under `{root.relative_to(out.parent.parent)}` "
        f"(made or reused in {time.perf_counter() - started:.1f} s); "
        f"first 200 files' SHA-256 `{corpus.digest(root, 200)[:16]}` (same seed, same bytes)."
    )
    sizes = [os.path.getsize(root / corpus.relative_path(i)) for i in range(0, large, max(1, large // 2000))]
    words = [len((root / corpus.relative_path(i)).read_text(encoding="utf-8").split()) for i in range(0, 500)]
    section.add(
        f"- Files: {sum(sizes) / len(sizes) / 1024:.1f} KiB and {sum(words) / len(words):.0f} words on average "
        f"(words {min(words)}–{max(words)} in the first 500)."
    )
    base = baseline_rate(root, min(500, small), table)
    section.add(
        f"- Baseline (read + parse + summarise in one process, nothing stored): {base:,.0f} reviews/s "
        f"= {1000 / base:.2f} ms per review."
    )
    results = {}
    for count in (small, large):
        db = out / f"ingest-{count}.db"
        elapsed, cpu, statuses = asyncio.run(timed_ingest(root, count, db, table))
        rate = count / elapsed
        results[count] = elapsed
        section.add(
            f"- Ingest {count:,} files into a fresh database: {elapsed:.1f} s = **{rate:,.0f} reviews/s** "
            f"({rate / base:.2f}x the baseline; {statuses}; the writing process {cpu / count * 1000:.2f} ms CPU "
            f"per review, the parsing workers the rest); target ≥ {TARGET_RATE:,.0f}/s: {verdict(rate >= TARGET_RATE)}."
        )
    growth = results[large] / results[small]
    section.add(
        f"- Growth: {large:,} took {growth:.1f}x as long as {small:,} ({large / small:.0f}x the data); "
        f"target ≤ {TARGET_GROWTH:.0f}x (for 10x the data): {verdict(growth <= TARGET_GROWTH * large / small / 10)}."
    )
    big = out / f"ingest-{large}.db"
    size = db_bytes(big)
    section.add(
        f"- Database: {size / 1e6:,.0f} MB for {large:,} reviews = "
        f"**{size / large * 1000 / 1e6:.1f} MB per 1,000 reviews** "
        "(after a WAL checkpoint)."
    )
    return big
