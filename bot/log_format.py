"""The two log formats: today's readable line, or JSON lines (``FESTBOT_LOG_FORMAT=json``) for a log collector.

One JSON object a line, with ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message`` and, when
there is one, ``exc`` (the traceback as text): what journald, Docker's json-file driver or Loki
ingest without a parsing rule. Beside the flow, like the settings: only the entry points use it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

TEXT_FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """A record as one JSON object on one line (a message's own newlines are escaped, never split)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter(kind: str) -> logging.Formatter:
    """The formatter for ``FESTBOT_LOG_FORMAT``: ``json`` or ``text``."""
    return JsonFormatter() if kind == "json" else logging.Formatter(TEXT_FORMAT)


def setup(level: int, kind: str) -> None:
    """Log to stderr at ``level`` in ``kind``'s format (the terminal commands, the console)."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(kind))
    logging.basicConfig(level=level, handlers=[handler], force=True)
