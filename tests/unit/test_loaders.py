"""Loaders: discovery, ids, titles, text per format, and every IngestError case."""

from __future__ import annotations

import hashlib
import re
from itertools import pairwise
from pathlib import Path

import pytest
from support.documents import (
    HOSTILE_HTML,
    make_docx,
    make_html,
    make_pdf,
    make_plan_docx,
    make_plan_pdf,
    make_zip_not_docx,
    random_bytes,
)

from ingest.chunking import chunk_corpus_document
from ingest.loaders import SUPPORTED_EXTENSIONS, blank_raw_html_blocks, discover, doc_id_for, load_file
from ingest.model import IngestError
from ingest.structure import parse_sections

# ----------------------------------------------------------------------------- discovery / ids


def test_supported_extensions():
    read_by_ocr = {".png", ".jpg", ".jpeg"}
    assert {".md", ".markdown", ".txt", ".pdf", ".docx", ".html", ".htm"} | read_by_ocr == SUPPORTED_EXTENSIONS


def test_discover_recursive_sorted_skips_hidden_keeps_unsupported(tmp_path):
    for rel in ["z.txt", "a/b.md", "a/c/d.pdf", "c.xyz", ".hidden.md", ".git/config", "a/.secret/x.md"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x", encoding="utf-8")
    found = [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)]
    assert found == ["a/b.md", "a/c/d.pdf", "c.xyz", "z.txt"]


def test_discover_missing_dir(tmp_path):
    assert discover(tmp_path / "nope") == []


@pytest.mark.parametrize(
    "rel,expected",
    [
        ("twente-board-strategisch-plan-2020-2025.md", "twente-board-strategisch-plan-2020-2025"),
        ("Beleid/Mijn Plan 2020 (v2).PDF", "beleid--mijn-plan-2020-v2"),
        ("sub\\Économie_Twente.docx", "sub--economie-twente"),
        ("a/b/c.html", "a--b--c"),
    ],
)
def test_doc_id_for(rel, expected):
    assert doc_id_for(rel) == expected
    assert re.fullmatch(r"[a-z0-9-]+", doc_id_for(rel))


# ----------------------------------------------------------------------------- markdown / text


def test_load_real_plan(plan_doc):
    from support.config import PLAN_PATH

    raw = PLAN_PATH.read_bytes()
    assert plan_doc.doc_id == "twente-board-strategisch-plan-2020-2025"
    assert plan_doc.title == "Toonaangevende groene technologische topregio"
    assert plan_doc.format == "md"
    assert plan_doc.path == "twente-board-strategisch-plan-2020-2025.md"
    assert plan_doc.sha256 == hashlib.sha256(raw).hexdigest()
    assert plan_doc.text == raw.decode("utf-8")
    assert plan_doc.pages == []


def test_markdown_bom_and_crlf(tmp_path):
    p = tmp_path / "notitie.md"
    p.write_bytes("\ufeff# Titel hier\r\n\r\nTekst.\r\n".encode("utf-8"))
    doc = load_file(p, tmp_path)
    assert doc.text == "# Titel hier\n\nTekst.\n"
    assert doc.title == "Titel hier"


def test_title_falls_back_to_readable_stem(tmp_path):
    p = tmp_path / "mijn_beleid-notitie.md"
    p.write_text("Alleen tekst. Geen kop.\n", encoding="utf-8")
    assert load_file(p, tmp_path).title == "Mijn beleid notitie"


