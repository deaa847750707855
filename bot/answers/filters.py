"""Subscription filters as typed in ``/announce subscribe``: comma-separated lists into one :class:`Criteria`."""

from __future__ import annotations

from pydantic import ValidationError

from bot.domain.criteria import MAX_VALUE_LENGTH, MAX_VALUES, Criteria


def split_values(typed: str | None) -> list[str]:
    """``"Cannes, debut ,"`` -> ``["Cannes", "debut"]``."""
    return [part.strip() for part in (typed or "").split(",") if part.strip()]


def criteria_from_options(
    *,
    words: str | None = None,
    country: str | None = None,
    person: str | None = None,
    sales: str | None = None,
    publication: str | None = None,
    min_rating: float | None = None,
) -> tuple[Criteria | None, str | None]:
    """(the filters, None) or (None, a one-line message saying what is wrong with what was typed)."""
    fields = {
        "words": ("words", words),
        "countries": ("country", country),
        "people": ("person", person),
        "companies": ("sales", sales),
        "publications": ("publication", publication),
    }
    values: dict[str, object] = {}
    for field, (option, typed) in fields.items():
        listed = split_values(typed)
        if len(listed) > MAX_VALUES:
            return None, f"`{option}` takes at most {MAX_VALUES} values, comma-separated; you gave {len(listed)}."
        if any(len(value) > MAX_VALUE_LENGTH for value in listed):
            return None, f"Each `{option}` value must be at most {MAX_VALUE_LENGTH} characters."
        values[field] = listed
    try:
        return Criteria.model_validate({**values, "min_rating": min_rating}), None
    except ValidationError as exc:
        return None, f"Those filters don't work: {exc.errors()[0]['msg']}."
