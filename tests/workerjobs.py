"""Jobs and hooks that tests send to worker processes (which import them by name), and what tests see of processes.

The slow parse: :func:`install_slow_parse` makes the parser take as long as a review tells it to, in
whichever process it is installed (a worker, through ``WorkerPool(setup=...)``, or the test process
itself), so a test can tell where the parsing really ran. A review containing ``SLOW-PARSE <marker>``
(a path) writes ``<marker>.started``, then keeps a CPU busy (as a runaway regular
expression would) until ``<marker>.release`` appears or :data:`SLOW_PARSE_LIMIT` seconds pass, then
writes ``<marker>.finished`` and parses as usual. ``ENDLESS-PARSE <marker>`` waits for the release alone.
"""

from __future__ import annotations

import math
import os
import re
import time
from pathlib import Path
from typing import Any

#: The longest a slow parse keeps the CPU busy without being released.
SLOW_PARSE_LIMIT = 8.0
_MARKER = re.compile(r"(SLOW|ENDLESS)-PARSE (\S+)")


def pid() -> int:
    return os.getpid()


def spin(seconds: float) -> int:
    """Keep a CPU busy for ``seconds``, then return the worker's pid."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return os.getpid()


def read_fifo(path: str) -> bytes:
    """Blocks until someone writes to the named pipe: a job that waits for ever, deterministically.

    ``<path>.reading`` appears as it starts to wait.
    """
    Path(path + ".reading").write_text(str(os.getpid()))
    with open(path, "rb") as fifo:
        return fifo.read()


def install_slow_parse() -> None:
    """Make ``parse_review_text``, as the ingest code calls it, slow on the reviews that ask for it."""
    from bot.sources import ingest
    from bot.sources.feeds import pages

    for module in (ingest, pages):
        module.parse_review_text = slowed(module.parse_review_text)  # type: ignore[attr-defined]


def install_endless_extraction() -> None:
    """Make reading any article page's text never end (as a pathological page might)."""
    from bot.sources.feeds import pages

    def endless(*_args: Any, **_kwargs: Any) -> str:
        while True:
            pass

    pages.extract_review_text = endless  # type: ignore[attr-defined]


def install_endless_feed_parsing() -> None:
    """Make parsing any feed document never end (as a pathological document might)."""
    from bot.sources.feeds import entries

    def endless(*_args: Any, **_kwargs: Any) -> list[Any]:
        while True:
            pass

    entries.parse_feed = endless


def slowed(parse: Any) -> Any:
    def slow_parse(text: str, *args: Any, **kwargs: Any) -> Any:
        found = _MARKER.search(text)
        if found is not None:
            kind, marker = found.group(1), Path(found.group(2))
            marker.with_suffix(".started").write_text(str(os.getpid()))
            end = math.inf if kind == "ENDLESS" else time.monotonic() + SLOW_PARSE_LIMIT
            while time.monotonic() < end and not marker.with_suffix(".release").exists():
                pass
            marker.with_suffix(".finished").write_text(str(os.getpid()))
        return parse(text, *args, **kwargs)

    return slow_parse


def process_table() -> dict[int, tuple[int, str, str]]:
    """Every process: pid -> (parent pid, state letter, command line)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        table[int(entry.name)] = (int(ppid), state, cmdline)
    return table


def descendants(root: int) -> dict[int, str]:
    """The processes started by ``root``, at any depth, with their command lines."""
    table = process_table()
    found: dict[int, str] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, _state, cmdline) in table.items():
            if ppid == parent and child not in found:
                found[child] = cmdline
                frontier.append(child)
    return found


def alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def opening_a_fifo(pid: int) -> bool:
    """Whether the process sleeps in ``open()`` of a named pipe nobody writes to (Linux's wchan says so)."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text() == "wait_for_partner"
    except OSError:
        return False
