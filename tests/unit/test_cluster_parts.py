"""Small parts of the replica support that need no server: generation ages for garbage
collection and the SQL dialect of the PostgreSQL conversation store."""

from __future__ import annotations

import time

from assistant.conversations.postgres import Row, _translate
from ingest.store import _age_seconds


def test_generation_age_from_its_id():
    stamp = time.strftime("g%Y%m%dT%H%M%S", time.localtime(time.time() - 120)) + "-abc123"
    assert 115 <= _age_seconds(stamp) <= 130
    assert _age_seconds("gnot-a-stamp") == 0.0  # unreadable: treated as new (kept)


def test_sql_is_translated_for_postgres():
    assert _translate("SELECT * FROM t WHERE a = ? AND b LIKE 'x%'") == "SELECT * FROM t WHERE a = %s AND b LIKE 'x%%'"
    assert _translate("BEGIN IMMEDIATE").startswith("BEGIN; SELECT pg_advisory_xact_lock(")
    assert _translate("PRAGMA user_version") == "SELECT version FROM schema_version"
    assert "c.seq DESC" in _translate("SELECT * FROM conversations c ORDER BY updated_at DESC, c.rowid DESC")


def test_rows_read_by_position_and_by_name():
    row = Row(("id-1", 3), {"id": 0, "turns": 1})
    (first, second) = row
    assert (first, second) == ("id-1", 3) and row["turns"] == 3 and row[0] == "id-1" and row.keys() == ["id", "turns"]
