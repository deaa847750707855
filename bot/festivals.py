"""The festival table (``data/festivals.json``): canonical names, aliases, sections, prizes, editions.

The parser uses it to canonicalise a festival named in front matter or on the command line and to
infer the festival and section from a review's own sentences.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from bot.text import fold

DEFAULT_TABLE = Path(__file__).resolve().parent.parent / "data" / "festivals.json"


class Section(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    aliases: list[str] = Field(default_factory=list)


class Edition(BaseModel):
    model_config = ConfigDict(frozen=True)

    year: int
    start: dt.date
    end: dt.date


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
        """The edition running on ``day``, or the one it is closest after within a month (late reviews)."""
        for edition in self.editions:
            if edition.start <= day <= edition.end + dt.timedelta(days=31):
                return edition
        return None


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"‘(])")


def _phrase(text: str) -> str:
    """Regex for a folded phrase matched on word boundaries inside folded text."""
    return r"(?<!\w)" + re.escape(fold(text)) + r"(?!\w)"


class FestivalTable(BaseModel):
    model_config = ConfigDict(frozen=True)

    festivals: list[Festival]

    @classmethod
    def load(cls, path: Path = DEFAULT_TABLE) -> FestivalTable:
        return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))

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
        if end < start:
            raise ValueError(f"the edition ends ({end}) before it starts ({start})")
        editions = sorted(
            [e for e in festival.editions if e.year != year] + [Edition(year=year, start=start, end=end)],
            key=lambda e: e.year,
        )
        updated = festival.model_copy(update={"editions": editions})
        return FestivalTable(festivals=[updated if f.name == festival.name else f for f in self.festivals])

    def save(self, path: Path) -> None:
        """Write the table back, stable and readable, atomically (a crash never leaves half a file)."""
        text = json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)

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
    def _mention_patterns(self) -> list[tuple[re.Pattern[str], Festival]]:
        patterns: list[tuple[re.Pattern[str], Festival]] = []
        for festival in self.festivals:
            strong = [_phrase(a) for a in (festival.name, *festival.aliases, *festival.prizes)]
            weak = [
                r"(?<!\w)(?:at|in|from|to) (?:the )?" + _phrase(a)[len(r"(?<!\w)") :] for a in festival.weak_aliases
            ]
            patterns.append((re.compile("|".join(strong + weak)), festival))
        return patterns

    def infer(self, texts: list[str]) -> tuple[Festival, str | None] | None:
        """Festival and section named in the text, preferring the sentence that speaks of a premiere.

        A prize ("competing for the Golden Leopard") names its festival too. The section is looked for
        in the sentence where the festival is mentioned, longest alias first, so "World Cinema Dramatic
        Competition" wins over "Competition".
        """
        sentences = [s for text in texts for s in _SENTENCE_BREAK.split(text) if s]
        found: list[tuple[int, int, Festival, str]] = []
        for index, sentence in enumerate(sentences):
            folded = fold(sentence)
            for pattern, festival in self._mention_patterns:
                match = pattern.search(folded)
                if match:
                    premiere = 0 if re.search(r"premiere|bow|debut|screen|compet|selected|play", folded) else 1
                    found.append((premiere, index, festival, folded))
        if not found:
            return None
        found.sort(key=lambda item: (item[0], item[1]))
        _, _, festival, folded = found[0]
        return festival, self._section_in(festival, folded)

    def _section_in(self, festival: Festival, folded: str) -> str | None:
        best: tuple[int, str] | None = None
        for section in festival.sections:
            for alias in (section.name, *section.aliases):
                key = fold(alias)
                if key and re.search(_phrase(key), folded) and (best is None or len(key) > best[0]):
                    best = (len(key), section.name)
        if best is None:
            return None
        # "Out of competition" must not read as "Competition".
        if best[1] == "Competition" and re.search(r"out of competition|hors competition", folded):
            return next((s.name for s in festival.sections if fold(s.name) == "out of competition"), None)
        return best[1]
