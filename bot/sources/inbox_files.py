"""The inbox's file names and moves: finished names and the temporary names writers use before them,
names that are not UTF-8, and moves that never overwrite a file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

ERROR_SUFFIX = ".error.txt"
#: Suffixes of files that are still being written (downloads, editors' temp files).
PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".swp", ".swx", "~")


def is_candidate_name(name: str) -> bool:
    """Whether a file name in the inbox is a finished file to ingest (not hidden, temporary or partial)."""
    lowered = name.lower()
    return bool(name) and not name.startswith((".", "~")) and not lowered.endswith(PARTIAL_SUFFIXES)


def is_temporary_name_of(temporary: str, final: str) -> bool:
    """Whether a writer would write ``final`` under the name ``temporary`` first and rename it when done.

    ``.final`` and ``.final.XXXXXX`` (rsync), ``final.part`` and the other partial suffixes.
    """
    return temporary in (f".{final}", *(final + suffix for suffix in PARTIAL_SUFFIXES)) or temporary.startswith(
        f".{final}."
    )


def is_undecodable(name: str) -> bool:
    """Whether a name read from the file system held bytes that are not UTF-8 (Python keeps them as surrogates)."""
    return any("\udc80" <= char <= "\udcff" for char in name)


def safe_name(name: str) -> str:
    """The name with each byte that is not UTF-8 written as ``%XX``: ``bad\\xff.txt`` -> ``bad%FF.txt``."""
    return "".join(f"%{ord(char) - 0xDC00:02X}" if "\udc80" <= char <= "\udcff" else char for char in name)


def _unique_target(folder: Path, name: str) -> Iterable[Path]:
    """``name``, then ``stem (2).ext``, ``stem (3).ext``, ... in ``folder``."""
    stem, suffix = os.path.splitext(name)
    yield folder / name
    for number in range(2, 10_000):
        yield folder / f"{stem} ({number}){suffix}"


def move_without_overwrite(path: Path, folder: Path, name: str | None = None) -> Path:
    """Move ``path`` into ``folder`` under ``name`` (default: its own) or the first free variant; never replaces a file.

    A hard link fails if the target exists, which makes the check and the move one atomic step; on a
    file system without hard links a rename after an existence check is the fallback.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for target in _unique_target(folder, name or path.name):
        if target.exists() or target.with_name(target.name + ERROR_SUFFIX).exists():
            continue
        try:
            os.link(path, target)
        except FileExistsError:
            continue
        except OSError:
            os.rename(path, target)
            return target
        path.unlink()
        return target
    raise OSError(f"no free name for {path.name} in {folder}")
