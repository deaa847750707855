"""The review-layouts spec's §5.4 scoring of summaries, shared by the trainer and the benchmark.

- Matching normalises both sides (NFC, straight quotes, collapsed whitespace, no trailing
  punctuation); a chosen sentence matches a reference if they are equal, or one contains the other
  and the shorter has at least 90% of the longer one's characters.
- Per part, pooled over reviews: precision = chosen sentences acceptable in that part / chosen;
  recall = parts with at least one acceptable sentence chosen (an empty reference part is right
  only when nothing is chosen); best-hit = parts that contain a best sentence.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.review_eval import check_frozen  # noqa: E402
from bot.domain.festivals import FestivalTable  # noqa: E402
from bot.domain.models import Review  # noqa: E402
from bot.parsing.parser import parse_review_text  # noqa: E402
from bot.parsing.text_file import ReviewParseError, decode_review_bytes  # noqa: E402
from bot.summary.sentences import split_sentences  # noqa: E402

PARTS = ("verdict", "story", "prospects")
REVIEW_SET = ROOT / "bench" / "review_set"
SUMMARY_SET = ROOT / "bench" / "summary_set"
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"'})
_TRAILING = ".,;:!?…"


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).translate(_QUOTES).split()).rstrip(_TRAILING + " ")


def matches(chosen: str, reference: str) -> bool:
    a, b = normalise(chosen), normalise(reference)
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return bool(short) and short in long and len(short) >= 0.9 * len(long)


def matches_any(chosen: str, references: Iterable[str]) -> bool:
    return any(matches(chosen, r) for r in references)


@dataclass
class Case:
    name: str
    layout: str
    review: Review | None  # None: the parser rejected it, so every part scores as empty
    labels: dict[str, dict[str, list[str]]]


def load_part(part: str, root: Path = REVIEW_SET) -> list[Case]:
    """The labelled reviews of ``dev`` or ``blind`` (checked against FROZEN.sha256 first)."""
    folder = root / part
    if part == "blind":
        problems = check_frozen(folder)
        if problems:
            raise SystemExit("the blind part is not as frozen; nothing scored: " + "; ".join(problems))
    table = FestivalTable.load()
    out = []
    for labels_path in sorted(folder.glob("*.labels.json")):
        slug = labels_path.name.removesuffix(".labels.json")
        expected = json.loads((folder / f"{slug}.expected.json").read_text(encoding="utf-8"))
        text_path = folder / f"{slug}.txt"
        try:
            text = decode_review_bytes(text_path.read_bytes(), text_path.name)
            review: Review | None = parse_review_text(text, source=text_path.name, table=table)
        except ReviewParseError:
            review = None
        labels = json.loads(labels_path.read_text(encoding="utf-8"))
        out.append(Case(slug, expected.get("layout", "?"), review, labels))
    return out


def load_summary_set() -> list[Case]:
    """The first summariser's 14 Screen reviews: gold lists count as acceptable, with no best pick."""
    table = FestivalTable.load()
    out = []
    for labels_path in sorted(SUMMARY_SET.glob("*.labels.json")):
        slug = labels_path.name.removesuffix(".labels.json")
        text = (SUMMARY_SET / f"{slug}.txt").read_text(encoding="utf-8")
        gold = json.loads(labels_path.read_text(encoding="utf-8"))
        labels = {p: {"acceptable": list(gold[p]), "best": []} for p in PARTS}
        out.append(Case(slug, "screen", parse_review_text(text, source=slug, table=table), labels))
    return out


@dataclass
class PartTally:
    chosen: int = 0
    correct: int = 0
    recalled: int = 0
    best: int = 0
    parts: int = 0

    def add(self, picked: list[str], acceptable: list[str], best: list[str]) -> None:
        right = sum(1 for s in picked if matches_any(s, acceptable))
        self.chosen += len(picked)
        self.correct += right
        self.recalled += (right > 0) if acceptable else (not picked)
        self.best += any(matches_any(s, best) for s in picked) if best else (not picked and not acceptable)
        self.parts += 1

    @property
    def precision(self) -> float:
        return self.correct / self.chosen if self.chosen else 1.0

    @property
    def recall(self) -> float:
        return self.recalled / self.parts if self.parts else 1.0

    @property
    def best_hit(self) -> float:
        return self.best / self.parts if self.parts else 1.0

    def cell(self) -> str:
        return f"{self.precision:.2f} / {self.recall:.2f} / {self.best_hit:.2f}"


@dataclass
class Scores:
    parts: dict[str, PartTally] = field(default_factory=lambda: {p: PartTally() for p in PARTS})
    verbatim: int = 0
    sentences: int = 0


def score(cases: list[Case], summarise: Callable[[Review], dict[str, list[str]]]) -> Scores:
    """Pooled figures of ``summarise`` over ``cases``; a rejected review is an empty summary."""
    scores = Scores()
    for case in cases:
        picked = summarise(case.review) if case.review else {p: [] for p in PARTS}
        text = _all_text(case.review) if case.review else ""
        for part in PARTS:
            label = case.labels[part]
            scores.parts[part].add(picked[part], label["acceptable"], label["best"])
            scores.sentences += len(picked[part])
            scores.verbatim += sum(1 for s in picked[part] if normalise(s) in text)
    return scores


def _all_text(review: Review) -> str:
    return normalise(" ".join([review.headline or "", *review.body, review.pull_quote or ""]))


def first_two(review: Review) -> dict[str, list[str]]:
    """The baseline: the body's first two sentences for every part."""
    sentences = [s for p in review.body for s in split_sentences(p)][:2]
    return {p: list(sentences) for p in PARTS}
