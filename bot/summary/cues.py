"""Cue lexicons and patterns: the words and phrases a sentence's features count.

These are the hand-written lexicons of the first summariser, kept as *features*: the trained model
(``bot/summary/model.json``) decides how much each is worth next to position, length and layout,
instead of hand-set thresholds. Weighted lists stay readable: ``"2: a b; 1: c"``.
"""

from __future__ import annotations

import re
from typing import NamedTuple


def words(spec: str) -> dict[str, float]:
    """``"2: a b; 1: c"`` -> {"a": 2, "b": 2, "c": 1}: lexicons stay readable as weighted lists."""
    table: dict[str, float] = {}
    for group in spec.split(";"):
        weight, _, listed = group.partition(":")
        for word in listed.split():
            table[word] = float(weight)
    return table


class Phrases(NamedTuple):
    """Weighted cue phrases as one alternation: a single pass per sentence, earlier alternatives first.

    ``triggers`` are words (or, with a leading ``*``, substrings) one of which every phrase contains;
    a sentence with none of them skips the regex, which is most sentences for most parts.
    """

    pattern: re.Pattern[str]
    weights: dict[str, float]
    triggers: frozenset[str]
    substrings: tuple[str, ...]

    def score(self, lower: str, present: frozenset[str]) -> float:
        if self.triggers.isdisjoint(present) and not any(sub in lower for sub in self.substrings):
            return 0.0
        return sum(self.weights[m.lastgroup or ""] for m in self.pattern.finditer(lower))


def phrases(triggers: str, *pairs: tuple[float, str]) -> Phrases:
    """Cue phrases start at a word boundary; one ``\\b`` in front of the alternation lets ``re`` try
    the alternatives at word starts only, three times faster than a ``\\b`` in each."""
    pattern = "|".join(f"(?P<g{i}>{alternatives})" for i, (_, alternatives) in enumerate(pairs))
    return Phrases(
        re.compile(rf"\b(?:{pattern})"),
        {f"g{i}": weight for i, (weight, _) in enumerate(pairs)},
        frozenset(t for t in triggers.split() if not t.startswith("*")),
        tuple(t[1:] for t in triggers.split() if t.startswith("*")),
    )


# --- verdict: the critic's judgement ----------------------------------------------------------------

