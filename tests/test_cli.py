"""The festbot command line, run as a user runs it: a subprocess with its own database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES, ROOT, SEED, second_critic


def festbot(env: dict[str, str], *args: str | bytes, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


def festbot_at_a_terminal(env: dict[str, str], *args: str, typed: bytes) -> subprocess.CompletedProcess[str]:
    """``festbot`` reading a pseudo-terminal, as a person at a keyboard runs it; ``typed`` is what they type."""
    keyboard, terminal = os.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=ROOT,
            env=env,
            stdin=terminal,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.close(terminal)
        os.write(keyboard, typed)
        out, err = process.communicate(timeout=60)
    finally:
        os.close(keyboard)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


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


def test_parse_refuses_what_is_not_a_regular_file_before_reading_it(cli_env: dict[str, str]) -> None:
    """`festbot parse /dev/zero` used to read until it ran out of memory."""
    for device in ("/dev/zero", "/dev/urandom"):
        result = festbot(cli_env, "parse", device)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert result.stderr == f"festbot: {device}: cannot read the file: not a regular file\n"


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

    again = festbot(cli_env, "ingest", str(folder / "dust.txt"), "--festival", "Berlinale 2023")
    assert again.returncode == 0
    assert again.stdout.startswith("updated")  # the edition year (2022 by default) is new information
    third = festbot(cli_env, "ingest", str(folder / "dust.txt"), "--festival", "Berlinale 2023")
    assert third.stdout.startswith("unchanged")


def test_ask_answers_on_a_fresh_database(cli_env: dict[str, str]) -> None:
    review = festbot(cli_env, "ask", "/review Return to Dust")
    assert review.returncode == 0, review.stderr
    assert "Return To Dust" in review.stdout
    assert "Director: Li Ruijun" in review.stdout
    assert "Berlinale 2022 · Competition" in review.stdout
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


def test_a_second_critics_review_survives_ask_and_both_reviews_show(cli_env: dict[str, str], tmp_path: Path) -> None:
    """The reported defect, as a user met it: ``festbot ask`` loaded the seed over review #1."""
    jane = tmp_path / "jane.txt"
    jane.write_text(second_critic("Jane Critic"), encoding="utf-8")
    assert festbot(cli_env, "ingest", str(jane)).stdout.startswith("added")
    one = festbot(cli_env, "ask", "/review Return to Dust")
    assert "Jane Critic on a patient love story" in one.stdout and "Review by Jane Critic" in one.stdout
    assert festbot(cli_env, "ingest", str(SEED)).stdout.startswith("added")  # the shipped review, by hand
    both = festbot(cli_env, "ask", "/review Return to Dust")
    assert "2 reviews" in both.stdout
    # newest first; the seed (a Screen-layout text) names its outlet and no critic
    assert both.stdout.index("[#2] Screen International\n") < both.stdout.index("[#1] Screen International · Jane")
    assert "Jane Critic on a patient love story" in festbot(cli_env, "ask", "/review #1").stdout


