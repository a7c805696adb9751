"""Headings in plain text (numbered lines, TOC titles) and the numbering rules for the heading stack."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.structure.inline_markup import clean_title, norm_title
from ingest.structure.line_patterns import NUMBERED_TITLE, TERMINAL_END
from ingest.structure.toc import Toc

_PLAIN_HEADING_TITLE = re.compile(r"^[A-ZÀ-ÖØ-Þ“‘'\"(]")


@dataclass
class HeadingEntry:
    """An open heading: its level, number (None when unnumbered) and title."""

    level: int
    number: str | None
    title: str


def plain_heading(line: str, toc: Toc) -> tuple[str, str] | None:
    """(number, title) when a plain-text line looks like a heading."""
    s = line.strip()
    if not s or len(s) >= 80 or s.endswith(","):
        return None
    if TERMINAL_END.search(s) and not s.endswith("?"):  # a sentence, not a heading
        return None
    m = NUMBERED_TITLE.match(s)
    if m:
        num, title = m.group("num"), clean_title(m.group("title"))
        if not _PLAIN_HEADING_TITLE.match(title) or len(title.split()) > 12:
            return None
        if toc:
            if num.split(".")[0] not in toc.top_numbers:
                return None
        elif m.group("dot") and "." not in num:
            return None  # "1. Iets" without a TOC is more likely a list item
        return num, title
    if toc:
        n = toc.number_for(s)
        if n is not None and norm_title(s) == norm_title(toc.titles.get(n, "")):
            return n, clean_title(s)
    return None


def plain_title_line(line: str) -> str | None:
    """The title when a plain-text line can be the title under a number-only line."""
    s = line.strip()
    if not s or len(s) >= 80 or s.endswith(",") or (TERMINAL_END.search(s) and not s.endswith("?")):
        return None
    title = clean_title(s)
    if not _PLAIN_HEADING_TITLE.match(title) or len(title.split()) > 12:
        return None
    return title


def toc_number_fits(stack: list[HeadingEntry], number: str, level: int) -> bool:
    """A TOC number found by title is only used where it fits: a chapter number for a heading that
    is not deeper than the current chapter heading, a section number inside its own chapter."""
    if "." not in number:
        return not stack or level <= min(e.level for e in stack)
    current = next((e.number.split(".")[0] for e in stack if e.number), None)
    return current is None or current == number.split(".")[0]
