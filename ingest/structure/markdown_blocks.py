"""The Markdown reader: '#'/setext headings, rules, list items and paragraphs of a Markdown rendering."""

from __future__ import annotations

import re

from ingest.structure.blocks import Block
from ingest.structure.inline_markup import clean_inline
from ingest.structure.line_patterns import MD_HEADING
from ingest.structure.mapped_text import MappedText
from ingest.structure.toc import Toc

_HR = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_SETEXT_H1 = re.compile(r"^ {0,3}=+[ \t]*$")
_LIST_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*+•●▪◦‣–]|\d{1,3}[.)])[ \t]+(?P<body>\S.*)$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def markdown_blocks(lines: list[tuple[int, str]], toc: Toc) -> list[Block]:
    """Blocks of a Markdown text (inside code fences only paragraphs); the TOC lines become one "toc" block."""
    blocks: list[Block] = []
    cur: Block | None = None
    in_fence = False
    prev_blank = True

    def close():
        nonlocal cur
        if cur is not None:
            cur.finish()
            if cur.m.text:
                blocks.append(cur)
        cur = None

    for idx, (off, line) in enumerate(lines):
        if toc and toc.line_start <= idx < toc.line_end:
            if idx == toc.line_start:
                close()
                blocks.append(Block("toc", off, off + len(line)))
            prev_blank = True
            continue
        if _FENCE.match(line):
            close()
            in_fence = not in_fence
            prev_blank = True
            continue
        if not line.strip():
            close()
            prev_blank = True
            continue
        if not in_fence:
            mh = MD_HEADING.match(line)
            if mh and (mh.group(2) or "").strip():
                close()
                body = mh.group(2)
                b_off = off + line.index(body)
                blocks.append(
                    Block(
                        "heading", off, off + len(line), level=len(mh.group(1)), raw=body, m=clean_inline(body, b_off)
                    )
                )
                prev_blank = False
                continue
            if mh:  # lone '#'
                prev_blank = False
                continue
            setext = _SETEXT_H1.match(line) or (line.strip().startswith("-") and _HR.match(line))
            if setext and cur is not None and cur.kind == "para" and cur.lines == 1 and not prev_blank:
                cur.finish()
                cur.kind = "heading"
                cur.level = 1 if "=" in line else 2
                cur.raw = cur.m.text
                cur.end = off + len(line)
                close()
                prev_blank = False
                continue
            if _HR.match(line):
                close()
                blocks.append(Block("hr", off, off + len(line)))
                prev_blank = True
                continue
            if _TABLE_SEP.match(line) and "|" in line:
                prev_blank = False
                continue
            mi = _LIST_ITEM.match(line)
            if mi:
                close()
                marker = mi.group("marker")
                body_off = off + mi.start("body")
                content = clean_inline(mi.group("body"), body_off)
                prefix = "- " if not marker[0].isdigit() else "- " + marker + " "
                cur = Block("item", off, off + len(line), m=MappedText.synthetic(prefix, body_off) + content)
                prev_blank = False
                continue
        stripped = line
        s_off = off
        q = re.match(r"^\s{0,3}>\s?", line)
        if q and not in_fence:
            stripped = line[q.end() :]
            s_off = off + q.end()
        content = clean_inline(stripped, s_off)
        if cur is None:
            cur = Block("para", off, off + len(line), m=content)
        else:
            cur.add_line(content)
            cur.end = off + len(line)
        prev_blank = False
    close()
    return blocks
