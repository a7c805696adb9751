"""Files -> LoadedDocument (text + metadata). Every failure is an IngestError with a user-facing message."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from pathlib import Path

from ingest.model import IngestError, LoadedDocument, PageSpan

SUPPORTED_EXTENSIONS = {".md", ".markdown", ".txt", ".pdf", ".docx", ".html", ".htm"}
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

_FORMAT = {
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
}
_TEXT_FORMATS = {"md", "txt", "html"}

_MD_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.M)
_MD_ANY_H = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_TAG = re.compile(r"</?[A-Za-z!/?][^<>]*>")
# Raw HTML elements whose content is code or data, never prose: blanked in Markdown/text files
_RAW_HTML_BLOCK = re.compile(
    r"<(script|style|noscript|template|iframe|object|svg|textarea)\b[^>]*>.*?</\1\s*>"
    r"|<(script|style|noscript|template|iframe|object|svg|textarea)\b[^>]*>(?:(?!\n[ \t]*\n).)*(?=\n[ \t]*\n|\Z)",
    re.I | re.S,
)
_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\ufb05": "st", "\ufb06": "st"})
_UNTITLED = {"", "untitled", "untitled document", "document", "title", "unknown", "none"}


# --------------------------------------------------------------------------- discovery / ids


def discover(corpus_dir: Path) -> list[Path]:
    """All files below `corpus_dir` (recursive, sorted), skipping hidden files and folders.

    Unsupported extensions are included so the caller can report them."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        return []
    out = []
    for p in corpus_dir.rglob("*"):
        rel = p.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if p.is_file():
            out.append(p)
    return sorted(out, key=lambda p: p.relative_to(corpus_dir).as_posix())


