"""Block: one heading, rule, paragraph, list item or TOC marker of a document, with its mapped text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.structure.mapped_text import MappedText


@dataclass
class Block:
    kind: str  # heading | hr | para | item | toc
    start: int  # doc offset of the block's first line
    end: int
    level: int = 0  # heading level
    raw: str = ""  # heading text (uncleaned)
    number: str | None = None  # plain-mode numbered heading
    m: MappedText = field(default_factory=MappedText)
    lines: int = 1
    dehyphen: bool = False  # plain mode: join "woord-\nvervolg"
    emph: bool = False  # the whole paragraph is bold/italic (pull-quote candidate)
    extra: list[MappedText] = field(default_factory=list)  # lines added after m, joined by finish()

    def add_line(self, line: MappedText) -> None:
        if not line.text:
            return
        if not self.m.text and not self.extra:
            self.m = line
            return
        last = self.extra[-1] if self.extra else self.m
        self.lines += 1
        if self.dehyphen and re.search(r"[^\W\d_]-$", last.text) and re.match(r"[a-zà-ÿ]", line.text):
            nxt = line.text.split(" ", 1)[0]
            if nxt not in ("en", "of", "tot", "and", "or", "to"):
                trimmed = last.slice(0, len(last.text) - 1)
                if self.extra:
                    self.extra[-1] = trimmed
                else:
                    self.m = trimmed
                self.extra.append(line)
                return
        self.extra.append(MappedText.synthetic(" ", line.src[0]))
        self.extra.append(line)

    def finish(self) -> Block:
        if self.extra:
            self.m = MappedText.concat([self.m, *self.extra])
            self.extra = []
        return self


def line_offsets(text: str) -> list[tuple[int, str]]:
    """(offset, line) for every line of `text`."""
    out = []
    pos = 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out
