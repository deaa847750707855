"""Search: every way a person may type a title, a name or a company, and hostile input."""

from __future__ import annotations

import pytest

from bot.domain.festivals import FestivalTable
from bot.search.searcher import Searcher
from bot.sources.ingest import ingest_paths
from bot.storage.store import Store
from tests.conftest import FIXTURES


@pytest.fixture
async def loaded(store: Store, festivals: FestivalTable) -> Searcher:
    outcomes = await ingest_paths(store, [FIXTURES / "reviews"], table=festivals)
    assert all(o.status == "added" for o in outcomes)
    return Searcher(store)


@pytest.mark.parametrize(
    "query",
    [
        "Return To Dust",
        "return to dust",
        "RETURN TO DUST!",
        "Return, to... Dust?",
        "return",
        "to dust",
        "retu",
        "retrun to dust",
        "retun to dsut",
        "Li Ruijun",
        "li ruijun",
        "Wang Weihua",
        "M-Appeal",
        "m appeal",
        "Qizi Films",
    ],
)
async def test_finds_return_to_dust(loaded: Searcher, query: str) -> None:
    hits = await loaded.search(query)
    assert hits, query
    assert hits[0].title == "Return To Dust", (query, [(h.title, h.score) for h in hits[:3]])


async def test_person_and_company_matches_say_what_matched(loaded: Searcher) -> None:
    person = (await loaded.search("Wang Weihua"))[0]
    assert (person.matched, person.name, person.role) == ("person", "Wang Weihua", "cinematography")
    company = (await loaded.search("M-Appeal"))[0]
    assert (company.matched, company.name) == ("company", "M-Appeal")


async def test_original_title_and_accents(loaded: Searcher, store: Store) -> None:
    docs = await store.search_docs(range(1, 100))
    with_original = [d for d in docs if d.original_title]
    assert with_original, "fixtures need a review with an original title"
    for doc in with_original:
        hits = await loaded.search(doc.original_title or "")
        assert hits and hits[0].review_id == doc.review_id, doc.original_title
    accented = [d for d in docs if any(ord(c) > 127 for c in d.title)]
    assert accented, "fixtures need a non-ASCII title"
    import unicodedata

    for doc in accented:
        bare = "".join(c for c in unicodedata.normalize("NFKD", doc.title) if not unicodedata.combining(c))
        hits = await loaded.search(bare.upper())
        assert hits and hits[0].review_id == doc.review_id, bare


async def test_ties_go_to_the_most_recent(store: Store, festivals: FestivalTable) -> None:
    from bot.parsing.parser import parse_review_text

    template = (
        "---\npublished_at: {date}\n---\nA fine film\n\nThe Harbour\n\nDir: {director}. Norway. {year}. 90 mins\n\n"
        "A quiet study of a fishing town and its people, told with care.\n"
    )
    older = parse_review_text(template.format(date="2019-05-01", director="Ola Berg", year=2019), table=festivals)
    newer = parse_review_text(template.format(date="2024-05-01", director="Kari Lund", year=2024), table=festivals)
    await store.ingest(older, source="a")
    newest = await store.ingest(newer, source="b")
    hits = await Searcher(store).search("the harbour")
    assert [h.review_id for h in hits][:1] == [newest.review_id]
    assert len(hits) == 2


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        '"',
        '"return',
        "*",
        "return*",
        "NEAR(return dust)",
        "return AND dust",
        "return OR",
        "-dust",
        "title:dust",
        "' OR 1=1 --",
        "'; DROP TABLE reviews; --",
        "🎬🍿",
        "x" * 1024,
        "return to dust " * 70,
        "\x00\x01",
        "^return",
        "{title people}: dust",
    ],
)
async def test_hostile_queries_never_raise(loaded: Searcher, store: Store, query: str) -> None:
    hits = await loaded.search(query)
    assert isinstance(hits, list)
    assert await store.count() > 0  # and nothing was dropped


async def test_unknown_title_finds_nothing(loaded: Searcher) -> None:
    assert await loaded.search("zzqx wvvy") == []


async def test_typo_correction_sees_reviews_written_later(store: Store, festivals: FestivalTable) -> None:
    searcher = Searcher(store)
    assert await searcher.search("retrun to dust") == []
    await ingest_paths(store, [FIXTURES / "reviews" / "return-to-dust.txt"], table=festivals)
    assert (await searcher.search("retrun to dust"))[0].title == "Return To Dust"


async def test_a_film_with_several_reviews_is_one_hit(store: Store, festivals: FestivalTable) -> None:
    from bot.parsing.parser import parse_review_text
    from tests.conftest import SEED, second_critic

    seed = await store.ingest(parse_review_text(SEED.read_text(encoding="utf-8"), table=festivals), source="a")
    for name in ("Jane Critic", "Omar Writer"):
        await store.ingest(parse_review_text(second_critic(name, url=None, year=False), table=festivals), source=name)
    searcher = Searcher(store)
    film = (await store.get(seed.review_id)).film_id  # type: ignore[union-attr]
    for query in ("return to dust", "retun to dsut", "li ruijun", "m appeal"):
        hits = await searcher.search(query)
        assert [(h.film_id, h.reviews) for h in hits] == [(film, 3)], query
