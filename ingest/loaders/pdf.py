"""PDF files: text per page (pypdf), page spans, title from metadata or the first line.

A page without a text layer (a scan) is read by OCR (ingest.loaders.ocr), so page numbers stay
right in PDFs that mix text pages and scanned ones."""

from __future__ import annotations

import hashlib
import io
import logging

from ingest.loaders import ocr
from ingest.loaders.common import clean_title, first_line_title, loader_error
from ingest.model import PageSpan

log = logging.getLogger("ingest.ocr")

_LIGATURES = str.maketrans(
    {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"}
    # reportlab (and other writers) draw a list bullet with the code 0x7F, which viewers show as a
    # bullet and pypdf extracts as DEL
    | {"\x7f": "•"}
)
_REEXPORT_TODO = "Open it in a PDF viewer and export/print it to a new PDF, then add that file"


def load_pdf(data: bytes, name: str) -> tuple[str, list[PageSpan], str]:
    """(text, pages, title) of a PDF: pages joined by a blank line, each page's span in `pages`."""
    if not data.lstrip()[:5].startswith(b"%PDF") and b"%PDF-" not in data[:1024]:
        raise loader_error(name, "the file is not a PDF (no PDF header) or it is corrupt", _REEXPORT_TODO)
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except Exception as e:  # pypdf raises many types on garbage
        raise loader_error(name, f"the PDF is corrupt or not a PDF ({type(e).__name__})", _REEXPORT_TODO) from None
    if encrypted:
        ok = False
        try:
            ok = bool(reader.decrypt(""))
        except Exception:
            ok = False
        if not ok:
            raise loader_error(
                name,
                "the PDF is encrypted (password protected)",
                "Remove the password (e.g. print to a new PDF) and add the unprotected file",
            )
    texts: list[str] = []
    try:
        for page in reader.pages:
            t = page.extract_text() or ""
            t = t.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").translate(_LIGATURES)
            t = "\n".join(line.rstrip() for line in t.split("\n")).strip("\n")
            texts.append(t)
    except Exception as e:
        raise loader_error(
            name, f"the PDF could not be read ({type(e).__name__}: {str(e)[:120]})", _REEXPORT_TODO
        ) from None
    texts = _read_scanned_pages(reader, data, name, texts)
    if not texts or not any(t.strip() for t in texts):
        raise loader_error(
            name,
            "the PDF has no extractable text (it is probably a scan or only images) and OCR found no text on its pages",
            "Check that the scan shows upright, sharp text, or export the text and add the result",
        )
    pages: list[PageSpan] = []
    parts: list[str] = []
    pos = 0
    for i, t in enumerate(texts):
        sep = "\n\n" if i < len(texts) - 1 else ""
        chunk = t + sep
        pages.append(PageSpan(number=i + 1, start=pos, end=pos + len(chunk)))
        parts.append(chunk)
        pos += len(chunk)
    text = "".join(parts)
    title = ""
    try:
        meta = reader.metadata
        if meta is not None:
            title = clean_title(meta.get("/Title"))
    except Exception:
        title = ""
    return text, pages, title or first_line_title(text)


def _has_text(t: str) -> bool:
    return any(ch.isalnum() for ch in t)


def _read_scanned_pages(reader, data: bytes, name: str, texts: list[str]) -> list[str]:
    """`texts` with the pages that have no text layer read by OCR. Without OCR a PDF with some
    text keeps its empty pages; one with none is refused, as before there was OCR."""
    scanned = [i + 1 for i, t in enumerate(texts) if not _has_text(t)]
    if not scanned:
        return texts
    all_scanned = len(scanned) == len(texts)
    missing = ocr.missing_ocr()
    if missing:
        if all_scanned:
            raise loader_error(
                name,
                f"the PDF has no extractable text (it is probably a scan or only images) and OCR is not installed here ({missing})",
                ocr.INSTALL_TODO,
            )
        log.warning("%s: pages %s have no text layer and OCR is not installed (%s): left empty", name, scanned, missing)
        return texts
    if len(scanned) > ocr.MAX_OCR_PAGES:
        if all_scanned:
            raise loader_error(
                name,
                f"the PDF has {len(scanned)} scanned pages (no text layer); OCR reads at most {ocr.MAX_OCR_PAGES} pages of a file",
                f"Split it into files of at most {ocr.MAX_OCR_PAGES} pages",
            )
        log.warning(
            "%s: OCR reads at most %d pages of a file; pages %s left empty",
            name,
            ocr.MAX_OCR_PAGES,
            scanned[ocr.MAX_OCR_PAGES :],
        )
        scanned = scanned[: ocr.MAX_OCR_PAGES]
    sizes = {number: _page_size(reader.pages[number - 1]) for number in scanned}
    read = ocr.ocr_pdf_pages(data, name, hashlib.sha256(data).hexdigest(), sizes)
    return [read.get(i + 1, t) for i, t in enumerate(texts)]


def _page_size(page) -> tuple[float, float]:
    """(width, height) in points as pdftoppm renders it (the media box); A4 when it is unreadable."""
    try:
        unit = float(page.user_unit or 1)
        return float(page.mediabox.width) * unit, float(page.mediabox.height) * unit
    except Exception:
        return 595.0, 842.0
