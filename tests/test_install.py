"""festbot as a user installs it: the built wheel in a fresh virtualenv, run from an empty directory.

Nothing of the checkout is on the path: the festival table, the seed review and the migrations must
come from the wheel, and the data (the database) must land in the platform's user data directory,
never beside the code or in the working directory. The same two steps (build the wheel, install it)
are the ones the Dockerfile runs; no image can be built on the test machines.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with only the wheel installed; returns its ``bin`` folder."""
    work = tmp_path_factory.mktemp("install")
    source = work / "src"
    source.mkdir()
    # Only what the wheel is built from: no data/, no tests, no .venv.
    for name in ("bot", "cogs"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    built = _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", work / "dist", source, cwd=work
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("festbot-*.whl")
    venv = work / "venv"
    made = _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=work)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = _run(
        sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel, cwd=work
    )
    assert installed.returncode == 0, installed.stderr
    # The dependencies come from the test run's own environment, appended after the new venv's site-packages
    # (CI installs them from the registry once; installing them again here would download them per run).
    # A plain path line: the checkout's editable-install hook in that environment is not run.
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=work).stdout.strip()
    (Path(site) / "festbot_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return venv / "bin"


def _user_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FESTBOT_", "PYTHON", "VIRTUAL_ENV"))}
    return env | {"HOME": str(home), "XDG_DATA_HOME": str(home / "share"), "PATH": os.defpath}


def test_the_installed_wheel_answers_from_an_empty_directory(installed: Path, tmp_path: Path) -> None:
    empty, home = tmp_path / "empty", tmp_path / "home"
    empty.mkdir()
    env = _user_env(home)
    where = _run(installed / "python", "-c", "import bot, cogs; print(bot.__file__)", cwd=empty, env=env)
    assert where.stdout.startswith(str(installed.parent)), where  # the wheel's copy, not the checkout's
    answer = _run(installed / "festbot", "ask", "/review Return to Dust", cwd=empty, env=env)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.startswith("Return To Dust\n") and "Li Ruijun" in answer.stdout
    assert answer.stderr == ""
    # The data went to the platform's user data directory; the working directory is left as it was.
    assert (home / "share" / "festbot" / "festival.db").is_file()
    assert list(empty.iterdir()) == []


def test_the_installed_wheel_keeps_festival_editions_in_the_data_directory(installed: Path, tmp_path: Path) -> None:
    data = tmp_path / "mydata"
    env = _user_env(tmp_path / "home") | {"FESTBOT_DATA_DIR": str(data)}
    shipped = _run(installed / "python", "-c", "import bot.config as c; print(c.SHIPPED)", cwd=tmp_path, env=env)
    table = Path(shipped.stdout.strip()) / "festivals.json"
    before = table.read_bytes()
    saved = _run(installed / "festbot", "festivals", "edition", "Berlinale", "2028", "2028-02-10", "2028-02-20",
                 cwd=tmp_path, env=env)  # fmt: skip
    assert saved.returncode == 0, saved.stderr
    assert table.read_bytes() == before  # the installed table is package data, never rewritten
    assert json.loads((data / "festival-editions.json").read_text(encoding="utf-8"))["editions"][0]["year"] == 2028
    listed = _run(installed / "festbot", "festivals", "list", "Berlinale", cwd=tmp_path, env=env)
    assert "2028 (10 Feb-20 Feb)" in listed.stdout
