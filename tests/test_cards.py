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


def test_a_film_card_with_many_long_reviews_stays_within_every_limit() -> None:
    import datetime as dt

    from bot.answers.cards import DESCRIPTION_LIMIT, SELECT_LABEL_LIMIT, SELECT_OPTIONS_LIMIT
    from bot.answers.film_cards import film_card
    from bot.domain.models import Film, Rating
    from bot.storage.rows import ReviewLine

    lines = [
        ReviewLine(
            review_id=100 - n,
            publication="The Very Long Name Of A Regional Newspaper's Weekend Arts Supplement " * 2,
            reviewer=f"Critic Number {n} **bold**",
            rating=Rating(text="★★★★☆", score=80),
            verdict="A sentence of praise that goes on and on. " * 30,
            published_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC) - dt.timedelta(days=n),
            url=None,
            festival="Berlinale",
            section="Competition",
            festival_year=2026,
            countries=["Portugal"],
            credits=n % 3,
            sales=n % 2,
        )
        for n in range(40)
    ]
    reply = film_card(Film(id=7, title="T" * 300, directors=["Ana Lima"]), lines)
    (card,) = reply.cards
    assert card.size() <= EMBED_TOTAL_LIMIT and len(card.description) <= DESCRIPTION_LIMIT
    assert len(card.title) <= TITLE_LIMIT
    assert "\\*\\*bold\\*\\*" in card.description  # review text cannot restyle the card
    assert reply.select is not None and len(reply.select.options) == SELECT_OPTIONS_LIMIT
    assert [o.value for o in reply.select.options] == [f"#{100 - n}" for n in range(SELECT_OPTIONS_LIMIT)]
    assert all(len(o.label) <= SELECT_LABEL_LIMIT and len(o.description or "") <= 100 for o in reply.select.options)
    assert "the 25 newest" in card.footer
    credits, sales = (b.custom_id for b in reply.buttons)
    assert (credits, sales) == ("review:98:credits", "review:99:sales")  # most credits, newest first; newest with sales
