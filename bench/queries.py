"""The lookup query set: 500 queries, each with the one review it should find.

Built from the stored corpus with a seeded generator (same database and seed, same queries), as a
person types them: exact titles, prefixes (autocomplete as it is typed), a few words of a title,
typos, titles without their accents, and directors' names. Each query is checked to have a single
right answer: the title (or name) it comes from belongs to one review only, and a prefix or word
selection matches no other title. The set is written to ``bench/out/queries.json`` for inspection.
"""

from __future__ import annotations

import json
import random
import sqlite3
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.domain.text import fold

KINDS = {"exact": 100, "prefix": 80, "partial": 80, "typo": 100, "accents": 60, "person": 80}


@dataclass(frozen=True)
class Query:
    kind: str
    text: str
    review_id: int
    title: str


@dataclass(frozen=True)
class Titles:
    ids: list[int]
    titles: list[str]
    originals: list[str | None]
    folded: list[str]  # folded title
    folded_original: list[str]


def load_titles(db: Path) -> Titles:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT r.id, f.title, f.original_title FROM reviews r JOIN films f ON f.id = r.film_id ORDER BY r.id"
        ).fetchall()
    return Titles(
        ids=[r[0] for r in rows],
        titles=[r[1] for r in rows],
        originals=[r[2] for r in rows],
        folded=[fold(r[1]) for r in rows],
        folded_original=[fold(r[2]) if r[2] else "" for r in rows],
    )


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    edit = rng.choice(["swap", "drop", "sub", "double"])
    if edit == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if edit == "drop":
        return word[:i] + word[i + 1 :]
    if edit == "sub":
        return word[:i] + rng.choice("aeiourstnl") + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def build(db: Path, seed: int, out: Path | None = None) -> list[Query]:
    titles = load_titles(db)
    rng = random.Random(f"festbot-queries:{seed}")
    count: dict[str, int] = {}
    for f, o in zip(titles.folded, titles.folded_original, strict=True):
        count[f] = count.get(f, 0) + 1
        if o and o != f:
            count[o] = count.get(o, 0) + 1
    unique = [i for i, f in enumerate(titles.folded) if count[f] == 1 and len(f) >= 4]
    word_sets = [set(f.split()) for f in titles.folded]
    queries: list[Query] = []

    def add(kind: str, text: str, index: int) -> None:
        queries.append(Query(kind, text, titles.ids[index], titles.titles[index]))

    def matching_prefix(prefix: str) -> int:
        return sum(1 for f in titles.folded if f.startswith(prefix))

    def matching_words(words: set[str]) -> int:
        return sum(1 for ws in word_sets if words <= ws)

    picks = unique[:]
    rng.shuffle(picks)
    cursor = iter(picks)
    used: set[int] = set()

    def take(condition) -> int:  # type: ignore[no-untyped-def]
        for i in cursor:
            if i not in used and condition(i):
                used.add(i)
                return i
        raise RuntimeError("corpus too small for the query set")

    for _ in range(KINDS["exact"]):
        i = take(lambda _i: True)
        add("exact", titles.titles[i], i)
    while sum(q.kind == "prefix" for q in queries) < KINDS["prefix"]:
        i = take(lambda i: len(titles.folded[i]) >= 8)
        folded = titles.folded[i]
        cut = rng.randint(max(5, len(folded) // 2), len(folded) - 1)
        prefix = folded[:cut].rstrip()
        if matching_prefix(prefix) == 1:
            add("prefix", titles.titles[i][: len(prefix)] if titles.titles[i].isascii() else prefix, i)
    while sum(q.kind == "partial" for q in queries) < KINDS["partial"]:
        i = take(lambda i: len(titles.folded[i].split()) >= 3)
        words = sorted(set(titles.folded[i].split()), key=len, reverse=True)[:2]
        ordered = [w for w in titles.folded[i].split() if w in words]
        if matching_words(set(words)) == 1:
            add("partial", " ".join(dict.fromkeys(ordered)), i)
    while sum(q.kind == "typo" for q in queries) < KINDS["typo"]:
        i = take(lambda i: any(len(w) >= 5 for w in titles.folded[i].split()) and titles.folded[i].isascii())
        words = titles.folded[i].split()
        long = [k for k, w in enumerate(words) if len(w) >= 5]
        k = rng.choice(long)
        words[k] = _typo(words[k], rng)
        typed = " ".join(words)
        if typed not in count:
            add("typo", typed, i)
    for _ in range(KINDS["accents"]):
        i = take(lambda i: not titles.titles[i].isascii() and _strip_accents(titles.titles[i]) != titles.titles[i])
        add("accents", _strip_accents(titles.titles[i]).lower(), i)
    queries += _people(db, rng, KINDS["person"])
    if out is not None:
        out.write_text(json.dumps([asdict(q) for q in queries], ensure_ascii=False, indent=1), encoding="utf-8")
    return queries


def _people(db: Path, rng: random.Random, wanted: int) -> list[Query]:
    """Directors credited (in any role) on exactly one review, and no namesake: the query is the name."""
    with sqlite3.connect(db) as conn:
        (top,) = conn.execute("SELECT max(id) FROM reviews").fetchone()
        found: list[Query] = []
        tried: set[int] = set()
        while len(found) < wanted and len(tried) < top:
            review_id = rng.randint(1, top)
            if review_id in tried:
                continue
            tried.add(review_id)
            row = conn.execute(
                "SELECT p.name, p.folded, f.title FROM credits c JOIN people p ON p.id = c.person_id"
                " JOIN reviews r ON r.id = c.review_id JOIN films f ON f.id = r.film_id"
                " WHERE c.review_id = ? AND c.kind = 'director' ORDER BY c.position LIMIT 1",
                (review_id,),
            ).fetchone()
            if row is None:
                continue
            name, folded, title = row
            (reviews,) = conn.execute(
                "SELECT count(DISTINCT c.review_id) FROM people p JOIN credits c ON c.person_id = p.id"
                " WHERE p.folded = ?",
                (folded,),
            ).fetchone()
            if reviews == 1:
                found.append(Query("person", name, review_id, title))
    return found
