"""Answers stay inside Discord's limits and review text cannot restyle them."""

from __future__ import annotations

from functools import partial

import pytest

from bot.answers.cards import (
    CHOICE_NAME_LIMIT,
    EMBED_TOTAL_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FIELDS_LIMIT,
    TITLE_LIMIT,
    Card,
    escape,
    pager_buttons,
)
from bot.answers.component_ids import CreditsPage
from bot.answers.labels import hit_label
from bot.domain.models import SearchHit
from bot.domain.text import truncate


def test_truncate_cuts_at_a_word_with_ellipsis() -> None:
    text = "The quick brown fox jumps over the lazy dog"
    cut = truncate(text, 20)
    assert len(cut) <= 20 and cut.endswith("...")
    assert text.startswith(cut.removesuffix("..."))
    assert cut == "The quick brown..."
    assert truncate("short", 20) == "short"


def test_card_respects_every_limit() -> None:
    card = Card.make(
        "T" * 1000,
        "word " * 2000,
        fields=[("N" * 500, "value " * 500)] * 40,
        footer="f" * 5000,
    )
    assert len(card.title) <= TITLE_LIMIT
    assert len(card.fields) <= FIELDS_LIMIT
    assert all(len(f.name) <= FIELD_NAME_LIMIT and len(f.value) <= FIELD_VALUE_LIMIT for f in card.fields)
    assert card.size() <= EMBED_TOTAL_LIMIT


def test_card_drops_empty_fields_and_non_http_urls() -> None:
    card = Card.make("T", fields=[("Empty", "  "), ("Kept", "x")], url="javascript:alert(1)")
    assert [f.name for f in card.fields] == ["Kept"]
    assert card.url is None


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("**bold** _it_ ~~s~~ `code` ||spoiler||", r"\*\*bold\*\* \_it\_ \~\~s\~\~ \`code\` \|\|spoiler\|\|"),
        ("[click](https://evil.example)", r"\[click\](https://evil.example)"),
        ("# Heading", r"\# Heading"),
        ("> quote", r"\> quote"),
        ("<@&123> and @everyone", r"\<@&123\> and @everyone"),
    ],
)
def test_escape(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped


def test_escaped_text_is_not_cut_inside_an_escape() -> None:
    from bot.answers.cards import fit

    for limit in range(5, 40):
        cut = fit(escape("a*b_c " * 20), limit)
        assert len(cut) <= limit
        assert not cut.removesuffix("...").endswith("\\") or cut.removesuffix("...").endswith("\\\\")


def test_hit_label_fits_a_choice() -> None:
    hit = SearchHit(
        film_id=1,
        review_id=1,
        title="A" * 90 + " title",
        original_title="Original " * 10,
        year=2022,
        directors=["Somebody With A Very Long Name", "Another"],
        festival="Berlinale",
        score=100,
    )
    label = hit_label(hit)
    assert len(label) <= CHOICE_NAME_LIMIT
    assert label.endswith("Berlinale")
    short = hit.model_copy(update={"title": "Dust", "original_title": None, "directors": ["Li Ruijun"]})
    assert hit_label(short) == "Dust (2022) - Li Ruijun - Berlinale"
    with_original = short.model_copy(update={"original_title": "Fu Chen"})
    assert hit_label(with_original) == "Dust (Fu Chen) (2022) - Li Ruijun - Berlinale"


def test_pager_buttons() -> None:
    assert pager_buttons(partial(CreditsPage, 1), 0, 1) == []
    first, middle, last = pager_buttons(partial(CreditsPage, 1), 0, 3)
    assert first.disabled and not last.disabled
    assert last.custom_id == "credits:1:1"
    assert middle.label == "Page 1/3" and middle.disabled
