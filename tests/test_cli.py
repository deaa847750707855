"""The festbot command line, run as a user runs it: a subprocess with its own database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES, ROOT, SEED


def festbot(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        check=False,
    )


def test_parse_json_has_exactly_the_keys(cli_env: dict[str, str]) -> None:
    result = festbot(cli_env, "parse", str(SEED), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    expected = json.loads((FIXTURES / "reviews" / "return-to-dust.expected.json").read_text(encoding="utf-8"))
    assert data == expected
    assert list(data) == list(expected)


def test_parse_bad_file_is_one_clear_line(cli_env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "headline.txt"
    bad.write_text("A striking debut from a bold new voice\n", encoding="utf-8")
    result = festbot(cli_env, "parse", str(bad), "--json")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert str(bad) in result.stderr and "no header line" in result.stderr
    assert result.stdout == ""


def test_ingest_reports_each_file_and_fails_on_rejects(cli_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "dust.txt").write_bytes(SEED.read_bytes())
    (folder / "empty.txt").write_bytes(b"")
    (folder / "noise.txt").write_bytes(bytes(range(256)) * 4)
    result = festbot(cli_env, "ingest", str(folder))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert any(line.startswith("added") and "Return To Dust" in line for line in lines)
    assert any(line.startswith("rejected") and "empty.txt" in line and "empty file" in line for line in lines)
    assert any(line.startswith("rejected") and "noise.txt" in line and "not a text file" in line for line in lines)
    assert "Traceback" not in result.stderr

    again = festbot(cli_env, "ingest", str(folder / "dust.txt"), "--festival", "Berlinale 2022")
    assert again.returncode == 0
    assert again.stdout.startswith("updated")  # the edition year is new information
    third = festbot(cli_env, "ingest", str(folder / "dust.txt"), "--festival", "Berlinale 2022")
    assert third.stdout.startswith("unchanged")


def test_ask_answers_on_a_fresh_database(cli_env: dict[str, str]) -> None:
    review = festbot(cli_env, "ask", "/review Return to Dust")
    assert review.returncode == 0, review.stderr
    assert "Return To Dust" in review.stdout
    assert "Director: Li Ruijun" in review.stdout
    assert "Berlinale · Competition" in review.stdout
    assert "It packs a quiet emotional punch" in review.stdout
    assert "[Credits]" in review.stdout and "[Sales contact]" in review.stdout

    credits = festbot(cli_env, "ask", "/credits retrun to dust")
    assert "Cinematography:" in credits.stdout and "Wang Weihua" in credits.stdout
    sales = festbot(cli_env, "ask", "/sales Return to Dust")
    assert "M-Appeal" in sales.stdout and "sales@m-appeal.com" in sales.stdout
    by_company = festbot(cli_env, "ask", "/sales company:m-appeal")
    assert "Films handled by M-Appeal" in by_company.stdout
    unknown = festbot(cli_env, "ask", "/review zzqx wvvy")
    assert unknown.returncode == 0 and "No review matches" in unknown.stdout
    nonsense = festbot(cli_env, "ask", "/frobnicate")
    assert "Unknown command" in nonsense.stdout


def test_run_without_token_is_a_console(cli_env: dict[str, str]) -> None:
    result = festbot(cli_env, "run", stdin="/review return to dust\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "DISCORD_TOKEN" in result.stdout and "discord.com/developers" in result.stdout
    assert "It packs a quiet emotional punch" in result.stdout
