"""The festival calendar: the editions the table knows, and the ones it has to infer."""

from __future__ import annotations

import datetime as dt

from bot.domain.festivals import Festival, FestivalTable
from bot.parsing.parser import parse_review_text


def test_the_calendar_has_2026_and_2027_for_every_festival() -> None:
    table = FestivalTable.load()
    for festival in table.festivals:
        editions = {e.year: e for e in festival.editions}
        for year in (2026, 2027):
            assert year in editions, f"{festival.name} has no {year} edition"
            edition = editions[year]
            assert edition.start.year == year and 0 < (edition.end - edition.start).days < 31, edition
            assert edition.note is None or "customary slot" in edition.note  # a guess says it is one
    berlinale = table.find("Berlinale")
    assert berlinale is not None and berlinale.edition_for(dt.date(2027, 2, 15)) is not None


def _festival_year(festival: str, published: str, film_year: int, table: FestivalTable | None = None) -> int | None:
    text = (
        f"---\npublished_at: {published}T10:00:00Z\nfestival: {festival}\n---\nA fine film\n\nThe Harbour\n\n"
        f"Dir: Ola Berg. Norway. {film_year}. 90 mins\n\nA quiet study of a fishing town, told with care.\n"
    )
    return parse_review_text(text, table=table or FestivalTable.load()).festival_year


def test_an_edition_missing_from_the_calendar_is_inferred_from_the_publication_date() -> None:
    # 2028 is in no table yet: published during the customary Berlinale slot, the review is of Berlinale 2028
    # (the film's own year, 2027, is what a February festival's films usually carry).
    assert _festival_year("Berlinale", "2028-02-14", 2027) == 2028
    assert _festival_year("Berlinale", "2028-03-10", 2027) == 2028  # a late review, within a month of the end
    # A December festival reviewed the January after: that December's edition.
    assert _festival_year("Red Sea", "2029-01-05", 2027) == 2028
    # A year that has dates not covering the day invents no second edition: the film's year, as before.
    assert _festival_year("Berlinale", "2026-11-20", 2025) == 2025
    # A festival without any dates: the film's year, without error.
    bare = FestivalTable(festivals=[Festival(name="Harbour Days")])
    assert _festival_year("Harbour Days", "2028-02-14", 2027, bare) == 2027
