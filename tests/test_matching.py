"""Folding and festival matching: the word-level forms must mean what the patterns they replaced meant."""

from __future__ import annotations

import re

import pytest

from bot.domain.festivals import Festival, FestivalTable
from bot.domain.text import clean_line, fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Amélie: Ça va!", "amelie ca va"),
        ("snake_case", "snake case"),
        ("Straße, Øre, Łódź", "strasse ore lodz"),
        ("ﬁlm 7", "film 7"),
        ("İstanbul", "istanbul"),
        ("  Li’s “film” (2022)…  ", "li s film 2022"),
        ("", ""),
        ("—", ""),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded
    assert fold(text) == " ".join(re.findall(r"[^\W_]+", fold(text)))  # words joined by single spaces


@pytest.mark.parametrize(
    ("line", "cleaned"),
    [
        ("a b", "a b"),
        ("a  b\t\tc", "a b c"),
        ("a\u00a0b \u2009 c\u3000", "a b c"),
        ("  e\u0301 ", "é"),
    ],
)
def test_clean_line(line: str, cleaned: str) -> None:
    assert clean_line(line) == cleaned


def _festival(table: FestivalTable, sentence: str) -> tuple[str, str | None] | None:
    found = table.infer([sentence])
    return (found[0].name, found[1]) if found else None


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("It premiered at Venice in Orizzonti.", ("Venice", "Orizzonti")),
        ("It premiered at the Lido.", ("Venice", None)),
        ("A Lido gondolier steers the plot.", None),  # a place alone is no festival
        ("It bowed in Toronto.", ("TIFF", None)),
        ("It screened at the VENICE film festival.", ("Venice", None)),
        ("The Berlin-born director returns.", None),
        ("It won the Goldener Bär.", ("Berlinale", None)),
        ("Berlinale_Competition", ("Berlinale", "Competition")),  # the underscore separates words
        ("Screened in Berlinale Competition.", ("Berlinale", "Competition")),
    ],
)
def test_festival_named_in_a_sentence(sentence: str, expected: tuple[str, str | None] | None) -> None:
    assert _festival(FestivalTable.load(), sentence) == expected


def test_a_premiere_sentence_wins_then_the_table_order() -> None:
    table = FestivalTable.load()
    texts = ["Sundance regulars will know the style.", "It had its premiere at Sundance, not at Cannes."]
    assert table.infer(texts)[0].name == "Cannes"  # type: ignore[index]
    assert table.infer([texts[0], "It opens at Cannes."])[0].name == "Sundance"  # type: ignore[index]


def test_an_alias_that_folds_to_nothing_names_only_a_sentence_of_nothing() -> None:
    table = FestivalTable(festivals=[Festival(name="Dots", aliases=["..."]), Festival(name="Oslo", weak_aliases=["?"])])
    assert _festival(table, "A film of few words.") is None
    assert _festival(table, "—") == ("Dots", None)
