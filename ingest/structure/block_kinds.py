"""Block classification: pull quotes (text between two rules, quoted or emphasised) and member lists."""

from __future__ import annotations

import re

from ingest.structure.blocks import Block

_OPEN_QUOTES = "“\"‘'„«"
_CLOSE_QUOTES = "”\"’'»“"
_NAME_LINE = re.compile(r"^[A-ZÀ-ÖØ-Þ][\w.'’-]*(?:\s+[\w.'’-]+){0,5},\s+\S.{0,120}$")
_MEMBER_TITLE = re.compile(r"(?i)\b(leden|members|bestuursleden|samenstelling|deelnemers|ledenlijst|board members)\b")


def is_quote_text(t: str) -> bool:
    """The text is enclosed in quotation marks."""
    t = t.strip()
    return len(t) >= 2 and t[0] in _OPEN_QUOTES and t.rstrip(".!?,;:")[-1:] in _CLOSE_QUOTES


def is_emphasised(raw_line_text: str) -> bool:
    """The raw Markdown is bold or italic as a whole."""
    s = raw_line_text.strip()
    return (
        (s.startswith("**") and s.rstrip().endswith("**"))
        or (s.startswith("*") and s.endswith("*"))
        or (s.startswith("__") and s.endswith("__"))
    )


def is_member_list(blocks: list[Block], title: str) -> bool:
    """Most paragraphs are "Name, role" lines (fewer needed under a title such as "Leden")."""
    paras = [b.m.text for b in blocks]
    if len(paras) < 3:
        return False
    hits = sum(1 for p in paras if _NAME_LINE.match(p) and len(p.split()) <= 25 and not p.endswith("."))
    need = 0.6 if _MEMBER_TITLE.search(title or "") else 0.8
    return hits / len(paras) >= need


def quote_regions(blocks: list[Block]) -> dict[int, int]:
    """Map start index of an hr that opens a pull quote -> index of the closing hr."""
    regions: dict[int, int] = {}
    i = 0
    while i < len(blocks):
        if blocks[i].kind != "hr":
            i += 1
            continue
        j = i + 1
        while j < len(blocks) and j <= i + 4 and blocks[j].kind not in ("hr", "toc"):
            j += 1
        if j < len(blocks) and blocks[j].kind == "hr" and j > i + 1:
            inner = blocks[i + 1 : j]
            words = sum(len(b.m.text.split()) for b in inner)
            quoteish = any(b.kind == "heading" or is_quote_text(b.m.text) or b.emph for b in inner)
            if words <= 90 and quoteish and all(b.kind in ("heading", "para") for b in inner):
                regions[i] = j
                i = j + 1
                continue
        i += 1
    return regions
