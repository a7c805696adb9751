"""Word (.docx) files: paragraphs, headings as '#' lines, list items as '- ' lines, tables as '|' rows."""

from __future__ import annotations

import io
import re
import zipfile

from ingest.loaders.common import clean_title, loader_error
from ingest.model import PageSpan

_RESAVE_TODO = "Open it in Word/LibreOffice and save it again as .docx, then add that file"


def _is_list(par) -> bool:
    style = (par.style.name if par.style is not None else "") or ""
    if style.lower().startswith("list") or "list" in style.lower():
        return True
    ppr = par._p.pPr
    return ppr is not None and ppr.numPr is not None


def _heading_level(par) -> int:
    style = (par.style.name if par.style is not None else "") or ""
    m = re.match(r"(?i)^(heading|kop)\s*(\d)$", style.strip())
    if m:
        return max(1, min(6, int(m.group(2))))
    if style.strip().lower() in ("title", "titel"):
        return 1
    return 0


def load_docx(data: bytes, name: str) -> tuple[str, list[PageSpan], str]:
    """(text, pages, title) of a Word file, rendered as Markdown; the title from its properties or first heading."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise loader_error(name, "the Word file is corrupt or not a .docx file (not a zip package)", _RESAVE_TODO)
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
    except Exception as e:
        raise loader_error(
            name, f"the Word file is corrupt or not a .docx file ({type(e).__name__})", _RESAVE_TODO
        ) from None
    blocks: list[str] = []
    first_heading = ""
    try:
        body = document.element.body
        for child in body.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                par = Paragraph(child, document)
                text = re.sub(r"[ \t\xa0]+", " ", par.text.replace("\n", " ")).strip()
                if not text:
                    continue
                level = _heading_level(par)
                if level:
                    blocks.append("#" * level + " " + text)
                    first_heading = first_heading or text
                elif _is_list(par):
                    blocks.append("- " + text)
                else:
                    blocks.append(text)
            elif tag == "tbl":
                table = Table(child, document)
                rows = []
                for row in table.rows:
                    cells: list[str] = []
                    for cell in row.cells:
                        ct = re.sub(r"\s+", " ", cell.text).strip()
                        if ct and (not cells or cells[-1] != ct):
                            cells.append(ct)
                    if cells:
                        rows.append(" | ".join(cells))
                if rows:
                    blocks.append("\n".join(rows))
        title = clean_title(document.core_properties.title)
    except Exception as e:
        raise loader_error(name, f"the Word file could not be read ({type(e).__name__})", _RESAVE_TODO) from None
    # consecutive list items: one newline; everything else: a blank line
    out: list[str] = []
    for b in blocks:
        if out:
            out.append("\n" if (b.startswith("- ") and out[-1].startswith("- ")) else "\n\n")
        out.append(b)
    return "".join(out), [], title or first_heading
