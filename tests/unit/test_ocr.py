"""OCR of scanned pages with the engine faked: which pages are read, page numbers, the limits, the
error without OCR, and the checks on images (bad bytes, decompression bombs)."""

from __future__ import annotations

import io
import struct
import zlib
from collections import OrderedDict
from pathlib import Path

import pytest
from support.documents import make_mixed_pdf, make_page_image, make_scanned_pdf

from ingest.loaders import load_file, ocr
from ingest.model import IngestError
from ingest.structure import parse_sections

# the real check, taken before the unit tier's guard replaces it for every test
REAL_MISSING_OCR = ocr.missing_ocr


class FakeOcr:
    """Renders a page to a marker and recognises a made-up sentence naming the page."""

    def __init__(self):
        self.rendered: list[tuple[int, int]] = []  # (page, dpi)
        self.recognised = 0
        self.image_text = "Foto van een pagina\n\nDe kwartelkoning broedt bij Ommen."
        self.error: Exception | None = None

    def render(self, path: str, page: int, dpi: int, timeout: float):
        assert Path(path).read_bytes().startswith(b"%PDF")
        self.rendered.append((page, dpi))
        return ("page", page)

    def recognise(self, image, timeout: float) -> str:
        self.recognised += 1
        if self.error is not None:
            raise self.error
        if isinstance(image, tuple):
            return f"Gescande pagina {image[1]}\n\nDe subsidie voor pagina {image[1]} is {image[1]} miljoen euro.\n\x0c"
        assert image.mode == "L"
        return self.image_text


@pytest.fixture
def fake_ocr(monkeypatch) -> FakeOcr:
    engine = FakeOcr()
    monkeypatch.setattr(ocr, "missing_ocr", lambda pdf=True: None)
    monkeypatch.setattr(ocr, "_render", engine.render)
    monkeypatch.setattr(ocr, "_recognise", engine.recognise)
    monkeypatch.setattr(ocr, "_cache", OrderedDict())
    return engine


def page_text(doc, number: int) -> str:
    (span,) = [p for p in doc.pages if p.number == number]
    return doc.text[span.start : span.end]


# ----------------------------------------------------------------------------- PDFs


def test_only_pages_without_text_layer_are_read_by_ocr(tmp_path, fake_ocr):
    path = make_mixed_pdf(
        tmp_path / "gemengd.pdf",
        [
            ("text", ["Verslag Testland", "De eerste pagina heeft een tekstlaag."]),
            ("scan", ["(wordt door de nep-OCR gelezen)"]),
            ("text", ["De derde pagina heeft ook tekst."]),
            ("scan", ["(idem)"]),
        ],
    )
    doc = load_file(path, tmp_path)
    assert [p for p, _ in fake_ocr.rendered] == [2, 4]
    assert [p.number for p in doc.pages] == [1, 2, 3, 4]
    assert "De eerste pagina heeft een tekstlaag." in page_text(doc, 1)
    assert "De subsidie voor pagina 2 is 2 miljoen euro." in page_text(doc, 2)
    assert "De derde pagina heeft ook tekst." in page_text(doc, 3)
    assert "De subsidie voor pagina 4 is 4 miljoen euro." in page_text(doc, 4)
    assert "\x0c" not in doc.text
    assert doc.format == "pdf" and doc.title == "Verslag Testland"
    assert {s.start for s in parse_sections(doc)} <= set(range(len(doc.text)))


def test_a_text_pdf_never_calls_ocr(tmp_path, fake_ocr):
    path = make_mixed_pdf(tmp_path / "tekst.pdf", [("text", ["Alleen tekst."]), ("text", ["Nog meer tekst."])])
    load_file(path, tmp_path)
    assert fake_ocr.rendered == [] and fake_ocr.recognised == 0


def test_a_fully_scanned_pdf_is_read_and_rendered_at_300_dpi(tmp_path, fake_ocr):
    doc = load_file(make_scanned_pdf(tmp_path / "scan.pdf", [["a"], ["b"]], title="Scan van het plan"), tmp_path)
    assert fake_ocr.rendered == [(1, 300), (2, 300)]
    assert doc.title == "Scan van het plan" and [p.number for p in doc.pages] == [1, 2]
    assert page_text(doc, 2).startswith("Gescande pagina 2\n\nDe subsidie voor pagina 2")


