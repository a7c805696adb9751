"""PDF files: text per page (pypdf), page spans, title from metadata or the first line."""

from __future__ import annotations

import io

from ingest.loaders.common import clean_title, loader_error
from ingest.model import PageSpan

_LIGATURES = str.maketrans(
    {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"}
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
    if not texts or not any(t.strip() for t in texts):
        raise loader_error(
            name,
            "the PDF has no extractable text (it is probably a scan or only images)",
            "Run OCR on it (or export the text) and add the result",
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
    if not title:
        for line in text.split("\n"):
            line = line.strip()
            if line:
                if len(line) <= 120 and not line.endswith("."):
                    title = line
                break
    return text, pages, title
