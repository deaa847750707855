"""Facts read from prose, for layouts with no credits block (IndieWire, Guardian): director, runtime.

Only the forms of spec §3.4 and §3.7, in sentences about this film:

- ``writer-director NAME`` (fills the screenwriters too), ``director NAME`` (``Estonian director
  Kadri Voolmaa``, never ``director of photography``), ``directed by NAME``, and, failing those,
  ``NAME's film / feature / debut`` (``Tavi Moranu's new film``);
- ``this 107-minute film``, ``the film runs 126 minutes`` (never ``an 18-minute short`` or ``the
  final 10 minutes``).

Sentences are read as lists of words, so nothing here can backtrack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.parsing.sentences import about_other_film, prose_sentences, without_asides

_TRIM = "\"'“”‘’«»()[],;:!?…"
_POSSESSIVE = ("’s", "'s", "’", "'")
#: Lower-case words that may sit inside a name: ``Joost van Heeswijk``, ``Inês da Silva``.
_PARTICLES = frozenset(
    {
        "van",
        "von",
        "de",
        "da",
        "das",
        "do",
        "dos",
        "del",
        "della",
        "di",
        "du",
        "der",
        "den",
        "la",
        "le",
        "ter",
        "bin",
        "ibn",
        "al",
        "el",
        "y",
    }
)
#: Words between a possessive and the head noun: ``Moranu's new film``, ``Okafor-Bright's debut feature``.
_MODIFIERS = frozenset(
    {"new", "latest", "first", "second", "third", "fourth", "fifth", "sixth", "debut", "sophomore", "feature"}
)
_HEADS = frozenset({"film", "feature", "debut"})
_FILM_NOUNS = frozenset({"film", "feature", "movie", "documentary", "picture", "drama", "comedy", "thriller", "doc"})
_RUN_FILLERS = frozenset({"a", "just", "only", "barely", "brisk", "tight", "lean", "mere", "trim", "swift", "fleet"})
_MAX_NAME_WORDS = 5
#: Capitalised words that open a sentence rather than a name: "But Tavi Moranu's film".
_OPENERS = frozenset({"The", "A", "An", "In", "At", "But", "And", "For", "With", "As", "It", "This", "Then", "Yet"})


@dataclass
class ProseFacts:
    directors: list[str] = field(default_factory=list)
    screenwriters: list[str] = field(default_factory=list)
    runtime_minutes: int | None = None


def prose_facts(paragraphs: list[str], title: str) -> ProseFacts:
    """Director(s), writer-director(s) and runtime stated in the prose, each from its first sentence."""
    facts = ProseFacts()
    possessive: list[str] = []
    title_words = {_plain(w).lower() for w in title.split()}
    for sentence in prose_sentences(paragraphs):
        if facts.directors and facts.runtime_minutes is not None:
            break
        lowered = sentence.lower()
        # Cheap look-ups first: most sentences name no director and no length, and are not read word by word.
        wants_director = not facts.directors and ("direct" in lowered or "’s " in lowered or "'s " in lowered)
        wants_runtime = facts.runtime_minutes is None and "minute" in lowered
        if not (wants_director or wants_runtime):
            continue
        words = without_asides(sentence).split()
        if wants_director:
            named, writer, at = _director(words)
            if named and not about_other_film(_clause(words, at)):
                facts.directors = named
                facts.screenwriters = named if writer else []
            elif not possessive and (found := _possessive_director(words)) and not about_other_film(" ".join(words)):
                possessive = found
        if wants_runtime:
            runtime, at = _runtime(words, title_words)
            if runtime is not None and not about_other_film(_clause(words, at)):
                facts.runtime_minutes = runtime
    if not facts.directors:
        facts.directors = possessive
    return facts


def _clause(words: list[str], at: int) -> str:
    """The clause around ``words[at]``: from the punctuation before it to the punctuation after it."""
    start = at
    while start > 0 and words[start - 1][-1] not in ",;:—–":
        start -= 1
    end = at
    while end < len(words) - 1 and words[end][-1] not in ",;:—–":
        end += 1
    return " ".join(words[start : end + 1])


def _director(words: list[str]) -> tuple[list[str], bool, int]:
    """Names after ``writer-director``, ``director`` or ``directed by``; whether writer-director; where."""
    for i in _where(words, "irect"):
        word = words[i]
        lowered = _plain(word).lower()
        if lowered in ("writer-director", "writer-directors"):
            names = _names_after(words, i + 1)
            if names:
                return names, True, i
        elif lowered in ("director", "directors") and word[-1].isalpha():
            if i + 1 < len(words) and words[i + 1].lower() in ("of", "and"):
                continue
            names = _names_after(words, i + 1)
            if names:
                return names, False, i
        elif lowered == "directed" and i + 1 < len(words) and words[i + 1] == "by":
            names = _names_after(words, i + 2)
            if names:
                return names, False, i
    return [], False, -1


def _possessive_director(words: list[str]) -> list[str]:
    """``NAME's [new|second] film/feature/debut``: the name before the possessive."""
    for i in _where(words, "s"):
        if not _plain(words[i]).endswith(_POSSESSIVE[:2]):
            continue
        following = [_plain(w).lower() for w in words[i + 1 : i + 4]]
        j = 0
        while j < len(following) and following[j] in _MODIFIERS and following[j] not in _HEADS:
            j += 1
        if j < len(following) and following[j] in _HEADS and (name := _name_ending_at(words, i)):
            return [name]
    return []


