"""A page's publication date as written in its metadata, in any of the common forms.

Pages state dates as ISO 8601 (``2026-12-02T09:30:00Z``), RFC 2822 (``Wed, 02 Dec 2026 09:30:00
+0000``, as feeds and some CMSs write them) or in words (``December 2, 2026``, ``2 Dec 2026``).
The standard library reads the first two; dateutil (the parser htmldate, and so trafilatura, uses
for the same job) reads the written ones. A value without a four-digit year is not taken: dateutil
would fill the missing parts from today.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import warnings

import dateutil.parser

#: Metadata dates are short; anything longer is prose or junk, not a date.
_MAX_LENGTH = 80
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d|2100)(?!\d)")
#: What dateutil fills in for a part the value leaves out (never today's date).
_DEFAULT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def page_date(value: str | None) -> dt.datetime | None:
    """``value`` as an aware datetime (UTC when it names no zone); None when it is not a date."""
    if not value:
        return None
    text = value.strip()
    if not text or len(text) > _MAX_LENGTH or not _YEAR.search(text):
        return None
    parsed = _iso(text) or _rfc2822(text) or _written(text)
    if parsed is None or not 1880 <= parsed.year <= 2100:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _iso(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


def _rfc2822(text: str) -> dt.datetime | None:
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _written(text: str) -> dt.datetime | None:
    with warnings.catch_warnings():
        # A zone abbreviation dateutil does not know (``ET``) is dropped, with a warning we do not need.
        warnings.simplefilter("ignore")
        try:
            return dateutil.parser.parse(text, default=_DEFAULT)
        except (ValueError, OverflowError):
            return None
