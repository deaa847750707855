"""The component id codec: every id the bot sends parses back to what built it, within 100 characters."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.answers.component_ids import (
    BUTTON_TEMPLATE,
    CUSTOM_ID_LIMIT,
    SELECT_TEMPLATE,
    ComponentId,
    CreditsPage,
    FestivalPage,
    FilmReviews,
    ListPage,
    PageIndicator,
    Pick,
    ReviewAction,
    decode,
    encode,
)

ids = st.integers(min_value=1, max_value=10**12)
pages = st.integers(min_value=0, max_value=99_999)
# Folded names as the answers build them: lower-case words, at most 60 characters.
folded = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 ", min_size=1, max_size=60).map(str.strip).filter(bool)
festival_names = st.sampled_from(["Berlinale", "Cannes", "San Sebastian", "BFI London Film Festival"])
sections = st.none() | st.sampled_from(["Competition", "Un Certain Regard", "Directors' Fortnight", "Midnight Madness"])
years = st.none() | st.integers(min_value=1950, max_value=2100)
# Discord user ids (snowflakes) up to 20 digits; None for a pager anyone may press.
owners = st.none() | st.integers(min_value=1, max_value=2**64 - 1)

page_ids = (
    st.builds(CreditsPage, ids, pages)
    | st.builds(ListPage, st.sampled_from(["person", "company"]), folded, pages)
    # With an owner's 20 digits the name has 50 characters: a longer one is cut (see below).
    | st.builds(ListPage, st.sampled_from(["person", "company"]), folded.map(lambda v: v[:50].strip()), pages, owners)
    | st.builds(FestivalPage, festival_names, years, sections, pages, owners)
)
components: st.SearchStrategy[ComponentId] = (
    st.builds(ReviewAction, ids, st.sampled_from(["credits", "sales"]))
    | page_ids
    | st.builds(PageIndicator, page_ids)
    | st.builds(Pick, st.sampled_from(["review", "credits", "sales"]))
    | st.builds(FilmReviews, ids)
)


@given(components)
def test_every_component_round_trips_within_the_limit(component: ComponentId) -> None:
    custom_id = encode(component)
    assert len(custom_id) <= CUSTOM_ID_LIMIT
    assert decode(custom_id) == component


def test_the_wire_format_of_posted_buttons_stays_readable() -> None:
    """Ids already posted in channels (by earlier versions too) must keep parsing to the same thing."""
    assert decode("review:12:credits") == ReviewAction(12, "credits")
    assert decode("review:12:sales") == ReviewAction(12, "sales")
    assert decode("credits:12:1") == CreditsPage(12, 1)
    assert decode("credits:12:1:noop") == PageIndicator(CreditsPage(12, 1))
    assert decode("list:person:li ruijun:2") == ListPage("person", "li ruijun", 2)
    assert decode("list:company:m appeal:0") == ListPage("company", "m appeal", 0)
    assert decode("list:festival:Berlinale|2022|Competition:3") == FestivalPage("Berlinale", 2022, "Competition", 3)
    assert decode("list:festival:Cannes||:0") == FestivalPage("Cannes", None, None, 0)
    assert decode("pick:review") == Pick("review")
    assert decode("film:7:reviews") == FilmReviews(7)
    # Pagers that name who asked (public listings): only the owner pages the message in place.
    assert decode("list:person:li ruijun:2@80351110224678912") == ListPage("person", "li ruijun", 2, 80351110224678912)
    assert decode("list:festival:CPH:DOX|2024|:1@42") == FestivalPage("CPH:DOX", 2024, None, 1, 42)
    assert decode("list:festival:CPH:DOX|2024|:1@42:noop") == PageIndicator(FestivalPage("CPH:DOX", 2024, None, 1, 42))


@given(components)
def test_menus_and_buttons_reach_the_persistent_item_that_dispatches_them(component: ComponentId) -> None:
    """discord.py routes a click by these templates: a menu id must match the menu's, a button id the buttons'."""
    custom_id = encode(component)
    menu = isinstance(component, Pick | FilmReviews)
    assert bool(re.match(SELECT_TEMPLATE, custom_id)) == menu
    assert bool(re.match(BUTTON_TEMPLATE, custom_id)) != menu


def test_a_long_name_is_cut_and_the_page_kept() -> None:
    long = ListPage("person", "x" * 200, 41)
    custom_id = encode(long)
    assert len(custom_id) <= CUSTOM_ID_LIMIT
    assert custom_id.endswith(":41")
    indicator = encode(PageIndicator(long))
    assert len(indicator) <= CUSTOM_ID_LIMIT
    cut = decode(custom_id)
    assert isinstance(cut, ListPage) and long.value.startswith(cut.value) and cut.page == 41
    assert decode(indicator) == PageIndicator(cut)


def test_a_long_name_is_cut_and_the_owner_kept() -> None:
    long = FestivalPage("A Festival With An Extraordinarily Long Name" * 3, 2024, "Competition", 12, 2**64 - 1)
    custom_id = encode(long)
    assert len(custom_id) <= CUSTOM_ID_LIMIT and len(encode(PageIndicator(long))) <= CUSTOM_ID_LIMIT
    cut = decode(custom_id)
    assert isinstance(cut, FestivalPage) and (cut.page, cut.owner) == (12, 2**64 - 1)


def test_ids_this_bot_never_sends_are_refused() -> None:
    for custom_id in (
        "",
        "review:12:delete",
        "review:x:credits",
        "list:planet:mars:1",
        "pick:nuke",
        "credits:1",
        "x",
        "film:x:reviews",
        "film:7:delete",
        "film:7",
    ):
        assert decode(custom_id) is None, custom_id
