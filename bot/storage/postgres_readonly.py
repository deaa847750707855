"""A PostgreSQL database opened for reading only: what ``festbot web`` serves a replica from.

The replica is a hot standby's URL or the primary's own: either way the session is read-only
(``default_transaction_read_only``, so the server itself refuses a write), the schema is never
migrated, and a schema other than this code's is refused with both versions named.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

import psycopg

from bot.storage.connection import StoreError
from bot.storage.migrations import require_current
from bot.storage.postgres_reads import PostgresReads, shown


def read_only_url(url: str) -> str:
    """``url`` with libpq's ``options`` making every transaction of the session read-only."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    options = " ".join([*(value for key, value in query if key == "options"), "-c default_transaction_read_only=on"])
    kept = [(key, value) for key, value in query if key != "options"]
    # quote, not quote_plus: libpq reads "%20" as a space, "+" as a plus.
    query_text = urllib.parse.urlencode([*kept, ("options", options)], quote_via=urllib.parse.quote)
    return urllib.parse.urlunsplit(parts._replace(query=query_text))


class ReadOnlyPostgresDatabase:
    """Implements :class:`bot.storage.connection.Database`; every write raises :class:`StoreError`."""

    def __init__(self, url: str, reads: PostgresReads) -> None:
        self._url = url
        self.reads = reads

    @classmethod
    async def open(cls, url: str) -> ReadOnlyPostgresDatabase:
        session = read_only_url(url)
        try:
            conn = await psycopg.AsyncConnection.connect(session, autocommit=True)
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split()).rstrip(".")
            raise StoreError(f"Cannot read the PostgreSQL database at {shown(url)}: {reason}.") from exc
        reads = PostgresReads(session, conn)
        try:
            try:
                row = await reads.fetchone("SELECT max(version) FROM schema_version")
            except psycopg.errors.UndefinedTable:
                row = None
            require_current(shown(url), int(row[0]) if row and row[0] is not None else 0)
        except BaseException:
            await reads.close()
            raise
        return cls(url, reads)

    async def write(self, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        raise StoreError(f"The database at {shown(self._url)} is open read-only: this process never writes to it.")

    async def write_each(self, work: Callable[..., Any], items: Sequence[Any]) -> list[Any]:
        raise StoreError(f"The database at {shown(self._url)} is open read-only: this process never writes to it.")

    async def close(self) -> None:
        await self.reads.close()
