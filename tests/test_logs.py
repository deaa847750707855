"""FESTBOT_LOG_FORMAT=json: one JSON object a line, with time, level, logger, message and the traceback."""

from __future__ import annotations

import json
import logging
import sys

from bot.log_format import JsonFormatter
from tests.test_cli import festbot


def test_a_record_is_one_json_line_with_its_traceback() -> None:
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        record = logging.LogRecord("bot.x", logging.ERROR, __file__, 1, "failed on %s", ("line\ntwo",), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "bot.x" and entry["message"] == "failed on line\ntwo"
    assert entry["time"].endswith("+00:00") and "ValueError: bad" in entry["exc"]


def test_the_command_line_logs_json_lines_when_asked(cli_env: dict[str, str]) -> None:
    env = cli_env | {"FESTBOT_LOG_LEVEL": "DEBUG"}
    as_json = festbot(env | {"FESTBOT_LOG_FORMAT": "JSON"}, "ask", "/review Return to Dust")
    assert as_json.returncode == 0, as_json.stderr
    lines = as_json.stderr.splitlines()
    assert lines, "DEBUG logs something"
    for line in lines:
        assert set(json.loads(line)) >= {"time", "level", "logger", "message"}
    as_text = festbot(env, "ask", "/review Return to Dust")
    assert as_text.stderr.splitlines()[0][:4].isdigit()  # "2026-12-03 ..." as before
    wrong = festbot(cli_env | {"FESTBOT_LOG_FORMAT": "xml"}, "ask", "/review Return to Dust")
    assert wrong.returncode == 1 and "FESTBOT_LOG_FORMAT='xml'" in wrong.stderr and "'text' or 'json'" in wrong.stderr
