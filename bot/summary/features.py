"""Candidate sentences of a review and the features the summary model scores them by.

One pass over a sentence's words and a handful of guarded regex scans give every feature, so a
1,200-word review is featurised in about a millisecond. The features are deliberately plain
(cue-word counts, position, length, layout): the weights that combine them are learnt offline
(``bench/train_summary.py``) and shipped as ``model.json``, so what made a sentence win is a short
sum anyone can recompute.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from bot.domain.models import Review
from bot.summary import cues
from bot.summary.sentences import split_sentences

#: Feature names, in the order :func:`featurise` returns them and ``model.json`` weighs them.
NAMES = (
    "is_headline",
    "is_pull_quote",
    "position",
    "first_paragraph",
    "second_paragraph",
    "last_paragraph",
    "next_to_last_paragraph",
    "paragraph_from_end",
    "opens_paragraph",
    "closes_paragraph",
    "words",
    "short",
    "positive",
    "negative",
    "evaluative_noun",
    "verdict_phrase",
    "film_itself",
    "craft",
    "first_person",
    "contrast",
    "story_words",
    "story_phrase",
    "character_actor",
    "actor_plays",
    "history",
    "prospect_words",
    "prospect_phrase",
    "forward",
    "outlook",
    "names_festival_or_seller",
    "production",
    "year",
    "variety",
    "thr",
    "indiewire",
    "cineuropa",
    "no_publication",
    "outlook_at_end",
    "judgement_at_ends",
)
_LAYOUTS = {"Variety": 32, "The Hollywood Reporter": 33, "IndieWire": 34, "Cineuropa": 35}
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_LEXICONS = (cues.POSITIVE, cues.NEGATIVE, cues.EVALUATIVE_NOUNS, cues.STORY_WORDS, cues.PROSPECT_WORDS)
#: Every cue word with its weight in each lexicon, in that order.
_LEXICON: dict[str, tuple[float, ...]] = {
    word: tuple(lexicon.get(word, 0.0) for lexicon in _LEXICONS) for word in set().union(*_LEXICONS)
}
_FILM_SELF = ("the film", "this film", "the movie", "the picture", "the feature", "the documentary", "the debut")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One sentence a summary may quote: its text, where it came from and its features."""

    order: int
    text: str
    kind: str  # "headline", "body" or "quote": only the body may give story or prospects
    features: tuple[float, ...]


_AT = {name: i for i, name in enumerate(NAMES)}
#: The cue features a sentence needs one of before the model may put it in a part: position and length
#: alone never make a verdict, a premise or an outlook (a three-sentence note about runtime has none).
_EVIDENCE = {
    "verdict": tuple(_AT[n] for n in ("positive", "negative", "verdict_phrase", "first_person", "contrast")),
    "story": tuple(_AT[n] for n in ("story_words", "story_phrase", "character_actor", "actor_plays")),
    "prospects": tuple(_AT[n] for n in ("prospect_words", "prospect_phrase", "names_festival_or_seller")),
}


def eligible(part: str, candidate: Candidate) -> bool:
    """Whether ``candidate`` may go in ``part``: a body sentence with at least one of the part's cues."""
    return candidate.kind == "body" and any(candidate.features[i] > 0 for i in _EVIDENCE[part])


def key(text: str) -> str:
    """Lower case without accents or curly apostrophes: ``Sebastián’s`` -> ``sebastian's``."""
    lowered = text.lower().replace("’", "'")
    return lowered if lowered.isascii() else unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode()


