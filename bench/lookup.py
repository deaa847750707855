"""Title resolution and autocomplete over the stored corpus, against a full rapidfuzz scan of every title.

Baseline, in the same run and over the same queries: ``rapidfuzz.process.extract(fold(query),
folded_titles, scorer=WRatio, limit=25)`` over every stored title and original title held in memory —
the simplest thing that finds films by title with typos. Figures are per query, after one warm-up
pass (the first query builds the searcher's in-memory indexes and is reported separately).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from rapidfuzz import fuzz, process

from bench.queries import Query, build, load_titles
from bench.report import Section, summary_ms, verdict
from bot.answers.labels import parse_value
from bot.answers.service import Answers
from bot.domain.festivals import FestivalTable
from bot.domain.text import fold
from bot.search.searcher import Searcher
from bot.storage.store import open_store

TARGET_P99_MS = 5.0
TARGET_SPEEDUP = 10.0


def baseline(db: Path, queries: list[Query]) -> tuple[list[float], list[int | None]]:
    titles = load_titles(db)
    choices: list[str] = []
    owners: list[int] = []
    for review_id, folded, original in zip(titles.ids, titles.folded, titles.folded_original, strict=True):
        choices.append(folded)
        owners.append(review_id)
        if original and original != folded:
            choices.append(original)
            owners.append(review_id)
    times: list[float] = []
    tops: list[int | None] = []
    for query in queries:
        started = time.perf_counter()
        found = process.extract(fold(query.text), choices, scorer=fuzz.WRatio, limit=25)
        times.append(time.perf_counter() - started)
        tops.append(owners[found[0][2]] if found else None)
    return times, tops


async def measured(db: Path, queries: list[Query]) -> dict[str, object]:
    async with open_store(db) as store:
        # Search and autocomplete answer with films; a film is right when it is the query's review's film.
        films = await store.reads.fetchall(
            "SELECT id, film_id FROM reviews WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps([q.review_id for q in queries]),),
        )
        review_of_film = {int(film): int(review) for review, film in films}
        searcher = Searcher(store)
        answers = Answers(store, searcher, FestivalTable.load())
        started = time.perf_counter()
        await searcher.search(queries[0].text)
        first = time.perf_counter() - started
        for query in queries[:50]:  # warm-up
            await searcher.search(query.text)
        search_times: list[float] = []
        search_tops: list[int | None] = []
        for query in queries:
            started = time.perf_counter()
            hits = await searcher.search(query.text)
            search_times.append(time.perf_counter() - started)
            search_tops.append(review_of_film.get(hits[0].film_id) if hits else None)
        complete_times: list[float] = []
        complete_tops: list[int | None] = []
        for query in queries:
            started = time.perf_counter()
            choices = await answers.autocomplete(query.text)
            complete_times.append(time.perf_counter() - started)
            value = parse_value(choices[0].value) if choices else None
            complete_tops.append(review_of_film.get(value[1]) if value else None)
        return {
            "first": first,
            "search": (search_times, search_tops),
            "autocomplete": (complete_times, complete_tops),
        }


def accuracy(queries: list[Query], tops: list[int | None], kind: str | None = None) -> tuple[int, int]:
    pairs = [(q, t) for q, t in zip(queries, tops, strict=True) if kind is None or q.kind == kind]
    return sum(1 for q, t in pairs if t == q.review_id), len(pairs)


def run(section: Section, out: Path, db: Path, seed: int, stride: int = 1) -> None:
    started = time.perf_counter()
    queries = build(db, seed, out / "queries.json")[::stride]
    kinds = sorted({q.kind for q in queries}, key=[q.kind for q in queries].index)
    section.add(
        f"- Query set: {len(queries)} queries "
        f"({', '.join(f'{sum(q.kind == k for q in queries)} {k}' for k in kinds)}"
        + (f"; every {stride}th of the 500" if stride > 1 else "")
        + f"), built in {time.perf_counter() - started:.1f} s, written to `bench/out/queries.json`."
    )
    base_times, base_tops = baseline(db, queries)
    results = asyncio.run(measured(db, queries))
    base = summary_ms(base_times)
    section.add(
        f"- Baseline (rapidfuzz WRatio over all titles in memory): p50 {base['p50']:.2f} ms, p99 {base['p99']:.2f} ms."
    )
    section.add(
        f"- First search after opening the store (builds the in-memory indexes): {results['first'] * 1000:.0f} ms."
    )
    section.add("")
    section.add("| | p50 ms | p99 ms | max ms | speed-up vs baseline (p50 / p99) | top-1 accuracy |")
    section.add("| --- | --- | --- | --- | --- | --- |")
    base_ok, total = accuracy(queries, base_tops)
    section.add(
        f"| baseline scan | {base['p50']:.2f} | {base['p99']:.2f} | {base['max']:.2f} | 1x | {base_ok}/{total} |"
    )
    verdicts = []
    for name in ("search", "autocomplete"):
        times, tops = results[name]  # type: ignore[misc]
        s = summary_ms(times)
        ok, _ = accuracy(queries, tops)
        speed50, speed99 = base["p50"] / s["p50"], base["p99"] / s["p99"]
        section.add(
            f"| `{'Searcher.search' if name == 'search' else 'Answers.autocomplete'}` "
            f"| {s['p50']:.2f} | {s['p99']:.2f} | {s['max']:.2f} | {speed50:.1f}x / {speed99:.1f}x | {ok}/{total} |"
        )
        verdicts.append(
            f"{name}: p99 ≤ {TARGET_P99_MS:.0f} ms {verdict(s['p99'] <= TARGET_P99_MS)}, "
            f"≥ {TARGET_SPEEDUP:.0f}x faster {verdict(speed50 >= TARGET_SPEEDUP and speed99 >= TARGET_SPEEDUP)}, "
            f"accuracy ≥ baseline {verdict(ok >= base_ok)}"
        )
    section.add("")
    section.add("Top-1 accuracy by kind (baseline / search / autocomplete):")
    section.add("")
    for kind in kinds:
        b, n = accuracy(queries, base_tops, kind)
        s_ok, _ = accuracy(queries, results["search"][1], kind)  # type: ignore[index]
        a_ok, _ = accuracy(queries, results["autocomplete"][1], kind)  # type: ignore[index]
        section.add(f"- {kind}: {b}/{n} / {s_ok}/{n} / {a_ok}/{n}")
    section.add("")
    for line in verdicts:
        section.add(f"- Targets, {line}.")
