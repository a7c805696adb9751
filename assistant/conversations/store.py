"""Conversations, their turns and the feedback on answers, in one SQLite database in the data dir.

One connection per store (a store per process), in WAL mode: readers do not wait for the writer,
a write is one transaction (`BEGIN IMMEDIATE` ... `COMMIT`), so a process killed while saving a
turn loses at most that turn and never leaves the file half-written. Calls are serialised by a
lock (one sqlite3 connection is not for concurrent use), and `busy_timeout` covers a second
process on the same file.

Every read and change names its owner (an anonymous browser or an API key); another owner's
conversation does not exist for it (`ConversationNotFound`, a 404, never a 403 that confirms it).
The schema is versioned (`database.py`: `MIGRATIONS` bring an older file up to date; a file of a
newer version than this code knows is refused untouched, `ConversationSchemaError`).
Feedback keeps its own copy of the question, the answer and the citations: it stays with the team
when its conversation is deleted.
"""

from __future__ import annotations

import builtins
import json
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.conversations.database import MIGRATIONS as MIGRATIONS
from assistant.conversations.database import ConversationSchemaError as ConversationSchemaError
from assistant.conversations.database import connect
from assistant.schema import Answer, ChatMessage

DB_NAME = "conversations.sqlite3"
DEFAULT_TITLE = "Nieuw gesprek"


class ConversationError(Exception):
    """A conversation request that cannot be done; the message says why (a 4xx)."""


class ConversationNotFound(ConversationError):
    pass


class ConversationLimit(ConversationError):
    """Too many conversations, or too many turns in one (a 409)."""


def _now() -> str:
    # microseconds: "newest first" must hold for changes within one second too (they are taken
    # inside the write lock, and a commit takes longer than a microsecond)
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _new_id() -> str:
    return uuid.uuid4().hex


