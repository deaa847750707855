"""The festival table (``bot/shipped/festivals.json``): canonical names, aliases, sections, prizes, editions.

The parser uses it to canonicalise a festival named in front matter or on the command line and to
infer the festival and section from a review's own sentences.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.domain.text import fold

#: The shipped table, package data (the user's own editions are merged over it: festival_editions.py).
DEFAULT_TABLE = Path(__file__).resolve().parents[1] / "shipped" / "festivals.json"
#: Edition years anyone may ask for or record: every festival in the table is younger, and the bound
#: keeps a typo such as ``year:99999999999`` from reaching the database as an out-of-range integer.
FIRST_YEAR, LAST_YEAR = 1900, 2100
#: Reviews of an edition keep coming for a while after it ends.
LATE_REVIEWS = dt.timedelta(days=31)


class FestivalTableError(ValueError):
    """The festival table file cannot be read or is not a valid table; the message names the file."""


class Section(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    aliases: list[str] = Field(default_factory=list)


class Edition(BaseModel):
    model_config = ConfigDict(frozen=True)

    year: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    start: dt.date
    end: dt.date
    #: Where the dates come from when they are not the festival's own announcement.
    note: str | None = None

    def moved_to(self, year: int) -> Edition:
        """The same slot in another year: same first day of the calendar, same length."""
        try:
            start = self.start.replace(year=self.start.year + year - self.year)
        except ValueError:  # 29 February
            start = self.start.replace(year=self.start.year + year - self.year, day=28)
        return Edition(year=year, start=start, end=start + (self.end - self.start))


class Festival(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    aliases: list[str] = Field(default_factory=list)
    #: City names that mean the festival only after "at"/"in" ("premiered at Venice").
    weak_aliases: list[str] = Field(default_factory=list)
    prizes: list[str] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    editions: list[Edition] = Field(default_factory=list)

    def edition_for(self, day: dt.date) -> Edition | None:
        """The edition running on ``day``, or the one it is closest after within a month (late reviews).

        A year the table has no dates for yet (it is edited by hand, and falls behind) gets the
        festival's customary slot: the latest known edition moved to that year. A year that has
        dates and does not cover ``day`` gets none, rather than a second edition.
        """
        for edition in self.editions:
            if edition.start <= day <= edition.end + LATE_REVIEWS:
                return edition
        known = {edition.year for edition in self.editions}
        latest = max(self.editions, key=lambda edition: edition.year, default=None)
        if latest is None:
            return None
        for year in (day.year, day.year - 1):  # the previous year's slot may end in January
            if year not in known and FIRST_YEAR <= year <= LAST_YEAR:
                slot = latest.moved_to(year)
                if slot.start <= day <= slot.end + LATE_REVIEWS:
                    return slot
        return None


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"‘(])")
_PREMIERE = re.compile(r"premiere|bow|debut|screen|compet|selected|play")
#: Words before a weak alias (a city) that make it mean the festival: "premiered at Venice", "on the Croisette".
_PREPOSITIONS = frozenset({"at", "in", "from", "to", "on"})


class _Mention(NamedTuple):
    """A phrase naming a festival, as folded words; ``weak`` ones need a preposition before them."""

    words: tuple[str, ...]
    festival: int  # position in FestivalTable.festivals
    weak: bool


class Mention(NamedTuple):
    """Where a folded sentence names a festival: words ``at`` to ``end``; ``weak`` for a city name alone."""

    festival: Festival
    at: int
    end: int
    weak: bool


def _in_a_row(phrase: tuple[str, ...], words: list[str]) -> bool:
    """Whether ``phrase`` occurs in ``words`` as consecutive words (a folded phrase on word boundaries)."""
    size = len(phrase)
    return any(words[at] == phrase[0] and tuple(words[at : at + size]) == phrase for at in range(len(words)))


def _after_preposition(words: list[str], at: int) -> bool:
    """Whether ``words[at]`` follows "at", "in", "from", "to" or "on", with or without "the" between."""
    before = words[max(0, at - 2) : at]
    return (len(before) >= 1 and before[-1] in _PREPOSITIONS) or (
        len(before) == 2 and before[0] in _PREPOSITIONS and before[1] == "the"
    )


class FestivalTable(BaseModel):
    model_config = ConfigDict(frozen=True)

    festivals: list[Festival]

    @classmethod
    def load(cls, path: Path = DEFAULT_TABLE) -> FestivalTable:
        """The table in ``path``; :class:`FestivalTableError` says in one line why it cannot be used."""
        try:
            return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except OSError as exc:
            raise FestivalTableError(f"cannot read the festival table {path}: {exc.strerror or exc}") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FestivalTableError(f"the festival table {path} is not valid JSON: {exc}") from exc
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
            raise FestivalTableError(f"the festival table {path} is not valid: {where}: {first['msg']}{more}") from exc

    @cached_property
    def _by_folded_name(self) -> dict[str, Festival]:
        names: dict[str, Festival] = {}
        for festival in self.festivals:
            for name in (festival.name, *festival.aliases, *festival.weak_aliases):
                names.setdefault(fold(name), festival)
        return names

    def with_edition(self, name: str, year: int, start: dt.date, end: dt.date) -> FestivalTable:
        """A copy with one edition added or corrected (``festbot festivals edition``)."""
        festival = self.find(name)
        if festival is None:
            raise KeyError(name)
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(f"the year must be between {FIRST_YEAR} and {LAST_YEAR}, not {year}")
        if end < start:
            raise ValueError(f"the edition ends ({end}) before it starts ({start})")
        editions = sorted(
            [e for e in festival.editions if e.year != year] + [Edition(year=year, start=start, end=end)],
            key=lambda e: e.year,
        )
        updated = festival.model_copy(update={"editions": editions})
        return FestivalTable(festivals=[updated if f.name == festival.name else f for f in self.festivals])

    def edition_year(self, festival: str, published: dt.date | None, film_year: int | None) -> int | None:
        """Which edition a review belongs to: the one running when it was published, else the film's year."""
        known = self.find(festival)
        if known is not None and published is not None:
            edition = known.edition_for(published)
            if edition is not None:
                return edition.year
        return film_year if film_year is not None else (published.year if published else None)

    def find(self, name: str) -> Festival | None:
        """The festival called ``name`` (canonical name or any alias, any case or accents)."""
        return self._by_folded_name.get(fold(name))

    def matching(self, typed: str) -> list[str]:
        """Festival names for autocomplete: those whose name or an alias contains what was typed."""
        folded = fold(typed)
        if not folded:
            return [f.name for f in self.festivals]
        starts = [f.name for f in self.festivals if any(fold(a).startswith(folded) for a in (f.name, *f.aliases))]
        contains = [
            f.name
            for f in self.festivals
            if f.name not in starts and any(folded in fold(a) for a in (f.name, *f.aliases))
        ]
        return starts + contains

    def sections_matching(self, festival_name: str, typed: str) -> list[str]:
        """Sections of one festival (of every festival when it is not known yet) containing what was typed."""
        known = self.find(festival_name) if festival_name else None
        pool = [known] if known else self.festivals
        folded = fold(typed)
        names = [s.name for f in pool for s in f.sections if folded in fold(s.name)]
        return list(dict.fromkeys(names))

    def canonical_section(self, festival: Festival, section: str) -> str:
        """A section's canonical name; an unknown section is kept as written rather than dropped."""
        folded = fold(section)
        for candidate in festival.sections:
            if folded in {fold(candidate.name), *(fold(alias) for alias in candidate.aliases)}:
                return candidate.name
        return section.strip()

    @cached_property
    def _mentions(self) -> dict[str, list[_Mention]]:
        """Every phrase that names a festival (name, alias, prize, weak city name), keyed by its first folded word."""
        index: dict[str, list[_Mention]] = {}
        for position, festival in enumerate(self.festivals):
            strong = [(a, False) for a in (festival.name, *festival.aliases, *festival.prizes)]
            for alias, weak in (*strong, *((a, True) for a in festival.weak_aliases)):
                words = tuple(fold(alias).split())
                index.setdefault(words[0] if words else "", []).append(_Mention(words, position, weak))
        return index

    def _named_in(self, words: list[str]) -> list[int]:
        """Positions (in the table) of the festivals a folded sentence's words name, in table order.

        A folded sentence is its words joined by single spaces, so a phrase matches on word
        boundaries exactly when its words occur in a row: one dictionary look-up per word instead
        of every festival's pattern over the whole sentence. A weak alias counts only after
        "at", "in", "from", "to" or "on", optionally followed by "the"; a phrase that folds to nothing
        (a stray table entry) names its festival only in a sentence that folds to nothing too.
        """
        named: set[int] = set()
        if not words:
            named.update(m.festival for m in self._mentions.get("", ()) if not m.weak)
        named.update(position for position, _, _, _ in self._found(words))
        return sorted(named)

    def mentions(self, words: list[str]) -> list[Mention]:
        """Every phrase naming a festival in a folded sentence's words, in the order written.

        The same rules as :meth:`infer`: a weak alias (a city) counts only after "at", "in", "from",
        "to" or "on" (optionally followed by "the").
        """
        return [Mention(self.festivals[position], at, end, weak) for position, at, end, weak in self._found(words)]

    def _found(self, words: list[str]) -> Iterator[tuple[int, int, int, bool]]:
        for at, word in enumerate(words):
            for mention in self._mentions.get(word, ()):
                end = at + len(mention.words)
                if tuple(words[at:end]) != mention.words:
                    continue
                if not mention.weak or _after_preposition(words, at):
                    yield mention.festival, at, end, mention.weak

    def infer(self, texts: list[str]) -> tuple[Festival, str | None] | None:
        """Festival and section named in the text, preferring the sentence that speaks of a premiere.

        A prize ("competing for the Golden Leopard") names its festival too. The section is looked for
        in the sentence where the festival is mentioned, longest alias first, so "World Cinema Dramatic
        Competition" wins over "Competition".
        """
        found: list[tuple[int, int, Festival, str]] = []
        for index, sentence in enumerate(self._sentences_naming(texts)):
            folded = fold(sentence)
            named = self._named_in(folded.split())
            if named:
                premiere = 0 if _PREMIERE.search(folded) else 1
                found.extend((premiere, index, self.festivals[position], folded) for position in named)
        if not found:
            return None
        found.sort(key=lambda item: (item[0], item[1]))
        _, _, festival, folded = found[0]
        return festival, self._section_in(festival, folded)

    def _sentences_naming(self, texts: list[str]) -> Iterator[str]:
        """The sentences of ``texts`` that may name a festival, in order.

        Folding a text gives its sentences' folded words in order, so a text that names no festival
        as a whole names none in any sentence: it is skipped with one fold instead of one per
        sentence, as most paragraphs of a review are.
        """
        firsts = self._mentions.keys()
        for text in texts:
            words = fold(text).split()
            if "" not in firsts and (firsts.isdisjoint(words) or not self._named_in(words)):
                continue
            yield from (sentence for sentence in _SENTENCE_BREAK.split(text) if sentence)

    @cached_property
    def _section_phrases(self) -> dict[str, list[tuple[tuple[str, ...], int, str]]]:
        """Per festival, each section alias as folded words, with the folded alias's length and the section."""
        return {
            festival.name: [
                (tuple(key.split()), len(key), section.name)
                for section in festival.sections
                for key in (fold(alias) for alias in (section.name, *section.aliases))
                if key
            ]
            for festival in self.festivals
        }

    def _section_in(self, festival: Festival, folded: str) -> str | None:
        words = folded.split()
        best: tuple[int, str] | None = None
        for phrase, length, section in self._section_phrases[festival.name]:
            if (best is None or length > best[0]) and _in_a_row(phrase, words):
                best = (length, section)
        if best is None:
            return None
        # "Out of competition" must not read as "Competition".
        if best[1] == "Competition" and re.search(r"out of competition|hors competition", folded):
            return next((s.name for s in festival.sections if fold(s.name) == "out of competition"), None)
        return best[1]
