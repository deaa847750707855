"""Printing figures as they are measured, and writing them into ``bench/RESULTS.md``."""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of ``values``."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50": percentile(ms, 50),
        "p99": percentile(ms, 99),
        "mean": statistics.fmean(ms) if ms else math.nan,
        "max": max(ms) if ms else math.nan,
    }


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min, {os.cpu_count()} CPUs)"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


#: The benchmarks, in the order of RESULTS.md, with the start of their section titles.
ORDER = (
    ("ingest", "### Ingest from files"),
    ("lookup", "### Lookup over"),
    ("latency", "### Command latency"),
    ("fanout", "### Announcement fan-out"),
    ("memory", "### Memory of the running bot"),
    ("web", "### Web pages"),
    ("scale", "### Past one machine"),
    ("engines", "### PostgreSQL against SQLite"),
    ("matching", "### Matching a new review"),
    ("summaries", "### Summaries on the review set"),
)


@dataclass
class Section:
    key: str
    title: str
    stamp: str
    lines: list[str] = field(default_factory=list)

    def add(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)

    def markdown(self) -> str:
        return "\n".join([f"### {self.title}", "", self.stamp, "", *self.lines]).rstrip() + "\n"


@dataclass
class Report:
    command: str
    quick: bool
    sections: list[Section] = field(default_factory=list)
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def section(self, key: str, title: str) -> Section:
        print(f"\n## {title}  [{load()}]", flush=True)
        stamp = (
            f"*`{self.command}`, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}; "
            f"{load()} when it started.*"
        )
        section = Section(key, title, stamp)
        self.sections.append(section)
        return section

    @property
    def heading(self) -> str:
        return "## Benchmarks (quick run)" if self.quick else "## Benchmarks (full run)"


_INTRO = (
    "Produced by `python -m bench` (see `bench/__main__.py`); each subsection names the command and time of "
    "the run that produced it, as `--only` reruns replace only their own subsections. Targets are marked met "
    "or MISSED; the analysis of each miss is in *Performance work* below."
)


def write_results(report: Report) -> None:
    """Replace the subsections this run measured in its mode's section of RESULTS.md; keep everything else."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    heading = report.heading
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    found = pattern.search(text)
    old: dict[str, str] = {}
    if found:
        # A section written before subsections carried their own stamp names its command once, at the top.
        command = re.search(r"^Command: (`[^`]*`[^\n]*)$", found.group(0), re.MULTILINE)
        for chunk in re.split(r"(?=^### )", found.group(0), flags=re.MULTILINE):
            for key, prefix in ORDER:
                if chunk.startswith(prefix):
                    if command and "\n*`python -m bench" not in chunk:
                        title, _, rest = chunk.partition("\n")
                        chunk = f"{title}\n\n*{command.group(1).rstrip('.')}.*\n{rest}"
                    old[key] = chunk.rstrip() + "\n"
    new = {section.key: section.markdown() for section in report.sections}
    parts = [heading, "", _INTRO, ""]
    for key, _ in ORDER:
        if key in new or key in old:
            parts += [new.get(key, old.get(key, "")).rstrip(), ""]
    markdown = "\n".join(parts).rstrip() + "\n\n"
    if found:
        text = text[: found.start()] + markdown + text[found.end() :]
    else:
        first = re.search(r"^## ", text, re.MULTILINE)
        at = first.start() if first else len(text)
        if report.quick:
            full = re.search(r"^## Benchmarks \(full run\)\n.*?(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
            at = full.end() if full else at
        text = text[:at] + markdown + text[at:]
    RESULTS.write_text(text.rstrip() + "\n", encoding="utf-8")