class ConversationStore:
    def __init__(
        self,
        path: Path | str,
        max_conversations: int = 500,
        max_turns: int = 200,
        max_title_chars: int = 200,
        max_comment_chars: int = 2000,
    ):
        self.max_conversations = max_conversations
        self.max_turns = max_turns
        self.max_title_chars = max_title_chars
        self.max_comment_chars = max_comment_chars
        self._lock = threading.Lock()
        self._db: Any
        if str(path).startswith(("postgresql://", "postgres://")):
            from assistant.conversations.postgres import connect_url, safe_url

            self.location = safe_url(str(path))
            self._db = connect_url(str(path))  # a server every replica reaches, migrated
        else:
            self.path = Path(path)
            self.location = str(self.path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = connect(self.path)  # WAL, migrated (ConversationSchemaError for a newer file)

    @classmethod
    def in_data_dir(cls, data_dir: Path, **limits: int) -> ConversationStore:
        return cls(Path(data_dir) / DB_NAME, **limits)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ---- plumbing ---------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction: all of it or nothing."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, sql: str, args: tuple = ()) -> builtins.list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def schema_version(self) -> int:
        return int(self._read("PRAGMA user_version")[0][0])

    def _owned(self, db: sqlite3.Connection, owner: str, conversation_id: str) -> sqlite3.Row:
        row = db.execute("SELECT * FROM conversations WHERE id = ? AND owner = ?", (conversation_id, owner)).fetchone()
        if row is None:
            raise ConversationNotFound(f"no conversation with id {conversation_id!r}")
        return row

    def _title(self, title: str | None) -> str:
        title = " ".join((title or "").split())
        if len(title) > self.max_title_chars:
            raise ConversationError(f"the title is {len(title)} characters; the limit is {self.max_title_chars}")
        return title

    # ---- conversations ----------------------------------------------------------------------
    def create(self, owner: str, title: str | None = None) -> dict:
        clean = self._title(title) or DEFAULT_TITLE
        with self._write() as db:
            (count,) = db.execute("SELECT COUNT(*) FROM conversations WHERE owner = ?", (owner,)).fetchone()
            if count >= self.max_conversations:
                raise ConversationLimit(f"you have {count} conversations, the limit; delete some to start a new one")
            now = _now()
            cid = _new_id()
            db.execute(
                "INSERT INTO conversations (id, owner, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                (cid, owner, clean, now, now),
            )
        return self.get(owner, cid)

    def list(self, owner: str) -> builtins.list[dict]:
        rows = self._read(
            "SELECT c.*, (SELECT COUNT(*) FROM turns t WHERE t.conversation_id = c.id) AS turns "
            "FROM conversations c WHERE owner = ? ORDER BY updated_at DESC, c.rowid DESC",
            (owner,),
        )
        return [_summary(r, r["turns"]) for r in rows]

    def get(self, owner: str, conversation_id: str) -> dict:
        with self._lock:
            row = self._owned(self._db, owner, conversation_id)
            turns = self._db.execute(
                "SELECT t.*, f.rating AS fb_rating, f.comment AS fb_comment FROM turns t "
                "LEFT JOIN feedback f ON f.turn_id = t.id WHERE conversation_id = ? ORDER BY position",
                (conversation_id,),
            ).fetchall()
        out = _summary(row, len(turns))
        out["turns"] = [_turn(t) for t in turns]
        out["shared"] = row["share_token"] is not None
        return out

    def rename(self, owner: str, conversation_id: str, title: str) -> dict:
        clean = self._title(title)
        if not clean:
            raise ConversationError("the title is empty")
        with self._write() as db:
            self._owned(db, owner, conversation_id)
            db.execute(
                "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?", (clean, _now(), conversation_id)
            )
        return self.get(owner, conversation_id)

    def delete(self, owner: str, conversation_id: str) -> None:
        with self._write() as db:
            self._owned(db, owner, conversation_id)
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def history(self, owner: str, conversation_id: str, last: int = 8) -> builtins.list[ChatMessage]:
        """The conversation's last turns as messages, oldest first (for a follow-up question)."""
        with self._lock:
            self._owned(self._db, owner, conversation_id)
            rows = self._db.execute(
                "SELECT question, answer FROM turns WHERE conversation_id = ? ORDER BY position DESC LIMIT ?",
                (conversation_id, last),
            ).fetchall()
        messages: builtins.list[ChatMessage] = []
        for r in reversed(rows):
            messages += [
                ChatMessage(role="user", content=r["question"]),
                ChatMessage(role="assistant", content=r["answer"]),
            ]
        return messages

    def _turn_limit(self, turns: int) -> ConversationLimit:
        return ConversationLimit(f"this conversation has {turns} turns, the limit; start a new conversation")

    def check_room(self, owner: str, conversation_id: str) -> None:
        """ConversationNotFound or ConversationLimit now, before an answer is made that could not
        be saved (a full conversation is a 409 before the work, and before a stream starts)."""
        with self._lock:
            self._owned(self._db, owner, conversation_id)
            (turns,) = self._db.execute(
                "SELECT COUNT(*) FROM turns WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()
        if turns >= self.max_turns:
            raise self._turn_limit(turns)

    def add_turn(
        self, owner: str, conversation_id: str, answer: Answer, documents: builtins.list[str] | None = None
    ) -> dict:
        """Save one answered question; the first one also titles a conversation still untitled."""
        with self._write() as db:
            row = self._owned(db, owner, conversation_id)
            (position,) = db.execute(
                "SELECT COALESCE(MAX(position), -1) + 1 FROM turns WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()
            if position >= self.max_turns:
                raise self._turn_limit(position)
            tid, now = _new_id(), _now()
            db.execute(
                "INSERT INTO turns (id, conversation_id, position, question, standalone_question, answer, status, "
                "backend, citations, timings, usage, notice, documents, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    tid,
                    conversation_id,
                    position,
                    answer.question,
                    answer.standalone_question or answer.question,
                    answer.answer,
                    answer.status,
                    answer.backend,
                    json.dumps([c.model_dump(mode="json") for c in answer.citations], ensure_ascii=False),
                    json.dumps(answer.timings),
                    json.dumps(answer.usage),
                    answer.notice,
                    json.dumps(documents) if documents else None,
                    now,
                ),
            )
            title = row["title"]
            if position == 0 and title == DEFAULT_TITLE:
                title = _title_from(answer.question, self.max_title_chars)
            db.execute("UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?", (title, now, conversation_id))
        return {"id": tid, "position": position, "created_at": now}

    # ---- sharing ----------------------------------------------------------------------------
    def share(self, owner: str, conversation_id: str) -> str:
        """A read-only link token (the same one until it is revoked)."""
        with self._write() as db:
            row = self._owned(db, owner, conversation_id)
            token = row["share_token"] or secrets.token_urlsafe(18)
            db.execute("UPDATE conversations SET share_token = ? WHERE id = ?", (token, conversation_id))
        return token

    def unshare(self, owner: str, conversation_id: str) -> None:
        with self._write() as db:
            self._owned(db, owner, conversation_id)
            db.execute("UPDATE conversations SET share_token = NULL WHERE id = ?", (conversation_id,))

    def shared(self, token: str) -> dict:
        """The conversation behind a share token, without its owner."""
        rows = self._read("SELECT owner, id FROM conversations WHERE share_token = ?", (token,)) if token else []
        if not rows:
            raise ConversationNotFound("this share link does not exist (any more)")
        out = self.get(rows[0]["owner"], rows[0]["id"])
        for t in out["turns"]:
            t.pop("feedback", None)
        return out

    # ---- feedback ---------------------------------------------------------------------------
    def set_feedback(
        self,
        owner: str,
        conversation_id: str,
        turn_id: str,
        rating: int,
        comment: str = "",
        *,
        kind: str = "",
        language: str = "",
        config: dict[str, Any] | None = None,
    ) -> dict:
        """Thumbs up (1) or down (-1) on one answer, with an optional comment; again replaces it."""
        if rating not in (-1, 1):
            raise ConversationError("rating must be 'up' or 'down'")
        comment = (comment or "").strip()
        if len(comment) > self.max_comment_chars:
            raise ConversationError(f"the comment is {len(comment)} characters; the limit is {self.max_comment_chars}")
        with self._write() as db:
            self._owned(db, owner, conversation_id)
            turn = db.execute(
                "SELECT * FROM turns WHERE id = ? AND conversation_id = ?", (turn_id, conversation_id)
            ).fetchone()
            if turn is None:
                raise ConversationNotFound(f"no answer with id {turn_id!r} in this conversation")
            now = _now()
            values = (
                owner,
                rating,
                comment,
                turn["question"],
                turn["standalone_question"],
                turn["answer"],
                turn["status"],
                turn["citations"],
                turn["backend"],
                kind,
                language,
                json.dumps(config or {}, ensure_ascii=False),
                now,
            )
            existing = db.execute("SELECT id FROM feedback WHERE turn_id = ?", (turn_id,)).fetchone()
            if existing:
                db.execute(
                    "UPDATE feedback SET owner = ?, rating = ?, comment = ?, question = ?, standalone_question = ?, "
                    "answer = ?, status = ?, citations = ?, backend = ?, kind = ?, language = ?, config = ?, "
                    "updated_at = ? WHERE id = ?",
                    (*values, existing["id"]),
                )
                fid = existing["id"]
            else:
                fid = _new_id()
                db.execute(
                    "INSERT INTO feedback (owner, rating, comment, question, standalone_question, answer, status, "
                    "citations, backend, kind, language, config, updated_at, id, turn_id, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*values, fid, turn_id, now),
                )
        return {"id": fid, "turn_id": turn_id, "rating": "up" if rating == 1 else "down", "comment": comment}

    def feedback(self, rating: int | None = None) -> builtins.list[dict]:
        """All feedback (of one rating), oldest first: what the evaluation drafts are made from."""
        sql = (
            "SELECT * FROM feedback" + (" WHERE rating = ?" if rating is not None else "") + " ORDER BY created_at, id"
        )
        rows = self._read(sql, (rating,) if rating is not None else ())
        return [
            {
                **{k: r[k] for k in r.keys() if k not in ("citations", "config", "owner")},  # noqa: SIM118 (Row iterates values)
                "citations": json.loads(r["citations"]),
                "config": json.loads(r["config"]),
            }
            for r in rows
        ]


def _summary(row: sqlite3.Row, turns: int) -> dict:
    return {
        "id": row["id"],
        "title": row["title"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "turn_count": turns,
    }


def _turn(t: sqlite3.Row) -> dict:
    feedback = None
    if t["fb_rating"] is not None:
        feedback = {"rating": "up" if t["fb_rating"] == 1 else "down", "comment": t["fb_comment"]}
    return {
        "id": t["id"],
        "position": t["position"],
        "question": t["question"],
        "standalone_question": t["standalone_question"],
        "answer": t["answer"],
        "status": t["status"],
        "backend": t["backend"],
        "citations": json.loads(t["citations"]),
        "timings": json.loads(t["timings"]),
        "usage": json.loads(t["usage"]),
        "notice": t["notice"],
        "documents": json.loads(t["documents"]) if t["documents"] else None,
        "created_at": t["created_at"],
        "feedback": feedback,
    }


def _title_from(question: str, limit: int) -> str:
    text = " ".join(question.split())
    return text if len(text) <= min(limit, 80) else text[: min(limit, 80) - 1].rstrip() + "…"
