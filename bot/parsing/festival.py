"""Where the review places the film: the canonical festival, its section and the edition year (spec §3.9, §4).

In order of trust: what front matter or ``--festival`` say; the layout's labelled line (Variety's and
Screen's ``Reviewed at``, THR's ``Venue:``, Cineuropa's kicker); the sentence a layout ends with by
convention (IndieWire's end note, the Guardian's final line); then the prose. Prose is read only in
sentences about this film (:func:`~bot.parsing.sentences.about_other_film`), preferring those that
speak of a premiere, so "her 2019 short premiered at Rotterdam" places nothing. The section is
looked for in the sentence that placed the film first, then in the other sentences about it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from bot.domain.festivals import Festival, FestivalTable, Mention
from bot.domain.models import FestivalRef
from bot.domain.text import fold
from bot.parsing.reading import FestivalClues
from bot.parsing.sentences import MAX_SENTENCES, about_other_film, prose_sentences, without_asides

#: Words of a sentence that speaks of a screening slot: needed before a city name alone places the film,
#: or before a section is read from a sentence that does not name the festival.
_SLOT_STEMS = (
    "premier",
    "bow",
    "debut",
    "screen",
    "compet",
    "select",
    "play",
    "present",
    "vying",
    "race",
    "slot",
    "berth",
    "lineup",
    "section",
    "strand",
    "sidebar",
    "programme",
    "program",
    "festival",
    "open",
)
_PREMIERE_STEMS = ("premier", "bow", "debut", "screen", "compet", "select", "play", "present", "vying", "race")
# Runs of letters and digits with their case, for aliases that are one capitalised word (``NEXT``, ``Forum``).
_WORD = re.compile(r"[^\W_]++")
_MAX_NAME_WORDS = 8
_OUT_OF_COMPETITION = (("out", "of", "competition"), ("hors", "competition"))


@dataclass(frozen=True)
class Placement:
    festival: FestivalRef | None = None
    #: The edition year the review states (``Reviewed at ... May 19, 2028``, ``the 2027 Sundance Film Festival``).
    year: int | None = None


@dataclass(frozen=True)
class _Sentence:
    text: str
    words: list[str]  # folded
    mentions: list[Mention]
    other_film: bool


class _Prose:
    """The prose's sentences, analysed only where they may matter and at most once each.

    Each paragraph is folded once; its sentences are split and read only when it names a festival
    (to place the film) or holds all the words of one of the placed festival's section phrases (to
    find the section). Most paragraphs of a review do neither.
    """

    def __init__(self, table: FestivalTable, texts: list[str], since: int | None) -> None:
        self.table = table
        self.texts = texts
        self.since = since
        self.words = [fold(text).split() for text in texts]
        self._read: dict[int, list[_Sentence]] = {}
        self._count = 0  # sentences read so far, all paragraphs together

    @cached_property
    def vocabularies(self) -> list[frozenset[str]]:
        """Each paragraph's words as a set (only the section search needs them)."""
        return [frozenset(words) for words in self.words]

    def naming_a_festival(self) -> list[_Sentence]:
        return self.sentences(lambda index: bool(self.table.mentions(self.words[index])))

    def sentences(self, wanted: Callable[[int], bool]) -> list[_Sentence]:
        """The sentences, in order, of the paragraphs (by index) that ``wanted`` accepts."""
        found: list[_Sentence] = []
        for index in range(len(self.texts)):
            if not wanted(index):
                continue
            if index not in self._read:
                if self._count >= MAX_SENTENCES:
                    continue  # the reading budget is spent: the rest of a (hostile) text is not read
                sentences = prose_sentences([self.texts[index]], MAX_SENTENCES - self._count)
                self._read[index] = [_sentence(self.table, s, since=self.since) for s in sentences]
                self._count += len(self._read[index])
            found.extend(self._read[index])
        return found


