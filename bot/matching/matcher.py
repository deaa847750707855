"""The one criteria matcher: does a review pass a subscription's filters or a member's watch, and why.

A review is folded once into :class:`ReviewFacts` (its words, names and numbers, case-, accent- and
punctuation-folded as search folds them), so matching it against hundreds of criteria costs set lookups
and short substring tests, not a fold of the whole text each time. A value matches when its folded words
appear in a row, as whole words, in the folded field: ``ruijun`` finds ``Li Ruijun``, ``memento`` finds
``Memento International``, ``film`` does not find ``filmmaker``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from bot.domain.criteria import Criteria
from bot.domain.models import Review
from bot.domain.text import fold


class Verdict(BaseModel):
    """Whether the review matched, and the reason in words (which filter let it through or kept it out)."""

    model_config = ConfigDict(frozen=True)

    matched: bool
    reason: str


def _padded(texts: Iterable[str | None]) -> tuple[str, ...]:
    """Each text folded, with a space either side so a phrase test is a whole-word test."""
    return tuple(f" {folded} " for text in texts if text and (folded := fold(text)))


@dataclass(frozen=True, slots=True)
class ReviewFacts:
    """A review folded for matching, computed once per review."""

    title: str
    text: str  # title, original title, standfirst, pull quote and body, folded and padded
    words: frozenset[str]
    countries: tuple[str, ...]
    people: tuple[str, ...]
    companies: tuple[str, ...]
    festivals: tuple[str, ...]
    publications: tuple[str, ...]
    rating: float | None
    rating_text: str | None

    @classmethod
    def of(cls, review: Review) -> ReviewFacts:
        parts = [review.title, review.original_title, review.headline, review.pull_quote, *review.body]
        text = " " + " ".join(fold(part) for part in parts if part) + " "
        return cls(
            title=review.display_title,
            text=text,
            words=frozenset(text.split()),
            countries=_padded(review.countries),
            people=_padded([*review.directors, *review.cast]),
            companies=_padded(contact.company for contact in review.sales),
            festivals=_padded([review.festival.name] if review.festival else []),
            publications=_padded([review.publication]),
            rating=review.rating.score if review.rating else None,
            rating_text=review.rating.text if review.rating else None,
        )

    def field(self, name: str) -> tuple[str, ...]:
        """The folded values of one criteria field (``words`` is the whole text)."""
        return (self.text,) if name == "words" else getattr(self, name)

    def keys(self, name: str) -> frozenset[str]:
        """Every word of one field: a value can only match if its first word is among these."""
        if name == "words":
            return self.words
        return frozenset(word for value in self.field(name) for word in value.split())


#: The list filters in the order they are checked and explained, with how a reason names them.
LIST_FILTERS: tuple[tuple[str, str, str], ...] = (
    ("words", "word", "in the title or review"),
    ("countries", "country", "among its countries"),
    ("people", "director or cast name", "among its director and cast"),
    ("companies", "sales company", "among its sales companies"),
    ("festivals", "festival", "as its festival"),
    ("publications", "publication", "as its publication"),
)


@functools.lru_cache(maxsize=65_536)
def needle(value: str) -> str:
    """A value folded and padded for a whole-word test; cached, as the same filters meet every new review."""
    folded = fold(value)
    return f" {folded} " if folded else ""


def first_hit(values: Iterable[str], haystack: tuple[str, ...]) -> str | None:
    """The first value whose folded words appear as whole words in one of ``haystack``'s texts."""
    for value in values:
        padded = needle(value)
        if padded and any(padded in text for text in haystack):
            return value
    return None


def matches_value(facts: ReviewFacts, field: str, value: str) -> bool:
    """One value of one criteria field: what :func:`match` tests for a one-value criteria (a watch), without
    building the criteria or the reason: a review meets up to thousands of watches."""
    padded = needle(value)
    return bool(padded) and any(padded in text for text in facts.field(field))


def passes(facts: ReviewFacts, criteria: Criteria) -> bool:
    """``match(facts, criteria).matched``, without writing the reason: what the store asks of every
    subscription a new review meets. The same tests as :func:`match`, in the same order."""
    for field, _, _ in LIST_FILTERS:
        values: list[str] = getattr(criteria, field)
        if values and first_hit(values, facts.field(field)) is None:
            return False
    return criteria.min_rating is None or (facts.rating is not None and facts.rating >= criteria.min_rating)


def match(review: Review | ReviewFacts, criteria: Criteria) -> Verdict:
    """Whether ``review`` passes every filter of ``criteria``; the reason names the filter that decided.

    Kept out: the first filter it fails (``kept out: no country of France, Spain``). Let through: what
    each filter matched (``let through: word “debut”; rating 80 ≥ 70``), or that there are no filters.
    """
    facts = review if isinstance(review, ReviewFacts) else ReviewFacts.of(review)
    passed: list[str] = []
    for field, label, where in LIST_FILTERS:
        values: list[str] = getattr(criteria, field)
        if not values:
            continue
        hit = first_hit(values, facts.field(field))
        if hit is None:
            listed = ", ".join(f"“{v}”" for v in values)
            return Verdict(matched=False, reason=f"kept out: no {label} {listed} {where}")
        passed.append(f"{label} “{hit}”")
    if criteria.min_rating is not None:
        if facts.rating is None:
            reason = f"kept out: the review has no rating (minimum {criteria.min_rating:g})"
            return Verdict(matched=False, reason=reason)
        if facts.rating < criteria.min_rating:
            return Verdict(
                matched=False,
                reason=f"kept out: rated {facts.rating:g}/100 ({facts.rating_text}), below {criteria.min_rating:g}",
            )
        passed.append(f"rating {facts.rating:g} ≥ {criteria.min_rating:g}")
    if not passed:
        return Verdict(matched=True, reason="let through: no filters")
    return Verdict(matched=True, reason="let through: " + "; ".join(passed))
