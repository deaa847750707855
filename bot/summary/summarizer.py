"""Extractive summary of a review: verdict, story, prospects and a logline.

``/review`` has to answer in ten seconds whether a film is good, what it is about and where it will
go. The critic has already written those sentences, so the summary picks them rather than writing
new ones: every sentence in a :class:`~bot.models.Summary` is verbatim from the review, and nothing a
critic did not say can reach a buyer.

Sentences are scored with transparent features (cue phrases, an actor's name in parentheses after a
character's, evaluative words, position), so a surprising pick can be traced to the words that
caused it. Each sentence goes to at most one part, the part whose threshold it clears by the widest
margin; each part keeps at most two sentences, in source order. The function is pure: no state, no
randomness, ties broken by position, so re-ingesting a review stores the same summary.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

from bot.domain.models import Review, Summary
from bot.summary.sentences import split_sentences

LOGLINE_LIMIT = 200
MAX_SENTENCES = 2
PARTS = ("verdict", "story", "prospects")

#: A part takes a sentence only above this score; a second sentence also needs this share of the first's.
_THRESHOLD = {"verdict": 2.0, "story": 3.0, "prospects": 3.0}
_SECOND_SHARE = {"verdict": 0.0, "story": 0.5, "prospects": 0.4}
#: Outlook sentences carry praise as a matter of course ("its strong central performance should appeal
#: to distributors"); judgements rarely mention distributors by accident, so prospects win close calls.
_PREFERENCE = {"verdict": 1.0, "story": 1.0, "prospects": 1.25}
#: The card shows the standfirst and the pull quote already, so the verdict prefers the body's own
#: judgement: a standfirst still wins when it judges more plainly than any body sentence; a pull quote,
#: nearly always an echo of a body sentence, only when the body has little else.
_DISPLAY_PENALTY = {"headline": 0.5, "quote": 1.5}


def _words(spec: str) -> dict[str, float]:
    """``"2: a b; 1: c"`` -> {"a": 2, "b": 2, "c": 1}: lexicons stay readable as weighted lists."""
    table: dict[str, float] = {}
    for group in spec.split(";"):
        weight, _, words = group.partition(":")
        for word in words.split():
            table[word] = float(weight)
    return table


class _Phrases(NamedTuple):
    """Weighted cue phrases as one alternation: a single pass per sentence, earlier alternatives first.

    ``triggers`` are words (or, with a leading ``*``, substrings) one of which every phrase contains;
    a sentence with none of them skips the regex, which is most sentences for most parts.
    """

    pattern: re.Pattern[str]
    weights: dict[str, float]
    triggers: frozenset[str]
    substrings: tuple[str, ...]

    def score(self, lower: str, words: frozenset[str]) -> float:
        if self.triggers.isdisjoint(words) and not any(sub in lower for sub in self.substrings):
            return 0.0
        return sum(self.weights[m.lastgroup or ""] for m in self.pattern.finditer(lower))


def _phrases(triggers: str, *pairs: tuple[float, str]) -> _Phrases:
    """Cue phrases start at a word boundary; one ``\\b`` in front of the alternation lets ``re`` try
    the alternatives at word starts only, three times faster than a ``\\b`` in each."""
    pattern = "|".join(f"(?P<g{i}>{alternatives})" for i, (_, alternatives) in enumerate(pairs))
    return _Phrases(
        re.compile(rf"\b(?:{pattern})"),
        {f"g{i}": weight for i, (weight, _) in enumerate(pairs)},
        frozenset(t for t in triggers.split() if not t.startswith("*")),
        tuple(t[1:] for t in triggers.split() if t.startswith("*")),
    )


# --- verdict: the critic's judgement ----------------------------------------------------------------

_VERDICT_WORDS = _words(
    """
    1.5: superb remarkable extraordinary terrific masterful masterly brilliant triumph triumphant
    revelation marvel devastating stunning breathtaking exceptional outstanding impeccable
    accomplished assured affecting moving touching powerful compelling gripping riveting engrossing
    absorbing haunting poignant tender lovely beautiful beautifully gorgeous exquisite superbly
    magnificent wonderful wonderfully delightful charming funny hilarious witty warm bracing daring
    ambitious distinctive original confident elegant handsome rewarding satisfying impressive
    unsettling chilling taut slick glossy well-acted crowd-pleaser crowd-pleasing
    accessible profound evocative hypnotic mesmerising mesmerizing rigorous intelligent thoughtful
    authentic convincing sober restrained nuanced subtle admirable likable likeable entertaining
    enjoyable fresh vital urgent lyrical poetic
    intriguing effective tense
    muddled repetitive tiresome tedious dull flat slight contrived cliched clichéd generic predictable
    underdeveloped overlong sags sag falters falter flounders disappointing disappointment
    disappoints disappointingly squandered squanders misstep misfire misfires fails weak thin opaque
    frustrating frustratingly frustrate reticent uneven clumsy heavy-handed ridiculous melodramatic
    formulaic derivative overwrought bland forgettable evasive lacks lacking grates unsatisfying
    laboured labored plodding shapeless meandering inert stilted
    excellent thrilling dazzling ravishing clever sharp heartfelt
    engaging involving baffling confusing dutiful pedestrian workmanlike unremarkable uninspired underwhelming
    lacklustre lackluster messy overstuffed ponderous sluggish mawkish schematic preachy hollow
    ; 1: good great strong strongest best finest loveliest worst weakest fine solid modest minor
    familiar safe rich richly lovingly tenderly utterly deeply genuinely emotional emotionally
    achievement debut flaws flawed problems problem works succeeds success successful frustration
    rewards rewarded
    ; 0.5: performance performances turn
    """
)
#: A sentence about one department or one scene praises a part, not the film: weaker as a verdict.
_CRAFT = frozenset(
    _words(
        """1: cinematographer cinematography photography score composer soundtrack sound editing editor designer
        design costumes costume sequence sequences scene scenes shots camerawork lighting effects visuals"""
    )
)  # a weighted list with one weight: the same readable format as the lexicons
_CRAFT_PENALTY = 1.5
_VERDICT_PHRASES = _phrases(
    "most yet date best finest never strongest weakest worst watch card tour than too "
    "won't doesn't didn't isn't wasn't",
    (3.5, r"most [a-z-]+ (?:yet|to date)\b"),
    (3.0, r"one of the most [a-z-]+\b"),
    (2.0, r"(?:work|film|feature) (?:to date|yet)\b"),
    (1.5, r"most [a-z-]+\b|one of the (?:best|finest)\b|never less than\b"),
    (1.5, r"at (?:its|his|her) (?:best|strongest|weakest|worst)\b"),
    (1.5, r"a director to watch\b|calling card\b|tour de force\b"),
    (1.0, r"less [a-z]+ than\b|more [a-z]+ than [a-z]+\b|(?:wo|does|did|is|was)n't\b"),
    (1.5, r"too (?:long|short|slow|much|little)\b"),
)

# --- story: the premise --------------------------------------------------------------------------

_STORY_WORDS = _words(
    """
    2: follows chronicles protagonist protagonists
    ; 1: widow widower daughter son mother father brother sister wife husband grandson granddaughter
    grandmother grandfather teenager teenage orphan stranger family siblings couple boy girl
    village town hometown returns discovers decides arrives must forced finds inherits estranged
    ; 0.5: lives living runs spends wants refuses
    """
)
_STORY_PHRASES = _phrases(
    "set takes tell tells story centres centers revolves setup premise when *year-old",
    (2.5, r"set (?:in|on|during|against|amid|among|within|over|almost)\b|takes place\b"),
    (2.5, r"tells? the (?:story|tale)\b|cent(?:re|er)s on\b|revolves around\b|the story of\b"),
    (1.0, r"setup\b|premise\b|\d+-year-old\b|[a-z]+-year-old\b"),
    (1.0, r"^when\b|when (?:a|an|the|his|her|their)\b"),
)
# A character introduced with the actor in parentheses: "Ma Youtie (Wu Renlin)", "Kipinä (voiced by X)".
_CHARACTER_ACTOR = re.compile(
    r"[A-Z][\w’'-]+,? \((?:voiced by |played by )?(?P<actor>[A-Z][\w’'.-]+(?: [A-Z][\w’'.-]+){0,3})\)"
)

# "Ragnhild Østby plays Eli": the cast introduced actor first.
_ACTOR_PLAYS = re.compile(r"\b[A-Z][\w’'-]+ (?:plays|stars as) (?:the )?[A-Z]")

# --- prospects: festival and commercial outlook ---------------------------------------------------

_PROSPECT_WORDS = _words(
    """
    2: premiere premieres premiered premiering distributor distributors distribution release releases
    theatrical streamer streamers streaming buyers acquisition acquisitions broadcasters broadcaster
    remake sidebar programmers arthouse art-house territories multiplex multiplexes box-office
    ; 1.5: bows bowed
    ; 1: festival festivals audiences audience circuit commercial market prospects niche international
    domestic sales selected competition selection awards travel travels appeal proposition
    crowd-pleaser platforms platform cinemas
    """
)
_PROSPECT_PHRASES = _phrases(
    "festival agent box mouth",
    (2.0, r"festival (?:circuit|run|play)\b|sales agent\b|box office\b|word of mouth\b"),
)
_FORWARD = _phrases(
    "should could will would may might likely unlikely set",
    (1.0, r"(?:should|could|will|would|may|might|likely|unlikely)\b|looks set\b|is set to\b"),
)
# A sentence about the director's earlier films is history, not outlook or premise.
_HISTORY = re.compile(
    r"\b(?:previous (?:features?|films?|works?)|(?:his|her|their) (?:earlier|last|first|two) (?:features?|films?)"
    r"|struggled|won)\b|\(\d{4}\)"
)
#: Text every match of ``_HISTORY`` contains, one of them at least.
_HISTORY_LITERALS = ("previous ", " feature", " film", "struggled", "won", "(")

#: Every cue word with its weight for (verdict, story, prospects): one dictionary look-up per word.
_LEXICON: dict[str, tuple[float, float, float]] = {
    word: (_VERDICT_WORDS.get(word, 0.0), _STORY_WORDS.get(word, 0.0), _PROSPECT_WORDS.get(word, 0.0))
    for word in {*_VERDICT_WORDS, *_STORY_WORDS, *_PROSPECT_WORDS}
}

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_FILM_SELF = ("the film", "this film", "feature", "debut")
#: A standfirst that is itself a logline: "<premise> in <director>’s <adjectives> <genre>".
_PREMISE_STANDFIRST = re.compile(
    r"^(?P<premise>\S+ \S+ .+) in (?:this|these|[^,]{2,60}?[’']s?) (?:[\w-]+,? (?:and |but |if )?){0,5}"
    r"(?:debut|drama|comedy|thriller|feature|film|documentary|doc|fable|saga|portrait|movie|piece|tale|story|"
    r"western|musical|satire|romance|horror|mystery|study|odyssey|epic|chiller|adaptation|animation)\W*$",
    re.IGNORECASE,
)


class _Context(NamedTuple):
    """What a review says about itself that helps scoring: its title, cast, festival and sellers."""

    title: str
    cast: frozenset[str]
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Unit:
    """One candidate sentence: where it came from and its score for each part."""

    order: int
    text: str
    kind: str  # "headline", "body" or "quote"
    scores: tuple[float, float, float]  # in PARTS order

    def score(self, part: str) -> float:
        return self.scores[PARTS.index(part)]

    def rank(self, part: str) -> float:
        """The score a part ranks by: the verdict prefers the body to what the card already shows."""
        penalty = _DISPLAY_PENALTY.get(self.kind, 0.0) if part == "verdict" else 0.0
        return self.score(part) - penalty


def summarize(review: Review) -> Summary:
    """The verdict, story and prospects sentences of ``review`` and a logline; same review, same summary."""
    units = _units(review)
    chosen: dict[str, list[_Unit]] = {part: [] for part in PARTS}
    for unit in units:
        part = _best_part(unit)
        if part:
            chosen[part].append(unit)
    picked = {part: _pick(part, candidates) for part, candidates in chosen.items()}
    if not picked["verdict"]:
        # Every review judges; when no sentence clears the bar, the most evaluative unclaimed one speaks.
        claimed = {u.order for part in ("story", "prospects") for u in picked[part]}
        free = [u for u in units if u.order not in claimed and u.score("verdict") > 0]
        picked["verdict"] = sorted(free, key=lambda u: (-u.rank("verdict"), u.order))[:1]
    return Summary(
        verdict=[u.text for u in picked["verdict"]],
        story=[u.text for u in picked["story"]],
        prospects=[u.text for u in picked["prospects"]],
        logline=_logline(review, picked["story"], picked["verdict"]),
    )


def _context(review: Review) -> _Context:
    """Computed once per review, so per-sentence scoring only compares prepared keys."""
    names = [review.festival.name] if review.festival else []
    names += [agent.company for agent in review.sales]
    return _Context(
        title=_key(review.title),
        cast=frozenset(_key(name) for name in review.cast),
        names=tuple(key for key in (_key(n) for n in names) if len(key) > 3),
    )


def _units(review: Review) -> list[_Unit]:
    """The review's sentences in source order, each text once: a summary never repeats itself."""
    context = _context(review)
    paragraphs = len(review.body)
    body = [(sentence, index) for index, paragraph in enumerate(review.body) for sentence in split_sentences(paragraph)]
    in_body = {sentence for sentence, _ in body}
    headline = (review.headline or "").strip()
    quote = (review.pull_quote or "").strip()
    units: list[_Unit] = []
    seen: set[str] = set()
    if headline and headline not in in_body:
        units.append(_score(len(units), headline, "headline", context, 0.0, 0.0))
        seen.add(headline)
    for sentence, index in body:
        if sentence in seen:
            continue
        seen.add(sentence)
        # Critics open and close on their judgement; the premise tends to come early.
        verdict_bonus = 0.5 if paragraphs > 2 and index in (0, paragraphs - 1) else 0.0
        story_bonus = 0.5 if paragraphs > 2 and index <= paragraphs // 2 else 0.0
        units.append(_score(len(units), sentence, "body", context, verdict_bonus, story_bonus))
    if quote and quote not in seen:
        units.append(_score(len(units), quote, "quote", context, 0.0, 0.0))
    return units


