"""Extractive summary of a review: verdict, story, prospects and a logline.

``/review`` has to answer in ten seconds whether a film is good, what it is about and where it will
go. The critic has already written those sentences, so the summary picks them rather than writing
new ones: every sentence in a :class:`~bot.domain.models.Summary` is verbatim from the review.

Method: every body sentence gets the plain features of :mod:`bot.summary.features` (counts from an
evaluative, a premise and an outlook lexicon, position in the review and its paragraph, length,
layout), and may compete for a part only with one of that part's cues. A logistic regression per
part turns the features into the probability that an editor would accept the sentence there. It
was trained offline (``bench/train_summary.py``) on the 60 dev reviews of ``bench/review_set`` (six
layouts, labelled by people who never saw this code) plus 14 older Screen reviews; its weights ship
in ``model.json``, read once, pure Python, nothing downloaded. A part takes its most probable
sentence above a floor of 0.2, and a second only when that one is likely too (0.5, story 0.8); a
sentence goes to one part only; both thresholds were chosen on cross-validated probabilities.

Why: the hand-set cue thresholds before it scored 1.00 on the reviews they were tuned on and
verdict precision 0.68, prospects recall 0.59 on reviews by other hands. This model, scored once on
the 36 frozen blind reviews (precision / recall): verdict 0.96 / 1.00, story 0.94 / 0.97, prospects
0.97 / 1.00 (targets 0.85; the first-two-sentences baseline: 0.29 / 0.47, 0.35 / 0.36, 0.21 / 0.31).
Cost: 1.2 ms CPU per review at p50, 3.4 ms at p99, within the 5 ms budget (``bench/RESULTS.md``,
*Summaries*). The function is pure: same review, same summary.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import NamedTuple

from bot.domain.models import Review, Summary
from bot.summary import cues
from bot.summary.features import NAMES, Candidate, candidates, eligible
from bot.summary.sentences import split_sentences

LOGLINE_LIMIT = 199  # "under 200 characters" (issue 14): the longest logline, "..." included
MAX_SENTENCES = 2
PARTS = ("verdict", "story", "prospects")
MODEL_PATH = Path(__file__).with_name("model.json")


class Rule(NamedTuple):
    """A part takes its top sentence at ``floor`` or above, and a second at ``second`` or above."""

    floor: float
    second: float


class _Part(NamedTuple):
    weights: tuple[float, ...]  # already divided by the feature's scale
    bias: float  # with the features' means folded in
    rule: Rule


def _load(path: Path = MODEL_PATH) -> dict[str, _Part]:
    """The trained weights, with standardisation folded in so scoring is one dot product per part."""
    model = json.loads(path.read_text(encoding="utf-8"))
    if tuple(model["features"]) != NAMES:
        raise RuntimeError(f"{path.name} was trained on other features; run bench/train_summary.py --write")
    parts = {}
    for part in PARTS:
        spec = model["parts"][part]
        weights = tuple(w / s for w, s in zip(spec["weights"], model["scale"], strict=True))
        bias = spec["bias"] - sum(w * m for w, m in zip(weights, model["mean"], strict=True))
        parts[part] = _Part(weights, bias, Rule(spec["floor"], spec["second"]))
    return parts


_MODEL = _load()


def summarize(review: Review) -> Summary:
    """The verdict, story and prospects sentences of ``review`` and a logline; same review, same summary."""
    found = candidates(review)
    probabilities = {part: [_probability(part, c) for c in found] for part in PARTS}
    picked = choose([c.text for c in found], probabilities, {part: _MODEL[part].rule for part in PARTS})
    shown = [c for c in found if c.kind != "body"]
    if not picked["verdict"] and shown and not any(c.kind == "body" for c in found):
        # No body to judge from (a standfirst or a pull quote only): that is the critic's judgement.
        picked["verdict"] = [shown[0].text]
    return Summary(
        verdict=picked["verdict"],
        story=picked["story"],
        prospects=picked["prospects"],
        logline=_logline(review, picked["story"], picked["verdict"]),
    )


def _probability(part: str, candidate: Candidate) -> float:
    """The model's probability that an editor accepts the sentence in ``part``; -1 where it may not go."""
    if not eligible(part, candidate):
        # The card shows the standfirst and pull quote already, so only the body's sentences compete,
        # and only those with one of the part's cues: position alone never makes a verdict.
        return -1.0
    spec = _MODEL[part]
    z = spec.bias + sum(w * x for w, x in zip(spec.weights, candidate.features, strict=True))
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def choose(texts: list[str], probabilities: dict[str, list[float]], rules: dict[str, Rule]) -> dict[str, list[str]]:
    """Per part, the most probable sentence if it clears the floor, a second if it clears ``second``.

    A sentence goes to one part only (a card never repeats itself): the parts choose in the order of
    their cross-validated precision, prospects, story, verdict, each from what the others left.
    Shared with the trainer, so the thresholds it tunes are the ones the bot applies.
    """
    taken: set[int] = set()
    picked: dict[str, list[str]] = {}
    for part in _CHOOSING_ORDER:
        rule, scores = rules[part], probabilities[part]
        ranked = sorted((i for i, p in enumerate(scores) if p >= 0 and i not in taken), key=lambda i: (-scores[i], i))
        keep = ranked[:1] if ranked and scores[ranked[0]] >= rule.floor else []
        if keep and len(ranked) > 1 and scores[ranked[1]] >= rule.second:
            keep.append(ranked[1])
        taken.update(keep)
        picked[part] = [texts[i] for i in sorted(keep)]
    return {part: picked[part] for part in PARTS}


