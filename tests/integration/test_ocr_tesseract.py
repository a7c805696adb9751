"""Scanned PDFs and page images read by the real OCR (Debian's tesseract, Dutch), generated in the
test: text rendered to an image, no text layer. The facts are made up (project "Zilverreiger", a
subsidy of 4,7 miljoen euro), so an answer that has them can only come from the scan."""

from __future__ import annotations

import io

import pytest
from support.documents import DEJAVU, make_mixed_pdf, make_page_image, make_scanned_pdf, render_page

from assistant.documents import DocumentService
from ingest.loaders import load_file, ocr

# two numbered sections, one a page (as in a policy paper), so the fact's passage starts on page 2
INTRO_PAGE = [
    "1 Inleiding",
    "",
    "Deze notitie beschrijft de warmtenetten in Oost-Twente.",
    "De gemeente Oldenzaal werkt samen met de woningcorporaties.",
]
FACT_PAGE = [
    "2 Financiering",
    "",
    "Het project Zilverreiger in Oldenzaal krijgt van de provincie een",
    "subsidie van 4,7 miljoen euro voor de aanleg van een warmtenet in",
    "de wijk Graaf Ottopark. De eerste woningen worden in 2027 aangesloten.",
]
FACT = (
    "Het project Zilverreiger in Oldenzaal krijgt van de provincie een subsidie van 4,7 miljoen euro "
    "voor de aanleg van een warmtenet in de wijk Graaf Ottopark."
)


@pytest.fixture(autouse=True, scope="module")
def _ocr_installed():
    assert DEJAVU.is_file(), "the scans are rendered with DejaVu Sans: apt-get install fonts-dejavu-core"
    assert ocr.ocr_available(), f"OCR is needed here ({ocr.missing_ocr()}): bash scripts/setup.sh --dev installs it"


def flat(text: str) -> str:
    return " ".join(text.split())


def page_text(doc, number: int) -> str:
    (span,) = [p for p in doc.pages if p.number == number]
    return doc.text[span.start : span.end]


def test_a_scanned_pdf_is_read_page_by_page(tmp_path):
    path = make_scanned_pdf(tmp_path / "warmtenet.pdf", [INTRO_PAGE, FACT_PAGE], title="Notitie warmtenetten")
    doc = load_file(path, tmp_path)
    assert doc.format == "pdf" and doc.title == "Notitie warmtenetten"
    assert [p.number for p in doc.pages] == [1, 2]
    assert flat(page_text(doc, 1)) == flat(" ".join(INTRO_PAGE))
    assert FACT in flat(page_text(doc, 2))
    assert "2027 aangesloten." in page_text(doc, 2)


def test_a_mixed_pdf_keeps_its_page_numbers(tmp_path):
    path = make_mixed_pdf(
        tmp_path / "gemengd.pdf",
        [
            ("text", ["Verslag warmtenetten", "De eerste pagina heeft een tekstlaag."]),
            ("scan", FACT_PAGE),
            ("text", ["De derde pagina heeft weer een tekstlaag."]),
        ],
    )
    doc = load_file(path, tmp_path)
    assert doc.title == "Verslag warmtenetten"
    assert [p.number for p in doc.pages] == [1, 2, 3]
    assert "De eerste pagina heeft een tekstlaag." in page_text(doc, 1) and "Zilverreiger" not in page_text(doc, 1)
    assert FACT in flat(page_text(doc, 2))
    assert page_text(doc, 3).strip() == "De derde pagina heeft weer een tekstlaag."


@pytest.mark.parametrize("name", ["pagina.png", "foto.jpg"])
def test_an_image_of_a_page(tmp_path, name):
    doc = load_file(make_page_image(tmp_path / name, FACT_PAGE), tmp_path)
    assert doc.format == name.rsplit(".", 1)[1] and doc.title == "2 Financiering"
    assert [(p.number, p.start, p.end) for p in doc.pages] == [(1, 0, len(doc.text))]
    assert FACT in flat(doc.text)


def test_the_answer_comes_from_the_scanned_page(fresh_services):
    """The scan ingested beside the plan; the question is answered only on its page 2."""
    make_scanned_pdf(fresh_services.settings.corpus_dir / "warmtenet.pdf", [INTRO_PAGE, FACT_PAGE])
    report = fresh_services.ingest()
    assert report.failed == [] and report.added == ["warmtenet.pdf"]
    a = fresh_services.answers.ask("Hoeveel subsidie krijgt het project Zilverreiger?")
    assert a.status == "answered", a.answer
    assert "4,7 miljoen euro" in a.answer
    cited = [c for c in a.citations if "4,7 miljoen euro" in c.text]
    assert cited and all(c.document_id == "warmtenet" and c.page == 2 and c.section == "2" for c in cited)


def test_an_uploaded_photo_of_a_page_is_answered(fresh_services):
    buf = io.BytesIO()
    render_page(FACT_PAGE).save(buf, "JPEG")
    change = DocumentService(fresh_services).add("zilverreiger.jpg", buf.getvalue())
    assert change.document["format"] == "jpg" and change.document["title"] == "2 Financiering"
    a = fresh_services.answers.ask("In welke wijk komt het warmtenet van Zilverreiger?")
    assert a.status == "answered" and "Graaf Ottopark" in a.answer
    assert any(c.document_id == "uploads--zilverreiger" and c.page == 1 for c in a.citations)