def _ascii_fold(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")


def doc_id_for(rel_path: str) -> str:
    """Stable slug of a corpus-relative path without extension: lowercase [a-z0-9-], '/' -> '--'."""
    rel = str(rel_path).replace("\\", "/").strip("/")
    p = Path(rel)
    stem_path = p.with_suffix("") if p.suffix else p
    parts = []
    for part in stem_path.as_posix().split("/"):
        slug = re.sub(r"[^a-z0-9]+", "-", _ascii_fold(part).lower()).strip("-")
        if slug:
            parts.append(slug)
    return "--".join(parts) or "document"


def _readable_stem(path: Path) -> str:
    stem = re.sub(r"[-_]+", " ", path.stem).strip()
    stem = re.sub(r"\s+", " ", stem)
    return (stem[:1].upper() + stem[1:]) if stem else path.name


def _clean_title(t: str | None) -> str:
    if not t:
        return ""
    t = _TAG.sub("", str(t))
    t = re.sub(r"\*\*|__|(?<!\w)[*_]|[*_](?!\w)", "", t)
    t = re.sub(r"\s+", " ", t).strip()
    t = re.sub(r"^Microsoft (Word|PowerPoint) - ", "", t)
    return "" if t.lower() in _UNTITLED else t


# --------------------------------------------------------------------------- text checks


def _err(name: str, what: str, todo: str) -> IngestError:
    return IngestError(f"{name}: {what}. {todo}.")


def _check_not_binary(data: bytes, name: str) -> None:
    if b"\x00" in data:
        raise _err(name, "the file contains binary data (NUL bytes), not text",
                   "Check that it really is a text file, or convert it to .md/.txt/.pdf/.docx")
    sample = data[:65536]
    ctrl = sum(1 for b in sample if (b < 32 and b not in (9, 10, 12, 13)) or b == 127)
    if sample and ctrl / len(sample) > 0.05:
        raise _err(name, "the file looks like binary data, not text (many control bytes)",
                   "Check that it really is a text file, or convert it to .md/.txt/.pdf/.docx")


def _decode_text(data: bytes, name: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        high = sum(1 for b in data[:65536] if b >= 128)
        if high / max(1, min(len(data), 65536)) > 0.3:
            raise _err(name, "the file looks like binary data, not text",
                       "Check that it really is a text file, or convert it to .md/.txt/.pdf/.docx") from None
        raise _err(
            name,
            f"the file is not valid UTF-8 text (invalid byte 0x{data[e.start]:02x} at byte offset {e.start})",
            "Save it with UTF-8 encoding (e.g. 'Save as' > UTF-8 in your editor) and add it again",
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


# --------------------------------------------------------------------------- formats


def _load_pdf(data: bytes, name: str) -> tuple[str, list[PageSpan], str]:
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except Exception as e:  # pypdf raises many types on garbage
        raise _err(name, f"the PDF is corrupt or not a PDF ({type(e).__name__})",
                   "Open it in a PDF viewer and export/print it to a new PDF, then add that file") from None
    if encrypted:
        ok = False
        try:
            ok = bool(reader.decrypt(""))
        except Exception:
            ok = False
        if not ok:
            raise _err(name, "the PDF is encrypted (password protected)",
                       "Remove the password (e.g. print to a new PDF) and add the unprotected file")
    texts: list[str] = []
    try:
        for page in reader.pages:
            t = page.extract_text() or ""
            t = t.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").translate(_LIGATURES)
            t = "\n".join(line.rstrip() for line in t.split("\n")).strip("\n")
            texts.append(t)
    except Exception as e:
        raise _err(name, f"the PDF could not be read ({type(e).__name__}: {str(e)[:120]})",
                   "Open it in a PDF viewer and export/print it to a new PDF, then add that file") from None
    if not texts or not any(t.strip() for t in texts):
        raise _err(name, "the PDF has no extractable text (it is probably a scan or only images)",
                   "Run OCR on it (or export the text) and add the result")
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
            title = _clean_title(meta.get("/Title"))
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


def _docx_is_list(par) -> bool:
    style = (par.style.name if par.style is not None else "") or ""
    if style.lower().startswith("list") or "list" in style.lower():
        return True
    ppr = par._p.pPr
    return ppr is not None and ppr.numPr is not None


def _docx_heading_level(par) -> int:
    style = (par.style.name if par.style is not None else "") or ""
    m = re.match(r"(?i)^(heading|kop)\s*(\d)$", style.strip())
    if m:
        return max(1, min(6, int(m.group(2))))
    if style.strip().lower() in ("title", "titel"):
        return 1
    return 0


def _load_docx(data: bytes, name: str) -> tuple[str, str]:
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
    except Exception as e:
        raise _err(name, f"the Word file is corrupt or not a .docx file ({type(e).__name__})",
                   "Open it in Word/LibreOffice and save it again as .docx, then add that file") from None
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
                level = _docx_heading_level(par)
                if level:
                    blocks.append("#" * level + " " + text)
                    first_heading = first_heading or text
                elif _docx_is_list(par):
                    blocks.append("- " + text)
                else:
                    blocks.append(text)
            elif tag == "tbl":
                table = Table(child, document)
                rows = []
                for row in table.rows:
                    cells = []
                    for cell in row.cells:
                        ct = re.sub(r"\s+", " ", cell.text).strip()
                        if ct and (not cells or cells[-1] != ct):
                            cells.append(ct)
                    if cells:
                        rows.append(" | ".join(cells))
                if rows:
                    blocks.append("\n".join(rows))
        title = _clean_title(document.core_properties.title)
    except Exception as e:
        raise _err(name, f"the Word file could not be read ({type(e).__name__})",
                   "Open it in Word/LibreOffice and save it again as .docx, then add that file") from None
    # consecutive list items: one newline; everything else: a blank line
    out: list[str] = []
    for b in blocks:
        if out:
            out.append("\n" if (b.startswith("- ") and out[-1].startswith("- ")) else "\n\n")
        out.append(b)
    return "".join(out), title or first_heading


_HTML_DROP = (
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
    "head", "nav", "form", "button", "select", "input", "textarea", "math", "frame", "frameset",
    "applet", "link", "meta",
)
_HTML_BLOCKS = {
    "p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote", "pre",
    "table", "thead", "tbody", "tfoot", "ul", "ol", "dl", "dt", "dd", "figure", "figcaption",
    "address", "details", "summary", "body", "html", "center", "fieldset", "caption",
}
_BREAK = "\x00BR\x00"
_PARA = "\x00P\x00"


def _html_render(soup) -> str:
    from bs4 import Comment, NavigableString, Tag

    out: list[str] = []

    def flat(node) -> str:
        """Text of a node: inline children glued as written, block children and <br> spaced."""
        if isinstance(node, NavigableString):
            return str(node) if type(node) is NavigableString else ""
        if not isinstance(node, Tag):
            return ""
        name = (node.name or "").lower()
        if name == "br":
            return " "
        inner = "".join(flat(c) for c in node.children)
        if name in _HTML_BLOCKS or name in ("li", "tr", "td", "th") or re.fullmatch(r"h[1-6]", name):
            return " " + inner + " "
        return inner

    def inline_text(node) -> str:
        return re.sub(r"\s+", " ", flat(node)).strip()

    def walk(node) -> None:
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                if type(child) is not NavigableString:  # CData, ProcessingInstruction, Doctype, ...
                    continue
                out.append(re.sub(r"\s+", " ", str(child)))
                continue
            if not isinstance(child, Tag):
                continue
            name = (child.name or "").lower()
            if re.fullmatch(r"h[1-6]", name):
                text = inline_text(child)
                if text:
                    out.append(_PARA + "#" * int(name[1]) + " " + text + _PARA)
            elif name == "li":
                own: list[str] = []
                nested = []
                for sub in child.children:
                    if isinstance(sub, Tag) and (sub.name or "").lower() in ("ul", "ol"):
                        nested.append(sub)
                    else:
                        own.append(flat(sub))
                text = re.sub(r"\s+", " ", "".join(own)).strip()
                if text:
                    out.append(_BREAK + "- " + text + _BREAK)
                for sub in nested:
                    walk(sub)
            elif name == "br":
                out.append(_BREAK)
            elif name == "hr":
                out.append(_PARA)
            elif name == "tr":
                cells = [inline_text(c) for c in child.find_all(["td", "th"])]
                cells = [c for c in cells if c]
                if cells:
                    out.append(_BREAK + " | ".join(cells) + _BREAK)
            elif name == "img":
                continue
            elif name in _HTML_BLOCKS:
                out.append(_PARA)
                walk(child)
                out.append(_PARA)
            else:
                walk(child)

    walk(soup)
    raw = "".join(out)
    blocks: list[str] = []
    for para in raw.split(_PARA):
        lines = [re.sub(r"[ \t]+", " ", ln).strip() for ln in para.split(_BREAK)]
        lines = [ln for ln in lines if ln and ln != "-"]
        if not lines:
            continue
        # a list item line and following non-list lines of the same paragraph
        blocks.append("\n".join(lines))
    text = "\n\n".join(blocks)
    # never carry raw HTML further (e.g. escaped "&lt;script&gt;" in text becomes "<script>")
    text = _TAG.sub("", text)
    return text


def _load_html(raw_text: str, name: str) -> tuple[str, str]:
    try:
        from bs4 import BeautifulSoup, Comment

        soup = BeautifulSoup(raw_text, "html.parser")
        title = ""
        if soup.title is not None:
            title = _clean_title(soup.title.get_text(" "))
        if not title:
            h1 = soup.find("h1")
            if h1 is not None:
                title = _clean_title(h1.get_text(" "))
        for c in soup.find_all(string=lambda s: isinstance(s, Comment)):
            c.extract()
        for tag in soup.find_all(list(_HTML_DROP)):
            tag.decompose()
        text = _html_render(soup)
    except IngestError:
        raise
    except Exception as e:
        raise _err(name, f"the HTML could not be parsed ({type(e).__name__})",
                   "Save the page again as HTML or as text and add that file") from None
    return text, title


# --------------------------------------------------------------------------- main entry


def blank_raw_html_blocks(text: str) -> str:
    """Replace <script>/<style>/... elements embedded in Markdown or text, content included, by
    spaces (newlines kept), so their code never becomes a passage while every offset into the
    file stays valid. An unclosed element is blanked to the end of its paragraph."""
    if "<" not in text:
        return text
    return _RAW_HTML_BLOCK.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def strip_markup(text: str) -> str:
    """Text without HTML: script/style-like elements with their content, other tags alone;
    whitespace collapsed. For short texts such as questions (offsets are not kept)."""
    return re.sub(r" (?=[?.!,;:])", "", " ".join(_TAG.sub(" ", blank_raw_html_blocks(text)).split()))


def load_file(path: Path, corpus_root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedDocument:
    path = Path(path)
    corpus_root = Path(corpus_root)
    try:
        rel = path.resolve().relative_to(corpus_root.resolve()).as_posix()
    except ValueError:
        rel = path.name
    name = rel
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        supported = ", ".join(sorted(SUPPORTED_EXTENSIONS))
        raise _err(name, f"unsupported file type '{ext or '(no extension)'}'",
                   f"Convert it to one of {supported}, or remove it from the corpus folder")
    fmt = _FORMAT[ext]
    try:
        size = path.stat().st_size
    except OSError as e:
        raise _err(name, f"the file cannot be read ({e.strerror or type(e).__name__})",
                   "Check that it exists and is readable") from None
    if size > max_bytes:
        raise _err(name, f"the file is too large ({size:,} bytes; the limit is {max_bytes:,} bytes)",
                   "Split it into smaller files or raise the limit (ASSISTANT_MAX_FILE_BYTES)")
    if size == 0:
        raise _err(name, "the file is empty (0 bytes)", "Add a file with content, or remove it")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise _err(name, f"the file cannot be read ({e.strerror or type(e).__name__})",
                   "Check that it exists and is readable") from None
    if len(data) > max_bytes:
        raise _err(name, f"the file is too large ({len(data):,} bytes; the limit is {max_bytes:,} bytes)",
                   "Split it into smaller files or raise the limit (ASSISTANT_MAX_FILE_BYTES)")
    sha = hashlib.sha256(data).hexdigest()

    pages: list[PageSpan] = []
    title = ""
    try:
        if fmt in _TEXT_FORMATS:
            _check_not_binary(data, name)
            raw = _decode_text(data, name)
            if not raw.strip():
                raise _err(name, "the file contains only whitespace", "Add a file with content, or remove it")
            if fmt == "html":
                text, title = _load_html(raw, name)
            else:
                text = blank_raw_html_blocks(raw)
                m = _MD_H1.search(text) or _MD_ANY_H.search(text)
                title = _clean_title(m.group(1)) if m else ""
                if not title and fmt == "txt":
                    first = next((" ".join(ln.split()) for ln in text.split("\n") if ln.strip()), "")
                    if len(first) <= 100 and not first.endswith("."):
                        title = first
        elif fmt == "pdf":
            if not data.lstrip()[:5].startswith(b"%PDF") and b"%PDF-" not in data[:1024]:
                raise _err(name, "the file is not a PDF (no PDF header) or it is corrupt",
                           "Open it in a PDF viewer and export/print it to a new PDF, then add that file")
            text, pages, title = _load_pdf(data, name)
        elif fmt == "docx":
            if not zipfile.is_zipfile(io.BytesIO(data)):
                raise _err(name, "the Word file is corrupt or not a .docx file (not a zip package)",
                           "Open it in Word/LibreOffice and save it again as .docx, then add that file")
            text, title = _load_docx(data, name)
        else:  # pragma: no cover - guarded by SUPPORTED_EXTENSIONS
            raise _err(name, f"unsupported file type '{ext}'", "Convert it to a supported format")
    except IngestError:
        raise
    except Exception as e:  # never let a library exception escape unwrapped
        raise _err(name, f"the file could not be read ({type(e).__name__}: {str(e)[:120]})",
                   "Check the file, save it again, and add it again") from None

    if not text.strip():
        raise _err(name, "no text could be extracted from the file", "Check that the file has text content")
    return LoadedDocument(
        doc_id=doc_id_for(rel),
        title=title or _readable_stem(path),
        path=rel,
        text=text,
        format=fmt,
        sha256=sha,
        pages=pages,
    )