def test_without_ocr_a_scanned_pdf_keeps_the_clear_error(tmp_path):
    """The unit tier's guard makes OCR look not installed: the old per-file error, with how to install it."""
    path = make_scanned_pdf(tmp_path / "scan.pdf", [["a"]])
    with pytest.raises(IngestError) as info:
        load_file(path, tmp_path)
    msg = str(info.value)
    assert msg.startswith("scan.pdf: the PDF has no extractable text (it is probably a scan")
    assert "OCR is not installed" in msg and "apt-get install tesseract-ocr tesseract-ocr-nld poppler-utils" in msg


def test_without_ocr_a_mixed_pdf_loads_its_text_pages(tmp_path):
    path = make_mixed_pdf(tmp_path / "gemengd.pdf", [("text", ["Tekst op pagina een."]), ("scan", ["x"])])
    doc = load_file(path, tmp_path)
    assert [p.number for p in doc.pages] == [1, 2] and page_text(doc, 2) == ""


def test_ocr_that_finds_nothing_is_an_error(tmp_path, fake_ocr, monkeypatch):
    monkeypatch.setattr(ocr, "_recognise", lambda image, timeout: " \n\x0c")
    with pytest.raises(IngestError, match=r"no extractable text .* OCR found no text"):
        load_file(make_scanned_pdf(tmp_path / "leeg.pdf", [["a"]]), tmp_path)


def test_an_upload_is_recognised_once(tmp_path, fake_ocr):
    path = make_scanned_pdf(tmp_path / "scan.pdf", [["a"], ["b"]])
    first = load_file(path, tmp_path)
    assert load_file(path, tmp_path).text == first.text
    assert fake_ocr.recognised == 2


def test_page_limit(tmp_path, fake_ocr, monkeypatch):
    monkeypatch.setattr(ocr, "MAX_OCR_PAGES", 2)
    with pytest.raises(IngestError) as info:
        load_file(make_scanned_pdf(tmp_path / "dik.pdf", [["a"], ["b"], ["c"]]), tmp_path)
    assert "dik.pdf: the PDF has 3 scanned pages" in str(info.value) and "at most 2 pages" in str(info.value)
    assert fake_ocr.rendered == []
    # with a text layer elsewhere the file loads; the pages over the limit stay empty
    path = make_mixed_pdf(
        tmp_path / "gemengd.pdf", [("text", ["Tekst."]), ("scan", ["x"]), ("scan", ["y"]), ("scan", ["z"])]
    )
    doc = load_file(path, tmp_path)
    assert [p for p, _ in fake_ocr.rendered] == [2, 3] and page_text(doc, 4) == ""


def test_a_page_that_takes_too_long(tmp_path, fake_ocr):
    fake_ocr.error = RuntimeError("Tesseract process timeout")
    with pytest.raises(IngestError, match=r"traag.pdf: OCR of page 1 took longer than 60 s"):
        load_file(make_scanned_pdf(tmp_path / "traag.pdf", [["a"]]), tmp_path)


def test_rendering_that_takes_too_long(tmp_path, fake_ocr, monkeypatch):
    from pdf2image.exceptions import PDFPopplerTimeoutError

    def slow(*_a, **_kw):
        raise PDFPopplerTimeoutError("Run poppler timeout.")

    monkeypatch.setattr(ocr, "_render", slow)
    with pytest.raises(IngestError, match=r"rendering page 1 for OCR took too long"):
        load_file(make_scanned_pdf(tmp_path / "traag.pdf", [["a"]]), tmp_path)


def test_the_file_budget(tmp_path, fake_ocr, monkeypatch):
    monkeypatch.setattr(ocr, "FILE_TIMEOUT_S", 0)
    with pytest.raises(IngestError, match=r"OCR of the file took longer than 0 s \(stopped before page 1\)"):
        load_file(make_scanned_pdf(tmp_path / "traag.pdf", [["a"]]), tmp_path)


def test_dpi_keeps_pages_under_the_pixel_limit():
    assert ocr.dpi_for(595, 842, "x.pdf", 1) == ocr.DPI  # A4
    dpi = ocr.dpi_for(7200, 7200, "x.pdf", 1)  # a 100-inch square page
    assert ocr.MIN_DPI <= dpi < ocr.DPI and (100 * dpi) ** 2 <= ocr.MAX_PIXELS
    with pytest.raises(IngestError, match="page 3 is too large to read by OCR"):
        ocr.dpi_for(1e7, 1e7, "x.pdf", 3)