def test_run_without_token_is_a_console(cli_env: dict[str, str]) -> None:
    result = festbot_at_a_terminal(cli_env, "run", typed=b"/review return to dust\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "DISCORD_TOKEN" in result.stdout and "discord.com/developers" in result.stdout
    assert "It packs a quiet emotional punch" in result.stdout


def test_the_console_survives_odd_values_and_answers_the_next_command(cli_env: dict[str, str]) -> None:
    typed = [
        b"/festival Berlinale year:\xc2\xb2",  # year:² (ValueError)
        b"/festival Berlinale year:99999999999999999999",  # OverflowError in SQLite
        b"/review \xff\xfe",  # not UTF-8
        b"/festival Berlinale page:0",
        b"/review return to dust",
        b"/quit",
    ]
    result = festbot_at_a_terminal(cli_env, "run", typed=b"\n".join(typed) + b"\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("The year must be a number from 1900 to 2100") == 2
    assert "No review matches “\ufffd\ufffd”" in result.stdout
    assert "The page must be a number from 1 to 10000" in result.stdout
    assert "It packs a quiet emotional punch" in result.stdout  # the last command is still answered
    assert result.stderr == ""


def test_run_without_token_or_terminal_says_what_is_missing(cli_env: dict[str, str]) -> None:
    """Under a service manager (stdin not a terminal) the console would end at once, exit 0, and run nothing."""
    result = festbot(cli_env, "run")
    assert result.returncode == 1
    assert result.stderr.startswith("festbot: DISCORD_TOKEN is not set") and result.stderr.count("\n") == 1
    assert "needs a terminal" in result.stderr
    assert result.stdout == ""


def test_ask_refuses_odd_values_with_a_notice(cli_env: dict[str, str]) -> None:
    for value in ("²", "99999999999999999999"):
        result = festbot(cli_env, "ask", f"/festival Berlinale year:{value}")
        assert result.returncode == 0, result.stderr
        assert "The year must be a number from 1900 to 2100" in result.stdout
    undecodable = festbot(cli_env, "ask", b"/review \xff")  # argv bytes that are not UTF-8
    assert undecodable.returncode == 0, undecodable.stderr
    assert "No review matches “\ufffd”" in undecodable.stdout


def test_festival_edition_is_added_and_corrected(cli_env: dict[str, str], tmp_path: Path) -> None:
    table = tmp_path / "festivals.json"
    shipped = (ROOT / "bot" / "shipped" / "festivals.json").read_text(encoding="utf-8")
    table.write_text(shipped, encoding="utf-8")
    cli_env["FESTBOT_FESTIVALS"] = str(table)
    added = festbot(cli_env, "festivals", "edition", "berlin film festival", "2031", "2031-02-13", "2031-02-23")
    assert added.returncode == 0, added.stderr
    mine = Path(cli_env["FESTBOT_DATA_DIR"]) / "festival-editions.json"
    assert f"Berlinale 2031: 13 Feb 2031 to 23 Feb 2031 (saved to {mine})" in added.stdout
    # The table is never rewritten (it is package data, or a tracked file in a checkout): the user's
    # edition goes to the data directory, by the festival's canonical name.
    assert table.read_text(encoding="utf-8") == shipped
    saved = json.loads(mine.read_text(encoding="utf-8"))
    assert saved == {"editions": [{"festival": "Berlinale", "year": 2031, "start": "2031-02-13", "end": "2031-02-23"}]}
    corrected = festbot(cli_env, "festivals", "edition", "Berlinale", "2031", "2031-02-12", "2031-02-22")
    assert corrected.returncode == 0
    listed = festbot(cli_env, "festivals", "list", "Berlinale")
    assert "2031 (12 Feb-22 Feb)" in listed.stdout and listed.stdout.count("2031") == 1
    # A shipped edition is corrected the same way, and the correction wins over the shipped dates.
    fixed = festbot(cli_env, "festivals", "edition", "Berlinale", "2027", "2027-02-12", "2027-02-22")
    assert fixed.returncode == 0
    assert "2027 (12 Feb-22 Feb)" in festbot(cli_env, "festivals", "list", "Berlinale").stdout
    assert len(json.loads(mine.read_text(encoding="utf-8"))["editions"]) == 2
    backwards = festbot(cli_env, "festivals", "edition", "Cannes", "2031", "2031-05-30", "2031-05-12")
    assert backwards.returncode == 1 and "before it starts" in backwards.stderr
    unknown = festbot(cli_env, "festivals", "edition", "Nowhere Fest", "2031", "2031-05-01", "2031-05-12")
    assert unknown.returncode == 1 and "no festival called" in unknown.stderr


def test_a_broken_editions_file_is_one_line(cli_env: dict[str, str]) -> None:
    mine = Path(cli_env["FESTBOT_DATA_DIR"]) / "festival-editions.json"
    mine.parent.mkdir(parents=True)
    mine.write_text('{"editions": [{"festival": "Berlinale"}]}', encoding="utf-8")
    result = festbot(cli_env, "festivals", "list")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith(f"festbot: your festival editions {mine} are not valid")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_review_published_during_an_edition_belongs_to_it(tmp_path: Path) -> None:
    from bot.domain.festivals import FestivalTable
    from bot.parsing.parser import parse_review_text

    text = (
        "---\npublished_at: 2023-02-20T10:00:00Z\n---\nA fine film\n\nThe Harbour\n\n"
        "Dir: Ola Berg. Norway. 2022. 90 mins\n\nIt premiered in competition at the Berlinale to warm notices.\n"
    )
    review = parse_review_text(text, table=FestivalTable.load())
    assert review.festival is not None and review.festival.name == "Berlinale"
    assert review.festival_year == 2023  # the edition running when it was published, not the film's year


def test_summarize_prints_the_parts(cli_env: dict[str, str]) -> None:
    result = festbot(cli_env, "summarize", str(SEED), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert list(summary) == ["verdict", "story", "prospects", "logline"]
    assert summary["story"] == [
        "Set in a Gansu village circa the early 2010s, it chronicles the arranged union between Ma Youtie "
        "(Wu Renlin) and Cao Guiying (Hai Qing)."
    ]
    assert summary["prospects"][0].startswith("Following its international premiere in competition at the Berlinale")
    assert 0 < len(summary["logline"]) <= 200
    plain = festbot(cli_env, "summarize", str(SEED))
    assert plain.stdout.startswith("Verdict: ") and "Logline: " in plain.stdout


def test_typos_answer_directly_and_festival_year_in_the_name(cli_env: dict[str, str]) -> None:
    """What a new user typed in the console: a transposition typo, and a festival with its year."""
    typo = festbot(cli_env, "ask", "/review retun to dsut")
    assert "Director: Li Ruijun" in typo.stdout and "Did you mean" not in typo.stdout
    edition = festbot(cli_env, "ask", "/festival berlinale 2022")
    assert "Reviews from Berlinale 2022" in edition.stdout


def test_a_reader_that_goes_away_is_no_failure(cli_env: dict[str, str]) -> None:
    """``festbot festivals list | head -1``: the pipe closes early, and nothing is printed about it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "festivals", "list"],
        cwd=ROOT,
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # before festbot has started: its first line meets a closed pipe
    assert process.stderr.read() == ""
    assert process.wait(timeout=60) == 1
