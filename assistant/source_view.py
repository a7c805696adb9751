"""A cited passage shown where it stands: its whole section, the cited chunk marked, the sentences
the answer rests on highlighted, and the original file (for a PDF, at the passage's page).

    view = section_view(store.chunks, chunk_id, quotes=citation.quotes)

The section is rebuilt from the stored chunks (in document order, the overlap sentence repeated
at each chunk boundary dropped), so the view shows exactly the text the answer was drawn from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.indexer import UPLOADS
from ingest.model import Chunk
from ingest.sentences import split_sentences

MAX_QUOTES = 12
MAX_QUOTE_CHARS = 1000
_SPACE = re.compile(r"\s+")
_BULLET = re.compile(r"^\s*[-•*]\s+")

# what GET /api/documents/{id}/file sends for each stored format: never a type a browser renders
# as a page (HTML and Markdown go as plain text)
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/plain; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "html": "text/plain; charset=utf-8",
    "png": "image/png",
    "jpg": "image/jpeg",
}
INLINE_FORMATS = {"pdf", "png", "jpg"}  # shown by the browser itself; the rest is downloaded


class PassageNotFound(LookupError):
    """No chunk with that id in that document (of the current index)."""


@dataclass
class Segment:
    text: str
    cited: bool = False  # part of the cited chunk
    quoted: bool = False  # a sentence the answer rests on
    starts_line: bool = False  # begins a new line (paragraph or list item) of the section


@dataclass
class SectionView:
    document_id: str
    document_title: str
    chunk_id: str
    section: str | None
    section_title: str
    heading_path: str
    page: int | None
    page_end: int | None
    segments: list[Segment] = field(default_factory=list)

    @property
    def quoted_count(self) -> int:
        return sum(s.quoted for s in self.segments)

    def as_dict(self) -> dict:
        return {
            "document_id": self.document_id,
            "document_title": self.document_title,
            "chunk_id": self.chunk_id,
            "section": self.section,
            "section_title": self.section_title,
            "heading_path": self.heading_path,
            "page": self.page,
            "page_end": self.page_end,
            "segments": [s.__dict__ for s in self.segments],
        }


def normalise(text: str) -> str:
    return _SPACE.sub(" ", _BULLET.sub("", text)).strip().casefold()


def check_quotes(quotes: Sequence[str] | None) -> list[str]:
    """The quotes to highlight, bounded (they come from a URL)."""
    out = [q for q in (quotes or []) if isinstance(q, str) and q.strip()]
    if len(out) > MAX_QUOTES:
        raise ValueError(f"at most {MAX_QUOTES} quotes can be highlighted")
    if any(len(q) > MAX_QUOTE_CHARS for q in out):
        raise ValueError(f"a quote is longer than {MAX_QUOTE_CHARS} characters")
    return out


def _is_quoted(sentence: str, quotes: list[str]) -> bool:
    s = normalise(sentence)
    if len(s) < 3:
        return False
    return any(s == q or (len(s) >= 12 and s in q) or (len(q) >= 12 and q in s) for q in quotes)


def section_chunks(chunks: Sequence[Chunk], cited: Chunk) -> list[Chunk]:
    """The chunks of the cited chunk's section, in document order."""
    return sorted(
        (
            c
            for c in chunks
            if c.doc_id == cited.doc_id
            and c.section_number == cited.section_number
            and c.section_title == cited.section_title
        ),
        key=lambda c: c.ordinal,
    )


def section_view(
    chunks: Sequence[Chunk], doc_id: str, chunk_id: str, quotes: Sequence[str] | None = None
) -> SectionView:
    cited = next((c for c in chunks if c.chunk_id == chunk_id and c.doc_id == doc_id), None)
    if cited is None:
        raise PassageNotFound(f"document {doc_id!r} has no passage {chunk_id!r}")
    wanted = [normalise(q) for q in check_quotes(quotes)]
    members = section_chunks(chunks, cited)
    segments: list[Segment] = []
    for chunk in members:
        lines = [(ln, split_sentences(ln) or [ln]) for ln in chunk.text.split("\n") if ln.strip()]
        flat = [(i == 0, s) for _, sentences in lines for i, s in enumerate(sentences)]
        # the chunk repeats the last sentence(s) of the one before (the overlap): drop them
        skip = 0
        previous = [normalise(s.text) for s in segments[-4:]]
        while skip < len(flat) and skip < 4 and normalise(flat[skip][1]) in previous:
            skip += 1
        for starts, sentence in flat[skip:]:
            segments.append(
                Segment(
                    sentence,
                    cited=chunk.chunk_id == cited.chunk_id,
                    quoted=_is_quoted(sentence, wanted),
                    starts_line=starts,
                )
            )
    pages = [c.page for c in members if c.page is not None]
    ends = [c.page_end or c.page for c in members if c.page is not None]
    return SectionView(
        document_id=cited.doc_id,
        document_title=cited.doc_title,
        chunk_id=cited.chunk_id,
        section=cited.section_number,
        section_title=cited.section_title,
        heading_path=cited.heading_path,
        page=cited.page if cited.page is not None else (min(pages) if pages else None),
        page_end=max(e for e in ends if e is not None) if ends else None,
        segments=segments,
    )


def stored_file(data_dir: Path, corpus_dir: Path, rel_path: str) -> Path:
    """The file a document was ingested from: an upload in the data dir, else the corpus folder.
    The path comes from the manifest; it is still checked to stay inside its folder."""
    root = Path(data_dir) if rel_path.startswith(f"{UPLOADS}/") else Path(corpus_dir)
    path = (root / rel_path).resolve()
    if not path.is_relative_to(root.resolve()):
        raise FileNotFoundError(rel_path)
    if not path.is_file():
        raise FileNotFoundError(rel_path)
    return path
