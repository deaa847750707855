"""The trained summariser: the splitter's newer rules, every layout's parts, and the shipped model file."""

from __future__ import annotations

import json

import pytest

from bot.domain.festivals import FestivalTable
from bot.domain.models import Review
from bot.parsing.parser import parse_review_text
from bot.summary.sentences import split_sentences
from bot.summary.summarizer import LOGLINE_LIMIT, MAX_SENTENCES, PARTS, summarize
from tests.conftest import ROOT


def _review(path, festivals: FestivalTable) -> Review:
    return parse_review_text(path.read_text(encoding="utf-8"), source=path.name, table=festivals)


# --- the trained model ------------------------------------------------------------------------------


def test_clock_times_and_leading_emoji_split_like_a_reader() -> None:
    text = "The crew works until 4 a.m. Lotte smuggles her cello aboard. It is hard-won. 🎆 Their scene sings."
    assert split_sentences(text) == [
        "The crew works until 4 a.m.",
        "Lotte smuggles her cello aboard.",
        "It is hard-won.",
        "Their scene sings.",
    ]
    assert split_sentences("They meet at 9 p.m. on Fridays.") == ["They meet at 9 p.m. on Fridays."]


DEV = ROOT / "bench" / "review_set" / "dev"
ONE_PER_LAYOUT = {
    "screen": "undertow-parish",
    "variety": "brambleshank",
    "thr": "floor-nine-is-closed",
    "indiewire": "honey-tax",
    "cineuropa": "the-lanternwright",
    "guardian": "candlemass-road",
}


@pytest.mark.parametrize("layout", list(ONE_PER_LAYOUT))
def test_every_layout_gets_every_part_from_labelled_sentences(layout: str, festivals: FestivalTable) -> None:
    """One labelled dev review per layout: each part holds one or two sentences, one an editor accepted."""
    slug = ONE_PER_LAYOUT[layout]
    review = _review(DEV / f"{slug}.txt", festivals)
    labels = json.loads((DEV / f"{slug}.labels.json").read_text(encoding="utf-8"))
    summary = summarize(review)
    for part in PARTS:
        chosen = getattr(summary, part)
        assert 1 <= len(chosen) <= MAX_SENTENCES, (slug, part, chosen)
        accepted = {" ".join(s.split()) for s in labels[part]["acceptable"]}
        assert any(" ".join(s.split()) in accepted for s in chosen), (slug, part, chosen)
    # The logline names the premise: (the start of) an accepted story sentence, or the standfirst.
    assert len(summary.logline) <= LOGLINE_LIMIT < 200
    head = summary.logline.removesuffix("...")
    premises = [" ".join(s.split()) for s in labels["story"]["acceptable"]] + [review.headline or ""]
    assert any(p.startswith(head) for p in premises), summary.logline


def test_model_file_matches_the_features() -> None:
    """model.json holds one weight per feature for every part, and a floor below the second's bar."""
    from bot.summary.features import NAMES
    from bot.summary.summarizer import MODEL_PATH

    model = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert model["features"] == list(NAMES)
    for part in PARTS:
        spec = model["parts"][part]
        assert len(spec["weights"]) == len(NAMES)
        assert 0 <= spec["floor"] <= spec["second"]
