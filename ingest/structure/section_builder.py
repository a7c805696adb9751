"""SectionBuilder: runs of blocks -> Sections with number, title, heading path and chapter of the current heading."""

from __future__ import annotations

from ingest.model import LoadedDocument, Section
from ingest.structure.block_kinds import is_member_list
from ingest.structure.blocks import Block
from ingest.structure.headings import HeadingEntry
from ingest.structure.mapped_text import MappedText
from ingest.structure.offsets import offset_map
from ingest.structure.repair import doc_is_dutch, is_image_description, join_blocks
from ingest.structure.toc import Toc


def _render(blocks: list[Block]) -> MappedText:
    parts: list[MappedText] = []
    prev: Block | None = None
    for b in blocks:
        if prev is not None:
            at = prev.m.src[-1] + 1
            if b.kind == "item" and (prev.kind == "item" or prev.m.text.rstrip().endswith(":")):
                sep = "\n"
            else:
                sep = "\n\n"
            parts.append(MappedText.synthetic(sep, at))
        parts.append(b.m)
        prev = b
    return MappedText.concat(parts)


class SectionBuilder:
    """The Sections so far and the stack of open headings they are filed under."""

    def __init__(self, doc: LoadedDocument, toc: Toc):
        self.doc = doc
        self.toc = toc
        self.stack: list[HeadingEntry] = []
        self.sections: list[Section] = []
        self.dutch = doc_is_dutch(doc.text)

    # metadata of the current position
    def meta(self) -> dict:
        stack = self.stack
        numbers = [e.number for e in stack if e.number]
        if numbers:
            number = numbers[-1]
            chap_no = number.split(".")[0]
            chap_idx = next((i for i, e in enumerate(stack) if e.number == chap_no), None)
            if chap_idx is None:
                chap_idx = next(i for i, e in enumerate(stack) if e.number)
                chap_title = self.toc.titles.get(chap_no) if self.toc else None
            else:
                chap_title = stack[chap_idx].title
            path = [e.title for e in stack[chap_idx:]]
            if chap_title and path and path[0] != chap_title:
                path = [chap_title, *path]
            return {
                "number": number,
                "title": stack[-1].title,
                "heading_path": path,
                "chapter_number": chap_no,
                "chapter_title": chap_title,
            }
        if stack:
            return {
                "number": None,
                "title": stack[-1].title,
                "heading_path": [e.title for e in stack],
                "chapter_number": None,
                "chapter_title": stack[0].title,
            }
        return {
            "number": None,
            "title": self.doc.title,
            "heading_path": [self.doc.title],
            "chapter_number": None,
            "chapter_title": None,
        }

    def emit(self, blocks: list[Block], kind: str, meta: dict) -> None:
        blocks = [b for b in blocks if b.m.text]
        if kind != "quote":
            blocks = [b for b in blocks if not is_image_description(b.m.text, self.dutch)]
        if not blocks:
            return
        if kind == "body" and is_member_list(blocks, meta["title"]):
            kind = "members"
        blocks = join_blocks(blocks) if kind in ("body", "front") else blocks
        mt = _render(blocks).strip()
        if not mt.text:
            return
        self.sections.append(
            Section(
                number=meta["number"],
                title=meta["title"],
                heading_path=list(meta["heading_path"]),
                start=mt.src[0],
                end=mt.src[-1] + 1,
                text=mt.text,
                kind=kind,
                chapter_number=meta["chapter_number"],
                chapter_title=meta["chapter_title"],
                offset_map=offset_map(mt.src),
            )
        )

    def push_heading(self, level: int, number: str | None, title: str) -> None:
        if number and "." in number:
            parent = number.rsplit(".", 1)[0]
            for e in self.stack:
                if e.number == parent:
                    level = max(level, e.level + 1)
        while self.stack and self.stack[-1].level >= level:
            self.stack.pop()
        self.stack.append(HeadingEntry(level, number, title))
