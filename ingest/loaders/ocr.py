"""OCR for pages without a text layer (scanned PDF pages, images of pages): Debian's tesseract in
Dutch, driven through pytesseract; PDF pages are rendered by poppler's pdftoppm (pdf2image).

Bounded so that a hostile file cannot hold up an ingest: at most MAX_OCR_PAGES pages of a file,
each rendered with at most MAX_PIXELS pixels and given PAGE_TIMEOUT_S seconds, FILE_TIMEOUT_S in
all. Recognised text is kept per (file sha256, page) in this process: an upload is loaded twice
(checked, then ingested) but recognised once.
"""

from __future__ import annotations

import functools
import logging
import math
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.loaders.common import loader_error

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger("ingest.ocr")

LANGUAGE = "nld"  # English is added when its data is installed (English words in Dutch papers)
DPI = 300
MAX_PIXELS = 40_000_000  # a bit more than A2 at 300 dpi; a larger page is rendered at a lower dpi
MIN_DPI = 50  # a page that needs less to stay under MAX_PIXELS is refused (no readable text)
MAX_OCR_PAGES = 100
PAGE_TIMEOUT_S = 60
FILE_TIMEOUT_S = 600
INSTALL_TODO = (
    "Install OCR (apt-get install tesseract-ocr tesseract-ocr-nld poppler-utils, or run scripts/setup.sh), "
    "or run OCR on the file yourself and add the result"
)
_SPLIT_TODO = "Split it into smaller files, or check that the scan is not damaged"
_CACHE_PAGES = 512
_cache: OrderedDict[tuple[str, int], str] = OrderedDict()
_cache_lock = threading.Lock()


def missing_ocr(pdf: bool = True) -> str | None:
    """Why OCR cannot run here (`pdf`: of PDF pages, which also needs poppler), or None."""
    try:
        import pdf2image  # noqa: F401
        import pytesseract  # noqa: F401
    except ImportError:
        return "the Python packages pytesseract and pdf2image are not installed"
    if shutil.which("tesseract") is None:
        return "tesseract is not installed"
    if pdf and (shutil.which("pdftoppm") is None or shutil.which("pdfinfo") is None):
        return "poppler's pdftoppm is not installed"
    if LANGUAGE not in _installed_languages():
        return f"tesseract has no Dutch language data ({LANGUAGE})"
    return None


def ocr_available(pdf: bool = True) -> bool:
    return missing_ocr(pdf) is None


@functools.cache
def _installed_languages() -> frozenset[str]:
    import pytesseract

    try:
        return frozenset(pytesseract.get_languages(config=""))
    except Exception:  # a broken tesseract install: as if it were missing
        return frozenset()


def _languages() -> str:
    return LANGUAGE + ("+eng" if "eng" in _installed_languages() else "")


def _render(pdf_path: str, page: int, dpi: int, timeout: float) -> Image:
    """Page `page` (1-based) of the PDF at `pdf_path` as a greyscale image."""
    from pdf2image import convert_from_path

    images = convert_from_path(
        pdf_path, dpi=dpi, first_page=page, last_page=page, grayscale=True, timeout=math.ceil(timeout)
    )
    if len(images) != 1:
        raise RuntimeError(f"pdftoppm gave {len(images)} images")
    return images[0]


def _recognise(image: Image, timeout: float) -> str:
    import pytesseract

    return pytesseract.image_to_string(image, lang=_languages(), timeout=timeout)


def tidy(text: str) -> str:
    """Tesseract's output with '\n' line ends, no trailing spaces or form feeds, paragraphs apart by
    one blank line. A paragraph break inside a sentence (how tesseract reads wide line spacing:
    the line before ends without punctuation, the next starts in lower case) is joined again."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
    paragraphs: list[list[str]] = [[]]
    for line in text.split("\n"):
        line = line.rstrip()
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    joined: list[list[str]] = []
    for para in filter(None, paragraphs):
        if joined and joined[-1][-1][-1] not in ".!?:;" and para[0].lstrip()[:1].islower():
            joined[-1].extend(para)
        else:
            joined.append(para)
    return "\n\n".join("\n".join(p) for p in joined)


def dpi_for(width_pt: float, height_pt: float, name: str, page: int) -> int:
    """DPI (at most DPI) that renders a page of this size in at most MAX_PIXELS pixels."""
    area = max(abs(width_pt), 1.0) / 72 * max(abs(height_pt), 1.0) / 72  # square inches
    dpi = min(DPI, int(math.sqrt(MAX_PIXELS / area)))
    if dpi < MIN_DPI:
        raise loader_error(
            name,
            f"page {page} is too large to read by OCR ({abs(width_pt):.0f} x {abs(height_pt):.0f} points)",
            _SPLIT_TODO,
        )
    return dpi


def _cached(key: tuple[str, int]) -> str | None:
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    return None


def _remember(key: tuple[str, int], text: str) -> None:
    with _cache_lock:
        _cache[key] = text
        while len(_cache) > _CACHE_PAGES:
            _cache.popitem(last=False)


def _recognise_page(image: Image, name: str, page: int, timeout: float) -> str:
    try:
        return tidy(_recognise(image, timeout))
    except Exception as e:  # pytesseract: RuntimeError("Tesseract process timeout"), TesseractError
        if "timeout" in str(e).lower():
            raise loader_error(name, f"OCR of page {page} took longer than {timeout:.0f} s", _SPLIT_TODO) from None
        raise loader_error(
            name, f"OCR of page {page} failed ({type(e).__name__}: {str(e)[:120]})", _SPLIT_TODO
        ) from None


def ocr_pdf_pages(data: bytes, name: str, sha256: str, sizes: dict[int, tuple[float, float]]) -> dict[int, str]:
    """The text of the PDF pages in `sizes` (page number -> (width, height) in points), by OCR."""
    out: dict[int, str] = {}
    todo = []
    for page in sorted(sizes):
        hit = _cached((sha256, page))
        if hit is None:
            todo.append(page)
        else:
            out[page] = hit
    if not todo:
        return out
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ocr-") as tmp:
        path = Path(tmp) / "in.pdf"
        path.write_bytes(data)
        for page in todo:
            left = FILE_TIMEOUT_S - (time.monotonic() - started)
            if left <= 0:
                raise loader_error(
                    name,
                    f"OCR of the file took longer than {FILE_TIMEOUT_S} s (stopped before page {page})",
                    _SPLIT_TODO,
                )
            timeout = min(PAGE_TIMEOUT_S, left)
            dpi = dpi_for(*sizes[page], name, page)
            t0 = time.monotonic()
            try:
                image = _render(str(path), page, dpi, timeout)
            except Exception as e:  # pdf2image's errors: timeout, syntax, poppler failing
                what = "took too long" if "timeout" in type(e).__name__.lower() else f"failed ({type(e).__name__})"
                raise loader_error(name, f"rendering page {page} for OCR {what}", _SPLIT_TODO) from None
            text = _recognise_page(image, name, page, max(1.0, timeout - (time.monotonic() - t0)))
            _remember((sha256, page), text)
            out[page] = text
    log.info("%s: read %d page(s) by OCR in %.1f s: %s", name, len(todo), time.monotonic() - started, todo)
    return out


def ocr_image(image: Image, name: str, sha256: str) -> str:
    """The text of one image of a page, by OCR."""
    key = (sha256, 1)
    hit = _cached(key)
    if hit is not None:
        return hit
    started = time.monotonic()
    text = _recognise_page(image, name, 1, PAGE_TIMEOUT_S)
    _remember(key, text)
    log.info("%s: read the image by OCR in %.1f s", name, time.monotonic() - started)
    return text
