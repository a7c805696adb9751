"""The source viewer's logic: a section rebuilt from its chunks, quotes marked, paths kept inside
their folder, and the page and the citation card escaped."""

from __future__ import annotations

import pytest

from assistant.schema import Citation
from assistant.source_view import PassageNotFound, check_quotes, section_view, stored_file
from assistant.ui.render import citation_card, marked
from assistant.ui.source_page import source_page_html
from ingest.model import Chunk


def chunk(ordinal: int, text: str, section: str | None = "2.1", doc: str = "nota", page: int | None = None) -> Chunk:
    return Chunk(
        chunk_id=f"{doc}-{ordinal}",
        doc_id=doc,
        doc_title="Nota <b>Water</b>",
        ordinal=ordinal,
        text=text,
        section_number=section,
        section_title="Doelen" if section else "",
        chapter_number=None,
        chapter_title=None,
        heading_path="Doelen",
        kind="body",
        start=0,
        end=len(text),
        page=page,
        page_end=page,
    )


CHUNKS = [
    chunk(0, "Inleiding van de nota staat hier.", section="1"),
    chunk(1, "De regio wil schoon water. Daarvoor komt een fonds.", page=2),
    chunk(2, "Daarvoor komt een fonds. Het fonds heeft 2 miljoen euro.\n- eerste doel\n- tweede doel", page=3),
    chunk(3, "Een andere nota over water.", doc="andere"),
]


def test_the_section_is_rebuilt_without_the_overlap_and_without_other_sections():
    view = section_view(CHUNKS, "nota", "nota-2", ["Het fonds heeft 2 miljoen euro."])
    texts = [s.text for s in view.segments]
    assert texts == [
        "De regio wil schoon water.",
        "Daarvoor komt een fonds.",
        "Het fonds heeft 2 miljoen euro.",
        "- eerste doel",
        "- tweede doel",
    ]
    assert [s.cited for s in view.segments] == [False, False, True, True, True]
    assert [s.quoted for s in view.segments] == [False, False, True, False, False]
    assert [s.starts_line for s in view.segments][3:] == [True, True]
    assert (view.section, view.page, view.page_end) == ("2.1", 3, 3)
    assert view.quoted_count == 1


def test_a_list_item_quote_matches_without_its_bullet():
    view = section_view(CHUNKS, "nota", "nota-2", ["tweede doel"])
    assert [s.text for s in view.segments if s.quoted] == ["- tweede doel"]


def test_unknown_passage_or_another_documents_passage_is_not_found():
    with pytest.raises(PassageNotFound):
        section_view(CHUNKS, "nota", "nota-9")
    with pytest.raises(PassageNotFound):
        section_view(CHUNKS, "nota", "andere-3")


def test_quotes_are_bounded():
    assert check_quotes(["a", " ", "b"]) == ["a", "b"]
    with pytest.raises(ValueError, match="at most"):
        check_quotes(["x"] * 13)
    with pytest.raises(ValueError, match="longer"):
        check_quotes(["x" * 1001])


def test_stored_file_stays_inside_its_folder(tmp_path):
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    (data / "uploads").mkdir(parents=True)
    corpus.mkdir()
    (corpus / "plan.md").write_text("x")
    (data / "uploads" / "nota.md").write_text("y")
    (tmp_path / "secret.md").write_text("z")
    assert stored_file(data, corpus, "plan.md") == (corpus / "plan.md").resolve()
    assert stored_file(data, corpus, "uploads/nota.md") == (data / "uploads" / "nota.md").resolve()
    for bad in ("../secret.md", "uploads/../../secret.md", "missing.md"):
        with pytest.raises(FileNotFoundError):
            stored_file(data, corpus, bad)


def test_marked_escapes_and_marks_each_quote_once():
    html = marked("Een <script>x</script> zin. Tweede zin.", ["Tweede zin.", "Tweede zin."])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<mark") == 1 and '<mark class="ta-quote">Tweede zin.</mark>' in html
    assert marked("Zonder citaat.", None) == "Zonder citaat."


def test_the_card_links_to_the_section_and_a_pdf_page():
    c = Citation(
        id=1,
        document="Nota",
        document_id="uploads--nota",
        text="Het fonds.",
        score=0.5,
        chunk_id="c 1",
        page=4,
        quotes=["Het fonds."],
    )
    card = citation_card(c)
    assert 'href="/source/uploads--nota/c%201?quote=Het+fonds.#cited"' in card
    assert 'href="/api/documents/uploads--nota/file#page=4"' in card
    assert 'target="_blank" rel="noopener"' in card
    no_page = citation_card(c.model_copy(update={"page": None, "quotes": []}))
    assert "/file" not in no_page and 'href="/source/uploads--nota/c%201#cited"' in no_page


def test_the_page_escapes_document_text_and_anchors_the_first_quote():
    view = section_view(
        [chunk(1, "Eerste <img src=x onerror=alert(1)> zin. Het fonds heeft 2 miljoen euro.", page=2)],
        "nota",
        "nota-1",
        ["Het fonds heeft 2 miljoen euro."],
    )
    page = source_page_html(view, "/api/documents/nota/file", "/api/documents/nota/file#page=2")
    assert "<img" not in page and "&lt;img" in page
    assert "<script" not in page
    assert '<mark id="cited">Het fonds heeft 2 miljoen euro.</mark>' in page
    assert "Nota &lt;b&gt;Water&lt;/b&gt;" in page
    assert 'href="/api/documents/nota/file#page=2"' in page


def test_page_at_follows_the_page_marks():
    c = chunk(1, "Op pagina een. Op pagina twee. Op drie.", page=1)
    c.page_marks = "15:2;31:3"
    assert [c.page_at(x) for x in (0, 14, 15, 30, 31, 99)] == [1, 1, 2, 2, 3, 3]
    assert chunk(2, "x", page=None).page_at(0) is None


def test_chunks_mark_where_a_later_page_begins():
    from ingest.chunking import chunk_corpus_document
    from ingest.model import LoadedDocument, PageSpan

    page1 = "1 Titel\n\nDe eerste zin staat op pagina een. "
    page2 = "De tweede zin staat op pagina twee."
    text = page1 + page2
    doc = LoadedDocument(
        doc_id="d",
        title="D",
        path="d.pdf",
        text=text,
        format="pdf",
        sha256="x",
        pages=[PageSpan(1, 0, len(page1)), PageSpan(2, len(page1), len(text))],
    )
    [c] = [c for c in chunk_corpus_document(doc, 120, 1) if "tweede" in c.text]
    assert (c.page, c.page_end) == (1, 2)
    assert c.page_at(c.text.index("De tweede")) == 2 and c.page_at(c.text.index("De eerste")) == 1
