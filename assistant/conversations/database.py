"""The conversation database file: its schema (`MIGRATIONS`, versioned with `PRAGMA user_version`)
and opening it (`connect`): WAL, foreign keys, brought up to date in one write transaction.

A second process opening the same new file at once waits for the first one's migration and then
finds nothing left to do; a file of a newer version than this code knows is refused before
anything is written to it.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

MIGRATIONS: list[str] = [
    # 1: conversations, turns, feedback
    """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        title TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        share_token TEXT UNIQUE
    );
    CREATE INDEX conversations_by_owner ON conversations (owner, updated_at DESC);
    CREATE TABLE turns (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        question TEXT NOT NULL,
        standalone_question TEXT NOT NULL,
        answer TEXT NOT NULL,
        status TEXT NOT NULL,
        backend TEXT NOT NULL,
        citations TEXT NOT NULL,
        timings TEXT NOT NULL,
        usage TEXT NOT NULL,
        notice TEXT,
        documents TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (conversation_id, position)
    );
    CREATE TABLE feedback (
        id TEXT PRIMARY KEY,
        turn_id TEXT UNIQUE REFERENCES turns (id) ON DELETE SET NULL,
        owner TEXT NOT NULL,
        rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
        comment TEXT NOT NULL DEFAULT '',
        question TEXT NOT NULL,
        standalone_question TEXT NOT NULL,
        answer TEXT NOT NULL,
        status TEXT NOT NULL,
        citations TEXT NOT NULL,
        backend TEXT NOT NULL,
        kind TEXT NOT NULL,
        language TEXT NOT NULL,
        config TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
]


class ConversationSchemaError(RuntimeError):
    """The database file has a schema this code does not know (written by a newer version)."""


def connect(path: Path, timeout: float = 10.0) -> sqlite3.Connection:
    """An autocommit connection (transactions are explicit), usable from any thread under a lock."""
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=timeout)
    db.row_factory = sqlite3.Row
    try:
        db.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        _check_version(path, db.execute("PRAGMA user_version").fetchone()[0])  # before any write
        _wal(db, timeout)
        db.execute("PRAGMA synchronous=NORMAL")  # with WAL: a process crash loses no commit
        db.execute("PRAGMA foreign_keys=ON")
        _migrate(path, db)
    except BaseException:
        db.close()
        raise
    return db


def _wal(db: sqlite3.Connection, timeout: float) -> None:
    """Switch to WAL. The switch does not wait on a busy file (SQLite answers "database is locked"
    at once while another process opens the same new file), so it is retried here."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _check_version(path: Path, version: int) -> None:
    if version > len(MIGRATIONS):
        raise ConversationSchemaError(
            f"{path} has conversation schema version {version}, newer than this version of the assistant "
            f"knows ({len(MIGRATIONS)}); it was written by a newer version: run that one, or point "
            "ASSISTANT_CONVERSATIONS_DB at another file"
        )


def _migrate(path: Path, db: sqlite3.Connection) -> None:
    # the version is read again inside the write transaction (another process may have migrated)
    db.execute("BEGIN IMMEDIATE")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        _check_version(path, version)
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in filter(str.strip, script.split(";")):
                db.execute(statement)
            db.execute(f"PRAGMA user_version={number}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
