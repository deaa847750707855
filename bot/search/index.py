"""Folded titles or names, found by word prefix or by typo, in memory.

Search must answer in a few milliseconds over 100,000 reviews and their 200,000 credited names;
SQLite's FTS5 took 15-400 ms there (bm25-ranking tens of thousands of prefix matches), so the
searcher keeps these indexes in memory and refreshes them from the store on writes. Entries are
strings only (no models): about 100 bytes per entry.

An entry is a key (a review or person id) and one or more folded variants (a title and its
original title). A query's words must each begin a word of the entry; typos are corrected against
the index's own vocabulary.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from array import array
from collections.abc import Iterator, Sequence

from rapidfuzz import process
from rapidfuzz.distance import OSA

#: Separates an entry's variants inside its haystack; never part of a folded word.
_SEP = "\x1f"
#: A word with at most this many postings is tested by set membership rather than by reading entries.
_SET_UP_TO = 2_048
#: How many of the rarest word's entries a query reads before it settles for what it found: a query of
#: two common words that rarely meet ("the of") would otherwise read most of the index.
_SCAN_BUDGET = 32_768
_CHUNK = 512
_SORT_UP_TO = 8_192


class WordIndex:
    """Entries by the words of their folded variants.

    Positions are assigned shortest entry first when the index is sealed, so walking positions in
    order visits the entries a prefix query ranks highest first; entries put later go at the end.
    Keys, ranks and postings are arrays rather than lists of ints: at 300,000 entries the index
    takes about 33 MB instead of 70, most of it the entries' text.
    """

    def __init__(self) -> None:
        self.keys = array("q")
        #: Per position, what breaks ties between equal scores (a review's publication time).
        self.rank = array("d")
        # " variant \x1f variant ": one ``in`` test tells whether a word begins a word of any variant.
        self._hay: list[str] = []
        self._postings: dict[str, array[int]] = {}
        self._vocab: list[str] = []  # sorted, for prefix ranges
        self._by_length: dict[int, list[str]] = {}
        self._at = array("i")  # key -> position + 1 (0: absent); keys are SQLite rowids, dense
        #: An entry was replaced: postings may name entries that no longer hold the word.
        self._stale = False
        self._sealed = False

    def __len__(self) -> int:
        return len(self.keys)

    def stage(self, key: int, variants: Sequence[str], rank: float = 0.0) -> None:
        """Add an entry to an index being built; :meth:`seal` makes it searchable."""
        self.keys.append(key)
        self.rank.append(rank)
        self._hay.append(_haystack(variants))

    def seal(self) -> WordIndex:
        """Order the staged entries shortest first and index their words."""
        by_length: dict[int, array[int]] = {}  # a counting sort: no list of 300,000 ints at once
        for i, hay in enumerate(self._hay):
            by_length.setdefault(len(hay), array("i")).append(i)
        order = array("i")
        for length in sorted(by_length):
            order.extend(by_length.pop(length))
        self.keys = array("q", (self.keys[i] for i in order))
        self.rank = array("d", (self.rank[i] for i in order))
        self._hay = [self._hay[i] for i in order]
        del order
        for position, (key, hay) in enumerate(zip(self.keys, self._hay, strict=True)):
            self._locate(key, position)
            self._post(position, hay, new_words=False)
        self._vocab = sorted(self._postings)
        for word in self._vocab:
            self._by_length.setdefault(len(word), []).append(word)
        self._sealed = True
        return self

    def put(self, key: int, variants: Sequence[str], rank: float = 0.0) -> None:
        """Add an entry to a sealed index, or replace the one with this key."""
        if not self._sealed:
            self.seal()
        hay = _haystack(variants)
        position = self.position(key)
        if position is None:
            position = len(self.keys)
            self.keys.append(key)
            self.rank.append(rank)
            self._hay.append(hay)
            self._locate(key, position)
            self._post(position, hay, new_words=True)
            return
        self.rank[position] = rank
        if self._hay[position] == hay:
            return
        self._hay[position] = hay
        self._stale = True
        self._post(position, hay, new_words=True)

    def position(self, key: int) -> int | None:
        at = self._at[key] if 0 <= key < len(self._at) else 0
        return at - 1 if at else None

    def variants(self, position: int) -> list[str]:
        return self._hay[position][1:-1].split(f" {_SEP} ")

    def _locate(self, key: int, position: int) -> None:
        if key < 0:
            raise ValueError(f"keys are rowids, not {key}")
        if key >= len(self._at):  # grow by half again, zero-filled, so appends stay amortised O(1)
            self._at.frombytes(bytes(self._at.itemsize * (key + 1 + len(self._at) // 2 - len(self._at))))
        self._at[key] = position + 1

    def _post(self, position: int, hay: str, new_words: bool) -> None:
        for word in set(hay.split()):
            if word == _SEP:
                continue
            postings = self._postings.get(word)
            if postings is None:
                postings = self._postings[word] = array("i")
                if new_words:
                    bisect.insort(self._vocab, word)
                    self._by_length.setdefault(len(word), []).append(word)
            if postings and postings[-1] >= position:  # a replaced entry: keep the list ascending
                index = bisect.bisect_left(postings, position)
                if index == len(postings) or postings[index] != position:
                    postings.insert(index, position)
            else:
                postings.append(position)

    # -- lookups --------------------------------------------------------------------------------------

    def _prefixed(self, prefix: str) -> list[str]:
        """Indexed words that begin with ``prefix``."""
        start = bisect.bisect_left(self._vocab, prefix)
        end = bisect.bisect_left(self._vocab, prefix + "\U0010ffff", start)
        return self._vocab[start:end]

    def matching(self, alternatives: Sequence[Sequence[str]], cap: int) -> list[int]:
        """Positions of entries where, for each group of alternatives, a word begins with one of them.

        Plain search passes one alternative per typed word (``[["retu"], ["dust"]]``); typo search
        adds corrections (``[["retun", "return"], ...]``). At most ``cap`` positions, shortest first.
        """
        alternatives = [group for group in alternatives if group]
        groups = [[f" {a}" for a in dict.fromkeys(group)] for group in alternatives]
        if not groups:
            return []
        postings = []
        for group in alternatives:
            lists = [self._postings[w] for a in group for w in self._prefixed(a)]
            if not lists:
                return []
            postings.append(lists)
        sizes = [sum(len(lists) for lists in p) for p in postings]
        order = sorted(range(len(groups)), key=sizes.__getitem__)
        # Walk the rarest word's entries in position order, a chunk at a time, keeping those that
        # have the other words too (tested against the other words' postings when these are few, else
        # read from the entry itself), until ``cap`` are found.
        checks: list[set[int] | list[str]] = [
            set().union(*postings[i]) if sizes[i] <= _SET_UP_TO and not self._stale else groups[i] for i in order[1:]
        ]
        if self._stale:
            checks.append(groups[order[0]])
        stream = _merged(postings[order[0]])
        found: list[int] = []
        for _ in range(0, _SCAN_BUDGET, _CHUNK):
            chunk = list(itertools.islice(stream, _CHUNK))
            ended = len(chunk) < _CHUNK
            for check in checks:
                chunk = [p for p in chunk if p in check] if isinstance(check, set) else self._filter(chunk, check)
            found += chunk
            if ended or len(found) >= cap:
                break
        return found[:cap]

    def _filter(self, found: list[int], needles: list[str]) -> list[int]:
        """The positions whose entry has a word beginning with one of ``needles``, read from the entry."""
        hay = self._hay
        if len(needles) == 1:
            needle = needles[0]
            return [p for p in found if needle in hay[p]]
        keep: set[int] = set()
        for needle in needles:  # one pass per alternative: ``in`` per item, no generator per item
            keep.update([p for p in found if needle in hay[p]])
        return [p for p in found if p in keep]

    def knows_prefix(self, word: str) -> bool:
        at = bisect.bisect_left(self._vocab, word)
        return at < len(self._vocab) and self._vocab[at].startswith(word)

    def close(self, word: str, limit: int, count: int = 3) -> list[str]:
        """The ``count`` indexed words within ``limit`` edits of ``word``, closest first.

        Only words whose length is within ``limit`` of the typed word can be that close, so only their
        length buckets are scanned (rapidfuzz, in C). Ties go to the alphabetically first word.
        """
        found: list[tuple[int, str]] = []
        for length in range(len(word) - limit, len(word) + limit + 1):
            bucket = self._by_length.get(length)
            if not bucket:
                continue
            for term, distance, _ in process.extract(
                word, bucket, scorer=OSA.distance, score_cutoff=limit, limit=count
            ):
                found.append((int(distance), term))
        return [term for _, term in sorted(found)[:count]]


def _merged(lists: list[array[int]]) -> Iterator[int]:
    """The positions of ascending posting lists, ascending, each once.

    Up to a few thousand positions a set and a sort (in C) beat merging lazily (in Python) even
    when only the first chunk is read; beyond that, the lazy merge reads only what it must.
    """
    if len(lists) == 1:
        return iter(lists[0])
    if sum(len(postings) for postings in lists) <= _SORT_UP_TO:
        return iter(sorted(set().union(*lists)))
    return (position for position, _ in itertools.groupby(heapq.merge(*lists)))


def _haystack(variants: Sequence[str]) -> str:
    return " " + f" {_SEP} ".join(v for v in variants if v) + " "
