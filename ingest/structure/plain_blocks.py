"""The plain-text reader (PDF extraction, .txt): paragraphs and items from wrapped lines, page furniture dropped."""

from __future__ import annotations

import bisect
import re

from ingest.model import LoadedDocument
from ingest.structure.blocks import Block
from ingest.structure.headings import plain_heading, plain_title_line
from ingest.structure.inline_markup import clean_inline
from ingest.structure.line_patterns import NUMBER_ONLY, TERMINAL_END
from ingest.structure.mapped_text import MappedText
from ingest.structure.toc import Toc

_PLAIN_BULLET = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*•●▪◦‣–\uf0b7\uf0a7])[ \t]*(?P<body>\S.*)$")
_PAGE_NUMBER = re.compile(r"(?i)^\s*(?:(?:pagina|page|blz\.?|p\.)\s*)?\d{1,3}(?:\s*(?:/|van|of)\s*\d{1,3})?\s*$")
_PARA_END = re.compile(r"[.!?;…][\"'”’»)\]]*$")


def _page_furniture(doc: LoadedDocument, lines: list[tuple[int, str]]) -> set[int]:
    """Indices of lines that are page numbers or running headers/footers (plain/PDF mode)."""
    drop: set[int] = set()
    for idx, (_, line) in enumerate(lines):
        if line.strip() and _PAGE_NUMBER.match(line):
            drop.add(idx)
    if len(doc.pages) >= 3:
        starts = [off for off, _ in lines]
        counts: dict[str, set[int]] = {}
        where: dict[str, list[int]] = {}
        for page in doc.pages:
            a = bisect.bisect_left(starts, page.start)
            b = bisect.bisect_left(starts, page.end)
            idxs = [k for k in range(a, b) if lines[k][1].strip() and k not in drop]
            for k in idxs[:2] + idxs[-2:]:
                # running header/footer: the same text on many pages, give or take a page number
                key = re.sub(r"^\d+\s+|\s+\d+$", "#", re.sub(r"\s+", " ", lines[k][1].strip().lower()))
                counts.setdefault(key, set()).add(page.number)
                where.setdefault(key, []).append(k)
        for key, pages in counts.items():
            if len(pages) >= 3 and len(pages) >= len(doc.pages) / 2 and len(key) < 100:
                drop.update(where[key])
    return drop


def plain_blocks(doc: LoadedDocument, lines: list[tuple[int, str]], toc: Toc) -> list[Block]:
    """Blocks of text without markup (PDF extraction, plain .txt).

    Lines are joined into paragraphs; a paragraph (or list item) ends at a blank line, a heading
    line, a bullet, or after a short line that ends a sentence when the next line starts with a
    capital (the usual shape of a paragraph end in extracted PDF text)."""
    blocks: list[Block] = []
    cur: Block | None = None
    cur_last = ""  # last raw line of cur
    cont_indent: int | None = None  # indentation of the current list item's continuation lines
    page_breaks = {p.end - 1 for p in doc.pages[:-1]}  # the empty line between two pages
    at_page_break = False
    drop = _page_furniture(doc, lines) if doc.pages else set()
    lengths = sorted(len(ln.strip()) for i, (_, ln) in enumerate(lines) if ln.strip() and i not in drop)
    typical = lengths[int(len(lengths) * 0.9)] if len(lengths) >= 20 else (lengths[-1] if lengths else 80)
    skip: set[int] = set()

    def close():
        nonlocal cur
        if cur is not None:
            cur.finish()
            if cur.m.text:
                blocks.append(cur)
        cur = None

    def heading(idx_off: int, end: int, num: str, title: str, content: MappedText) -> None:
        close()
        blocks.append(Block("heading", idx_off, end, level=num.count(".") + 1, raw=title, number=num, m=content))

    for idx, (off, line) in enumerate(lines):
        if toc and toc.line_start <= idx < toc.line_end:
            if idx == toc.line_start:
                close()
                blocks.append(Block("toc", off, off + len(line)))
            continue
        if idx in drop or idx in skip:
            continue
        if not line.strip():
            if off in page_breaks and cur is not None:
                at_page_break = True  # decided by the next line: continuation or new paragraph
            else:
                close()
            continue
        if at_page_break:
            at_page_break = False
            first = line.strip()[:1]
            if not (first.islower() or (not TERMINAL_END.search(cur_last) and not _PLAIN_BULLET.match(line))):
                close()
        # a section number on its own line, its title on the next line
        mo = NUMBER_ONLY.match(line.strip())
        if mo and ("." in mo.group(1) or (toc and mo.group(1) in toc.titles)):
            num = mo.group(1)
            nxt = next(
                (k for k in range(idx + 1, min(idx + 4, len(lines))) if lines[k][1].strip() and k not in drop), None
            )
            title = plain_title_line(lines[nxt][1]) if nxt is not None else None
            if nxt is not None and title is not None:
                n_off, n_line = lines[nxt]
                heading(off, n_off + len(n_line), num, title, clean_inline(n_line, n_off))
                skip.add(nxt)
                continue
            if toc and num in toc.titles:
                heading(off, off + len(line), num, toc.titles[num], clean_inline(line, off))
                continue
        h = plain_heading(line, toc)
        if h is not None:
            heading(off, off + len(line), h[0], h[1], clean_inline(line, off))
            continue
        mb = _PLAIN_BULLET.match(line)
        if mb and not (mb.group("marker") in "-–" and not line[mb.end("marker") : mb.end("marker") + 1].isspace()):
            close()
            body_off = off + mb.start("body")
            content = clean_inline(mb.group("body"), body_off)
            cur = Block("item", off, off + len(line), m=MappedText.synthetic("- ", body_off) + content, dehyphen=True)
            cur_last = line.strip()
            cont_indent = None
            continue
        content = clean_inline(line, off)
        indent = len(line) - len(line.lstrip())
        if (
            cur is not None
            and content.text[:1].isupper()
            and (
                (len(cur_last) < 0.7 * typical and _PARA_END.search(cur_last))
                # a list item whose wrapped lines are indented ends at the first unindented line
                or (cur.kind == "item" and cont_indent and indent < cont_indent)
            )
        ):
            close()
        if cur is not None and cur.kind == "item" and cont_indent is None and indent > 0:
            cont_indent = indent
        if cur is None:
            cur = Block("para", off, off + len(line), m=content, dehyphen=True)
        else:
            cur.add_line(content)
            cur.end = off + len(line)
        cur_last = line.strip()
    close()
    return blocks
