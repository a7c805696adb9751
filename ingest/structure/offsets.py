"""Offset maps: from positions of a section's repaired text back to offsets in the document text."""

from __future__ import annotations

import bisect

from ingest.model import Section


def offset_map(src: list[int]) -> list[tuple[int, int]]:
    """(text position, document offset) where the per-character offsets `src` stop running on."""
    pairs: list[tuple[int, int]] = []
    for t, d in enumerate(src):
        if t == 0 or d != src[t - 1] + 1:
            pairs.append((t, d))
    return pairs


class OffsetMapper:
    """Maps positions of `section.text` to offsets in the document text (fast, for many lookups)."""

    def __init__(self, section: Section):
        self.section = section
        self.keys = [p[0] for p in section.offset_map]

    def __call__(self, t: int) -> int:
        om = self.section.offset_map
        if not om:
            return self.section.start + t
        i = bisect.bisect_right(self.keys, t) - 1
        if i < 0:
            return om[0][1]
        ts, ds = om[i]
        return ds + (t - ts)


def map_offset(section: Section, t: int) -> int:
    """Document offset of position `t` of `section.text`."""
    return OffsetMapper(section)(t)
