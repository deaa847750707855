"""The container and the service unit run the steps the other tests run, since no image is built here.

tests/test_install.py builds and installs the wheel as the Dockerfile does, and the signal and health
tests run ``festbot run`` as the image and the unit start it; these tests keep the files in step with them.
"""

from __future__ import annotations

import configparser
import re
import shlex

from tests.conftest import ROOT


def _dockerfile() -> str:
    # Continuation lines joined, comments dropped: one instruction a line.
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return re.sub(r"\\\n\s*", " ", "\n".join(lines))


def test_the_dockerfile_builds_and_installs_the_wheel_as_the_install_test_does() -> None:
    docker = _dockerfile()
    stages = re.findall(r"^FROM (\S+)", docker, flags=re.MULTILINE)
    assert stages == ["python:3.11-slim", "python:3.11-slim"]  # multi-stage, slim
    assert "pip wheel --no-cache-dir --no-deps --no-build-isolation -w /wheels ." in docker
    assert 'pip install --no-cache-dir "${wheel}[postgres]"' in docker
    # Only the package sources go in, as the install test copies them.
    assert re.findall(r"^COPY (?!--from)(.+)$", docker, flags=re.MULTILINE) == [
        "pyproject.toml README.md ./",
        "bot ./bot",
        "cogs ./cogs",
    ]


def test_the_image_runs_festbot_run_unprivileged_with_its_data_on_a_volume_and_a_health_check() -> None:
    docker = _dockerfile()
    assert re.search(r'^CMD \["festbot", "run"\]$', docker, flags=re.MULTILINE)
    (user,) = re.findall(r"^USER (\S+)$", docker, flags=re.MULTILINE)
    assert user not in ("root", "0")
    env = dict(re.findall(r"(FESTBOT_\w+)=(\S+)", docker))
    assert re.search(rf'^VOLUME \["{env["FESTBOT_DATA_DIR"]}"\]$', docker, flags=re.MULTILINE)
    (check,) = re.findall(r"^HEALTHCHECK .*$", docker, flags=re.MULTILINE)
    assert f"http://127.0.0.1:{env['FESTBOT_HTTP_PORT']}/healthz" in check
    assert "STOPSIGNAL SIGTERM" in docker


def test_compose_runs_the_image_with_its_volume_and_offers_postgres() -> None:
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert "build: ." in compose and "festbot-data:/data" in compose
    assert '"127.0.0.1:8080:8080"' in compose  # health and metrics reach the host's loopback only
    assert "image: postgres:16" in compose and "pg_isready" in compose


def test_the_systemd_unit_restarts_reads_an_environment_file_and_runs_festbot_run() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    unit.read(ROOT / "deploy" / "festbot.service", encoding="utf-8")
    service = unit["Service"]
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"].startswith("/")
    program, *args = shlex.split(service["ExecStart"])
    assert program.endswith("/bin/festbot") and args == ["run"]
    assert service["User"] != "root" and service["KillSignal"] == "SIGTERM"
    assert unit["Install"]["WantedBy"] == "multi-user.target"
