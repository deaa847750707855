"""PostgreSQL reads, and the statement text psycopg runs for the storage modules' dialect.

Reads run on a few async connections in autocommit, each statement its own snapshot; up to
:data:`READ_CONNECTIONS` at once, so one slow read (a festival page's grid) does not hold up a ``/review``
behind it, and the server's cores share them. A connection is opened when every open one is busy, and
kept for the next read.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from bot.storage.connection import Row
from bot.storage.dialect import postgres_text

log = logging.getLogger(__name__)

#: Reads in flight at once, each on its own connection (a server's default allows 100 connections).
READ_CONNECTIONS = 4

#: What the adapter rewrites: ``?`` outside quoted text and identifiers, and every ``%`` (psycopg reads
#: them everywhere, inside quotes too).
_SPELLING = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%")


def _respell(match: re.Match[str]) -> str:
    text = match[0]
    return "%s" if text == "?" else text.replace("%", "%%")


@functools.lru_cache(maxsize=512)
def _psycopg(sql: str) -> str:
    return _SPELLING.sub(_respell, sql)


def translate(sql: str) -> str:
    """The text psycopg runs for a statement written for :mod:`bot.storage.dialect`."""
    return _psycopg(postgres_text(sql))


def shown(url: str) -> str:
    """The URL as it may appear in a message or log: without its password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "FESTBOT_DATABASE_URL (not a valid PostgreSQL URL)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host', '')}{port}/{parts.get('dbname', '')}"


class PostgresReads:
    """Reads on the async connections, each statement its own snapshot (autocommit).

    A server restart, or a connection dropped by the network, costs no read: one that finds its connection
    gone connects again and runs once more (a read changes nothing, so running it twice is safe).
    """

    def __init__(self, url: str, conn: psycopg.AsyncConnection[Any]) -> None:
        self._url = url
        self._idle = [conn]
        self._open = {conn}
        self._turns = asyncio.Semaphore(READ_CONNECTIONS)

    async def fetchall(self, sql: str, parameters: Sequence[object] = ()) -> list[Row]:
        async with self._turns:
            conn = self._idle.pop() if self._idle else await self._connect()
            try:
                try:
                    return await self._run(conn, sql, parameters)
                except psycopg.OperationalError:
                    if not (conn.broken or conn.closed):
                        raise
                log.warning("a read connection to %s was lost; connecting again", shown(self._url))
                self._open.discard(conn)
                conn = await self._connect()
                return await self._run(conn, sql, parameters)
            finally:
                if not (conn.broken or conn.closed):
                    self._idle.append(conn)
                else:
                    self._open.discard(conn)

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        conn = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
        self._open.add(conn)
        return conn

    @staticmethod
    async def _run(conn: psycopg.AsyncConnection[Any], sql: str, parameters: Sequence[object]) -> list[Row]:
        async with psycopg.AsyncClientCursor(conn) as cursor:
            await cursor.execute(translate(sql), parameters)
            return await cursor.fetchall()

    async def close(self) -> None:
        for conn in list(self._open):
            await conn.close()
        self._open.clear()
        self._idle.clear()

    async def fetchone(self, sql: str, parameters: Sequence[object] = ()) -> Row | None:
        rows = await self.fetchall(sql, parameters)
        return rows[0] if rows else None
