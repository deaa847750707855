"""A review file before its layout is read: bytes to text, the optional front matter, paragraphs.

The front matter (``---`` lines at the very top) carries what the text itself does not say: the
review's URL, date, reviewer, and festival when the prose names none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from bot.domain.text import snake_case

MAX_FILE_BYTES = 2_000_000
FRONT_MATTER_KEYS = frozenset(
    {"url", "published_at", "reviewer", "festival", "section", "original_title", "festival_year"}
)


class ReviewParseError(ValueError):
    """A review that cannot be read; the message names the source and what is wrong."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


def decode_review_bytes(data: bytes, source: str) -> str:
    """Bytes of a review file as text: UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252."""
    if len(data) > MAX_FILE_BYTES:
        raise ReviewParseError(source, f"file is too large for a review ({len(data):,} bytes)")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ReviewParseError(source, "not valid UTF-16 text") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Editors on Windows still save Windows-1252; binary data betrays itself with control bytes.
    controls = sum(1 for byte in data if byte < 32 and byte not in (9, 10, 13))
    if controls == 0:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            pass
    raise ReviewParseError(source, "not a text file (it is neither UTF-8 nor UTF-16 text)")


def split_lines(text: str) -> list[str]:
    """Lines with any line ending (CRLF, CR, LF) and no byte-order mark."""
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")


def split_front_matter(lines: list[str], source: str) -> tuple[dict[str, str], list[str]]:
    """The front matter's keys and values, and the lines after it."""
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None or lines[start].strip() != "---":
        return {}, lines
    for end in range(start + 1, len(lines)):
        if lines[end].strip() == "---":
            break
    else:
        raise ReviewParseError(source, "front matter opened with '---' is never closed")
    meta: dict[str, str] = {}
    for line in lines[start + 1 : end]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = snake_case(key)
        if not sep or key not in FRONT_MATTER_KEYS:
            raise ReviewParseError(source, f"front matter line not understood: {line.strip()!r}")
        meta[key] = value.strip().strip("\"'")
    return meta, lines[end + 1 :]


def parse_datetime(value: str, source: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ReviewParseError(source, f"published_at is not an ISO 8601 date: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def paragraphs(lines: Iterable[str]) -> list[str]:
    """Runs of non-empty lines, each joined into one paragraph."""
    found: list[str] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            found.append(" ".join(current))
            current = []
    if current:
        found.append(" ".join(current))
    return found
