"""The one criteria matcher: subscription filters and watches, folded words, and the reason it gives."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.answers.filters import criteria_from_options
from bot.domain.criteria import WATCH_FIELDS, Criteria, watch_criteria
from bot.domain.models import FestivalRef, Rating, Review, SalesContact
from bot.matching.matcher import ReviewFacts, match, matches_value, passes

REVIEW = Review(
    title="The Salt Orchard",
    original_title="O Pomar de Sal",
    headline="A débutante's quiet triumph in the Algarve",
    directors=["Inês Carvalho"],
    cast=["João Neves", "Marta Sá"],
    countries=["Portugal", "France"],
    festival=FestivalRef(name="Berlinale", section="Encounters"),
    sales=[SalesContact(company="Lumen Sales International", emails=["sales@lumen.example.com"])],
    body=["A first feature of rare patience, shot on 16mm film.", "Its filmmaker knows the coast."],
    publication="Screen International",
    rating=Rating(text="★★★★☆", score=80),
)


def test_no_filters_lets_everything_through() -> None:
    assert match(REVIEW, Criteria()) == match(REVIEW, Criteria()).model_copy(
        update={"matched": True, "reason": "let through: no filters"}
    )


@pytest.mark.parametrize(
    ("criteria", "hit"),
    [
        (Criteria(words=["DEBUTANTE"]), "word “DEBUTANTE”"),  # case and accents folded
        (Criteria(words=["first feature"]), "word “first feature”"),  # a phrase, in the body
        (Criteria(words=["pomar"]), "word “pomar”"),  # the original title
        (Criteria(countries=["france"]), "country “france”"),
        (Criteria(people=["ines carvalho"]), "director or cast name “ines carvalho”"),
        (Criteria(people=["Marta Sá"]), "director or cast name “Marta Sá”"),
        (Criteria(companies=["Lumen"]), "sales company “Lumen”"),  # whole words of the company's name
        (Criteria(publications=["screen"]), "publication “screen”"),
        (Criteria(min_rating=80), "rating 80 ≥ 80"),
        (watch_criteria("festival", "berlinale"), "festival “berlinale”"),
    ],
)
def test_each_filter_lets_a_matching_review_through_and_says_so(criteria: Criteria, hit: str) -> None:
    verdict = match(REVIEW, criteria)
    assert verdict.matched and passes(ReviewFacts.of(REVIEW), criteria)
    assert verdict.reason == f"let through: {hit}"


@pytest.mark.parametrize(
    ("criteria", "reason"),
    [
        (Criteria(words=["film festival"]), "kept out: no word “film festival” in the title or review"),
        # whole words only: "film" is in the body, "filmmaker" is not "film maker"
        (Criteria(words=["maker"]), "kept out: no word “maker” in the title or review"),
        (Criteria(countries=["Spain", "Italy"]), "kept out: no country “Spain”, “Italy” among its countries"),
        (Criteria(people=["Ana Lima"]), "kept out: no director or cast name “Ana Lima” among its director and cast"),
        (Criteria(companies=["Sales Co"]), "kept out: no sales company “Sales Co” among its sales companies"),
        (Criteria(publications=["Variety"]), "kept out: no publication “Variety” as its publication"),
        (Criteria(min_rating=81), "kept out: rated 80/100 (★★★★☆), below 81"),
    ],
)
def test_each_filter_keeps_out_a_review_that_misses_it_and_says_which(criteria: Criteria, reason: str) -> None:
    verdict = match(REVIEW, criteria)
    assert not verdict.matched and not passes(ReviewFacts.of(REVIEW), criteria)
    assert verdict.reason == reason


def test_filters_together_must_all_pass_and_any_value_of_one_will_do() -> None:
    both = Criteria(countries=["Chile", "Portugal"], min_rating=70)
    assert match(REVIEW, both).reason == "let through: country “Portugal”; rating 80 ≥ 70"
    assert not match(REVIEW, both.model_copy(update={"min_rating": 90})).matched
    unrated = REVIEW.model_copy(update={"rating": None})
    assert match(unrated, Criteria(min_rating=10)).reason == "kept out: the review has no rating (minimum 10)"


def test_facts_folded_once_give_the_same_verdicts() -> None:
    facts = ReviewFacts.of(REVIEW)
    for criteria in (Criteria(words=["16mm"]), Criteria(people=["neves"]), Criteria(companies=["nope"])):
        assert match(facts, criteria) == match(REVIEW, criteria)
    assert "carvalho" in facts.keys("people") and "lumen" in facts.keys("companies")


def test_options_as_typed_become_criteria_or_a_clear_message() -> None:
    criteria, error = criteria_from_options(words="debut, first feature ,", country="France", min_rating=70)
    assert error is None and criteria == Criteria(words=["debut", "first feature"], countries=["France"], min_rating=70)
    assert criteria.describe() == "words: debut, first feature · country: France · rating ≥ 70"
    _, error = criteria_from_options(person=",".join(f"p{i}" for i in range(11)))
    assert error == "`person` takes at most 10 values, comma-separated; you gave 11."
    _, error = criteria_from_options(sales="x" * 101)
    assert error == "Each `sales` value must be at most 100 characters."
    with pytest.raises(ValidationError):
        Criteria(min_rating=101)


@pytest.mark.parametrize(
    ("kind", "value"),
    [("person", "carvalho"), ("person", "Ana Lima"), ("company", "lumen sales"), ("company", "sales co"),
     ("festival", "Berlinale"), ("festival", "Cannes"), ("country", "FRANCE"), ("word", "rare patience"),
     ("word", "maker"), ("word", "!!")],
)  # fmt: skip
def test_the_watch_shortcut_agrees_with_the_matcher(kind: str, value: str) -> None:
    """Watches are checked with matches_value (no criteria built per watch): it must say what match() says."""
    facts = ReviewFacts.of(REVIEW)
    assert matches_value(facts, WATCH_FIELDS[kind], value) == match(facts, watch_criteria(kind, value)).matched