def place_festival(
    table: FestivalTable,
    clues: FestivalClues,
    *,
    name: str | None = None,
    section: str | None = None,
    film_year: int | None = None,
) -> Placement:
    """The festival, section and stated edition year; ``name``/``section`` (front matter, ``--festival``) win.

    ``film_year`` (the film's labelled year) tells this year's sentences from those about earlier films.
    """
    notes = [_sentence(table, s, trusted=True) for s in prose_sentences(clues.notes)]
    since = min((y for y in (film_year, clues.year) if y is not None), default=None)
    prose = _Prose(table, clues.texts, since)
    year = clues.year
    if name:
        festival = table.find(name)
        if festival is None:
            return Placement(FestivalRef(name=name.strip(), section=section.strip() if section else None), year)
        written = section or (clues.section if clues.label and _find_in(table, clues.label) is festival else None)
        return Placement(FestivalRef(name=festival.name, section=_section(festival, written, notes, prose)), year)
    if clues.label:
        festival = _find_in(table, clues.label)
        if festival is not None:
            return Placement(
                FestivalRef(name=festival.name, section=_section(festival, clues.section, notes, prose)), year
            )
        if "festival" in fold(clues.label).split():
            return Placement(FestivalRef(name=clues.label.strip(), section=clues.section), year)
    for sentence in notes:
        if sentence.mentions:
            mention = sentence.mentions[0]
            ordered = [sentence, *(s for s in notes if s is not sentence)]
            return Placement(
                FestivalRef(name=mention.festival.name, section=_section(mention.festival, None, ordered, prose)),
                year or _year_before(sentence, mention),
            )
    chosen = _placing_sentence(prose.naming_a_festival())
    if chosen is None:
        return Placement(None, year)
    sentence, mention = chosen
    return Placement(
        FestivalRef(name=mention.festival.name, section=_section(mention.festival, None, [sentence], prose)),
        year or _year_before(sentence, mention),
    )


def _sentence(table: FestivalTable, text: str, *, trusted: bool = False, since: int | None = None) -> _Sentence:
    words = fold(text).split()
    mentions = table.mentions(words) if words else []
    if trusted:
        return _Sentence(text, words, mentions, other_film=False)
    aside_free = without_asides(text)
    if aside_free != text:
        words = fold(aside_free).split()
        mentions = table.mentions(words) if words else []
    edition_years = tuple(y for m in mentions for at in (m.at - 1, m.end) if (y := _year_at(words, at)) is not None)
    other_film = about_other_film(aside_free, words=words, allowed_years=edition_years, since=since)
    return _Sentence(aside_free, words, mentions, other_film)


def _find_in(table: FestivalTable, label: str) -> Festival | None:
    """The festival a labelled line names: the whole label, else the first festival named in it."""
    found = table.find(label)
    if found is not None:
        return found
    words = fold(label).split()
    mentions = table.mentions(words)
    if mentions:
        return mentions[0].festival
    # A label is a festival's name on its own: a city name alone ("Venice", "Locarno") means the festival.
    # Names are a few words long: only the first few are tried, whatever the length of the label.
    longest = min(len(words), _MAX_NAME_WORDS)
    return next((f for f in (table.find(" ".join(words[:n])) for n in range(longest, 0, -1)) if f), None)


def _placing_sentence(prose: list[_Sentence]) -> tuple[_Sentence, Mention] | None:
    """The sentence that places this film at a festival: about this film, a premiere sentence first."""
    best: tuple[int, int, _Sentence, Mention] | None = None
    for index, sentence in enumerate(prose):
        if sentence.other_film or not sentence.mentions:
            continue
        slot = _has_stem(sentence.words, _SLOT_STEMS)
        usable = [m for m in sentence.mentions if not m.weak or slot]
        if not usable:
            continue
        rank = (0 if _has_stem(sentence.words, _PREMIERE_STEMS) else 1, index)
        if best is None or rank < best[:2]:
            best = (*rank, sentence, usable[0])
    return (best[2], best[3]) if best else None


def _section(festival: Festival, written: str | None, first: list[_Sentence], prose: _Prose) -> str | None:
    """The section: as the label writes it (canonical when known), else the first sentence naming one.

    ``first`` are read first (the sentence that placed the film, a layout's closing note); then the
    prose's sentences that name this festival, then those that name none but speak of a screening.
    """
    if written:
        return canonical_section(festival, written)
    for sentence in first:
        if (found := section_in(festival, sentence.text, sentence.words)) is not None:
            return found
    phrases = [phrase for phrase, _, _, _ in _section_phrases(festival)]
    own: list[_Sentence] = []
    others: list[_Sentence] = []
    for sentence in prose.sentences(lambda index: any(prose.vocabularies[index].issuperset(p) for p in phrases)):
        if sentence in first or sentence.other_film:
            continue
        named = {m.festival.name for m in sentence.mentions}
        if festival.name in named:
            own.append(sentence)
        elif not named and _has_stem(sentence.words, _SLOT_STEMS):
            others.append(sentence)
    for sentence in (*own, *others):
        if (found := section_in(festival, sentence.text, sentence.words)) is not None:
            return found
    return None


