"""``python -m bench``: every benchmark in one command, figures printed as measured and written to RESULTS.md.

    .venv/bin/python -m bench            # full: ingest 10k and 100k, then lookups, latency, memory on the 100k db
    .venv/bin/python -m bench --quick    # small sizes, under 2 minutes
    .venv/bin/python -m bench --only lookup,latency   # reuse the database a previous run built
    .venv/bin/python -m bench --only web     # the web pages' server time, over that database
    .venv/bin/python -m bench --only scale,engines   # three processes on PostgreSQL; PostgreSQL against SQLite
    .venv/bin/python -m bench --only matching   # a new review against 1,000 watches and 500 filters
    .venv/bin/python -m bench --only summaries   # summary quality (blind and dev parts) and speed; no database

Each benchmark measures a baseline in the same run and reports the ratio, so figures hold on a
shared, noisy machine; the load average is printed with every section. Nothing here asserts:
targets are reported as met or MISSED. Generated files go to ``bench/out/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import discord as through_discord  # noqa: E402
from bench import ingest, lookup, matching, scale, summaries, web  # noqa: E402
from bench.queries import build  # noqa: E402
from bench.report import Report, write_results  # noqa: E402

ALL = ("ingest", "lookup", "latency", "fanout", "memory", "web", "scale", "engines", "matching", "summaries")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: 1,000 and 5,000 reviews, 100 queries, fewer rounds"
    )
    parser.add_argument("--only", default=",".join(ALL), help=f"comma-separated subset of {','.join(ALL)}")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args(argv)
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(only) - set(ALL)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    small, large = (1_000, 5_000) if args.quick else (10_000, 100_000)
    rounds = 30 if args.quick else 200
    args.out.mkdir(parents=True, exist_ok=True)
    command = "python -m bench" + "".join(f" {shlex.quote(a)}" for a in (argv if argv is not None else sys.argv[1:]))
    report = Report(command=command, quick=args.quick)
    started = time.perf_counter()

    def done() -> None:
        """Write what has been measured so far, so a failure later loses nothing."""
        if not args.no_write:
            write_results(report)

    db = args.out / f"ingest-{large}.db"
    if "ingest" in only:
        db = ingest.run(
            report.section("ingest", f"Ingest from files ({small:,} and {large:,} reviews)"),
            args.out,
            args.seed,
            small,
            large,
        )
        done()
    needs_db = {"lookup", "latency", "memory", "web"} & set(only)
    if needs_db and not db.exists():
        parser.error(f"{db} does not exist: run with ingest first")
    queries = build(db, args.seed) if needs_db else []
    if "lookup" in only:
        lookup.run(
            report.section("lookup", f"Lookup over {large:,} reviews"), args.out, db, args.seed, 5 if args.quick else 1
        )
        done()
    if "latency" in only:
        through_discord.latency(
            report.section("latency", f"Command latency through the fake Discord ({large:,} reviews)"),
            db,
            queries,
            rounds,
        )
        done()
    if "fanout" in only:
        through_discord.fanout(report.section("fanout", "Announcement fan-out under Discord's rate limits"), 500)
        done()
    if "memory" in only:
        small_db = args.out / f"ingest-{small}.db"
        through_discord.memory(
            report.section("memory", f"Memory of the running bot ({large:,} reviews)"),
            db,
            small_db if small_db.exists() else db,
            queries,
            rounds // 2,
            large,
            small,
        )
        done()
    if "web" in only:
        web.run(report.section("web", f"Web pages over {large:,} reviews"), db, queries, rounds, args.seed)
        done()
    if "scale" in only:
        scale.processes(report.section("scale", "Past one machine: three processes on PostgreSQL"))
        done()
    if "engines" in only:
        # Over the larger ingest database there is; the smaller one when only it was built.
        size = large if db.exists() else small
        engines_db = args.out / f"ingest-{size}.db"
        if not engines_db.exists():
            parser.error(f"{engines_db} does not exist: run with ingest first")
        scale.engines(
            report.section("engines", f"PostgreSQL against SQLite ({size:,} reviews)"),
            args.out,
            engines_db,
            args.seed,
            size,
            build(engines_db, args.seed),
            rounds,
        )
        done()
    if "matching" in only:
        title = "Matching a new review against watchlists and filtered subscriptions"
        matching.run(report.section("matching", title), args.seed, 30 if args.quick else 100)
        done()
    if "summaries" in only:
        summaries.run(report.section("summaries", "Summaries on the review set"), 10 if args.quick else 50)
    done()
    print(f"\nDone in {(time.perf_counter() - started) / 60:.1f} min.")
    if not args.no_write:
        print(f"Figures written to {Path('bench/RESULTS.md')}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
