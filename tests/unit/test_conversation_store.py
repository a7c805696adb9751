"""The conversation store (assistant/conversations/store.py) on its own: a SQLite file in a tmp dir,
no model, no app. Ownership, limits, history, titles, sharing, feedback, export and migrations.
The crash and concurrency tests of the same store are in
tests/integration/test_conversation_reliability.py."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest

from assistant.conversations.export import as_json, as_markdown
from assistant.conversations.store import (
    DEFAULT_TITLE,
    MIGRATIONS,
    ConversationError,
    ConversationLimit,
    ConversationNotFound,
    ConversationSchemaError,
    ConversationStore,
)
from assistant.schema import Answer, Citation

A, B = "browser:aaaa", "browser:bbbb"


def citation(n: int, section: str = "6.1", page: int | None = 21) -> Citation:
    return Citation(
        id=n,
        document="Strategisch plan Twente 2020-2025",
        document_id="twente-board-strategisch-plan-2020-2025",
        section=section,
        section_title="Focus op impactportfolio's",
        page=page,
        text=f"Passage {n} over de impactportfolio's.",
        score=0.5,
        chunk_id=f"chunk-{n}",
        quotes=[f"zin {n}"],
    )


def answer(question: str, text: str = "Digitalisering [1] en innovatie in de zorg [2].", n: int = 2) -> Answer:
    return Answer(
        answer=text,
        status="answered",
        citations=[citation(i) for i in range(1, n + 1)],
        timings={"retrieval": 12.5, "total": 30.0},
        backend="extractive",
        question=question,
        standalone_question=question,
        usage={},
    )


@pytest.fixture
def store(tmp_path):
    s = ConversationStore(tmp_path / "conversations.sqlite3", max_conversations=3, max_turns=3)
    yield s
    s.close()


# --------------------------------------------------------------------------- conversations


def test_create_list_get_rename_delete(store):
    assert store.list(A) == []
    c = store.create(A)
    assert c["title"] == DEFAULT_TITLE and c["turns"] == [] and c["turn_count"] == 0 and not c["shared"]
    named = store.create(A, "  Over   de portfolio's ")
    assert named["title"] == "Over de portfolio's"  # whitespace collapsed
    assert [x["id"] for x in store.list(A)] == [named["id"], c["id"]]  # newest first
    assert set(store.list(A)[0]) == {"id", "title", "created_at", "updated_at", "turn_count"}

    renamed = store.rename(A, c["id"], "Talent en arbeidsmarkt")
    assert renamed["title"] == "Talent en arbeidsmarkt" and store.get(A, c["id"])["title"] == "Talent en arbeidsmarkt"
    assert store.list(A)[0]["id"] == c["id"]  # a change moves it to the top

    store.delete(A, c["id"])
    assert [x["id"] for x in store.list(A)] == [named["id"]]
    with pytest.raises(ConversationNotFound):
        store.get(A, c["id"])
    with pytest.raises(ConversationNotFound):
        store.delete(A, c["id"])


def test_newest_first_within_one_second(store):
    """Creations (and a turn) in quick succession still list newest (most recently changed) first."""
    ids = [store.create(A)["id"] for _ in range(3)]
    assert [x["id"] for x in store.list(A)] == ids[::-1]
    store.add_turn(A, ids[0], answer("Wat zijn de impactportfolio's?"))
    assert [x["id"] for x in store.list(A)] == [ids[0], ids[2], ids[1]]


def test_conversation_count_limit(store):
    for _ in range(3):
        store.create(A)
    with pytest.raises(ConversationLimit, match="you have 3 conversations, the limit"):
        store.create(A)
    store.create(B)  # per owner
    store.delete(A, store.list(A)[0]["id"])
    store.create(A)  # room again


def test_turn_limit(store):
    c = store.create(A)
    for i in range(3):
        assert store.add_turn(A, c["id"], answer(f"Vraag {i}?"))["position"] == i
    with pytest.raises(ConversationLimit, match="this conversation has 3 turns, the limit; start a new conversation"):
        store.add_turn(A, c["id"], answer("Nog een?"))
    with pytest.raises(ConversationLimit, match="3 turns, the limit"):
        store.check_room(A, c["id"])  # what the chat asks before it answers
    assert store.get(A, c["id"])["turn_count"] == 3


def test_title_and_comment_too_long(store):
    with pytest.raises(ConversationError, match="the title is 201 characters; the limit is 200"):
        store.create(A, "x" * 201)
    c = store.create(A, "x" * 200)
    with pytest.raises(ConversationError, match="the title is 250 characters; the limit is 200"):
        store.rename(A, c["id"], "y" * 250)
    with pytest.raises(ConversationError, match="the title is empty"):
        store.rename(A, c["id"], "   ")
    turn = store.add_turn(A, c["id"], answer("Wat zijn de impactportfolio's?"))
    with pytest.raises(ConversationError, match="the comment is 2001 characters; the limit is 2000"):
        store.set_feedback(A, c["id"], turn["id"], -1, "z" * 2001)
    with pytest.raises(ConversationError, match="rating must be 'up' or 'down'"):
        store.set_feedback(A, c["id"], turn["id"], 0)
    assert store.feedback() == []
    assert store.get(A, c["id"])["title"] == "x" * 200  # nothing changed by the refusals


def test_limit_errors_are_conversation_errors():
    assert issubclass(ConversationLimit, ConversationError) and issubclass(ConversationNotFound, ConversationError)
    assert not issubclass(ConversationSchemaError, ConversationError)  # a server problem, not the request's


# --------------------------------------------------------------------------- ownership


def test_another_owner_cannot_touch_a_conversation(store):
    c = store.create(A, "Van A")
    turn = store.add_turn(A, c["id"], answer("Wat zijn de impactportfolio's?"))
    calls = {
        "get": lambda: store.get(B, c["id"]),
        "rename": lambda: store.rename(B, c["id"], "Van B"),
        "delete": lambda: store.delete(B, c["id"]),
        "history": lambda: store.history(B, c["id"]),
        "check_room": lambda: store.check_room(B, c["id"]),
        "add_turn": lambda: store.add_turn(B, c["id"], answer("En de tweede?")),
        "share": lambda: store.share(B, c["id"]),
        "unshare": lambda: store.unshare(B, c["id"]),
        "feedback": lambda: store.set_feedback(B, c["id"], turn["id"], -1, "slecht"),
    }
    for name, call in calls.items():
        with pytest.raises(ConversationNotFound) as not_yours:
            call()
        assert str(not_yours.value) == f"no conversation with id {c['id']!r}", name
    assert store.list(B) == []
    # A's conversation is exactly as it was
    after = store.get(A, c["id"])
    assert after["title"] == "Van A" and after["turn_count"] == 1 and not after["shared"]
    assert after["turns"][0]["feedback"] is None and store.feedback() == []


def test_not_yours_reads_like_does_not_exist(store):
    c = store.create(A)
    with pytest.raises(ConversationNotFound) as not_yours:
        store.get(B, c["id"])
    store.delete(A, c["id"])
    with pytest.raises(ConversationNotFound) as gone:
        store.get(B, c["id"])
    assert str(not_yours.value) == str(gone.value)


# --------------------------------------------------------------------------- turns and history


def test_turns_history_order_and_auto_title(store):
    c = store.create(A)
    questions = ["Wat zijn de impactportfolio's?", "En de tweede?", "Wie voert dat uit?"]
    for i, q in enumerate(questions):
        store.add_turn(A, c["id"], answer(q, f"Antwoord {i} [1]."), documents=["doc-a"] if i == 1 else None)
    got = store.get(A, c["id"])
    assert got["title"] == "Wat zijn de impactportfolio's?"  # from the first question
    assert [t["question"] for t in got["turns"]] == questions and [t["position"] for t in got["turns"]] == [0, 1, 2]
    t = got["turns"][0]
    assert (
        t["backend"] == "extractive"
        and t["status"] == "answered"
        and t["timings"] == {"retrieval": 12.5, "total": 30.0}
    )
    assert t["citations"] == [citation(1).model_dump(mode="json"), citation(2).model_dump(mode="json")]
    assert got["turns"][1]["documents"] == ["doc-a"] and t["documents"] is None

    history = store.history(A, c["id"])
    assert [(m.role, m.content) for m in history] == [
        (role, text)
        for i, q in enumerate(questions)
        for role, text in (("user", q), ("assistant", f"Antwoord {i} [1]."))
    ]
    last = store.history(A, c["id"], last=2)  # the most recent turns, still oldest first
    assert [m.content for m in last if m.role == "user"] == questions[1:]


def test_auto_title_only_for_an_untitled_conversation_and_shortened(store):
    named = store.create(A, "Mijn titel")
    store.add_turn(A, named["id"], answer("Wat zijn de impactportfolio's?"))
    assert store.get(A, named["id"])["title"] == "Mijn titel"
    long = store.create(A)
    store.add_turn(A, long["id"], answer("Wat   staat er " + "heel " * 40 + "lang?"))
    title = store.get(A, long["id"])["title"]
    assert len(title) == 80 and title.endswith("…") and "  " not in title
    store.add_turn(A, long["id"], answer("Tweede vraag?"))
    assert store.get(A, long["id"])["title"] == title  # only the first question titles it


# --------------------------------------------------------------------------- sharing


def test_share_token_stable_until_revoked(store):
    c = store.create(A, "Gedeeld")
    store.add_turn(A, c["id"], answer("Wat zijn de impactportfolio's?"))
    token = store.share(A, c["id"])
    assert token and store.share(A, c["id"]) == token  # the same link again
    shared = store.shared(token)
    assert shared["id"] == c["id"] and shared["shared"] and shared["turns"][0]["question"]
    assert "owner" not in shared and all("feedback" not in t for t in shared["turns"])
    assert store.get(A, c["id"])["shared"]

    store.unshare(A, c["id"])
    with pytest.raises(ConversationNotFound, match="share link does not exist"):
        store.shared(token)
    assert not store.get(A, c["id"])["shared"]
    again = store.share(A, c["id"])
    assert again != token  # a new link; the old one stays dead
    with pytest.raises(ConversationNotFound):
        store.shared(token)
    store.delete(A, c["id"])
    with pytest.raises(ConversationNotFound):
        store.shared(again)
    with pytest.raises(ConversationNotFound):
        store.shared("")


# --------------------------------------------------------------------------- feedback


def test_feedback_second_vote_replaces_and_outlives_its_conversation(store):
    c = store.create(A)
    turn = store.add_turn(A, c["id"], answer("Wat zijn de impactportfolio's?"))
    first = store.set_feedback(
        A, c["id"], turn["id"], 1, "goed", kind="list", language="nl", config={"backend": "extractive", "top_k": 5}
    )
    assert first == {"id": first["id"], "turn_id": turn["id"], "rating": "up", "comment": "goed"}
    second = store.set_feedback(A, c["id"], turn["id"], -1, "  toch niet  ", config={"top_k": 6})
    assert second["id"] == first["id"] and second["rating"] == "down" and second["comment"] == "toch niet"
    [fb] = store.feedback()
    assert fb["rating"] == -1 and fb["comment"] == "toch niet" and fb["config"] == {"top_k": 6}
    assert fb["question"] == "Wat zijn de impactportfolio's?" and fb["answer"].startswith("Digitalisering")
    assert fb["citations"] == [citation(1).model_dump(mode="json"), citation(2).model_dump(mode="json")]
    assert "owner" not in fb
    assert store.feedback(rating=1) == [] and len(store.feedback(rating=-1)) == 1
    assert store.get(A, c["id"])["turns"][0]["feedback"] == {"rating": "down", "comment": "toch niet"}
    with pytest.raises(ConversationNotFound, match="no answer with id"):
        store.set_feedback(A, c["id"], "no-such-turn", 1)

    store.delete(A, c["id"])
    [kept] = store.feedback()
    assert kept["turn_id"] is None  # the turn is gone, the feedback stays with its own copy
    assert kept["id"] == fb["id"] and kept["question"] == fb["question"] and kept["citations"] == fb["citations"]


# --------------------------------------------------------------------------- export


def test_export_markdown_numbers_the_sources(store):
    c = store.create(A, "Impactportfolio's")
    store.add_turn(A, c["id"], answer("Wat zijn de impactportfolio's?"))
    store.add_turn(
        A, c["id"], Answer(answer="Daar zegt het plan niets over.", status="not_found", question="Appeltaart?")
    )
    md = as_markdown(store.get(A, c["id"]))
    assert md.startswith("# Impactportfolio's\n") and md.endswith("\n")
    assert "## Wat zijn de impactportfolio's?\n\nDigitalisering [1] en innovatie in de zorg [2].\n" in md
    assert (
        "Bronnen:\n"
        "1. Strategisch plan Twente 2020-2025, §6.1 Focus op impactportfolio's, p. 21\n"
        "2. Strategisch plan Twente 2020-2025, §6.1 Focus op impactportfolio's, p. 21\n"
    ) in md
    assert md.count("Bronnen:") == 1  # the answer without sources has no list
    assert "## Appeltaart?\n\nDaar zegt het plan niets over.\n" in md


def test_export_json_round_trips(store):
    c = store.create(A, "Export")
    turn = store.add_turn(A, c["id"], answer("Wat zijn de impactportfolio's? ë — “quotes”"))
    store.set_feedback(A, c["id"], turn["id"], 1)
    conversation = store.get(A, c["id"])
    text = as_json(conversation)
    assert "ë — “quotes”" in text  # UTF-8, not \\u escapes
    assert json.loads(text) == conversation


# --------------------------------------------------------------------------- schema versions


def schema_1(path) -> None:
    """A file as the first released version left it, with a conversation in it."""
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute(
        "INSERT INTO conversations (id, owner, title, created_at, updated_at) VALUES ('c1', ?, 'Oud', 'x', 'x')", (A,)
    )
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()


def test_a_new_file_gets_the_latest_schema(tmp_path):
    path = tmp_path / "v0.sqlite3"
    sqlite3.connect(path).close()  # an empty file: version 0
    s = ConversationStore(path)
    assert s.schema_version() == len(MIGRATIONS)
    assert s._read("PRAGMA journal_mode")[0][0] == "wal"
    s.close()
    s = ConversationStore(path)  # opening again changes nothing
    assert s.schema_version() == len(MIGRATIONS)
    s.close()


def test_a_version_1_file_is_brought_up_to_date(tmp_path):
    path = tmp_path / "v1.sqlite3"
    schema_1(path)
    s = ConversationStore(path)
    assert s.schema_version() == len(MIGRATIONS)
    assert [c["title"] for c in s.list(A)] == ["Oud"]  # the data stays
    s.add_turn(A, "c1", answer("Wat zijn de impactportfolio's?"))
    assert s.get(A, "c1")["turn_count"] == 1
    s.close()


def test_a_newer_schema_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "future.sqlite3"
    schema_1(path)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    db.commit()
    db.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ConversationSchemaError) as refused:
        ConversationStore(path)
    message = str(refused.value)
    assert f"schema version {len(MIGRATIONS) + 1}" in message and f"knows ({len(MIGRATIONS)})" in message
    assert "newer version" in message and str(path) in message
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # not switched to WAL, not migrated
    assert not (tmp_path / "future.sqlite3-wal").exists()