def canonical_section(festival: Festival, written: str) -> str:
    """A section's canonical name; an unknown one is kept as written."""
    folded = fold(written)
    for candidate in festival.sections:
        if folded in {fold(candidate.name), *(fold(alias) for alias in candidate.aliases)}:
            return candidate.name
    return written.strip()


def section_in(festival: Festival, text: str, words: list[str]) -> str | None:
    """The festival's section a sentence names, longest phrase first.

    A one-word alias (``NEXT``, ``Forum``, ``Platform``) must be written with its capitals, so "next
    year" or "a public forum" name no section. A longer one matches case- and accent-insensitively,
    but its last word keeps its capital when the table gives it one (``Cannes Premiere`` is a section,
    "its Cannes premiere" is not), except ``Competition`` ("the Crystal Globe competition").
    """
    vocabulary = frozenset(words)
    cased: set[str] | None = None
    for phrase, one_word, capital, section in _section_phrases(festival):  # longest first
        if not vocabulary.issuperset(phrase):
            continue
        if one_word is not None or capital is not None:
            cased = cased if cased is not None else set(_WORD.findall(text))
            if (one_word or capital) not in cased:
                continue
        if one_word is None and not _in_a_row(phrase, words):
            continue
        if section == "Competition" and any(
            vocabulary.issuperset(p) and _in_a_row(p, words) for p in _OUT_OF_COMPETITION
        ):
            return next((s.name for s in festival.sections if fold(s.name) == "out of competition"), None)
        return section
    return None


#: Per festival (by identity, the festival kept alive with it): its section phrases, longest first.
_PHRASES: dict[int, tuple[Festival, list[tuple[tuple[str, ...], str | None, str | None, str]]]] = {}


def _section_phrases(festival: Festival) -> list[tuple[tuple[str, ...], str | None, str | None, str]]:
    """(folded words, the alias when it is one word, the capitalised last word it needs, section), longest first."""
    cached = _PHRASES.get(id(festival))
    if cached is not None and cached[0] is festival:
        return cached[1]
    phrases = []
    for candidate in festival.sections:
        for alias in (candidate.name, *candidate.aliases):
            words = tuple(fold(alias).split())
            if not words:
                continue
            written = _WORD.findall(alias)
            one_word = alias.strip() if len(words) == 1 and " " not in alias.strip() else None
            last = written[-1] if written else ""
            capital = last if one_word is None and last[:1].isupper() and last.lower() != "competition" else None
            phrases.append((len(" ".join(words)), (words, one_word, capital, candidate.name)))
    ordered = [phrase for _, phrase in sorted(phrases, key=lambda item: -item[0])]
    if len(_PHRASES) < 1_000:
        _PHRASES[id(festival)] = (festival, ordered)
    return ordered


def _year_before(sentence: _Sentence, mention: Mention) -> int | None:
    """The edition year written with the festival's name (``the 2028 Karlovy Vary ...``, ``TIFF 2027``)."""
    same = [m for m in sentence.mentions if m.festival is mention.festival]
    for m in same:
        year = _year_at(sentence.words, m.at - 1) or _year_at(sentence.words, m.end)
        if year is not None:
            return year
    return None


def _year_at(words: list[str], at: int) -> int | None:
    if 0 <= at < len(words) and len(words[at]) == 4 and words[at].isdigit() and words[at][:2] in ("19", "20"):
        return int(words[at])
    return None


def _has_stem(words: list[str], stems: tuple[str, ...]) -> bool:
    return any(word.startswith(stems) for word in words)


def _in_a_row(phrase: tuple[str, ...], words: list[str]) -> bool:
    """Whether ``phrase`` occurs in ``words`` as consecutive words (callers rule most out with a set first)."""
    size, first = len(phrase), phrase[0]
    return any(word == first and tuple(words[i : i + size]) == phrase for i, word in enumerate(words))
