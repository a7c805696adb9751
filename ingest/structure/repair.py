"""Artefact repair: sentences cut by page breaks joined again, image descriptions recognised."""

from __future__ import annotations

import re

from ingest.language import language_counts
from ingest.structure.blocks import Block
from ingest.structure.line_patterns import TERMINAL_END
from ingest.structure.mapped_text import MappedText

_IMAGE_WORDS = re.compile(
    r"(?i)\b(image|images|photo|photos|photograph|picture|illustration|figure|graphic|graphics|icon|"
    r"logo|diagram|drawing|chart|visual|backdrop)\b"
)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def _words(s: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(s)]


def doc_is_dutch(text: str) -> bool:
    """More Dutch than English words (only Dutch documents have English image descriptions to drop)."""
    nl, en = language_counts(text[:200000])
    return nl > en


def is_image_description(text: str, dutch_doc: bool) -> bool:
    """An English description of an image (alt text) in a Dutch document."""
    if not dutch_doc or not _IMAGE_WORDS.search(text):
        return False
    n_words = len(_words(text))
    if n_words < 6:
        return False
    nl, en = language_counts(text)
    return en >= 3 and en >= 2 * nl and en / n_words >= 0.12


def _ends_open(t: str) -> bool:
    return not TERMINAL_END.search(t.rstrip())


def _starts_lower(t: str) -> bool:
    t = t.lstrip()
    return bool(t) and t[0].islower()


def join_blocks(blocks: list[Block]) -> list[Block]:
    """Join sentences cut by page breaks: an open paragraph/item + a paragraph starting lowercase."""
    groups: list[list[Block]] = []
    for b in blocks:
        if (
            groups
            and b.kind == "para"
            and groups[-1][0].kind in ("para", "item")
            and _ends_open(groups[-1][-1].m.text)
            and _starts_lower(b.m.text)
        ):
            groups[-1].append(b)
        else:
            groups.append([b])
    out: list[Block] = []
    for g in groups:
        if len(g) == 1:
            out.append(g[0])
            continue
        parts: list[MappedText] = [g[0].m]
        for b in g[1:]:
            parts.append(MappedText.synthetic(" ", b.m.src[0]))
            parts.append(b.m)
        out.append(Block(g[0].kind, g[0].start, g[-1].end, m=MappedText.concat(parts)))
    return out
