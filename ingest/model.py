"""Data passed between the ingestion stages (loaders -> structure -> chunking -> indexer)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


class IngestError(Exception):
    """A file that cannot be ingested; the message is shown to the user as is."""


@dataclass
class PageSpan:
    """Page `number` (1-based) covers text[start:end] of the loaded document."""

    number: int
    start: int
    end: int


@dataclass
class LoadedDocument:
    doc_id: str  # stable: derived from the file path relative to the corpus dir
    title: str
    path: str  # relative path inside the corpus
    text: str  # the loaded text; all offsets point into it
    format: str  # md | txt | pdf | docx | html | png | jpg
    sha256: str  # of the file bytes
    pages: list[PageSpan] = field(default_factory=list)  # empty when the format has no pages


@dataclass
class Section:
    """A heading-delimited stretch of content.

    `number` is the chapter/section number ("6", "6.1"), None when the document gives none.
    `kind` says what the text is: body, quote (pull quote), members (member list), front (title page).
    """

    number: str | None
    title: str
    heading_path: list[str]
    start: int
    end: int
    text: str  # repaired content text (page-break joins done, artefacts removed)
    kind: str = "body"
    chapter_number: str | None = None
    chapter_title: str | None = None
    # (offset in `text`, offset in document text) pairs, sorted, for mapping back to source offsets
    offset_map: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    doc_title: str
    ordinal: int  # position of the chunk in its document
    text: str
    section_number: str | None
    section_title: str
    chapter_number: str | None
    chapter_title: str | None
    heading_path: str  # "Ontwikkelen van het Twentse ecosysteem > Focus op impactportfolio's"
    kind: str
    start: int  # character offsets into LoadedDocument.text
    end: int
    page: int | None = None
    page_end: int | None = None
    # where later pages begin inside `text`: "offset:page;offset:page" (empty: all on `page`)
    page_marks: str = ""

    def page_at(self, offset: int) -> int | None:
        """The page of the character at `offset` in `text`."""
        page = self.page
        for mark in filter(None, self.page_marks.split(";")):
            at, number = mark.split(":")
            if int(at) > offset:
                break
            page = int(number)
        return page

    def metadata(self) -> dict:
        """Flat metadata for Chroma (no None values: Chroma refuses them)."""
        d = asdict(self)
        d.pop("text")
        return {k: ("" if v is None else v) for k, v in d.items()}

    @classmethod
    def from_metadata(cls, text: str, meta: dict) -> Chunk:
        def opt(v):
            return None if v in ("", None) else v

        return cls(
            chunk_id=meta["chunk_id"],
            doc_id=meta["doc_id"],
            doc_title=meta["doc_title"],
            ordinal=int(meta["ordinal"]),
            text=text,
            section_number=opt(meta.get("section_number")),
            section_title=meta.get("section_title", ""),
            chapter_number=opt(meta.get("chapter_number")),
            chapter_title=opt(meta.get("chapter_title")),
            heading_path=meta.get("heading_path", ""),
            kind=meta.get("kind", "body"),
            start=int(meta["start"]),
            end=int(meta["end"]),
            page=opt(meta.get("page")),
            page_end=opt(meta.get("page_end")),
            page_marks=str(meta.get("page_marks") or ""),
        )