def _names_after(words: list[str], start: int) -> list[str]:
    """The name (or ``A and B`` names) starting at ``words[start]``; a name has at least two words."""
    names: list[str] = []
    i = start
    while i < len(words):
        name, i, ended = _read_name(words, i)
        if name is None:
            break
        names.append(name)
        if ended or i >= len(words) or words[i] not in ("and", "&"):
            break
        i += 1
    return names


def _read_name(words: list[str], start: int) -> tuple[str | None, int, bool]:
    """(name, index after it, whether punctuation ended it) for capitalised words from ``start``."""
    parts: list[str] = []
    i = start
    ended = False
    while i < len(words) and len(parts) < _MAX_NAME_WORDS:
        word = words[i]
        bare = _plain(word)
        possessive = bare.endswith(_POSSESSIVE)
        for suffix in _POSSESSIVE:
            if possessive and bare.endswith(suffix):
                bare = bare[: -len(suffix)]
                break
        if (bare in _PARTICLES and parts and i + 1 < len(words) and _name_follows(words, i + 1)) or _is_name_word(bare):
            parts.append(bare)
        else:
            break
        i += 1
        if possessive or word[-1] in ',;:!?)”’"' or (word.endswith(".") and not _is_initial(bare + ".")):
            ended = True
            break
    while parts and parts[-1] in _PARTICLES:
        parts.pop()
    capitals = [p for p in parts if p not in _PARTICLES]
    if len(capitals) < 2:
        return None, start, ended
    return " ".join(parts), i, ended


def _name_ending_at(words: list[str], end: int) -> str | None:
    """The capitalised words ending at ``words[end]`` (its possessive dropped), two or more."""
    last = _plain(words[end])
    for suffix in _POSSESSIVE[:2]:
        if last.endswith(suffix):
            last = last[: -len(suffix)]
            break
    if not _is_name_word(last):
        return None
    parts = [last]
    i = end - 1
    while i >= 0 and len(parts) < _MAX_NAME_WORDS:
        word, bare = words[i], _plain(words[i])
        if word[-1] in ',;:!?)”"' or (word.endswith(".") and not _is_initial(bare)):
            break
        if not (_is_name_word(bare) or bare in _PARTICLES):
            break
        parts.insert(0, bare)
        i -= 1
    while parts and (parts[0] in _PARTICLES or parts[0] in _OPENERS):
        parts.pop(0)
    capitals = [p for p in parts if p not in _PARTICLES]
    return " ".join(parts) if len(capitals) >= 2 else None


def _runtime(words: list[str], title_words: set[str]) -> tuple[int | None, int]:
    """The runtime a sentence states for the film, and the index of the word that states it."""
    for i in sorted({*_where(words, "minute"), *_where(words, "runs")}):
        bare = _plain(words[i]).lower()
        # ``this 107-minute film``
        if bare.endswith("-minute") and i > 0 and words[i - 1].lower() == "this" and i + 1 < len(words):
            number = bare.removesuffix("-minute")
            if number.isdigit() and _plain(words[i + 1]).lower() in _FILM_NOUNS:
                return int(number) or None, i
        # ``the film runs (a brisk) 71 minutes``
        if bare == "runs" and i > 0:
            subject = {_plain(w).lower().removesuffix("’s").removesuffix("'s") for w in words[max(0, i - 3) : i]}
            if not (subject & (_FILM_NOUNS | {"it"}) or subject & title_words - {"the", "a", "an"}):
                continue
            j = i + 1
            while j < len(words) and _plain(words[j]).lower() in _RUN_FILLERS:
                j += 1
            if j + 1 < len(words) and words[j].isdigit() and _plain(words[j + 1]).lower().startswith("minute"):
                return int(words[j]) or None, i
    return None, -1


def _where(words: list[str], part: str) -> list[int]:
    """Indexes of the words containing ``part`` (any case): the few a rule needs to look at closely."""
    return [i for i, word in enumerate(words) if part in word or part in word.lower()]


def _plain(word: str) -> str:
    return word.strip(_TRIM)


def _is_name_word(word: str) -> bool:
    """A capitalised word of a name: ``Voolmaa``, ``Okafor-Bright``, ``O’Brien``, an initial ``T.``."""
    if not word or not word[0].isupper():
        return False
    body = word.rstrip(".")
    return bool(body) and all(c.isalpha() or c in "-’'." for c in body) and (len(body) > 1 or word.endswith("."))


def _name_follows(words: list[str], at: int) -> bool:
    """Whether a capitalised name word comes next, after any more particles (``de la Cruz``)."""
    while at < len(words) and _plain(words[at]) in _PARTICLES:
        at += 1
    return at < len(words) and _is_name_word(_plain(words[at]))


def _is_initial(word: str) -> bool:
    body = word.rstrip(".")
    return word.endswith(".") and 0 < len(body) <= 2 and body[0].isupper()