def test_tidy_joins_a_sentence_cut_by_a_blank_line():
    raw = "Kop\r\n\n\nHet project krijgt een subsidie  \n\nvan 4,7 miljoen euro.\n\nDe gemeente:\n\nvolgt.\n\x0c"
    assert ocr.tidy(raw) == "Kop\n\nHet project krijgt een subsidie\nvan 4,7 miljoen euro.\n\nDe gemeente:\n\nvolgt."
    assert ocr.tidy("\n \x0c") == ""


# ----------------------------------------------------------------------------- is OCR there?


def test_the_unit_tier_has_no_ocr():
    assert not ocr.ocr_available() and not ocr.ocr_available(pdf=False)


def test_missing_pieces_are_named(monkeypatch):
    monkeypatch.setattr(ocr, "_installed_languages", lambda: frozenset({"eng", "nld"}))
    monkeypatch.setattr(ocr.shutil, "which", lambda cmd: f"/usr/bin/{cmd}")
    assert REAL_MISSING_OCR() is None
    monkeypatch.setattr(ocr.shutil, "which", lambda cmd: None if cmd == "pdftoppm" else f"/usr/bin/{cmd}")
    assert REAL_MISSING_OCR() == "poppler's pdftoppm is not installed"
    assert REAL_MISSING_OCR(pdf=False) is None  # an image needs no poppler
    monkeypatch.setattr(ocr.shutil, "which", lambda cmd: None)
    assert REAL_MISSING_OCR() == "tesseract is not installed"
    monkeypatch.setattr(ocr.shutil, "which", lambda cmd: f"/usr/bin/{cmd}")
    monkeypatch.setattr(ocr, "_installed_languages", lambda: frozenset({"eng"}))
    assert REAL_MISSING_OCR() == "tesseract has no Dutch language data (nld)"


# ----------------------------------------------------------------------------- images


@pytest.mark.parametrize("name, fmt", [("pagina.png", "png"), ("foto.jpg", "jpg"), ("foto.jpeg", "jpg")])
def test_an_image_is_one_page(tmp_path, fake_ocr, name, fmt):
    doc = load_file(make_page_image(tmp_path / name, ["Een pagina tekst"]), tmp_path)
    assert doc.format == fmt and doc.text == fake_ocr.image_text
    assert [(p.number, p.start, p.end) for p in doc.pages] == [(1, 0, len(doc.text))]
    assert doc.title == "Foto van een pagina"


def test_transparency_becomes_white_paper(fake_ocr):
    from PIL import Image

    from ingest.loaders.image import open_image

    buf = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 0, 0)).save(buf, "PNG")
    image = open_image(buf.getvalue(), "x.png")
    assert image.mode == "L" and image.getpixel((5, 5)) == 255


def png_header(width: int, height: int) -> bytes:
    """A PNG that only declares its size (what a decompression bomb looks like before decoding)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("bom.png", png_header(30_000, 30_000), "more pixels than can be read safely"),  # DecompressionBombError
        ("bijna.png", png_header(10_000, 10_000), "more pixels than can be read safely"),  # Pillow's warning
        ("groot.png", png_header(7_000, 7_000), "too large (7000 x 7000 pixels; the limit is 40,000,000"),
        ("kapot.png", png_header(100, 100), "corrupt or truncated"),
        ("ruis.jpg", b"\xff\xd8\xff\xe0 dit is geen jpeg" * 10, "not a readable PNG or JPEG"),
        ("tekst.png", b"Dit is gewoon tekst.", "not a readable PNG or JPEG"),
        ("geen.png", "GIF", "GIF image, not PNG or JPEG"),
    ],
)
def test_bad_images_are_clear_errors(tmp_path, fake_ocr, name, data, expected):
    if data == "GIF":
        from PIL import Image

        Image.new("L", (10, 10), 255).save(tmp_path / name, "GIF")
    else:
        (tmp_path / name).write_bytes(data)
    with pytest.raises(IngestError) as info:
        load_file(tmp_path / name, tmp_path)
    assert str(info.value).startswith(f"{name}: ") and expected in str(info.value)
    assert fake_ocr.recognised == 0


def test_an_image_without_ocr_or_text(tmp_path, fake_ocr, monkeypatch):
    path = make_page_image(tmp_path / "pagina.png", ["x"])
    fake_ocr.image_text = "  \n"
    with pytest.raises(IngestError, match=r"pagina\.png: OCR found no text in the image"):
        load_file(path, tmp_path)
    monkeypatch.setattr(ocr, "missing_ocr", lambda pdf=True: "tesseract is not installed")
    with pytest.raises(IngestError, match=r"only be read by OCR, and OCR is not installed here \(tesseract is not"):
        load_file(path, tmp_path)
