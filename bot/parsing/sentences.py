"""A review's prose as sentences, and whether a sentence speaks of another film than the one reviewed.

The festival and the prose facts (§3.4, §3.7, §3.9) are read only from sentences about *this*
film: reviews name the director's earlier short and where it won a prize, or a national cinema's
run at the festival, and those must not place the film or name its director.
"""

from __future__ import annotations

import re

from bot.domain.text import fold

# A sentence ends at . ! ? (and a closing quote) before a space and a capital or an opening quote.
_BREAK = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][”’\"')]))\s(?=[A-Z“\"‘(])")
#: Words that mark a sentence (or clause) as about another film or about a trend, not this film.
_OTHER_FILM = frozenset({"short", "shorts", "previous", "earlier", "won", "took", "winning", "ago", "decade"})
_OTHER_FILM_PHRASES = (("past", "few", "years"), ("every", "year"), ("recent", "years"), ("last", "film"))
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
#: Clauses about someone's past work: " whose 2021 short took a prize at Locarno," and ", who won ...,".
_ASIDE_OPENERS = (" whose ", ", who ")


#: Words whose full stop rarely ends a sentence: titles before a name, and "No." before a number.
_ABBREVIATIONS = frozenset(
    {"Mr", "Mrs", "Ms", "Dr", "St", "Mt", "Prof", "Lt", "Col", "Gen", "Capt", "Sgt", "No", "Nos"}
)
#: Sentences read for facts and the festival: a long review has 150; a hostile file may hold 10,000.
MAX_SENTENCES = 500


def sentences(text: str) -> list[str]:
    """``text`` split into sentences, never after an initial or a title (``U.S. Dramatic``, ``Mrs. Bell``)."""
    return _rejoined(_BREAK.split(text))


def _rejoined(parts: list[str]) -> list[str]:
    """Parts split after an abbreviation joined back to the sentence they belong to."""
    joined: list[list[str]] = []  # each sentence's parts, joined once at the end (a run of "U.S." stays linear)
    for part in parts:
        if joined and _ends_in_abbreviation(joined[-1][-1]):
            joined[-1].append(part)
        elif part.strip():
            joined.append([part])
    return [" ".join(sentence) for sentence in joined]


def _ends_in_abbreviation(part: str) -> bool:
    word = part.rsplit(" ", 1)[-1].lstrip("(“\"‘'")
    bare = word[:-1]
    return word.endswith(".") and (bare in _ABBREVIATIONS or (bare.replace(".", "").isupper() and len(bare) <= 4))


def prose_sentences(paragraphs: list[str], limit: int = MAX_SENTENCES) -> list[str]:
    """The sentences of ``paragraphs`` in order, at most ``limit`` of them (the rest of a text is not read)."""
    found: list[str] = []
    for paragraph in paragraphs:
        room = limit - len(found)
        if room <= 0:
            break
        parts = _BREAK.split(paragraph, maxsplit=room)
        # With ``room`` splits the last part is the whole unread rest: it is not read either.
        found.extend(_rejoined(parts if len(parts) <= room else parts[:room]))
    return found[:limit]


def without_asides(sentence: str) -> str:
    """The sentence without its ``, whose ...,`` and ``, who ...,`` clauses, which describe a person's past."""
    kept: list[str] = []
    position = 0
    upcoming = {opener: sentence.find(opener) for opener in _ASIDE_OPENERS}
    while True:
        # Each opener's next occurrence is looked up again only once the scan has passed it: one pass.
        for opener, at in upcoming.items():
            if 0 <= at < position:
                upcoming[opener] = sentence.find(opener, position)
        found = [(at, opener) for opener, at in upcoming.items() if at >= 0]
        if not found:
            kept.append(sentence[position:])
            return "".join(kept)
        at, opener = min(found)
        kept.append(sentence[position:at])
        end = sentence.find(",", at + len(opener))
        if end < 0:
            return "".join(kept)
        position = end


def about_other_film(
    sentence: str, *, words: list[str] | None = None, allowed_years: tuple[int, ...] = (), since: int | None = None
) -> bool:
    """Whether a sentence (its asides already removed) speaks of other films, prizes won or a trend.

    A year marks it too (``her 2019 short``, ``played at IFFR in 2023``) unless it is one the caller
    expects: the edition year right before a festival's name (``at the 2027 Sundance ...``), or any
    year from ``since`` on (the film's own year: "its premiere in February 2028" is about this film).
    ``words`` are the sentence's folded words, when the caller has them already.
    """
    words = fold(sentence).split() if words is None else words
    if not _OTHER_FILM.isdisjoint(words):
        return True
    vocabulary = frozenset(words)
    if any(vocabulary.issuperset(phrase) and _in_a_row(phrase, words) for phrase in _OTHER_FILM_PHRASES):
        return True
    years = (int(year.group()) for year in _YEAR.finditer(sentence))
    return any(year not in allowed_years and (since is None or year < since) for year in years)


def _in_a_row(phrase: tuple[str, ...], words: list[str]) -> bool:
    first = phrase[0]
    return any(word == first and tuple(words[i : i + len(phrase)]) == phrase for i, word in enumerate(words))
