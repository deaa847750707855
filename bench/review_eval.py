"""Score the parser against the hand-written expected output of ``bench/review_set/``.

Usage: ``.venv/bin/python bench/review_eval.py --part dev [--show]`` or ``--part blind``.

Every review of the part is parsed as ``festbot parse`` would (bytes decoded, the shipped festival
table) and each scored key of the layout contract (``/work/shared/spec/review-layouts.md`` §1, plus
``reviewer``) is compared with ``SLUG.expected.json``. The comparison tolerates only what the
contract tolerates: NFC vs NFD, curly vs straight quotes and runs of whitespace. A review the parser
rejects scores every field wrong. Field accuracy is printed per layout, per field and overall.

The blind part is frozen: before scoring, every file in it is checked against ``FROZEN.sha256`` and
nothing is scored if one differs, is missing or is not listed; and only aggregate figures are ever
printed for it (``--show`` is refused), so nobody can tune on its reviews.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.domain.festivals import FestivalTable  # noqa: E402
from bot.domain.models import PARSE_JSON_KEYS  # noqa: E402
from bot.parsing.parser import parse_review_text  # noqa: E402
from bot.parsing.text_file import ReviewParseError, decode_review_bytes  # noqa: E402

SET = ROOT / "bench" / "review_set"
FROZEN = "FROZEN.sha256"
#: The contract's scored keys: what ``festbot parse --json`` prints up to the credits, and the reviewer.
SCORED_KEYS = (*PARSE_JSON_KEYS[: PARSE_JSON_KEYS.index("body")], "reviewer")
LAYOUTS = ("screen", "variety", "thr", "indiewire", "cineuropa", "guardian")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"'})


def normalise(value: Any) -> Any:
    """The value as the contract compares it: NFC, straight quotes, whitespace runs as one space."""
    if isinstance(value, str):
        return " ".join(unicodedata.normalize("NFC", value).translate(_QUOTES).split())
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        return {normalise(k): normalise(v) for k, v in value.items()}
    return value


@dataclass
class Tally:
    right: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.right += ok
        self.total += 1

    def __str__(self) -> str:
        share = 100 * self.right / self.total if self.total else 100.0
        return f"{share:6.1f}% ({self.right}/{self.total})"


@dataclass
class Scores:
    by_layout: dict[str, Tally] = field(default_factory=dict)
    by_field: dict[str, Tally] = field(default_factory=dict)
    by_layout_field: dict[tuple[str, str], Tally] = field(default_factory=dict)
    overall: Tally = field(default_factory=Tally)
    rejected: dict[str, int] = field(default_factory=dict)
    reviews: dict[str, int] = field(default_factory=dict)

    def add(self, layout: str, key: str, ok: bool) -> None:
        self.by_layout.setdefault(layout, Tally()).add(ok)
        self.by_field.setdefault(key, Tally()).add(ok)
        self.by_layout_field.setdefault((layout, key), Tally()).add(ok)
        self.overall.add(ok)


def check_frozen(part: Path) -> list[str]:
    """Problems with the frozen part: files that differ from, or are missing from, ``FROZEN.sha256``."""
    listing = part / FROZEN
    if not listing.is_file():
        return [f"{FROZEN} is missing from {part.name}/"]
    expected: dict[str, str] = {}
    for line in listing.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("SHA256 (") and ") = " in line:  # BSD style
            name, _, digest = line.removeprefix("SHA256 (").rpartition(") = ")
        else:  # GNU style: "<digest>  <name>" or "<digest> *<name>"
            digest, _, name = line.partition(" ")
            name = name.strip().removeprefix("*")
        expected[name.removeprefix("./")] = digest.strip().lower()
    # Counts only: the blind part's file names are not printed either.
    present = {p.name for p in part.iterdir() if p.is_file() and p.name != FROZEN}
    unlisted = len(present - set(expected))
    missing = sum(1 for name in expected if not (part / name).is_file())
    changed = sum(
        1
        for name, digest in expected.items()
        if (part / name).is_file() and hashlib.sha256((part / name).read_bytes()).hexdigest() != digest
    )
    problems = []
    if not expected:
        problems.append(f"{FROZEN} lists no files")
    if unlisted:
        problems.append(f"{unlisted} file(s) not listed in {FROZEN}")
    if missing:
        problems.append(f"{missing} listed file(s) missing")
    if changed:
        problems.append(f"{changed} file(s) differ from their frozen hash")
    return problems


def cases(part: Path) -> Iterator[tuple[str, Path, dict[str, Any]]]:
    for expected_path in sorted(part.glob("*.expected.json")):
        slug = expected_path.name.removesuffix(".expected.json")
        yield slug, part / f"{slug}.txt", json.loads(expected_path.read_text(encoding="utf-8"))


def parse(path: Path, table: FestivalTable) -> dict[str, Any] | str:
    """The parse JSON of one review, or the rejection reason."""
    try:
        text = decode_review_bytes(path.read_bytes(), path.name)
        return parse_review_text(text, source=path.name, table=table).parse_json()
    except ReviewParseError as exc:
        return exc.reason


def score(part: Path, show: bool) -> Scores:
    table = FestivalTable.load()
    scores = Scores()
    for slug, text_path, expected in cases(part):
        layout = expected.get("layout", "?")
        scores.reviews[layout] = scores.reviews.get(layout, 0) + 1
        got = parse(text_path, table)
        if isinstance(got, str):
            scores.rejected[layout] = scores.rejected.get(layout, 0) + 1
            for key in SCORED_KEYS:
                scores.add(layout, key, False)
            if show:
                print(f"\n{slug} ({layout}): REJECTED: {got}")
            continue
        wrong = []
        for key in SCORED_KEYS:
            ok = normalise(got.get(key)) == normalise(expected.get(key))
            scores.add(layout, key, ok)
            if not ok:
                wrong.append(key)
        if show and wrong:
            print(f"\n{slug} ({layout}): {len(wrong)} wrong")
            for key in wrong:
                print(f"  {key}:")
                print(f"    expected {json.dumps(expected.get(key), ensure_ascii=False)}")
                print(f"    got      {json.dumps(got.get(key), ensure_ascii=False)}")
    return scores


def report(part_name: str, scores: Scores, detail: bool) -> None:
    print(f"\nreview set, part {part_name}: {sum(scores.reviews.values())} reviews, {len(SCORED_KEYS)} fields each")
    print("\nby layout (fields right / fields scored; rejected reviews score every field wrong):")
    for layout in sorted(scores.by_layout, key=lambda name: (*LAYOUTS, name).index(name)):
        rejected = scores.rejected.get(layout, 0)
        print(f"  {layout:10} {scores.by_layout[layout]}   {scores.reviews[layout]} reviews, {rejected} rejected")
    print("\nby field:")
    for key in SCORED_KEYS:
        if key in scores.by_field:
            print(f"  {key:16} {scores.by_field[key]}")
    if detail:
        layouts = [name for name in LAYOUTS if name in scores.by_layout]
        print("\nby field and layout (wrong / scored, blank when all right):")
        print("  " + " " * 16 + "".join(f"{name:>10}" for name in layouts))
        for key in SCORED_KEYS:
            cells = []
            for name in layouts:
                tally = scores.by_layout_field.get((name, key), Tally())
                wrong = tally.total - tally.right
                cells.append(f"{f'{wrong}/{tally.total}' if wrong else '':>10}")
            print(f"  {key:16}" + "".join(cells))
    print(f"\noverall: {scores.overall}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("dev", "blind"), required=True)
    parser.add_argument("--show", action="store_true", help="dev only: print each review's wrong fields")
    parser.add_argument("--set", type=Path, default=SET, help="the review set's folder (default: bench/review_set)")
    args = parser.parse_args(argv)
    if args.part == "blind":
        if args.show:
            print("review_eval: --show is refused for the blind part: only aggregate figures", file=sys.stderr)
            return 2
        problems = check_frozen(args.set / "blind")
        if problems:
            print("review_eval: the blind part is not as frozen; nothing scored:", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
    scores = score(args.set / args.part, show=args.show)
    report(args.part, scores, detail=args.part == "dev")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