def test_txt_loads(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("Korte titel\n\nDit is de tekst van de notitie.\n", encoding="utf-8")
    doc = load_file(p, tmp_path)
    assert doc.format == "txt" and doc.title == "Korte titel"


# ----------------------------------------------------------------------------- PDF


def test_pdf_pages_and_title(tmp_path):
    doc = load_file(make_plan_pdf(tmp_path / "plan.pdf"), tmp_path)
    assert doc.format == "pdf"
    assert doc.title == "Testplan PDF"
    assert [p.number for p in doc.pages] == [1, 2, 3]
    # contiguous spans covering the whole text
    assert doc.pages[0].start == 0 and doc.pages[-1].end == len(doc.text)
    for a, b in pairwise(doc.pages):
        assert a.end == b.start

    def page_of(word):
        off = doc.text.index(word)
        return next(p.number for p in doc.pages if p.start <= off < p.end)

    assert page_of("kiwi") == 2 and page_of("kastanje") == 2 and page_of("zebra") == 3


def test_pdf_chunks_have_pages_and_sections(tmp_path):
    doc = load_file(make_plan_pdf(tmp_path / "plan.pdf"), tmp_path)
    chunks = chunk_corpus_document(doc, 120, 1)
    by_word = {w: next(c for c in chunks if w in c.text) for w in ("kiwi", "kastanje", "zebra")}
    assert (by_word["kiwi"].page, by_word["kiwi"].section_number, by_word["kiwi"].section_title) == (
        2,
        "1",
        "Inleiding",
    )
    assert (by_word["kastanje"].page, by_word["kastanje"].section_number) == (2, "1.1")
    assert by_word["kastanje"].section_title == "Achtergrond"
    assert by_word["kastanje"].chapter_title == "Inleiding"
    assert (by_word["zebra"].page, by_word["zebra"].section_number) == (3, "2")
    # the sentence cut by the page break is joined, and its chunk spans pages 2-3
    joined = next(c for c in chunks if "technische innovaties" in c.text)
    assert (joined.page, joined.page_end) == (2, 3)
    # TOC and page numbers are not content
    assert not any("Inhoudsopgave" in c.text for c in chunks)
    assert not any(re.search(r"(?m)^\d+$", c.text) for c in chunks)
    # the list stays with its intro
    lst = next(c for c in chunks if "Eerste punt" in c.text)
    assert "We kiezen drie punten:" in lst.text and "- Derde punt van de lijst." in lst.text
    for c in chunks:
        assert c.page is not None and c.page <= c.page_end


def test_pdf_untitled_metadata_uses_first_line(tmp_path):
    p = make_pdf(tmp_path / "x.pdf", [["Beleidsnotitie Water", "Dit is de tekst."]])
    assert load_file(p, tmp_path).title == "Beleidsnotitie Water"


# ----------------------------------------------------------------------------- DOCX


def test_docx_headings_and_lists(tmp_path):
    doc = load_file(make_plan_docx(tmp_path / "plan.docx"), tmp_path)
    assert doc.format == "docx" and doc.title == "Testplan DOCX"
    assert "# 1 Inleiding" in doc.text and "## 1.1 Aanpak" in doc.text
    assert "- Innovatie in de maakindustrie;\n- Talent voor de arbeidsmarkt;" in doc.text
    sections = parse_sections(doc)
    assert [(s.number, s.title) for s in sections] == [("1", "Inleiding"), ("1.1", "Aanpak"), ("2", "Slot")]
    assert sections[1].heading_path == ["Inleiding", "Aanpak"]
    chunks = chunk_corpus_document(doc, 120, 1)
    lst = next(c for c in chunks if "maakindustrie" in c.text)
    assert lst.text.startswith("Wij kiezen voor drie sporen in de aanpak:\n- Innovatie")
    assert "- Bereikbaarheid van de regio." in lst.text
    assert lst.section_number == "1.1"


def test_docx_title_falls_back_to_first_heading(tmp_path):
    doc = load_file(make_plan_docx(tmp_path / "plan.docx", title=None), tmp_path)
    assert doc.title == "1 Inleiding"


# ----------------------------------------------------------------------------- HTML


def test_html_is_sanitised(tmp_path):
    doc = load_file(make_html(tmp_path / "page.html"), tmp_path)
    assert doc.format == "html" and doc.title == "Testpagina Twente"
    low = doc.text.lower()
    for bad in (
        "<script",
        "alert(1)",
        "alert(2)",
        "color: red",
        "verborgen",
        "javascript aan",
        "sjabloon",
        "evil.example",
        "onerror",
        "<",
    ):
        assert bad not in low, bad
    assert not re.search(r"</?[a-z][^>]*>", doc.text, re.I)
    assert "# Regionale strategie" in doc.text and "## Actielijnen" in doc.text
    assert "De regio investeert in innovatie. Dat is belangrijk." in doc.text
    assert "- Techniek als motor;\n- Talent en arbeidsmarkt;\n- Bereikbaarheid." in doc.text
    sections = parse_sections(doc)
    assert [s.title for s in sections] == ["Regionale strategie", "Actielijnen"]
    assert sections[1].heading_path == ["Regionale strategie", "Actielijnen"]
    for c in chunk_corpus_document(doc):
        assert "<" not in c.text and "alert(1)" not in c.text


def test_script_and_style_in_markdown_are_dropped_with_their_code(tmp_path):
    """Raw <script>/<style> in a Markdown file: tags *and* content go (the code is not prose),
    other inline HTML keeps its text; offsets into the file stay valid (same length, same lines)."""
    raw = (
        "# Kanaalzone <script>alert(1)</script>Hengelo\n\n"
        "De haven krijgt <b>waterstof</b> in 2029. <SCRIPT type='x'>steal(document.cookie)</SCRIPT> Klaar.\n\n"
        "<style>\nbody { color: red }\n</style>\n\n"
        "Open <script>var x = 1;\nnog code\n\nDe volgende alinea blijft.\n"
    )
    path = tmp_path / "k.md"
    path.write_text(raw, encoding="utf-8")
    doc = load_file(path, tmp_path)
    assert len(doc.text) == len(raw) and doc.text.count("\n") == raw.count("\n")
    for bad in ("alert", "steal", "cookie", "color: red", "var x", "nog code", "<script", "<style"):
        assert bad not in doc.text.lower(), bad
    assert doc.title == "Kanaalzone Hengelo"
    text = " ".join(c.text for c in chunk_corpus_document(doc))
    assert "De haven krijgt waterstof in 2029." in text and "Klaar." in text
    assert "De volgende alinea blijft." in text and "alert" not in text
    assert blank_raw_html_blocks("kleiner < groter") == "kleiner < groter"


def test_htm_title_from_h1(tmp_path):
    p = make_html(tmp_path / "x.htm", "<html><body><h1>Kop <b>een</b></h1><p>Tekst hier.</p></body></html>")
    doc = load_file(p, tmp_path)
    assert doc.title == "Kop een" and "# Kop een" in doc.text


# ----------------------------------------------------------------------------- errors


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _encrypted_pdf(p: Path) -> Path:
    return make_pdf(p, [["Geheime tekst die niemand mag lezen."]], encrypt="geheim")


def _scanned_pdf(p: Path) -> Path:
    return make_pdf(p, [["x"]], draw_only_shapes=True)


ERROR_CASES = {
    "empty": (lambda d: _write(d / "leeg.md", b""), "empty"),
    "whitespace": (lambda d: _write(d / "spaties.txt", b"  \n\t\n  \r\n"), "whitespace"),
    "binary_md": (
        lambda d: _write(d / "plaatje.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
        "binary",
    ),
    "binary_no_nul": (lambda d: _write(d / "ruis.txt", bytes((i * 7) % 31 + 1 for i in range(2000))), "binary"),
    "latin1_txt": (lambda d: _write(d / "oud.txt", "Café en één idee.".encode("latin-1")), "UTF-8"),
    "unsupported": (lambda d: _write(d / "data.xyz", b"hallo"), "unsupported"),
    "no_extension": (lambda d: _write(d / "README", b"hallo"), "unsupported"),
    "corrupt_pdf": (lambda d: _write(d / "kapot.pdf", random_bytes()), "PDF"),
    "truncated_pdf": (lambda d: _write(d / "half.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog"), "PDF"),
    "encrypted_pdf": (lambda d: _encrypted_pdf(d / "geheim.pdf"), "encrypted"),
    "scanned_pdf": (lambda d: _scanned_pdf(d / "scan.pdf"), "no extractable text"),
    "corrupt_docx": (lambda d: _write(d / "kapot.docx", random_bytes(2048)), "docx"),
    "zip_not_docx": (lambda d: make_zip_not_docx(d / "zip.docx"), "docx"),
    "empty_docx": (lambda d: make_docx(d / "leeg.docx", []), "no text"),
    "script_only_html": (lambda d: make_html(d / "leeg.html", "<html><script>alert(1)</script></html>"), "no text"),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_ingest_errors(tmp_path, case):
    make, expected = ERROR_CASES[case]
    (tmp_path / "corpus").mkdir()
    path = make(tmp_path / "corpus")
    with pytest.raises(IngestError) as exc:
        load_file(path, tmp_path / "corpus")
    msg = str(exc.value)
    assert path.name in msg, msg
    assert expected.lower() in msg.lower(), msg


def test_latin1_error_names_byte_offset(tmp_path):
    p = _write(tmp_path / "oud.txt", "Cafe en idee: één.".encode("latin-1"))
    with pytest.raises(IngestError, match=r"offset 14"):
        load_file(p, tmp_path)


def test_oversize(tmp_path):
    p = _write(tmp_path / "groot.md", b"# Kop\n\n" + b"woord " * 100)
    with pytest.raises(IngestError, match="too large") as exc:
        load_file(p, tmp_path, max_bytes=100)
    assert "groot.md" in str(exc.value)
    assert load_file(p, tmp_path, max_bytes=10_000).title == "Kop"


def test_subfolder_file_named_by_relative_path(tmp_path):
    p = _write(tmp_path / "sub" / "leeg.md", b"")
    with pytest.raises(IngestError, match=re.escape("sub/leeg.md")):
        load_file(p, tmp_path)


@pytest.mark.parametrize("maker", ["pdf", "docx"])
def test_truncated_files_never_leak_library_errors(tmp_path, maker):
    src = make_plan_pdf(tmp_path / "a.pdf") if maker == "pdf" else make_plan_docx(tmp_path / "a.docx")
    data = src.read_bytes()
    for frac in (0.2, 0.5, 0.8, 0.95):
        p = _write(tmp_path / "cut" / f"cut{int(frac * 100)}.{maker}", data[: int(len(data) * frac)])
        try:
            load_file(p, tmp_path / "cut")
        except IngestError as e:
            assert p.name in str(e)


def test_hostile_html_fixture_really_has_script():
    assert "<script>alert(1)</script>" in HOSTILE_HTML


def test_plan_rendered_as_pdf_keeps_structure(tmp_path):
    """The real plan laid out as a PDF (no markup): TOC-numbered chapters, number-only heading
    lines, list items wrapped over lines and pages, running footers and page numbers."""
    from support.config import PLAN_PATH
    from support.documents import plan_pdf_pages_from_markdown

    pages = plan_pdf_pages_from_markdown(PLAN_PATH.read_text(encoding="utf-8"))
    doc = load_file(make_pdf(tmp_path / "plan.pdf", pages), tmp_path)
    sections = parse_sections(doc)
    numbered = {s.number: s.title for s in sections if s.number}
    assert numbered["3.1"] == "Centrale opgave Twente"
    assert numbered["5"] == "Onderhoud van het Twentse ecosysteem"
    assert [numbered[f"5.{i}"] for i in range(1, 8)] == [
        "Innovatie & ondernemerschap",
        "Talent",
        "Profilering",
        "Twente Board Development",
        "Samenhangende investeringsprogramma's",
        "Kapitaal en financiering",
        "Samenwerking Rijk, provincie en regio",
    ]
    chunks = chunk_corpus_document(doc, 120, 1)
    for c in chunks:
        assert "Strategisch plan Twente Board" not in c.text
        assert "Inhoudsopgave" not in c.text and "Twenteboard" not in c.text
        assert not re.search(r"(?m)^\d+$", c.text)
        assert c.page is not None
    (lst,) = [c for c in chunks if "Deze impactportfolio's zijn:" in c.text]
    assert lst.section_number == "6.1" and lst.chapter_number == "6"
    assert lst.text.count("\n- ") == 4
    assert "Binnen deze impactportfolio's" not in lst.text
    assert "voedselvoorziening - en veiligheid, toepassing van dronetechnologie" in lst.text
    assert any("investeringen in technische innovaties, zetten in" in c.text for c in chunks)
    pages_of_61 = {c.page for c in chunks if c.section_number == "6.1"}
    assert min(pages_of_61) > 1
