"""bench/review_eval.py scores nothing of the blind part unless every file is as frozen, and shows no review of it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bench import review_eval


def _freeze(part: Path, names: dict[str, bytes]) -> None:
    for name, data in names.items():
        (part / name).write_bytes(data)
    listing = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in names.items())
    (part / review_eval.FROZEN).write_text(listing, encoding="utf-8")


def test_a_part_as_frozen_passes_and_any_change_is_refused(tmp_path: Path) -> None:
    files = {"a.txt": b"one review", "a.expected.json": b"{}"}
    _freeze(tmp_path, files)
    assert review_eval.check_frozen(tmp_path) == []
    (tmp_path / "a.txt").write_bytes(b"one review, edited")
    assert review_eval.check_frozen(tmp_path) == ["1 file(s) differ from their frozen hash"]
    (tmp_path / "a.txt").write_bytes(files["a.txt"])
    (tmp_path / "b.txt").write_bytes(b"a file nobody froze")
    assert review_eval.check_frozen(tmp_path) == [f"1 file(s) not listed in {review_eval.FROZEN}"]
    (tmp_path / "b.txt").unlink()
    (tmp_path / "a.expected.json").unlink()
    assert review_eval.check_frozen(tmp_path) == ["1 listed file(s) missing"]
    (tmp_path / review_eval.FROZEN).unlink()
    assert review_eval.check_frozen(tmp_path) == [f"{review_eval.FROZEN} is missing from {tmp_path.name}/"]


def test_the_blind_part_shows_no_review(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A stand-in set: were the refusal broken, only this would be scored, never the real blind part.
    (tmp_path / "blind").mkdir()
    _freeze(tmp_path / "blind", {"x.txt": b"Some text\n", "x.expected.json": b'{"layout": "screen", "title": "X"}'})
    assert review_eval.main(["--part", "blind", "--show", "--set", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "refused" in captured.err
    assert review_eval.main(["--part", "blind", "--set", str(tmp_path)]) == 0
    shown = capsys.readouterr().out
    assert "x (screen)" not in shown and "overall:" in shown  # aggregates only
    (tmp_path / "blind" / "x.txt").write_bytes(b"Some text, changed\n")
    assert review_eval.main(["--part", "blind", "--set", str(tmp_path)]) == 1
    assert "differ from their frozen hash" in capsys.readouterr().err


def test_tolerance_is_only_what_the_spec_allows() -> None:
    same = review_eval.normalise
    assert same("Grandpa’s  Orrery") == same("Grandpa's Orrery")
    assert same("Ame\u0301lie") == same("Amélie")
    assert same({"k": ["“A”"]}) == same({"k": ['"A"']})
    assert same("Quillon Media Co.") != same("Quillon Media Co")
    assert same("U.K.") != same("UK")
