"""A review file before its layout is read: bytes to text, lines, paragraphs, and the error every step raises.

Size is bounded before any line is read: a file over :data:`MAX_FILE_BYTES`, with more than
:data:`MAX_LINES` lines or a line over :data:`MAX_LINE_CHARS` is refused with the reason, so no later
step ever sees more than that, and the worst a hostile file can cost is bounded too.
"""

from __future__ import annotations

from collections.abc import Iterable

#: A review is a few thousand words; this is hundreds of times that, and refused as "too large".
MAX_FILE_BYTES = 2_000_000
#: The longest line read: a whole review on one line is about 20,000 characters.
MAX_LINE_CHARS = 50_000
#: The most lines read: a long review, a blank line between paragraphs, has a few hundred.
MAX_LINES = 5_000
#: Bytes a Windows-1252 text may hold: all but the control characters other than tab, LF and CR.
_TEXT_BYTES = bytes(range(32, 256)) + b"\t\n\r"


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
    if not data.translate(None, _TEXT_BYTES):
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            pass
    raise ReviewParseError(source, "not a text file (it is neither UTF-8 nor UTF-16 text)")


def split_lines(text: str, source: str) -> list[str]:
    """Lines with any line ending (CRLF, CR, LF) and no byte-order mark; refuses a text too big to be a review."""
    if len(text) > MAX_FILE_BYTES:
        raise ReviewParseError(source, f"text is too large for a review ({len(text):,} characters)")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    if len(lines) > MAX_LINES:
        raise ReviewParseError(source, f"too many lines for a review ({len(lines):,}; at most {MAX_LINES:,})")
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_LINE_CHARS:
            raise ReviewParseError(
                source, f"line {number} is too long for a review ({len(line):,} characters; at most {MAX_LINE_CHARS:,})"
            )
    return lines


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


def prose_paragraphs(lines: Iterable[str]) -> list[str]:
    """A review's prose as paragraphs: blank lines separate them, and so does a line break after a
    sentence or before a capital.

    Reviews put each paragraph on one line, with or without a blank line between; a line break inside
    a sentence (hard-wrapped text: the next line goes on in lower case) joins the lines back. So a
    standalone pull quote or a closing note stays its own paragraph even with no blank line around it.
    """
    found: list[str] = []
    current: list[str] = []
    for line in lines:
        if not line:
            if current:
                found.append(" ".join(current))
                current = []
            continue
        if current and not _continues(current[-1], line):
            found.append(" ".join(current))
            current = []
        current.append(line)
    if current:
        found.append(" ".join(current))
    return found


def _continues(previous: str, line: str) -> bool:
    """Whether ``line`` carries on the sentence ``previous`` broke off (hard-wrapped prose)."""
    if previous.rstrip("’”'\")]").endswith((".", "!", "?", "…", ":")):
        return False
    return line[:1].islower() or previous.endswith((",", ";", "-", "–", "—"))
