"""Time ``bot.summary.summarizer.summarize`` per review, next to baselines measured in the same run.

Usage: ``.venv/bin/python bench/summary_speed.py [--rounds 200]``

Reviews: the seed plus every review in ``bench/summary_set/`` (parsed once, untimed). Each round calls
each function once per review; the figures are milliseconds per review over all calls (mean, p99,
max). Baselines, over the same reviews in the same run, so machine load shows in both:

- ``str.split``: splitting the review's text (standfirst, body, pull quote) on whitespace, the
  cheapest possible look at every word;
- ``split_sentences``: only cutting the body into sentences, the part of the work that must happen.

The ratio says what the scoring costs on top of reading the text, whatever the machine. The budget
is 5 ms per review; this prints whether the p99 is inside it but asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.domain.festivals import FestivalTable  # noqa: E402
from bot.domain.models import Review  # noqa: E402
from bot.parsing.parser import parse_review_text  # noqa: E402
from bot.summary.sentences import split_sentences  # noqa: E402
from bot.summary.summarizer import summarize  # noqa: E402

BUDGET_MS = 5.0


def load_reviews() -> list[Review]:
    table = FestivalTable.load()
    paths = [
        ROOT / "bot" / "shipped" / "reviews" / "return-to-dust.txt",
        *sorted((ROOT / "bench" / "summary_set").glob("*.txt")),
    ]
    return [parse_review_text(p.read_text(encoding="utf-8"), source=p.name, table=table) for p in paths]


def _text(review: Review) -> str:
    return "\n\n".join([review.headline or "", *review.body, review.pull_quote or ""])


def _split_words(review: Review) -> object:
    return _text(review).split()


def _split_body(review: Review) -> object:
    return [split_sentences(p) for p in review.body]


def time_calls(function: Callable[[Review], object], reviews: list[Review], rounds: int) -> list[float]:
    """Milliseconds of every call, ``rounds`` times over every review, after one warm-up round."""
    for review in reviews:
        function(review)
    samples: list[float] = []
    gc.collect()
    for _ in range(rounds):
        for review in reviews:
            start = time.perf_counter_ns()
            function(review)
            samples.append((time.perf_counter_ns() - start) / 1e6)
    return samples


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args(argv)

    reviews = load_reviews()
    words = sum(len(_text(r).split()) for r in reviews)
    print(f"{len(reviews)} reviews (seed + set), {words / len(reviews):.0f} words per review on average")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (other work on the machine inflates p99)")
    print(f"{args.rounds} rounds, {args.rounds * len(reviews)} calls per function; ms per review\n")
    results = {
        "summarize": time_calls(summarize, reviews, args.rounds),
        "baseline: split_sentences": time_calls(_split_body, reviews, args.rounds),
        "baseline: str.split": time_calls(_split_words, reviews, args.rounds),
    }
    print(f"{'':28} {'mean':>8} {'p99':>8} {'max':>8}")
    for name, samples in results.items():
        print(f"{name:28} {statistics.fmean(samples):8.3f} {p99(samples):8.3f} {max(samples):8.3f}")
    mean = statistics.fmean(results["summarize"])
    print()
    for name in ("baseline: split_sentences", "baseline: str.split"):
        print(f"summarize / {name.removeprefix('baseline: '):16} = {mean / statistics.fmean(results[name]):7.1f}x")
    seed = time_calls(summarize, reviews[:1], args.rounds)
    print(f"seed alone: mean {statistics.fmean(seed):.3f} ms, p99 {p99(seed):.3f} ms")
    verdict = "inside" if p99(results["summarize"]) < BUDGET_MS else "OVER"
    print(f"budget {BUDGET_MS:.0f} ms per review: p99 is {verdict} it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
