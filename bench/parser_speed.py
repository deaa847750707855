"""Time ``parse_review_text`` alone: this tree's parser against another git revision's, in one run.

Usage: ``.venv/bin/python bench/parser_speed.py [--ref main] [--rounds 7]``

Both parsers read the same texts: the seed (``bot/shipped/reviews/return-to-dust.txt``), every review of
``bench/review_set/dev/`` and, with ``--corpus``, files of the ingest benchmark's generated corpus
(decoded once, untimed). The other revision's ``bot/`` package is exported
with ``git archive`` to a temporary folder and each parser is timed in its own subprocess (two
versions of one package cannot share a process); the rounds alternate old, new, old, new... so a
machine that gets busier or quieter part way through weighs on both alike. Per round, each text is
parsed ``--repeat`` times; the figure is the median round. Texts a parser rejects count too (a
rejection is also work), and the Screen-only line compares the texts both parsers accept.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "bot" / "shipped" / "reviews" / "return-to-dust.txt"
DEV = ROOT / "bench" / "review_set" / "dev"

# Runs inside each subprocess, with the parser under test first on sys.path.
_TIMER = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from bot.domain.festivals import FestivalTable
from bot.parsing.parser import parse_review_text
from bot.parsing.text_file import ReviewParseError, decode_review_bytes
table = FestivalTable.load(Path(sys.argv[2]))
groups = json.loads(sys.argv[3])
repeat = int(sys.argv[4])
texts = {name: [decode_review_bytes(Path(p).read_bytes(), p) for p in paths] for name, paths in groups.items()}
result = {}
for name, items in texts.items():
    accepted = 0
    start = time.perf_counter()
    for _ in range(repeat):
        for text in items:
            try:
                parse_review_text(text, table=table)
                accepted += 1
            except ReviewParseError:
                pass
    elapsed = time.perf_counter() - start
    result[name] = {"ms_per_review": 1000 * elapsed / (repeat * len(items)), "accepted": accepted // repeat}
print(json.dumps(result))
"""


def export(ref: str, into: Path) -> Path:
    """The ``bot/`` package of ``ref`` under ``into`` (``git archive``, nothing checked out)."""
    data = subprocess.run(["git", "archive", ref, "bot"], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as archive:
        archive.extractall(into, filter="data")
    return into


def run(tree: Path, groups: dict[str, list[str]], repeat: int) -> dict[str, dict[str, float]]:
    table = ROOT / "bot" / "shipped" / "festivals.json"
    out = subprocess.run(
        [sys.executable, "-c", _TIMER, str(tree), str(table), json.dumps(groups), str(repeat)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main", help="the git revision to compare against (default: main)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5, help="parses of each text per round")
    parser.add_argument("--corpus", type=Path, help="also time the first --limit files of a bench corpus folder")
    parser.add_argument("--limit", type=int, default=300)
    args = parser.parse_args(argv)

    layouts = {
        p.name.removesuffix(".expected.json"): json.loads(p.read_text())["layout"]
        for p in DEV.glob("*.json")
        if p.name.endswith(".expected.json")
    }
    dev = sorted(str(DEV / f"{slug}.txt") for slug in layouts)
    groups = {
        "seed": [str(SEED)],
        "dev (60 reviews, 6 layouts)": dev,
        "screen (seed + 10 dev)": [str(SEED), *(p for p in dev if layouts[Path(p).stem] == "screen")],
    }
    if args.corpus is not None:
        files = sorted(str(p) for p in args.corpus.rglob("*.txt"))[: args.limit]
        groups[f"bench corpus ({len(files)} files)"] = files
    with tempfile.TemporaryDirectory() as folder:
        old_tree = export(args.ref, Path(folder))
        rounds: dict[str, list[dict[str, dict[str, float]]]] = {"old": [], "new": []}
        for _ in range(args.rounds):
            rounds["old"].append(run(old_tree, groups, args.repeat))
            rounds["new"].append(run(ROOT, groups, args.repeat))
    print(f"parse_review_text, ms per review (median of {args.rounds} alternating rounds, {args.repeat} parses each)")
    print(f"{'texts':32} {args.ref + ' (old)':>14} {'this tree':>12} {'new/old':>8}   accepted old/new")
    for name in groups:
        old = statistics.median(r[name]["ms_per_review"] for r in rounds["old"])
        new = statistics.median(r[name]["ms_per_review"] for r in rounds["new"])
        accepted = f"{int(rounds['old'][0][name]['accepted'])}/{int(rounds['new'][0][name]['accepted'])}"
        print(f"{name:32} {old:14.3f} {new:12.3f} {new / old:8.2f}   {accepted} of {len(groups[name])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
