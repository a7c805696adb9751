"""MappedText: text that knows, for every character, its offset in the document text."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class MappedText:
    """Text with, for every character, its offset in the document text."""

    text: str = ""
    src: list[int] = field(default_factory=list)

    def __add__(self, other: MappedText) -> MappedText:
        return MappedText(self.text + other.text, self.src + other.src)

    @staticmethod
    def concat(parts: list[MappedText]) -> MappedText:
        """Join many pieces in linear time."""
        src: list[int] = []
        for p in parts:
            src.extend(p.src)
        return MappedText("".join(p.text for p in parts), src)

    @staticmethod
    def synthetic(s: str, at: int) -> MappedText:
        """Text that is not in the document (a separator), every character mapped to offset `at`."""
        return MappedText(s, [at] * len(s))

    def strip(self) -> MappedText:
        a, b = 0, len(self.text)
        while a < b and self.text[a].isspace():
            a += 1
        while b > a and self.text[b - 1].isspace():
            b -= 1
        return MappedText(self.text[a:b], self.src[a:b])

    def slice(self, a: int, b: int) -> MappedText:
        return MappedText(self.text[a:b], self.src[a:b])
