"""parse_sections: a LoadedDocument read in markdown or plain mode, its blocks assembled into Sections."""

from __future__ import annotations

from ingest.model import LoadedDocument, Section
from ingest.structure.block_kinds import is_emphasised, is_quote_text, quote_regions
from ingest.structure.blocks import Block, line_offsets
from ingest.structure.headings import toc_number_fits
from ingest.structure.inline_markup import clean_title
from ingest.structure.line_patterns import MD_HEADING, NUMBER_ONLY, NUMBERED_TITLE
from ingest.structure.markdown_blocks import markdown_blocks
from ingest.structure.plain_blocks import plain_blocks
from ingest.structure.section_builder import SectionBuilder
from ingest.structure.toc import find_toc


def parse_sections(doc: LoadedDocument) -> list[Section]:
    """The sections of `doc` in document order (see the package docstring for the reading modes)."""
    text = doc.text
    lines = line_offsets(text)
    if doc.format in ("pdf", "png", "jpg"):  # extracted or recognised page text: no markup
        markdown = False
    elif doc.format == "txt":
        markdown = any((md := MD_HEADING.match(ln)) and (md.group(2) or "").strip() for _, ln in lines)
    else:
        markdown = True
    toc = find_toc([ln for _, ln in lines], markdown)
    if markdown:
        blocks = markdown_blocks(lines, toc)
        # remember which paragraphs were fully emphasised (pull-quote candidates)
        for b in blocks:
            if b.kind == "para":
                b.emph = is_emphasised(text[b.start : b.end])
    else:
        blocks = plain_blocks(doc, lines, toc)

    builder = SectionBuilder(doc, toc)
    quotes = quote_regions(blocks)
    has_heading = any(b.kind == "heading" for b in blocks)
    toc_idx = next((i for i, b in enumerate(blocks) if b.kind == "toc"), None)

    # 1. front matter: everything before the TOC, or before the first heading
    first_struct = (
        toc_idx if toc_idx is not None else next((i for i, b in enumerate(blocks) if b.kind == "heading"), len(blocks))
    )
    front = [b for b in blocks[:first_struct] if b.kind in ("para", "item", "heading")]
    if front:
        title = next((clean_title(b.raw) for b in front if b.kind == "heading"), "") or doc.title
        kind = "front" if (has_heading or toc_idx is not None) else "body"
        as_paras = [Block("para", b.start, b.end, m=b.m) if b.kind == "heading" else b for b in front]
        builder.emit(
            as_paras,
            kind,
            {"number": None, "title": title, "heading_path": [title], "chapter_number": None, "chapter_title": None},
        )

    # 2. the body
    part: list[Block] = []
    pending: tuple[str, int] | None = None  # number-only heading waiting for its title
    i = first_struct
    while i < len(blocks):
        b = blocks[i]
        if b.kind == "toc":
            builder.emit(part, "body", builder.meta())
            part = []
            i += 1
            continue
        if i in quotes:
            j = quotes[i]
            builder.emit(part, "body", builder.meta())
            part = []
            inner = [Block("para", x.start, x.end, m=x.m) for x in blocks[i + 1 : j]]
            builder.emit(inner, "quote", builder.meta())
            i = j + 1
            continue
        if b.kind == "hr":
            # a lone rule: not content, but a paragraph boundary (no join across it)
            builder.emit(part, "body", builder.meta())
            part = []
            i += 1
            continue
        if b.kind == "heading":
            title = clean_title(b.raw)
            if is_quote_text(title):
                builder.emit(part, "body", builder.meta())
                part = []
                builder.emit([Block("para", b.start, b.end, m=b.m)], "quote", builder.meta())
                i += 1
                continue
            builder.emit(part, "body", builder.meta())
            part = []
            number: str | None
            if b.number is not None:  # plain mode: already resolved
                number, level = b.number, b.level
                if pending:
                    pending = None
            else:
                mo = NUMBER_ONLY.match(title)
                if mo:
                    pending = (mo.group(1), b.level)
                    nxt = blocks[i + 1] if i + 1 < len(blocks) else None
                    if nxt is None or nxt.kind != "heading":
                        num = mo.group(1)
                        t = builder.toc.titles.get(num, num) if toc else num
                        builder.push_heading(b.level, num, t)
                        pending = None
                    i += 1
                    continue
                level = b.level
                if pending:
                    number, level = pending
                    pending = None
                else:
                    mn = NUMBERED_TITLE.match(title)
                    if mn and (
                        not mn.group("dot") or "." in mn.group("num") or (toc and mn.group("num") in toc.titles)
                    ):
                        number, title = mn.group("num"), clean_title(mn.group("title"))
                    else:
                        number = toc.number_for(title) if toc else None
                        if number and not toc_number_fits(builder.stack, number, level):
                            number = None
                if number and toc and number in toc.titles and "." not in number:
                    level = min(level, min((e.level for e in builder.stack), default=level))
            builder.push_heading(level, number, title)
            i += 1
            continue
        part.append(b)
        i += 1
    builder.emit(part, "body", builder.meta())
    return builder.sections
