"""Running times as the layouts label them: ``131 mins``, ``1hr 47mins``, ``2 hours 6 minutes``, ``142 MIN.``, ``133’``.

Each number is found once (a run of digits is matched from its start only) and what follows it is
read with a short anchored pattern, so no line, however long or hostile, makes the scan backtrack.
"""

from __future__ import annotations

import re

# A number of one to four digits, matched only at the start of its run of digits.
_NUMBER = re.compile(r"(?<!\d)\d{1,4}+(?!\d)")
# What may follow it: a unit, not followed by a letter (``98 mins``, ``1hr``, ``104 m.``), longest first.
_UNIT = re.compile(r"[ \t]{0,2}+(hours|hour|hrs|hr|h|minutes|minute|mins|min|m)(?![^\W\d_])\.?+", re.IGNORECASE)
_MINUTES = re.compile(r"[ \t]{0,2}+(\d{1,2}+)(?!\d)[ \t]{0,2}+(?:minutes|minute|mins|min|m)(?![^\W\d_])", re.IGNORECASE)
_MINUTE_MARKS = "’'′"


def parse_runtime(text: str) -> int | None:
    """Minutes of the first running time in ``text``: ``131 mins``, ``139mins``, ``1hr 45mins``, ``1h 46m``,
    ``104 m.``, ``133’``, ``98 MINUTES``, ``2 hrs``, ``1 hour 53 minutes``; None when there is none."""
    for number in _NUMBER.finditer(text):
        end = number.end()
        if end < len(text) and text[end] in _MINUTE_MARKS:
            return int(number.group()) or None
        unit = _UNIT.match(text, end)
        if unit is None:
            continue
        if unit.group(1)[0] in "hH":
            if len(number.group()) > 2:
                continue
            minutes = _MINUTES.match(text, unit.end())
            return int(number.group()) * 60 + (int(minutes.group(1)) if minutes else 0) or None
        return int(number.group()) or None
    return None
