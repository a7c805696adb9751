"""Dutch-aware sentence splitter (no downloads, no nltk).

Rules:
- split after ``.``, ``!``, ``?`` or ``…`` (optionally followed by closing quotes/brackets) when
  followed by whitespace and then an uppercase letter, a digit, an opening quote/bracket or ``- ``;
- never split after common Dutch abbreviations (o.a., bijv., d.w.z., ...), initials ("J. Joosten"),
  or inside decimals and URLs (those have no whitespace after the dot, so they are never candidates);
- a blank line is always a boundary, and every line starting with ``- `` (a list item) is its own unit.

Also used by the answering stage, so everything is precompiled.
"""

from __future__ import annotations

import re

# Abbreviations (lowercase, with their final dot) after which a period never ends a sentence.
ABBREVIATIONS = frozenset(
    [
        "o.a.",
        "bijv.",
        "bv.",
        "b.v.",
        "d.w.z.",
        "m.b.t.",
        "t.a.v.",
        "e.d.",
        "enz.",
        "etc.",
        "ca.",
        "c.a.",
        "nl.",
        "mr.",
        "dr.",
        "drs.",
        "ir.",
        "ing.",
        "prof.",
        "nr.",
        "nrs.",
        "blz.",
        "z.g.",
        "zgn.",
        "i.p.v.",
        "i.v.m.",
        "m.n.",
        "o.b.v.",
        "t.o.v.",
        "m.u.v.",
        "a.s.",
        "jl.",
        "resp.",
        "evt.",
        "incl.",
        "excl.",
        "max.",
        "min.",
        "vgl.",
        "mevr.",
        "dhr.",
        "st.",
        "e.a.",
        "p.",
        "pag.",
        "art.",
        "n.a.v.",
        "t/m.",
        "v.w.b.",
        "vs.",
        "e.g.",
        "i.e.",
        "fig.",
    ]
)

_CLOSERS = "\"'”’»)]"
_OPENERS = "\"'“‘«(["
_UPPER = "A-ZÀ-ÖØ-Þ"

# candidate end of sentence: terminal punctuation, optional closers, whitespace, then a sentence start
_BOUNDARY = re.compile(
    rf"([.!?…]+)([{re.escape(_CLOSERS)}]*)(\s+)(?=[{re.escape(_OPENERS)}]*[{_UPPER}0-9]|- |[{re.escape(_OPENERS)}])"
)
# hard boundaries: a blank line, or a newline before a list item
_HARD = re.compile(r"\n[ \t]*\n\s*|\n(?=[ \t]*- )")
_TOKEN_BEFORE = re.compile(r"(\S+)$")
_INITIALS = re.compile(rf"^[{_UPPER}]$|^(?:[A-Za-z]\.)+[A-Za-z]$")
_LEADING_PUNCT = "\"'“‘«(["


def _is_abbreviation(text: str, dot_pos: int) -> bool:
    """True when the '.' at text[dot_pos] closes an abbreviation or an initial."""
    m = _TOKEN_BEFORE.search(text, max(0, dot_pos - 40), dot_pos)
    if not m:
        return False
    token = m.group(1).lstrip(_LEADING_PUNCT)
    if not token:
        return False
    if (token.lower() + ".") in ABBREVIATIONS:
        return True
    return bool(_INITIALS.match(token))


def _soft_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside text[start:end] (a region without hard boundaries)."""
    spans: list[tuple[int, int]] = []
    seg_start = start
    for m in _BOUNDARY.finditer(text, start, end):
        punct = m.group(1)
        if punct == "." and _is_abbreviation(text, m.start(1)):
            continue
        spans.append((seg_start, m.end(2)))
        seg_start = m.end(3)
    spans.append((seg_start, end))
    return spans


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`, whitespace-trimmed, empty ones dropped."""
    regions: list[tuple[int, int]] = []
    pos = 0
    for m in _HARD.finditer(text):
        regions.append((pos, m.start()))
        pos = m.end()
    regions.append((pos, len(text)))

    out: list[tuple[int, int]] = []
    for r_start, r_end in regions:
        # a list item is a unit of its own: do not split inside it
        if text.startswith("- ", r_start) or text[r_start:r_end].lstrip().startswith("- "):
            pieces = [(r_start, r_end)]
        else:
            pieces = _soft_spans(text, r_start, r_end)
        for s, e in pieces:
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if s < e:
                out.append((s, e))
    return out


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, stripped; list items ("- ...") are units of their own."""
    return [text[s:e] for s, e in sentence_spans(text)]
