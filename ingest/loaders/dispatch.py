"""load_file: size and readability checks, then the loader registered for the file's extension."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from ingest.loaders.common import loader_error
from ingest.loaders.docx import load_docx
from ingest.loaders.html import load_html
from ingest.loaders.image import load_image
from ingest.loaders.paths import doc_id_for, readable_stem
from ingest.loaders.pdf import load_pdf
from ingest.loaders.text import load_markdown, load_plain_text
from ingest.model import IngestError, LoadedDocument, PageSpan

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

# (file bytes, name for messages) -> (text, pages, title)
Loader = Callable[[bytes, str], tuple[str, list[PageSpan], str]]

# extension -> (LoadedDocument.format, loader): the one place that names the supported formats
_FORMATS: dict[str, tuple[str, Loader]] = {
    ".md": ("md", load_markdown),
    ".markdown": ("md", load_markdown),
    ".txt": ("txt", load_plain_text),
    ".pdf": ("pdf", load_pdf),
    ".docx": ("docx", load_docx),
    ".html": ("html", load_html),
    ".htm": ("html", load_html),
    ".png": ("png", load_image),
    ".jpg": ("jpg", load_image),
    ".jpeg": ("jpg", load_image),
}
SUPPORTED_EXTENSIONS = set(_FORMATS)

_UNREADABLE_TODO = "Check that it exists and is readable"
_TOO_LARGE_TODO = "Split it into smaller files or raise the limit (ASSISTANT_MAX_FILE_BYTES)"


def load_file(path: Path, corpus_root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedDocument:
    """The document in file `path` below `corpus_root`; every failure is an IngestError with a user-facing message."""
    path = Path(path)
    corpus_root = Path(corpus_root)
    try:
        rel = path.resolve().relative_to(corpus_root.resolve()).as_posix()
    except ValueError:
        rel = path.name
    name = rel
    ext = path.suffix.lower()
    if ext not in _FORMATS:
        supported = ", ".join(sorted(SUPPORTED_EXTENSIONS))
        raise loader_error(
            name,
            f"unsupported file type '{ext or '(no extension)'}'",
            f"Convert it to one of {supported}, or remove it from the corpus folder",
        )
    fmt, loader = _FORMATS[ext]
    try:
        size = path.stat().st_size
    except OSError as e:
        raise loader_error(
            name, f"the file cannot be read ({e.strerror or type(e).__name__})", _UNREADABLE_TODO
        ) from None
    if size > max_bytes:
        raise loader_error(
            name, f"the file is too large ({size:,} bytes; the limit is {max_bytes:,} bytes)", _TOO_LARGE_TODO
        )
    if size == 0:
        raise loader_error(name, "the file is empty (0 bytes)", "Add a file with content, or remove it")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise loader_error(
            name, f"the file cannot be read ({e.strerror or type(e).__name__})", _UNREADABLE_TODO
        ) from None
    if len(data) > max_bytes:
        raise loader_error(
            name, f"the file is too large ({len(data):,} bytes; the limit is {max_bytes:,} bytes)", _TOO_LARGE_TODO
        )
    sha = hashlib.sha256(data).hexdigest()

    try:
        text, pages, title = loader(data, name)
    except IngestError:
        raise
    except Exception as e:  # never let a library exception escape unwrapped
        raise loader_error(
            name,
            f"the file could not be read ({type(e).__name__}: {str(e)[:120]})",
            "Check the file, save it again, and add it again",
        ) from None

    if not text.strip():
        raise loader_error(name, "no text could be extracted from the file", "Check that the file has text content")
    return LoadedDocument(
        doc_id=doc_id_for(rel),
        title=title or readable_stem(path),
        path=rel,
        text=text,
        format=fmt,
        sha256=sha,
        pages=pages,
    )
