"""The UI's formatting and handler logic, without a browser (assistant/ui/)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from pydantic import SecretStr
from support.fakes import make_citation
from support.html import parse

from assistant.answering.errors import BackendBusy, QuestionError
from assistant.answering.service import Event
from assistant.llm.base import GeneratorError
from assistant.schema import (
    ActionLineMatch,
    Answer,
    ChatMessage,
    Citation,
    PlanCondition,
    PortfolioFit,
    PortfolioMatch,
)
from assistant.settings import REPO_ROOT
from assistant.ui import handlers, mount_ui, render
from assistant.ui.labels import L

EVIL = '<script>window.__pwned=1</script> <img src=x onerror="window.__pwned=2">'


def render_md(markdown: str) -> str:
    """Render like the Chatbot does (CommonMark + GFM tables and strike-through)."""
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(markdown)


def citation(n=1, **kw) -> Citation:
    return make_citation(n, **kw)


# ---- escaping ---------------------------------------------------------------------------------


def test_esc_escapes_once_and_decodes_service_entities():
    assert render.esc("a < b & c") == "a &lt; b &amp; c"
    # the service hands out '<' as '&lt;' already: shown as '<', not as '&lt;'
    assert render.esc("&lt;script&gt;") == "&lt;script&gt;"
    assert parse(render.esc("&lt;script&gt;x")).tags == []
    assert render.esc('"quoted"') == "&quot;quoted&quot;"


@pytest.mark.parametrize(
    "text",
    [
        EVIL,
        "&lt;script&gt;window.__pwned=3&lt;/script&gt;",
        "![beeld](http://evil.example/x.png) en [klik](javascript:alert(1))",
        "[1]: http://evil.example/\nzie [1]",
        "# Kop\n---\n> citaat\n    code\n| a | b |\n|---|---|\n| c | d |",
        "**vet** _schuin_ ~~weg~~ `code` $x$ <https://evil.example>",
    ],
)
def test_chat_markdown_renders_no_markup_from_the_text(text):
    rendered = render_md(render.chat_markdown(text))
    found = parse(rendered)
    assert set(found.tags) <= {"p", "ul", "li", "br"}, rendered
    assert not found.attrs, rendered
    # every visible character of the input survives (whitespace aside)
    visible = re.sub(r"\s+", "", "".join(found.text))
    assert visible == re.sub(r"\s+", "", html.unescape(text).replace("    ", "")), rendered


def test_chat_markdown_keeps_lists_markers_and_plain_text():
    md = render.chat_markdown(
        "Deze impactportfolio's zijn: [1]\n- Digitalisering: robotica [1]\n- Innovatie in de zorg [2]"
    )
    assert "[1]" in md and "[2]" in md
    rendered = render_md(md)
    assert rendered.count("<li>") == 2
    assert "Innovatie in de zorg [2]" in rendered
    assert render.chat_markdown("Circulaire economie & duurzaamheid") == "Circulaire economie & duurzaamheid"


# ---- chat -------------------------------------------------------------------------------------


def test_history_to_messages_keeps_user_and_assistant_text_only():
    turns = [
        {"role": "user", "content": "Wat zijn de impactportfolio's?"},
        {"role": "assistant", "content": "Deze zijn: [1]\n- Digitalisering [1]"},
        {"role": "assistant", "content": "   "},
        {"role": "system", "content": "x"},
        {"role": "user", "content": [{"type": "text", "text": "En de tweede?"}]},
        ChatMessage(role="assistant", content="ok"),
        "garbage",
    ]
    msgs = handlers.history_to_messages(turns)
    assert [m.role for m in msgs] == ["user", "assistant", "user", "assistant"]
    assert msgs[2].content == "En de tweede?"
    assert all(isinstance(m, ChatMessage) for m in msgs)
    assert handlers.history_to_messages(None) == []


def test_answer_markdown_not_found_is_visibly_different():
    found = Answer(answer="Het plan noemt vier portfolio's. [1]", status="answered", citations=[citation()])
    missing = Answer(
        answer="De documenten zeggen hier niets over; ...\nWat er het dichtst bij komt:\n- §2 Op z'n Twents [1]",
        status="not_found",
        citations=[citation()],
    )
    assert L["not_found_badge"] not in render.answer_markdown(found)
    md = render.answer_markdown(missing)
    assert md.startswith("> **⚠️ De documenten zeggen hier niets over;")
    rendered = render_md(md)
    assert "<blockquote>" in rendered and "<strong>⚠️ De documenten zeggen hier niets over;" in rendered
    assert rendered.count("<li>") == 1  # the nearest passages stay a list


def test_sources_html_lists_each_citation_escaped():
    cites = [
        citation(1),
        citation(
            2,
            document=EVIL,
            section=None,
            section_title="<b>kop</b>",
            page=None,
            text="&lt;img src=x onerror=alert(1)&gt; tekst",
        ),
    ]
    out = render.sources_html(
        cites, "answered", interpreted_as="Innovatie in de zorg: Wat valt eronder?", meta="x · 1.0 s"
    )
    found = parse(out)
    assert "script" not in found.tags and "img" not in found.tags and "b" not in found.tags
    assert not any(name.startswith("on") for name, _ in found.attrs)
    text = "".join(found.text)
    assert "[1]" in text and "§6.1" in text and "Focus op impactportfolio's" in text and "p. 21" in text
    assert EVIL in text  # shown as text
    assert "<img src=x onerror=alert(1)> tekst" in text
    assert "<b>kop</b>" in text
    assert "Opgevat als" in text and "Innovatie in de zorg" in text
    assert "Bronnen" in text and L["not_found_badge"] not in text
    # a section title that only repeats the document title is not shown twice
    same = render.sources_html([citation(section=None, section_title="Strategisch plan", page=None)])
    assert "".join(parse(same).text).count("Strategisch plan") == 1


def test_sources_html_not_found_shows_nearest_passages():
    out = render.sources_html([citation()], "not_found")
    assert 'class="ta-notfound"' in out and "ta-nearest" in out
    text = "".join(parse(out).text)
    assert L["not_found_badge"] in text and L["nearest"] in text
    empty = render.sources_html([], "answered")
    assert L["sources_empty"] in empty


def test_error_text_is_readable_never_a_traceback():
    assert "bezet" in render.error_text(BackendBusy("all slots busy"))
    assert "te lang" not in render.error_text(QuestionError("the question is empty"))
    assert "the question is empty" in render.error_text(QuestionError("the question is empty"))
    assert "niet beschikbaar" in render.error_text(GeneratorError("no model file"))
    msg = render.error_text(KeyError("secret internals"))
    assert "KeyError" in msg and "Traceback" not in msg and "secret internals" not in msg


# ---- chat turn (the streaming handler) --------------------------------------------------------


class FakeAnswers:
    def __init__(self, events=None, error=None):
        self.events = events or []
        self.error = error
        self.calls = []

    def stream(self, question, history, backend, top_k=None, documents=None):
        self.calls.append((question, history, backend))
        self.documents = documents
        yield from self.events
        if self.error:
            raise self.error


class FakeServices:
    def __init__(self, answers=None, portfolio=None):
        self.answers = answers
        self._portfolio = portfolio

    @property
    def portfolio(self):
        if isinstance(self._portfolio, Exception):
            raise self._portfolio
        return self._portfolio


def test_chat_turn_streams_tokens_then_replaces_them_with_the_final_answer(monkeypatch):
    monkeypatch.setattr(handlers.time, "monotonic", iter(range(0, 1000, 1)).__next__)
    final = Answer(
        answer="Het plan noemt digitalisering. [1]",
        status="answered",
        citations=[citation()],
        backend="openai",
        standalone_question="q",
        timings={"total": 1234.0},
    )
    fake = FakeAnswers(
        [
            Event("sources", [citation()]),
            Event("token", "Het plan"),
            Event("token", " noemt <b>"),
            Event("final", final),
        ]
    )
    history = [{"role": "user", "content": "Eerder"}, {"role": "assistant", "content": "Antwoord [1]"}]
    states = list(handlers.chat_turn(FakeServices(fake), " Wat noemt het plan? ", "openai", [], history))
    question, passed_history, backend = fake.calls[0]
    assert question == "Wat noemt het plan?" and backend == "openai"
    assert [m.content for m in passed_history] == ["Eerder", "Antwoord [1]"]
    chats = [c for c, _, _ in states]
    assert chats[0][-1]["content"] == L["searching"]
    streamed = [c[-1]["content"] for c in chats if "▌" in c[-1]["content"]]
    assert streamed and "&lt;b&gt;" in streamed[-1]
    last_chat, last_sources, last_convo = states[-1]
    assert last_chat[-1]["content"] == "Het plan noemt digitalisering. [1]"
    assert last_chat[-2] == {"role": "user", "content": "Wat noemt het plan?"}
    assert "§6.1" in last_sources and "1.2 s" in last_sources
    assert last_convo[-2:] == [
        {"role": "user", "content": "Wat noemt het plan?"},
        {"role": "assistant", "content": final.answer},
    ]


@pytest.mark.parametrize(
    "exc, words",
    [
        (BackendBusy("busy"), "bezet"),
        (GeneratorError("model file missing"), "niet beschikbaar"),
        (RuntimeError("boom"), "RuntimeError"),
    ],
)
def test_chat_turn_shows_errors_in_the_chat(exc, words):
    states = list(handlers.chat_turn(FakeServices(FakeAnswers(error=exc)), "Vraag?", "llamacpp", [], []))
    chat, _sources, convo = states[-1]
    assert words in chat[-1]["content"] and "Traceback" not in chat[-1]["content"]
    assert convo == []  # failed turns are not history


@pytest.mark.parametrize(("picked", "passed"), [(None, None), ([], None), (["a", "b"], ["a", "b"])])
def test_chat_turn_passes_the_picked_documents(picked, passed):
    fake = FakeAnswers([Event("final", Answer(answer="x [1]", status="answered", citations=[citation()]))])
    list(handlers.chat_turn(FakeServices(fake), "Vraag?", None, [], [], picked))
    assert fake.documents == passed


def test_chat_turn_ignores_an_empty_question():
    states = list(handlers.chat_turn(FakeServices(FakeAnswers()), "   ", None, [{"role": "user", "content": "x"}], []))
    assert states == [([{"role": "user", "content": "x"}], handlers.KEEP, [])]


# ---- portfolio ---------------------------------------------------------------------------------


def make_fit(**kw) -> PortfolioFit:
    ev = [citation(1, section="6.1", text="Innovatie in de zorg: medtech en zorg op afstand.")]
    base = {
        "idea": "Een app voor ouderen",
        "language": "nl",
        "verdict": "fit",
        "explanation": "Het idee past bij Innovatie in de zorg <script>x</script>.",
        "portfolios": [  # the check's ranking: the application first, though key technologies score higher
            PortfolioMatch(
                id="innovatie-in-de-zorg",
                name="Innovatie in de zorg",
                score=0.82,
                fit="strong",
                role="primary",
                matched=["ouderen ↔ zorg"],
                evidence=ev,
            ),
            PortfolioMatch(
                id="sleuteltechnologieen", name="Sleuteltechnologieën", score=0.84, fit="partial", role="secondary"
            ),
            PortfolioMatch(id="digitalisering", name="Digitalisering", score=0.41, fit="none", matched=["app"]),
            PortfolioMatch(id="circulaire-economie", name="Circulaire economie", score=0.05, fit="none"),
        ],
        "action_lines": [
            ActionLineMatch(
                id="techniek", name="Techniek als motor", description="Innovatie", score=0.6, served=True, evidence=ev
            ),
            ActionLineMatch(
                id="circulair", name="Circulaire economie & duurzaamheid", description="", score=0.1, served=False
            ),
        ],
        "conditions": [
            PlanCondition(text="Minimaal één co-financierend bedrijf.", citation=citation(2, section="6.1"))
        ],
        "support": [PlanCondition(text="Novel-T, OostNL <img src=x onerror=alert(1)>", citation=None)],
    }
    base.update(kw)
    return PortfolioFit(**base)


def test_portfolio_html_ranks_and_shows_everything_escaped():
    out = render.portfolio_html(make_fit())
    found = parse(out)
    assert "script" not in found.tags and "img" not in found.tags
    text = "".join(found.text)
    order = [m.group(1) for m in re.finditer(r'data-portfolio="([^"]+)"', out)]
    assert order == ["innovatie-in-de-zorg", "sleuteltechnologieen", "digitalisering", "circulaire-economie"]
    for words in (
        "eerste keus · sterk",
        "tweede keus · gedeeltelijk",
        "Past bij het plan",
        "Innovatie in de zorg",
        "sterk",
        "0.82",
        "Techniek als motor",
        "bediend",
        "Minimaal één co-financierend bedrijf.",
        "Novel-T",
        "<img src=x onerror=alert(1)>",
        "Onderbouwing",
        "§6.1",
        "Voorwaarden",
        "Wie kan helpen",
    ):
        assert words in text, words
    assert out.index("Techniek als motor") < out.index("Circulaire economie &amp; duurzaamheid")


def test_portfolio_check_validates_and_reports_errors():
    class Portfolio:
        def __init__(self, result=None, error=None):
            self.result, self.error, self.calls = result, error, []

        def check(self, idea, backend=None):
            self.calls.append((idea, backend))
            if self.error:
                raise self.error
            return self.result

    assert "Beschrijf eerst" in handlers.portfolio_check(FakeServices(portfolio=Portfolio()), "  ", None)
    assert "4000" in handlers.portfolio_check(FakeServices(portfolio=Portfolio()), "x" * 4001, None)
    ok = Portfolio(make_fit())
    assert 'data-verdict="fit"' in handlers.portfolio_check(FakeServices(portfolio=ok), " idee ", "extractive")
    assert ok.calls == [("idee", "extractive")]

    from assistant.portfolio import IdeaError

    out = handlers.portfolio_check(
        FakeServices(portfolio=Portfolio(error=IdeaError("the idea is too short"))), "x", None
    )
    assert "the idea is too short" in out and "ta-msg-error" in out


# ---- documents --------------------------------------------------------------------------------


def test_documents_html_and_choices():
    docs = [
        {
            "id": "plan",
            "title": "Strategisch plan",
            "chunks": 61,
            "ingested_at": "2026-01-01T10:00:00+0000",
            "source": "corpus",
        },
        {"id": "evil", "title": EVIL, "chunks": 1, "ingested_at": None, "source": "upload"},
    ]
    out = render.documents_html(docs)
    found = parse(out)
    assert "script" not in found.tags and "img" not in found.tags
    text = "".join(found.text)
    for words in (
        "Titel",
        "Id",
        "Passages",
        "Ingelezen op",
        "Strategisch plan",
        "plan",
        "61",
        "01-01-2026 10:00",
        EVIL,
        "upload",
    ):
        assert words in text
    assert render.documents_html([]).count(L["docs_empty"]) == 1
    assert render.document_choices(docs) == [("Strategisch plan (plan)", "plan"), (f"{EVIL} (evil)", "evil")]


def test_format_time():
    assert render.format_time("2026-11-28T14:34:24+0000") == "28-11-2026 14:34"
    assert render.format_time("2026-11-28T14:34:24") == "28-11-2026 14:34"
    assert render.format_time("gisteren") == "gisteren"
    assert render.format_time(None) == ""


def test_key_matches():
    assert handlers.key_matches(SecretStr("k3y"), "k3y")
    assert not handlers.key_matches(SecretStr("k3y"), "k3")
    assert not handlers.key_matches(SecretStr("k3y"), None)
    assert not handlers.key_matches(None, "")
    assert not handlers.key_matches(SecretStr(""), "")


class FakeDocs:
    def __init__(self, error=None):
        self.error = error
        self.calls = []

    def upload(self, path, name):
        self.calls.append(("upload", Path(path).read_bytes(), name))
        if self.error:
            raise self.error
        return f"Titel ({name})"

    def delete(self, doc_id):
        self.calls.append(("delete", doc_id))
        if self.error:
            raise self.error
        return doc_id


def test_upload_and_delete_require_the_key(tmp_path):
    f = tmp_path / "notitie.md"
    f.write_bytes(b"# Notitie\n\nTekst.")
    key = SecretStr("geheim")
    docs = FakeDocs()
    assert L["bad_key"] in handlers.upload_document(docs, key, str(f), "fout")
    assert L["bad_key"] in handlers.upload_document(docs, None, str(f), "")
    assert L["bad_key"] in handlers.delete_document(docs, key, "plan", None)
    assert docs.calls == []
    assert L["no_file"] in handlers.upload_document(docs, key, None, "geheim")
    out = handlers.upload_document(docs, key, str(f), "geheim")
    assert "Toegevoegd" in out and docs.calls == [("upload", b"# Notitie\n\nTekst.", "notitie.md")]
    assert "Verwijderd: plan" in handlers.delete_document(docs, key, "plan", "geheim")

    from assistant.documents import UnsupportedType

    bad = FakeDocs(error=UnsupportedType("unsupported file type .exe"))
    assert "unsupported file type .exe" in handlers.upload_document(bad, key, str(f), "geheim")


# ---- mounting ---------------------------------------------------------------------------------


def test_mount_ui_serves_the_page_and_redirects_root(services):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    app = FastAPI()
    mount_ui(app, services, services.settings)
    with TestClient(app) as client:
        r = client.get("/", follow_redirects=False)
        assert r.status_code == 307 and r.headers["location"] == "/ui"
        page = client.get("/ui/")
        assert page.status_code == 200 and "<html" in page.text
        config = client.get("/ui/config").json()
        blob = str(config)
        assert "Twente strategie-assistent" in blob and "Portfolio-check" in blob
        assert "Uploaden en verwijderen zijn uitgeschakeld" in blob  # no key configured
        theme_css = client.get("/ui/theme.css").text
        assert "fonts.googleapis" not in theme_css
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", theme_css)  # fonts come from the server
        assert "SourceSansPro-Bold.woff2" in theme_css and "SemiBold" not in theme_css


def test_importing_ui_does_no_work():
    import subprocess
    import sys

    code = "import sys, assistant.ui; print('gradio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    assert out.stdout.strip() == "False"
