"""The conversation database on a PostgreSQL server (``ASSISTANT_CONVERSATIONS_URL``), for
replicas that must all reach the same conversations. SQLite stays the embedded default.

`connect_url` returns a connection with the small part of sqlite3's interface the store uses
(``execute(sql, args)`` with ``?`` placeholders, rows readable by position and by name), so the
store's SQL is written once. Every write transaction takes one advisory lock, so writers are
serialised as SQLite's ``BEGIN IMMEDIATE`` serialises them (a turn's position is read and
written in one transaction). The schema is the SQLite one, versioned in a ``schema_version``
table and migrated under an advisory lock by the first process to connect.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from typing import Any

from assistant.conversations.database import MIGRATIONS, ConversationSchemaError

WRITE_LOCK = 7_301_001  # advisory lock of every write transaction
MIGRATE_LOCK = 7_301_002


class Row(tuple):
    """A result row, readable as ``row[0]`` and as ``row["id"]``, like sqlite3.Row."""

    names: dict[str, int]

    def __new__(cls, values: Sequence[Any], names: dict[str, int]) -> Row:
        row = super().__new__(cls, values)
        row.names = names
        return row

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self.names)


def _row_factory(cursor):
    names = {d.name: i for i, d in enumerate(cursor.description or [])}
    return lambda values: Row(values, names)


def _translate(sql: str) -> str:
    """The store's SQLite statements in PostgreSQL's dialect."""
    if sql.strip().upper() == "BEGIN IMMEDIATE":
        return f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"
    if sql.strip().upper() == "PRAGMA USER_VERSION":
        return "SELECT version FROM schema_version"
    sql = sql.replace("c.rowid", "c.seq").replace("%", "%%")
    return re.sub(r"\?", "%s", sql)  # the store's SQL has no "?" inside its string literals


class PostgresConnection:
    """One psycopg connection (autocommit; transactions are explicit), used under the store's lock."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        self._psycopg = psycopg
        self._conn = self._connect()

    def _connect(self):
        return self._psycopg.connect(self.url, autocommit=True, row_factory=_row_factory, connect_timeout=10)

    def execute(self, sql: str, args: Sequence[Any] = ()):
        statement = _translate(sql)
        lost = self._conn.broken or self._conn.closed
        if statement.startswith("BEGIN; "):
            if lost:  # the server restarted: a new connection for the new transaction
                self._conn = self._connect()
            self._conn.execute("BEGIN")
            try:
                return self._conn.execute(statement.removeprefix("BEGIN; "))
            except BaseException:
                with contextlib.suppress(Exception):
                    self._conn.execute("ROLLBACK")
                raise
        if lost and statement.strip().upper() == "ROLLBACK":
            return None  # nothing to undo on a lost connection
        if lost:
            self._conn = self._connect()
        return self._conn.execute(statement, tuple(args))

    def close(self) -> None:
        self._conn.close()


def pg_schema(script: str) -> str:
    """A SQLite migration for PostgreSQL: conversations get a sequence for "newest first" ties."""
    return script.replace(
        "CREATE TABLE conversations (\n        id TEXT PRIMARY KEY,",
        "CREATE TABLE conversations (\n        seq BIGSERIAL,\n        id TEXT PRIMARY KEY,",
    )


def connect_url(url: str) -> PostgresConnection:
    """Open and migrate the database at `url` (postgresql://...)."""
    db = PostgresConnection(url)
    try:
        conn = db._conn
        conn.execute("BEGIN")
        conn.execute(f"SELECT pg_advisory_xact_lock({MIGRATE_LOCK})")
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            conn.execute("INSERT INTO schema_version (version) VALUES (0)")
            version = 0
        else:
            version = int(row[0])
        if version > len(MIGRATIONS):
            conn.execute("ROLLBACK")
            raise ConversationSchemaError(
                f"the conversation database at {safe_url(url)} has schema version {version}, newer than this "
                f"version of the assistant knows ({len(MIGRATIONS)}); run the newer version"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in filter(str.strip, pg_schema(script).split(";")):
                conn.execute(statement)
            conn.execute("UPDATE schema_version SET version = %s", (number,))
        conn.execute("COMMIT")
    except BaseException:
        db.close()
        raise
    return db


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return re.sub(r"(//[^:/@]+):[^@]*@", r"\1:***@", url)