def candidates(review: Review) -> list[Candidate]:
    """The review's sentences in source order, each text once: the standfirst, the body, the pull quote."""
    title = key(review.title)
    cast = frozenset(key(name) for name in review.cast)
    named = [review.festival.name] if review.festival else []
    named += [agent.company for agent in review.sales]
    names = tuple(k for k in (key(n) for n in named) if len(k) > 3)
    layout = [0.0] * 5
    if review.publication in _LAYOUTS:
        layout[_LAYOUTS[review.publication] - 32] = 1.0
    elif review.publication is None:
        layout[4] = 1.0
    paragraphs = [split_sentences(p) for p in review.body]
    count = sum(len(p) for p in paragraphs)
    headline = (review.headline or "").strip()
    quote = (review.pull_quote or "").strip()
    seen: set[str] = set()
    out: list[Candidate] = []

    def add(text: str, kind: str, where: tuple[float, ...]) -> None:
        if text and text not in seen:
            seen.add(text)
            out.append(Candidate(len(out), text, kind, _features(text, kind, where, title, cast, names, layout)))

    in_body = {s for p in paragraphs for s in p}
    if headline not in in_body:
        add(headline, "headline", (0.0,) * 8)
    index = 0
    last = len(paragraphs) - 1
    for number, sentences in enumerate(paragraphs):
        for at, sentence in enumerate(sentences):
            where = (
                index / max(1, count - 1),
                float(number == 0),
                float(number == 1),
                float(number == last and last > 0),
                float(number == last - 1 and last > 1),
                min(last - number, 6) / 6,
                float(at == 0),
                float(at == len(sentences) - 1),
            )
            add(sentence, "body", where)
            index += 1
    add(quote, "quote", (0.0,) * 8)
    return out


def _features(
    text: str,
    kind: str,
    where: tuple[float, ...],
    title: str,
    cast: frozenset[str],
    names: tuple[str, ...],
    layout: list[float],
) -> tuple[float, ...]:
    lower = text.lower().replace("’", "'")
    found = _WORD.findall(lower)
    present = frozenset(found)
    positive = negative = nouns = story = prospect = 0.0
    for word in found:
        hit = _LEXICON.get(word)  # one look-up per word; most words are in no lexicon
        if hit:
            positive += hit[0]
            negative += hit[1]
            nouns += hit[2]
            story += hit[3]
            prospect += hit[4]
    keyed = lower if lower.isascii() else key(text)
    film_itself = float(bool(title and title in keyed) or any(w in lower for w in _FILM_SELF))
    actors = [m["actor"] for m in cues.CHARACTER_ACTOR.finditer(text)][:3] if " (" in text else []
    character_actor = sum(1.5 if key(actor) in cast else 1.0 for actor in actors)
    actor_plays = len(cues.ACTOR_PLAYS.findall(text)) if (" plays " in text or " stars as " in text) else 0
    history = float(
        any(literal in lower for literal in cues.HISTORY_LITERALS) and cues.HISTORY.search(lower) is not None
    )
    prospect_phrase = cues.PROSPECT_PHRASES.score(lower, present)
    named = sum(1.0 for name in names if name in keyed)
    forward = cues.FORWARD.score(lower, present)
    outlook = min(forward, 1.0) * min(prospect + prospect_phrase + named, 4.0)
    length = len(found)
    density = 1 / max(1.0, math.sqrt(length / 25))
    judgement = (positive + negative) * density
    return (
        float(kind == "headline"),
        float(kind == "quote"),
        *where,
        min(length, 80) / 40,
        float(length < 8),
        min(positive * density, 6.0),
        min(negative * density, 6.0),
        min(nouns, 3.0),
        min(cues.VERDICT_PHRASES.score(lower, present), 4.0),
        film_itself,
        float(not cues.CRAFT.isdisjoint(present)),
        float(not cues.FIRST_PERSON.isdisjoint(present)),
        float(not cues.CONTRAST.isdisjoint(present)),
        min(story, 5.0),
        min(cues.STORY_PHRASES.score(lower, present), 4.0),
        min(character_actor, 3.0),
        float(min(actor_plays, 2)),
        history,
        min(prospect, 6.0),
        min(prospect_phrase, 4.0),
        min(forward, 2.0),
        min(outlook, 4.0),
        min(named, 2.0),
        float(cues.PRODUCTION.search(lower) is not None) if "produc" in lower else 0.0,
        float(_YEAR.search(text) is not None),
        *layout,
        min(prospect + prospect_phrase, 6.0) * where[3],
        min(judgement, 6.0) * max(where[1], where[3]),
    )
