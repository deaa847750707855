"""Score ``bot.summary.summarizer.summarize`` against the hand-marked gold sets in ``bench/summary_set/``.

Usage: ``.venv/bin/python bench/summary_eval.py [-v] [--min 0.8]``

Per part (verdict, story, prospects):

- precision = chosen sentences that are in the review's gold set for that part / sentences chosen,
  pooled over the reviews of a group (micro average);
- recall = share of reviews where the part is *recalled*: at least one gold sentence was chosen, or
  the gold set is empty and nothing was chosen. A part holds at most two sentences while a gold set
  lists every qualifying sentence (up to 15), so "did it find the part" is the meaningful question,
  not "did it find every sentence of it".

Groups, each pooled on its own: ``set`` (the 14 reviews the summariser was developed on), ``seed``
(``bot/shipped/reviews/return-to-dust.txt``), ``external`` (the parser fixtures in ``tests/fixtures/reviews``,
written by someone else; skipped when their text no longer matches the labels) and ``holdout``
(reviews written and marked after the summariser was frozen). ``--min`` exits 1 when a pooled
figure of ``set`` is below it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.domain.festivals import FestivalTable  # noqa: E402
from bot.domain.models import Review, Summary  # noqa: E402
from bot.parsing.parser import parse_review_text  # noqa: E402
from bot.parsing.text_file import decode_review_bytes  # noqa: E402
from bot.summary.sentences import split_sentences  # noqa: E402
from bot.summary.summarizer import PARTS, summarize  # noqa: E402

SET = ROOT / "bench" / "summary_set"
SEED = ROOT / "bot" / "shipped" / "reviews" / "return-to-dust.txt"
FIXTURES = ROOT / "tests" / "fixtures" / "reviews"
PRECISION_DEFINITION = "precision = chosen sentences that are in the gold set / sentences chosen (pooled)"
RECALL_DEFINITION = (
    "recall = share of reviews where at least one chosen sentence is in the gold set "
    "(or the gold set is empty and nothing was chosen)"
)


@dataclass
class Case:
    name: str
    review: Review
    gold: dict[str, list[str]]


@dataclass
class Tally:
    chosen: int = 0
    correct: int = 0
    recalled: int = 0
    reviews: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.chosen if self.chosen else 1.0

    @property
    def recall(self) -> float:
        return self.recalled / self.reviews if self.reviews else 1.0


def norm(text: str) -> str:
    return " ".join(text.split())


def review_sentences(review: Review) -> set[str]:
    """Every sentence a summary may quote: the standfirst, the body's sentences, the pull quote."""
    found = {norm(s) for p in review.body for s in split_sentences(p)}
    found.update(norm(t) for t in (review.headline, review.pull_quote) if t)
    return found


def _pairs(labels_dir: Path, texts_dir: Path) -> Iterator[tuple[str, Path, Path]]:
    for labels in sorted(labels_dir.glob("*.labels.json")):
        name = labels.name.removesuffix(".labels.json")
        yield name, texts_dir / f"{name}.txt", labels


def load_groups(table: FestivalTable) -> tuple[dict[str, list[Case]], list[str]]:
    """The labelled reviews by group, and a note for each labelled review that could not be used."""
    sources = {
        "set": _pairs(SET, SET),
        "seed": iter([("return-to-dust", SEED, SET / "seed" / "return-to-dust.labels.json")]),
        "external": _pairs(SET / "external", FIXTURES),
        "holdout": _pairs(SET / "holdout", SET / "holdout"),
    }
    groups: dict[str, list[Case]] = {}
    notes: list[str] = []
    for group, pairs in sources.items():
        for name, text_path, labels_path in pairs:
            if not text_path.exists():
                notes.append(f"{group}/{name}: skipped, {text_path.relative_to(ROOT)} is missing")
                continue
            text = decode_review_bytes(text_path.read_bytes(), str(text_path))
            review = parse_review_text(text, source=name, table=table)
            gold = json.loads(labels_path.read_text(encoding="utf-8"))
            known = review_sentences(review)
            missing = [s for part in PARTS for s in gold[part] if norm(s) not in known]
            if missing:
                notes.append(f"{group}/{name}: skipped, gold sentence not in the text: {missing[0][:60]!r}")
                if group in ("set", "seed", "holdout"):
                    raise SystemExit(f"labels out of date: {notes[-1]}")
                continue
            groups.setdefault(group, []).append(Case(name, review, gold))
    return groups, notes


def score(case: Case, summary: Summary) -> dict[str, tuple[int, int, bool]]:
    """Per part: (chosen sentences in the gold set, sentences chosen, recalled)."""
    result = {}
    for part in PARTS:
        gold = {norm(s) for s in case.gold[part]}
        chosen = [norm(s) for s in getattr(summary, part)]
        correct = sum(1 for s in chosen if s in gold)
        result[part] = (correct, len(chosen), correct > 0 if gold else not chosen)
    return result


def evaluate(cases: list[Case], verbose: bool) -> tuple[dict[str, Tally], int]:
    tallies = {part: Tally() for part in PARTS}
    premise_loglines = 0
    for case in cases:
        summary = summarize(case.review)
        result = score(case, summary)
        cells = " ".join(f"{c}/{n} {'R' if r else '-'}".rjust(9) for c, n, r in (result[p] for p in PARTS))
        print(f"  {case.name:30} {cells}")
        if verbose:
            for part in PARTS:
                gold = {norm(s) for s in case.gold[part]}
                for sentence in getattr(summary, part):
                    print(f"      {part[:4]} {'ok ' if norm(sentence) in gold else 'BAD'} {sentence}")
            print(f"      logline: {summary.logline}")
        logline = norm(summary.logline.removesuffix("..."))
        premise_loglines += any(norm(s).startswith(logline) for s in case.gold["story"])
        for part in PARTS:
            correct, chosen, recalled = result[part]
            tally = tallies[part]
            tally.correct += correct
            tally.chosen += chosen
            tally.recalled += recalled
            tally.reviews += 1
    return tallies, premise_loglines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="print every chosen sentence, marked")
    parser.add_argument("--min", type=float, default=None, help="exit 1 if a pooled figure of the set is below")
    args = parser.parse_args(argv)

    groups, notes = load_groups(FestivalTable.load())
    print(PRECISION_DEFINITION)
    print(RECALL_DEFINITION)
    for note in notes:
        print("note:", note)
    worst_of_set = 1.0
    for group, cases in groups.items():
        print(
            f"\n{group} ({len(cases)} reviews)            verdict     story prospects   (correct/chosen, R = recalled)"
        )
        tallies, premise_loglines = evaluate(cases, args.verbose)
        for part in PARTS:
            t = tallies[part]
            print(
                f"  {group:8} {part:10} precision {t.precision:.2f} ({t.correct}/{t.chosen})"
                f"   recall {t.recall:.2f} ({t.recalled}/{t.reviews})"
            )
        print(f"  {group:8} logline is (the start of) a gold story sentence in {premise_loglines}/{len(cases)}")
        if group == "set":
            worst_of_set = min(min(t.precision, t.recall) for t in tallies.values())
    return 1 if args.min is not None and worst_of_set < args.min else 0


if __name__ == "__main__":
    raise SystemExit(main())