def _score(order: int, text: str, kind: str, context: _Context, verdict_bonus: float, story_bonus: float) -> _Unit:
    """Score one sentence for every part at once: one pass over its words, one regex pass per part."""
    lower = text.lower().replace("’", "'")
    words = _WORD.findall(lower)
    present = frozenset(words)
    verdict = story = cues = 0.0
    for word in words:
        hit = _LEXICON.get(word)
        if hit:
            verdict += hit[0]
            story += hit[1]
            cues += hit[2]

    verdict += _VERDICT_PHRASES.score(lower, present)
    keyed = lower if lower.isascii() else _key(text)  # _key(text), without lowering the text again
    if verdict and ((context.title and context.title in keyed) or any(w in lower for w in _FILM_SELF)):
        verdict += 0.5  # a judgement of the film itself, not of one of its parts
    # Long sentences collect cue words by sheer length; judge density instead.
    verdict = verdict / max(1.0, (len(words) / 25) ** 0.5) + (verdict_bonus if verdict else 0.0)
    if verdict and not _CRAFT.isdisjoint(present):
        verdict -= _CRAFT_PENALTY
    if kind != "body":
        return _Unit(order, text, kind, (verdict, 0.0, 0.0))

    story += _STORY_PHRASES.score(lower, present)
    # Each pattern is scanned for only when the sentence holds the literal text it needs (" (",
    # " plays "): most sentences lack it, and ``in`` costs a fraction of a regex scan.
    actors = [m["actor"] for m in _CHARACTER_ACTOR.finditer(text)][:3] if " (" in text else []
    story += sum(2.5 if _key(actor) in context.cast else 1.5 for actor in actors)
    if " plays " in text or " stars as " in text:
        story += 2.0 * len(_ACTOR_PLAYS.findall(text))
    story += story_bonus if story else 0.0
    cues += _PROSPECT_PHRASES.score(lower, present)
    cues += sum(2.0 for name in context.names if name in keyed)
    # Modal verbs make an outlook of cue words, but are no cue on their own.
    prospects = cues + (_FORWARD.score(lower, present) if cues else 0.0)
    if any(literal in lower for literal in _HISTORY_LITERALS) and _HISTORY.search(lower):
        story -= 2.0
        prospects -= 2.5
    return _Unit(order, text, kind, (verdict, story, prospects))