POSITIVE = words(
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
    enjoyable fresh vital urgent lyrical poetic intriguing effective tense
    excellent thrilling dazzling ravishing clever sharp heartfelt engaging involving splendid
    formidable eloquent graceful precise sly wry tart lucid luminous radiant ferocious fearless
    ; 1: good great strong strongest best finest loveliest fine solid rich richly lovingly tenderly
    utterly deeply genuinely emotional emotionally achievement succeeds success successful rewards rewarded
    works gift gifted pleasure joy delight charm grace nerve wit
    """
)
NEGATIVE = words(
    """
    1.5: muddled repetitive tiresome tedious dull flat slight contrived cliched clichéd generic predictable
    underdeveloped overlong sags sag falters falter flounders disappointing disappointment
    disappoints disappointingly squandered squanders misstep misfire misfires fails weak thin opaque
    frustrating frustratingly frustrate reticent uneven clumsy heavy-handed ridiculous melodramatic
    formulaic derivative overwrought bland forgettable evasive lacks lacking grates unsatisfying
    laboured labored plodding shapeless meandering inert stilted baffling confusing dutiful pedestrian
    workmanlike unremarkable uninspired underwhelming lacklustre lackluster messy overstuffed ponderous
    sluggish mawkish schematic preachy hollow hokey shrill tired stale airless inert listless dreary
    ; 1: worst weakest modest minor familiar safe flaws flawed problems problem frustration trouble
    fault faults misjudged undercooked overcooked strained
    """
)
EVALUATIVE_NOUNS = words("1: performance performances turn debut film feature picture movie work effort portrait")
#: A sentence about one department or one scene praises a part, not the film.
CRAFT = frozenset(
    words(
        """1: cinematographer cinematography photography photographs photographed score composer soundtrack sound
    editing editor designer design costumes costume sequence sequences shots camerawork lighting effects
    visuals lensing lenser framing frames palette"""
    )
)
VERDICT_PHRASES = phrases(
    "most yet date best finest never strongest weakest worst watch card tour than too "
    "won't doesn't didn't isn't wasn't what",
    (3.5, r"most [a-z-]+ (?:yet|to date)\b"),
    (3.0, r"one of the most [a-z-]+\b"),
    (2.0, r"(?:work|film|feature) (?:to date|yet)\b"),
    (1.5, r"most [a-z-]+\b|one of the (?:best|finest)\b|never less than\b"),
    (1.5, r"at (?:its|his|her) (?:best|strongest|weakest|worst)\b"),
    (1.5, r"a director to watch\b|calling card\b|tour de force\b"),
    (1.0, r"less [a-z]+ than\b|more [a-z]+ than [a-z]+\b|(?:wo|does|did|is|was)n't\b"),
    (1.5, r"too (?:long|short|slow|much|little)\b"),
    (1.0, r"what (?:redeems|saves|sinks|lifts|elevates|makes)\b"),
)

# --- story: the premise --------------------------------------------------------------------------

STORY_WORDS = words(
    """
    2: follows chronicles protagonist protagonists
    ; 1: widow widower daughter son mother father brother sister wife husband grandson granddaughter
    grandmother grandfather teenager teenage orphan stranger family siblings couple boy girl
    village town hometown returns discovers decides arrives must forced finds inherits estranged
    ; 0.5: lives living runs spends wants refuses
    """
)
STORY_PHRASES = phrases(
    "set takes tell tells story centres centers revolves setup premise when *year-old",
    (2.5, r"set (?:in|on|during|against|amid|among|within|over|almost)\b|takes place\b"),
    (2.5, r"tells? the (?:story|tale)\b|cent(?:re|er)s on\b|revolves around\b|the story of\b"),
    (1.0, r"setup\b|premise\b|\d+-year-old\b|[a-z]+-year-old\b"),
    (1.0, r"^when\b|when (?:a|an|the|his|her|their)\b"),
)
#: A character introduced with the actor in parentheses: "Ma Youtie (Wu Renlin)", "Kipinä (voiced by X)".
CHARACTER_ACTOR = re.compile(
    r"[A-Z][\w’'-]+,? \((?:voiced by |played by )?(?P<actor>[A-Z][\w’'.-]+(?: [A-Z][\w’'.-]+){0,3})\)"
)
#: "Ragnhild Østby plays Eli": the cast introduced actor first.
ACTOR_PLAYS = re.compile(r"\b[A-Z][\w’'-]+ (?:plays|stars as) (?:the )?[A-Z]")

# --- prospects: festival and commercial outlook ---------------------------------------------------

PROSPECT_WORDS = words(
    """
    2: premiere premieres premiered premiering distributor distributors distribution release releases
    theatrical streamer streamers streaming buyers acquisition acquisitions broadcasters broadcaster
    remake sidebar programmers arthouse art-house territories multiplex multiplexes box-office
    ; 1.5: bows bowed
    ; 1: festival festivals audiences audience circuit commercial market prospects niche international
    domestic sales selected competition selection awards travel travels appeal proposition
    crowd-pleaser platforms platform cinemas screens screening screenings opens slot berth viewers
    """
)
PROSPECT_PHRASES = phrases(
    "festival agent box mouth sales handles",
    (2.0, r"festival (?:circuit|run|play)\b|sales agent\b|box office\b|word of mouth\b"),
    (2.0, r"(?:world|international) sales\b|handles (?:world|international|sales)\b"),
)
FORWARD = phrases(
    "should could will would may might likely unlikely set expect",
    (1.0, r"(?:should|could|will|would|may|might|likely|unlikely|expect)\b|looks set\b|is set to\b"),
)
#: A sentence about the director's earlier films is history, not outlook or premise.
HISTORY = re.compile(
    r"\b(?:previous (?:features?|films?|works?)|(?:his|her|their) (?:earlier|last|first|two) (?:features?|films?)"
    r"|struggled|won)\b|\(\d{4}\)"
)
#: Text every match of ``HISTORY`` contains, one of them at least.
HISTORY_LITERALS = ("previous ", " feature", " film", "struggled", "won", "(")
#: Cineuropa's closing production sentence is not prospects; the sales sentence after it is.
PRODUCTION = re.compile(r"\b(?:produced|co-produced|co-production|coproduction|production company|producers?)\b")
FIRST_PERSON = frozenset(words("1: i i'm i've me my we we're us our"))
CONTRAST = frozenset(words("1: but yet though although if while despite"))
