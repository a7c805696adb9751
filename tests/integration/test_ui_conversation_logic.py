"""The chat tab's saved conversations without a browser (assistant/ui/conversation_handlers.py,
shared_page.py): a real ConversationStore in a tmp dir, a fake answer service."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from support.config import make_settings
from support.fakes import make_citation
from support.html import parse

from assistant.answering.service import Event
from assistant.api.owner import COOKIE, owner_from_cookie
from assistant.conversations.chat import ConversationChat
from assistant.conversations.store import ConversationStore
from assistant.schema import Answer, Citation
from assistant.ui import conversation_handlers as cv
from assistant.ui.handlers import KEEP
from assistant.ui.labels import L
from assistant.ui.shared_page import add_shared_page, shared_page_html

EVIL = '<script>window.__pwned=1</script> <img src=x onerror="window.__pwned=2">'
COOKIE_A = "a" * 43
COOKIE_B = "b" * 43
ALICE, BOB = owner_from_cookie(COOKIE_A), owner_from_cookie(COOKIE_B)


def citation(n=1, **kw) -> Citation:
    return make_citation(n, **{"chunk_id": "plan-0001", **kw})


class FakeAnswers:
    """Answers "Antwoord op: <question> [1]"; records the history each question came with."""

    def __init__(self, error: Exception | None = None, status: str = "answered"):
        self.error = error
        self.status = status
        self.calls: list[tuple[str, list]] = []

    def stream(self, question, history, backend=None, top_k=None, documents=None):
        self.calls.append((question, list(history or [])))
        yield Event("sources", [citation()])
        yield Event("token", "Antwoord")
        if self.error:
            raise self.error
        standalone = f"Innovatie in de zorg: {question}" if history else question
        yield Event(
            "final",
            Answer(
                answer=f"Antwoord op: {question} [1]",
                status=self.status,
                citations=[citation()],
                backend=backend or "extractive",
                question=question,
                standalone_question=standalone,
                timings={"total": 1500.0},
            ),
        )


@pytest.fixture
def app_services(tmp_path):
    settings = make_settings(tmp_path / "data")
    store = ConversationStore(tmp_path / "data" / "conversations.sqlite3")
    answers = FakeAnswers()
    svc = SimpleNamespace(conversations=store, answers=answers, settings=settings)
    svc.chat = ConversationChat(answers, store, settings)
    yield svc
    store.close()


def ask(svc, owner, question, chat=None, cid=None, ids=None):
    states = list(cv.conversation_turn(svc, owner, question, "extractive", chat or [], cid, ids or []))
    return states


def final(states):
    """(chat, sources, conversation id, turn ids, choices) after the turn."""
    chats = [s[0] for s in states if s[0] is not KEEP]
    sources = [s[1] for s in states if s[1] is not KEEP]
    return chats[-1], sources[-1] if sources else KEEP, states[-1][2], states[-1][3], states[-1][4]


# ---- whose request ----------------------------------------------------------------------------


def request_with(cookie_header: str | None):
    headers = [(b"cookie", cookie_header.encode("latin-1"))] if cookie_header is not None else []
    return SimpleNamespace(request=SimpleNamespace(scope={"type": "http", "headers": headers}))


def test_owner_of_request_reads_the_browsers_cookie_only():
    assert cv.owner_of_request(request_with(f"x=1; {COOKIE}={COOKIE_A}")) == ALICE
    assert cv.owner_of_request(request_with(None)) is None
    assert cv.owner_of_request(request_with(f"{COOKIE}=short")) is None  # not one the server made
    assert cv.owner_of_request(request_with(f"{COOKIE}=" + "x" * 20 + ";<script>")) is None
    assert cv.owner_of_request(None) is None
    # a request Gradio kept without its Starlette request has the cookies as a dict
    assert cv.owner_of_request(SimpleNamespace(request=None, cookies={COOKIE: COOKIE_B})) == BOB
    assert cv.owner_of_request(SimpleNamespace(request=None, cookies={COOKIE: "kort"})) is None
    assert cv.owner_of_request(SimpleNamespace(request=None, cookies={})) is None


# ---- a question in a saved conversation -------------------------------------------------------


def test_the_first_question_makes_the_conversation_and_saves_the_turn(app_services):
    states = ask(app_services, ALICE, " Wat zijn de impactportfolio's? ")
    chat, sources, cid, ids, choices = final(states)
    assert cid is not None and len(ids) == 1 and ids[0] is not None
    assert chat[-1]["content"] == "Antwoord op: Wat zijn de impactportfolio's? [1]"
    assert chat[-2] == {"role": "user", "content": "Wat zijn de impactportfolio's?"}
    assert "§6.1" in sources and "1.5 s" in sources
    assert states[0][2] is None or states[0][2] == cid  # made when the answer stream starts
    assert all(s[4] is KEEP for s in states[:-1])  # the list is refreshed once, at the end
    assert choices == [(choices[0][0], cid)] and choices[0][0].startswith("Wat zijn de impactportfolio's? · ")
    saved = app_services.conversations.get(ALICE, cid)
    assert [t["id"] for t in saved["turns"]] == ids
    assert saved["title"] == "Wat zijn de impactportfolio's?"


def test_a_follow_up_gets_the_saved_history(app_services):
    chat, _, cid, ids, _ = final(ask(app_services, ALICE, "Wat zijn de impactportfolio's?"))
    # a new page session knows only the id: the history comes from the database
    chat2, sources, cid2, ids2, _ = final(ask(app_services, ALICE, "En de tweede?", chat, cid, ids))
    assert cid2 == cid and len(ids2) == 2 and ids2[0] == ids[0]
    question, history = app_services.answers.calls[-1]
    assert question == "En de tweede?"
    assert [m.content for m in history] == [
        "Wat zijn de impactportfolio's?",
        "Antwoord op: Wat zijn de impactportfolio's? [1]",
    ]
    assert "Opgevat als" in sources and len(chat2) == 4
    assert app_services.conversations.get(ALICE, cid)["turn_count"] == 2


def test_without_the_cookie_a_question_is_a_readable_message_and_nothing_is_saved(app_services):
    states = ask(app_services, None, "Wat zijn de impactportfolio's?")
    chat, _sources, cid, ids, _ = final(states)
    assert L["no_owner"][:40] in chat[-1]["content"] and L["error"] in chat[-1]["content"]
    assert cid is None and ids == [None]
    assert app_services.answers.calls == []


def test_a_failed_answer_is_not_saved_and_has_no_turn_id(app_services):
    from assistant.answering.errors import BackendBusy

    app_services.answers.error = BackendBusy("busy")
    chat, _, cid, ids, choices = final(ask(app_services, ALICE, "Vraag?"))
    assert "bezet" in chat[-1]["content"] and ids == [None]
    assert app_services.conversations.get(ALICE, cid)["turns"] == []  # made, left empty
    assert [c[1] for c in choices] == [cid]


def test_another_owners_conversation_cannot_be_asked_in(app_services):
    _, _, cid, _, _ = final(ask(app_services, ALICE, "Wat zijn de impactportfolio's?"))
    chat, _, _, ids2, choices = final(ask(app_services, BOB, "En de tweede?", [], cid, []))
    assert "bestaat niet" in chat[-1]["content"] and ids2 == [None]
    assert "impactportfolio" not in json.dumps(chat)  # nothing of Alice's shown
    assert choices == []  # Bob's own list: empty
    assert app_services.conversations.get(ALICE, cid)["turn_count"] == 1


def test_an_empty_question_changes_nothing(app_services):
    states = ask(app_services, ALICE, "   ", [{"role": "user", "content": "x"}], "cid", ["t"])
    assert states == [([{"role": "user", "content": "x"}], KEEP, "cid", ["t"], KEEP)]


# ---- open, new, rename, delete ----------------------------------------------------------------


def test_opening_shows_the_saved_turns_escaped_with_the_last_sources_and_thumbs(app_services):
    _, _, cid, ids, _ = final(ask(app_services, ALICE, f"Wat staat er over {EVIL}?"))
    final(ask(app_services, ALICE, "En de tweede?", [], cid, ids))
    turns = app_services.conversations.get(ALICE, cid)["turns"]
    app_services.chat.feedback(ALICE, cid, turns[0]["id"], "down", "mis")
    view = cv.open_conversation(app_services, ALICE, cid)
    assert view.conversation_id == cid and view.turn_ids == [t["id"] for t in turns]
    assert [m["role"] for m in view.chat] == ["user", "assistant", "user", "assistant"]
    assert "<script>" not in json.dumps(view.chat) and "&lt;script&gt;" in view.chat[0]["content"]
    assert view.feedback == ["Dislike", None]
    assert "Opgevat als" in view.sources and "§6.1" in view.sources  # the last turn's
    assert view.share == "" and view.rated is None and view.files is None
    assert [c[1] for c in view.choices] == [cid]
    assert "Geopend" in view.message
    # a shared conversation shows its link when opened
    token = app_services.conversations.share(ALICE, cid)
    assert f"/shared/{token}" in cv.open_conversation(app_services, ALICE, cid).share


def test_opening_another_owners_conversation_shows_nothing_of_it(app_services):
    _, _, cid, _, _ = final(ask(app_services, ALICE, "Geheime vraag van Alice?"))
    view = cv.open_conversation(app_services, BOB, cid)
    assert view.chat is KEEP and view.choices is KEEP and view.conversation_id is KEEP
    assert "bestaat niet" in view.message and "Alice" not in view.message
    assert "ta-msg-error" in cv.open_conversation(app_services, None, cid).message
    assert L["no_conversation"] in cv.open_conversation(app_services, ALICE, None).message


def test_new_conversation_is_saved_and_an_untouched_one_is_reused(app_services):
    first = cv.new_conversation(app_services, ALICE)
    assert first.chat == [] and first.turn_ids == [] and first.feedback == []
    assert [c[1] for c in first.choices] == [first.conversation_id]
    again = cv.new_conversation(app_services, ALICE)
    assert again.conversation_id == first.conversation_id  # no second empty one
    final(ask(app_services, ALICE, "Vraag?", [], first.conversation_id, []))
    third = cv.new_conversation(app_services, ALICE)
    assert third.conversation_id != first.conversation_id
    assert len(app_services.conversations.list(ALICE)) == 2 and app_services.conversations.list(BOB) == []
    failed = cv.new_conversation(app_services, None)
    assert failed.chat == [] and failed.conversation_id is None and "ta-msg-error" in failed.message


def test_rename_and_delete_act_on_the_owners_conversation_only(app_services):
    _, _, cid, _, _ = final(ask(app_services, ALICE, "Vraag?"))
    choices, box, msg = cv.rename_conversation(app_services, ALICE, cid, "  Mijn   gesprek ")
    assert choices[0] == (choices[0][0], cid) and choices[0][0].startswith("Mijn gesprek · ")
    assert box == "Mijn gesprek" and "Hernoemd" in msg
    assert cv.rename_conversation(app_services, ALICE, cid, " ")[2].count(L["rename_empty"]) == 1
    assert "bestaat niet" in cv.rename_conversation(app_services, BOB, cid, "Van Bob")[2]
    assert "ta-msg-error" in cv.rename_conversation(app_services, ALICE, cid, "x" * 500)[2]
    assert "bestaat niet" in cv.delete_conversation(app_services, BOB, cid).message
    assert app_services.conversations.get(ALICE, cid)["title"] == "Mijn gesprek"
    view = cv.delete_conversation(app_services, ALICE, cid)
    assert view.chat == [] and view.conversation_id is None and view.choices == []
    assert "Verwijderd: Mijn gesprek" in view.message
    assert app_services.conversations.list(ALICE) == []


def test_load_list_is_the_browsers_own_newest_first(app_services):
    _, _, old, _, _ = final(ask(app_services, ALICE, "Eerste vraag?"))
    _, _, new, _, _ = final(ask(app_services, ALICE, "Tweede vraag?"))
    final(ask(app_services, BOB, "Vraag van Bob?"))
    choices, msg = cv.load_list(app_services, ALICE)
    assert [c[1] for c in choices] == [new, old] and msg == ""
    assert cv.load_list(app_services, None)[0] == [] and "cookie" in cv.load_list(app_services, None)[1]


def test_list_labels_show_dutch_time():
    choices = cv.conversation_choices([{"id": "c1", "title": "Titel", "updated_at": "2026-01-15T09:30:00.123Z"}])
    assert choices == [("Titel · 15-01-2026 10:30", "c1")]
    # the list shows labels as text: the service's entities are decoded, not shown
    (label, _), _ = cv.conversation_choices(
        [{"id": "c2", "title": "Over &lt;img src=x&gt;", "updated_at": "x"}, {"id": "c3", "title": ""}]
    )
    assert label == "Over <img src=x> · x"
    assert cv.conversation_choices([{"id": "c3", "title": ""}]) == [("Nieuw gesprek", "c3")]


# ---- feedback ---------------------------------------------------------------------------------


def test_a_thumb_is_stored_for_the_answer_at_that_index_and_a_comment_follows(app_services):
    chat, _, cid, ids, _ = final(ask(app_services, ALICE, "Wat zijn de impactportfolio's?"))
    chat, _, cid, ids, _ = final(ask(app_services, ALICE, "En de tweede?", chat, cid, ids))
    msg, rated = cv.rate_answer(app_services, ALICE, cid, ids, chat, 3, False, "")
    assert "duim omlaag" in msg and rated == {"conversation_id": cid, "turn_id": ids[1], "rating": "down"}
    (fb,) = app_services.conversations.feedback(-1)
    assert fb["turn_id"] == ids[1] and fb["question"] == "En de tweede?" and fb["comment"] == ""
    msg, box = cv.send_comment(app_services, ALICE, rated, "  De tweede is zorg, niet digitalisering. ")
    assert "toelichting is opgeslagen" in msg and box == ""
    (fb,) = app_services.conversations.feedback(-1)
    assert fb["comment"] == "De tweede is zorg, niet digitalisering." and fb["rating"] == -1
    # thumbs up on the first answer, with what is in the comment box already
    msg, rated = cv.rate_answer(app_services, ALICE, cid, ids, chat, [1, 0], True, "Goed")
    assert "duim omhoog" in msg and rated["turn_id"] == ids[0]
    assert [(f["turn_id"], f["comment"]) for f in app_services.conversations.feedback(1)] == [(ids[0], "Goed")]


def test_thumbs_that_cannot_be_stored(app_services):
    chat, _, cid, ids, _ = final(ask(app_services, ALICE, "Vraag?"))
    assert cv.rate_answer(app_services, ALICE, cid, ids, chat, 1, "", "")[1] is KEEP  # taken back
    assert L["feedback_unsaved"] in cv.rate_answer(app_services, ALICE, cid, ids, chat, 0, False, "")[0]  # a question
    assert L["feedback_unsaved"] in cv.rate_answer(app_services, ALICE, cid, [None], chat, 1, False, "")[0]
    assert L["feedback_unsaved"] in cv.rate_answer(app_services, ALICE, None, ids, chat, 1, False, "")[0]
    assert L["feedback_unsaved"] in cv.rate_answer(app_services, ALICE, cid, ids, chat, 7, False, "")[0]
    assert "bestaat niet" in cv.rate_answer(app_services, BOB, cid, ids, chat, 1, False, "")[0]
    assert "cookie" in cv.rate_answer(app_services, None, cid, ids, chat, 1, False, "")[0]
    assert L["feedback_none"] in cv.send_comment(app_services, ALICE, None, "Toelichting")[0]
    rated = {"conversation_id": cid, "turn_id": ids[0], "rating": "up"}
    assert L["feedback_comment_empty"] in cv.send_comment(app_services, ALICE, rated, "  ")[0]
    assert "bestaat niet" in cv.send_comment(app_services, BOB, rated, "Van Bob")[0]
    assert app_services.conversations.feedback() == []


# ---- export and share -------------------------------------------------------------------------


def test_export_writes_markdown_and_json_of_the_open_conversation(app_services, tmp_path):
    _, _, cid, _, _ = final(ask(app_services, ALICE, "Wat zijn de impactportfolio's?"))
    files, msg = cv.export_conversation(app_services, ALICE, cid, tmp_path / "cache")
    assert "ta-msg-ok" in msg
    md, js = (tmp_path / "cache" / f for f in files)
    assert md.name == f"gesprek-{cid[:8]}.md" and js.name == f"gesprek-{cid[:8]}.json"
    assert md.parent.parent == tmp_path / "cache" / cv.EXPORT_DIR
    text = md.read_text(encoding="utf-8")
    assert "## Wat zijn de impactportfolio's?" in text and "Bronnen:" in text and "§6.1" in text
    assert json.loads(js.read_text(encoding="utf-8"))["turns"][0]["question"] == "Wat zijn de impactportfolio's?"
    again, _ = cv.export_conversation(app_services, ALICE, cid, tmp_path / "cache")
    assert again != files  # a fresh folder each time: an export is never another's file
    assert cv.export_conversation(app_services, BOB, cid, tmp_path / "cache")[0] is KEEP
    assert L["no_conversation"] in cv.export_conversation(app_services, ALICE, None, tmp_path)[1]


def test_share_gives_a_link_and_unshare_revokes_it(app_services):
    _, _, cid, _, _ = final(ask(app_services, ALICE, "Vraag?"))
    out = cv.share_conversation(app_services, ALICE, cid)
    (href,) = re.findall(r'href="([^"]+)"', out)
    token = href.removeprefix("/shared/")
    assert re.fullmatch(r"[\w-]{20,}", token)
    assert app_services.conversations.shared(token)["id"] == cid
    assert cv.share_conversation(app_services, ALICE, cid) == out  # the same link until revoked
    assert "bestaat niet" in cv.share_conversation(app_services, BOB, cid)
    assert "bestaat niet" in cv.unshare_conversation(app_services, BOB, cid)
    assert L["share_stopped"] in cv.unshare_conversation(app_services, ALICE, cid)
    from assistant.conversations.store import ConversationNotFound

    with pytest.raises(ConversationNotFound):
        app_services.conversations.shared(token)


def test_shared_page_is_escaped_text_without_scripts(app_services):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    chat, _, cid, ids, _ = final(ask(app_services, ALICE, f"Wat staat er over {EVIL}?"))
    app_services.answers.status = "not_found"
    final(ask(app_services, ALICE, "Waar is de hoofdstad?\n- lijstje", chat, cid, ids))
    conversation = app_services.conversations.shared(app_services.conversations.share(ALICE, cid))
    page = shared_page_html(conversation)
    found = parse(page)
    assert "script" not in found.tags and "img" not in found.tags
    assert not any(name.startswith("on") for name, _ in found.attrs)
    text = "".join(found.text)
    assert EVIL in text and "Bronnen" in text and "§6.1" in text and "Gedeeld gesprek" in text
    assert "class='not-found'" in page
    app = FastAPI()
    add_shared_page(app, app_services)
    token = app_services.conversations.share(ALICE, cid)
    with TestClient(app) as client:
        r = client.get(f"/shared/{token}")
        assert r.status_code == 200 and "default-src 'none'" in r.headers["content-security-policy"]
        assert r.headers["referrer-policy"] == "no-referrer" and "no-store" in r.headers["cache-control"]
        assert ALICE not in r.text
        app_services.conversations.unshare(ALICE, cid)
        gone = client.get(f"/shared/{token}")
        assert gone.status_code == 404 and L["shared_missing"] in gone.text
        assert client.get("/shared/").status_code == 404
