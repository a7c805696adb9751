"""The table of contents: where it is, and the chapter/section numbers and titles it lists."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from ingest.structure.inline_markup import clean_title, norm_title
from ingest.structure.line_patterns import MD_HEADING

_TOC_WORDS = {"inhoudsopgave", "inhoud", "contents", "table of contents", "inhoudstafel", "index"}
_TOC_ENTRY = re.compile(
    r"^\s*(?:[-*]\s+)?(?:(?P<num>\d{1,2}(?:\.\d{1,2}){0,3})\.?[\t ]+)?(?P<title>\S.*?)"
    r"(?:[\t ]*(?:\.{2,}|…+|_{2,}|·{2,})[\t ]*|[\t ]+)(?P<page>\d{1,4})\s*$"
)
_TOC_ENTRY_NOPAGE = re.compile(r"^\s*(?:[-*]\s+)?(?P<num>\d{1,2}(?:\.\d{1,2}){0,3})\.?[\t ]+(?P<title>\S.*?)\s*$")


@dataclass
class Toc:
    entries: list[tuple[str, str]] = field(default_factory=list)  # (number, title)
    line_start: int = -1  # index of the TOC heading line
    line_end: int = -1  # first line after the TOC

    def __bool__(self) -> bool:
        return bool(self.entries)

    @property
    def titles(self) -> dict[str, str]:
        return dict(self.entries)

    @property
    def top_numbers(self) -> set[str]:
        return {n.split(".")[0] for n, _ in self.entries}

    def number_for(self, title: str) -> str | None:
        """The number of the entry with this title (or one very like it), None when there is none."""
        key = norm_title(title)
        if not key:
            return None
        for n, t in self.entries:
            if norm_title(t) == key:
                return n
        best, best_r = None, 0.0
        for n, t in self.entries:
            r = difflib.SequenceMatcher(None, key, norm_title(t)).ratio()
            if r > best_r:
                best, best_r = n, r
        return best if best_r >= 0.9 else None


def _toc_line_text(line: str) -> str:
    t = re.sub(r"</?[A-Za-z][^<>]*>", "", line)
    t = re.sub(r"\*\*|__", "", t)
    t = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", t)
    return t.replace("\xa0", " ")


def find_toc(lines: list[str], markdown: bool) -> Toc:
    """The first heading such as "Inhoudsopgave" followed by at least two numbered entries; empty when none."""
    for i, line in enumerate(lines):
        head = line.strip()
        if markdown:
            m = MD_HEADING.match(line)
            if m:
                head = m.group(2) or ""
        if len(head) > 40:
            continue
        if clean_title(_toc_line_text(head)).lower() not in _TOC_WORDS:
            continue
        toc = Toc(line_start=i)
        j = i + 1
        last_entry = i
        while j < len(lines):
            raw = lines[j]
            if not raw.strip():
                j += 1
                continue
            if markdown and MD_HEADING.match(raw):
                break
            t = _toc_line_text(raw)
            m = _TOC_ENTRY.match(t)
            if m is None and markdown:
                m = _TOC_ENTRY_NOPAGE.match(t)
            if m is None:
                break
            title = clean_title(m.group("title"))
            if m.group("num") and title:
                toc.entries.append((m.group("num"), title))
            last_entry = j
            j += 1
        if len(toc.entries) >= 2:
            toc.line_end = last_entry + 1
            return toc
    return Toc()