def _key(text: str) -> str:
    """Lower case without accents or curly apostrophes, at C speed: ``Sebastián’s`` -> ``sebastian's``."""
    lowered = text.lower().replace("’", "'")
    return lowered if lowered.isascii() else unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode()


def _best_part(unit: _Unit) -> str | None:
    """The part whose threshold the sentence clears by the widest margin, or None."""
    margins = [score / _THRESHOLD[part] * _PREFERENCE[part] for part, score in zip(PARTS, unit.scores, strict=True)]
    best = PARTS[margins.index(max(margins))]  # the first of equal margins
    return best if unit.rank(best) >= _THRESHOLD[best] else None


def _pick(part: str, candidates: list[_Unit]) -> list[_Unit]:
    """The best one or two, in source order; a second only if it is nearly as clearly on topic."""
    ranked = sorted(candidates, key=lambda u: (-u.rank(part), u.order))[:MAX_SENTENCES]
    if len(ranked) == 2 and ranked[1].rank(part) < _SECOND_SHARE[part] * ranked[0].rank(part):
        ranked = ranked[:1]
    return sorted(ranked, key=lambda u: u.order)


def _logline(review: Review, story: list[_Unit], verdict: list[_Unit]) -> str:
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
        return _trim(story[0].text)  # the sentence that introduces the premise, even if it must be cut
    if headline and _is_sentence(headline):
        return _trim(headline)
    if verdict:
        return _trim(verdict[0].text)
    first = next((s for p in review.body for s in split_sentences(p)), "")
    return _trim(first or (review.pull_quote or "").strip() or review.title)


def _judges(text: str) -> bool:
    """Whether ``text`` passes judgement ("a promising premise is squandered"), so it is no premise."""
    words = _WORD.findall(text.lower().replace("’", "'"))
    return any(_VERDICT_WORDS.get(w, 0.0) >= 1.5 for w in words)


def _is_sentence(text: str) -> bool:
    """A standfirst reads as a sentence when it has several words, some lower case, and no label prefix."""
    words = text.split()
    return len(words) >= 4 and any(w.islower() for w in words) and ":" not in text[:30]


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