_CHOOSING_ORDER = ("prospects", "story", "verdict")


#: A standfirst that is itself a logline: "<premise> in <director>’s <adjectives> <genre>".
_PREMISE_STANDFIRST = re.compile(
    r"^(?P<premise>\S+ \S+ .+) in (?:this|these|[^,]{2,60}?[’']s?) (?:[\w-]+,? (?:and |but |if )?){0,5}"
    r"(?:debut|drama|comedy|thriller|feature|film|documentary|doc|fable|saga|portrait|movie|piece|tale|story|"
    r"western|musical|satire|romance|horror|mystery|study|odyssey|epic|chiller|adaptation|animation)\W*$",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


def _logline(review: Review, story: list[str], verdict: list[str]) -> str:
    """The premise in one line, for autocomplete hints and compact announcements.

    A standfirst written as a logline ("A lighthouse keeper's widow refuses to leave her island in
    this austere ... chamber piece") comes first; then the story part's opening sentence; then a
    standfirst that is at least a sentence; then the verdict; then whatever the review has.
    """
    headline = (review.headline or "").strip()
    premise = _PREMISE_STANDFIRST.search(headline) if len(headline) <= LOGLINE_LIMIT else None
    if premise and not _judges(premise["premise"]):
        return _trim(headline)
    if story:
        return _trim(story[0])  # the sentence that introduces the premise, even if it must be cut
    if headline and _is_sentence(headline):
        return _trim(headline)
    if verdict:
        return _trim(verdict[0])
    first = next((s for p in review.body for s in split_sentences(p)), "")
    return _trim(first or (review.pull_quote or "").strip() or review.title)


def _judges(text: str) -> bool:
    """Whether ``text`` passes judgement ("a promising premise is squandered"), so it is no premise."""
    found = _WORD.findall(text.lower().replace("’", "'"))
    return any(cues.POSITIVE.get(w, 0.0) >= 1.5 or cues.NEGATIVE.get(w, 0.0) >= 1.5 for w in found)


def _is_sentence(text: str) -> bool:
    """A standfirst reads as a sentence when it has several words, some lower case, and no label prefix."""
    found = text.split()
    return len(found) >= 4 and any(w.islower() for w in found) and ":" not in text[:30]


def _trim(text: str, limit: int = LOGLINE_LIMIT) -> str:
    """At most ``limit`` characters, cut at a word boundary and marked with "..." when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 3]
    space = head.rfind(" ")
    if space > 0:
        head = head[:space]
    return head.rstrip(" ,;:–—-") + "..."
