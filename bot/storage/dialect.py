"""Where SQLite's SQL and PostgreSQL's differ, and how one statement carries both texts.

The storage modules write SQLite's dialect restricted to what PostgreSQL also reads; the PostgreSQL
adapter (:mod:`bot.storage.postgres`) translates mechanically what is only spelling: ``?`` placeholders
become psycopg's ``%s`` and a literal ``%`` is doubled. Rewritten into the common subset, at no cost on
SQLite (bench/RESULTS.md):

- ``INSERT OR IGNORE`` / ``INSERT OR REPLACE`` -> ``INSERT ... ON CONFLICT DO NOTHING / DO UPDATE``;
- NULL ordering spelled out (``NULLS FIRST/LAST``, or a ``CASE``): SQLite sorts NULL lowest, PostgreSQL
  highest;
- ``GROUP BY`` names every table whose columns are selected, and listings lost a redundant ``DISTINCT``
  (PostgreSQL's functional-dependency and ``ORDER BY``-with-``DISTINCT`` rules);
- ``LIMIT -1`` (SQLite's "no limit") is no ``LIMIT`` at all;
- SQLite's implicit ``rowid`` (the order credits and sales contacts were written in) is a real identity
  column named ``rowid`` on PostgreSQL, so the statements that order by it are one text.

What truly differs is a :func:`variant` beside its statement, or a fragment below:

- JSON: ``json_each`` (ids and names passed as one JSON array, so a statement's text does not vary with
  the number of ids), ``json_group_array``/``json_array``/``json()``/``json_extract`` against
  ``json_array_elements_text``/``json_agg``/``json_build_array``/``->>``; JSON comes back as text on both;
- ``group_concat(DISTINCT x)`` against ``string_agg(DISTINCT x, ',')``;
- ``pragma_data_version()`` (the search indexes' cross-process mark, :func:`~bot.storage.search_reads.index_marks`)
  against ``pg_current_snapshot()``; PostgreSQL also notifies (a trigger of V008 and ``LISTEN``), SQLite cannot;
- the database's clock in milliseconds (``julianday('now')`` against ``clock_timestamp()``), for the leases
  (:mod:`~bot.storage.leases`);
- the schema (``migrations/``: rowid tables and FTS5 against identity columns and ``BIGINT`` snowflakes,
  table rebuilds against ``ALTER TABLE``), migrations' bookkeeping (``PRAGMA user_version`` against a
  ``schema_version`` table) and whole-database files (backups and restores are SQLite's; PostgreSQL has
  ``pg_dump``/``pg_restore``).

Types need no translation: both drivers give back Python ``int``, ``float`` and ``str``; times are ISO
8601 text on both (in PostgreSQL's ``"C"`` collation, so they compare byte by byte as in SQLite).
"""

from __future__ import annotations


class Variant(str):
    """A statement the engines write differently. The string itself is SQLite's text, so SQLite runs it
    as the plain string it is (no cost on the default engine); the PostgreSQL adapter runs ``postgres``."""

    postgres: str


def variant(sqlite: str, *, postgres: str) -> str:
    """One statement in both dialects, side by side where it is used."""
    text = Variant(sqlite)
    text.postgres = postgres
    return text


def postgres_text(sql: str) -> str:
    """The text PostgreSQL runs for ``sql``: its variant's, else the one common text."""
    return sql.postgres if isinstance(sql, Variant) else sql


def compose(template: str, /, **parts: str) -> str:
    """``template`` with its ``{name}`` fragments filled in, each dialect with its own text of each fragment."""
    sqlite = template.format(**parts)
    if not any(isinstance(part, Variant) for part in parts.values()):
        return sqlite
    return variant(sqlite, postgres=template.format(**{name: postgres_text(part) for name, part in parts.items()}))


#: A JSON array of ids passed as one parameter, as a table ``(key, value)``: ``value`` the id, ``key`` its
#: position (to keep the order given). Give it an alias: ``FROM {ids} j``. On PostgreSQL the array goes
#: through ``unnest(ARRAY(...))``, which the planner takes for a handful of rows and so looks each up by its
#: index; it takes a set-returning JSON function for 100 rows and hashes the whole table instead (3 ms
#: against 0.2 ms for 30 names among 20,000 people, here).
JSON_IDS = variant(
    "json_each(?)",
    postgres="(SELECT u.key, u.value FROM unnest(ARRAY(SELECT json_array_elements_text(?::json)::bigint))"
    " WITH ORDINALITY AS u(value, key))",
)
#: The same for a JSON array of strings.
JSON_TEXTS = variant(
    "json_each(?)",
    postgres="(SELECT u.key, u.value FROM unnest(ARRAY(SELECT json_array_elements_text(?::json)))"
    " WITH ORDINALITY AS u(value, key))",
)
