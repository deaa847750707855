"""Which film a review is of, and which stored review it is: matched tolerantly, never overwriting another's."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.festivals import FestivalTable
from bot.domain.models import Rating, Review
from bot.parsing.parser import parse_review_text
from bot.sources.ingest import ingest_file
from bot.storage.store import Store
from tests.conftest import SEED, second_critic


@pytest.fixture
def dust(festivals: FestivalTable) -> Review:
    return parse_review_text(SEED.read_text(encoding="utf-8"), table=festivals)


def _other(review: Review, **changes: object) -> Review:
    """Another critic's review of ``review``'s film, with the film's facts as ``changes`` give them."""
    return review.model_copy(update={"reviewer": "Other Critic", "body": ["Another critic's text."], **changes})


@pytest.mark.parametrize(
    "changes",
    [
        {"year": None},  # THR and the Guardian print no year
        {"title": "RETURN TO DUST!"},  # case and punctuation
        {"title": "Fu Chen", "original_title": "Return to Dust"},  # the original title as the title's other name
        {"directors": ["Ruijun Li"]},  # name order
        {"directors": []},  # no director given
        {"directors": ["Li Ruijun", "Co Director"]},  # directors overlapping
    ],
    ids=["no year", "case", "original title", "name order", "no director", "overlap"],
)
async def test_the_same_film_written_differently_is_one_film(
    store: Store, dust: Review, changes: dict[str, object]
) -> None:
    first = await store.ingest(dust, source="a")
    second = await store.ingest(_other(dust, **changes), source="b")
    assert second.status == "added" and second.review_id != first.review_id
    films = {(await store.get(s.review_id)).film_id for s in (first, second)}  # type: ignore[union-attr]
    assert len(films) == 1


async def test_a_review_titled_with_the_films_original_title_is_of_that_film(store: Store, dust: Review) -> None:
    first = await store.ingest(dust.model_copy(update={"original_title": "Fù Chén"}), source="a")
    second = await store.ingest(_other(dust, title="Fu Chen", original_title=None), source="b")
    films = {(await store.get(s.review_id)).film_id for s in (first, second)}  # type: ignore[union-attr]
    assert len(films) == 1


@pytest.mark.parametrize(
    "changes",
    [{"year": 2019}, {"directors": ["Ola Berg"]}, {"title": "Return To Dusk"}],
    ids=["another year", "another director", "another title"],
)
async def test_another_film_is_another_film(store: Store, dust: Review, changes: dict[str, object]) -> None:
    first = await store.ingest(dust, source="a")
    second = await store.ingest(_other(dust, **changes), source="b")
    assert second.status == "added"
    films = {(await store.get(s.review_id)).film_id for s in (first, second)}  # type: ignore[union-attr]
    assert len(films) == 2


async def test_a_film_without_a_year_takes_it_from_a_later_review(store: Store, dust: Review) -> None:
    thr = await store.ingest(_other(dust, year=None), source="thr")
    await store.ingest(dust, source="screen")
    stored = await store.get(thr.review_id)
    assert stored is not None and stored.review.year is None  # the review as written
    film = await store.film(stored.film_id or 0)
    assert film is not None and film.year == 2022  # the film as its reviews tell it together


async def test_the_same_outlet_and_critic_on_the_same_film_is_one_review(store: Store, dust: Review) -> None:
    screen = dust.model_copy(update={"publication": "Screen International", "reviewer": "Jane Critic"})
    first = await store.ingest(screen, source=None)
    edited = screen.model_copy(update={"body": ["A corrected text."], "year": None})
    again = await store.ingest(edited, source=None)
    assert (again.status, again.review_id) == ("updated", first.review_id)
    variety = screen.model_copy(update={"publication": "Variety"})
    assert (await store.ingest(variety, source=None)).status == "added"
    assert await store.count() == 2


async def test_two_urls_are_two_reviews(store: Store, dust: Review) -> None:
    """An outlet that reviews a film twice (a festival review, then a release review) keeps both."""
    one = dust.model_copy(update={"publication": "Screen", "reviewer": "Jane Critic", "url": "https://example.com/1"})
    two = one.model_copy(update={"url": "https://example.com/2", "body": ["On release."]})
    statuses = [(await store.ingest(review)).status for review in (one, two, one, two)]
    assert statuses == ["added", "added", "unchanged", "unchanged"]


async def test_publication_rating_and_image_are_stored_and_read_back(store: Store, dust: Review) -> None:
    rated = dust.model_copy(
        update={
            "publication": "Screen International",
            "rating": Rating(text="★★★★☆", score=80),
            "image_url": "https://example.com/still.jpg",
        }
    )
    status = await store.ingest(rated, source="screen")
    stored = await store.get(status.review_id)
    assert stored is not None and stored.review == rated
    (line,) = await store.film_reviews(stored.film_id or 0)
    assert (line.publication, line.rating) == ("Screen International", Rating(text="★★★★☆", score=80))
    regraded = rated.model_copy(update={"rating": Rating(text="B+", score=83)})
    assert (await store.ingest(regraded, source="screen")).status == "updated"
    assert (await store.get(status.review_id)).review.rating == Rating(text="B+", score=83)  # type: ignore[union-attr]


async def test_a_file_that_now_names_another_reviews_url_updates_that_one_and_leaves_its_own(
    store: Store, festivals: FestivalTable, tmp_path: Path
) -> None:
    """The URL says which review it is; the file's own review keeps its text, and the source stays with it."""
    jane, omar = tmp_path / "jane.txt", tmp_path / "omar.txt"
    jane.write_text(second_critic("Jane Critic", url="https://example.com/jane"), encoding="utf-8")
    omar.write_text(second_critic("Omar Writer", url=None), encoding="utf-8")
    first, second = [await ingest_file(store, p, table=festivals) for p in (jane, omar)]
    omar.write_text(second_critic("Jane Critic", url="https://example.com/jane").replace("true.", "exact."), "utf-8")
    moved = await ingest_file(store, omar, table=festivals)
    assert (moved.status, moved.review_id) == ("updated", first.review_id)
    kept = await store.get(second.review_id or 0)
    assert kept is not None and kept.review.reviewer == "Omar Writer" and kept.source == f"file:{omar.resolve()}"


async def test_a_corrected_title_moves_the_review_and_leaves_the_other_reviews_their_film(
    store: Store, dust: Review
) -> None:
    first = await store.ingest(dust, source="seed")
    other = await store.ingest(_other(dust), source="other")
    await store.ingest(dust.model_copy(update={"title": "Return To The Dust"}), source="seed")
    moved, stayed = await store.get(first.review_id), await store.get(other.review_id)
    assert moved is not None and stayed is not None and moved.film_id != stayed.film_id
    titles = sorted(row[0] for row in await store.reads.fetchall("SELECT title FROM films"))
    assert titles == ["Return To Dust", "Return To The Dust"]
