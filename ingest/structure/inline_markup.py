"""Inline Markdown/HTML markup stripped from a line, every remaining character mapped to the document."""

from __future__ import annotations

import re
import unicodedata

from ingest.structure.mapped_text import MappedText

_WS = "[ \\t\\xa0\\u2000-\\u200a\\u202f\\u3000]"
_INLINE = re.compile(
    r"(?P<img>!\[[^\]]*\]\([^)]*\))"
    r"|(?P<link>\[(?P<ltext>[^\]]+)\]\([^)\s]*(?:\s+\"[^\"]*\")?\))"
    r"|(?P<auto><(?P<url>https?://[^>\s]+)>)"
    r"|(?P<comment><!--.*?-->)"
    r"|(?P<tag></?[A-Za-z][^<>]*>)"
    r"|(?P<strong>\*\*|__)"
    r"|(?P<em>(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*]))"
    r"|(?P<code>`)"
    r"|(?P<esc>\\(?P<echar>[\\`*_{}\[\]()#+\-.!|<>]))"
    rf"|(?P<ws>{_WS}{{2,}}|[\t\xa0\u2000-\u200a\u202f\u3000])"
    r"|(?P<invis>[\u00ad\u200b\u200c\u200d\ufeff])"
)


def clean_inline(line: str, base: int) -> MappedText:
    """Strip inline markdown/HTML markup from one line; base = offset of line[0] in the document."""
    out: list[str] = []
    src: list[int] = []
    pos = 0
    for m in _INLINE.finditer(line):
        if m.start() > pos:
            out.append(line[pos : m.start()])
            src.extend(range(base + pos, base + m.start()))
        if m.group("link") is not None:
            inner = clean_inline(m.group("ltext"), base + m.start("ltext"))
            out.append(inner.text)
            src.extend(inner.src)
        elif m.group("auto") is not None:
            out.append(m.group("url"))
            src.extend(range(base + m.start("url"), base + m.end("url")))
        elif m.group("esc") is not None:
            out.append(m.group("echar"))
            src.append(base + m.start("echar"))
        elif m.group("ws") is not None:
            out.append(" ")
            src.append(base + m.start())
        # img, comment, tag, strong, em, code, invis: dropped
        pos = m.end()
    if pos < len(line):
        out.append(line[pos:])
        src.extend(range(base + pos, base + len(line)))
    text = "".join(out)
    if "  " not in text:
        return MappedText(text, src).strip()
    # collapse spaces created by removals ("a ** b" -> "a  b")
    res_t: list[str] = []
    res_s: list[int] = []
    for ch, s in zip(text, src, strict=True):
        if ch == " " and res_t and res_t[-1] == " ":
            continue
        res_t.append(ch)
        res_s.append(s)
    return MappedText("".join(res_t), res_s).strip()


def clean_title(s: str) -> str:
    """A heading's text without markup, whitespace collapsed and a trailing colon dropped."""
    t = clean_inline(s, 0).text
    t = re.sub(r"\s+", " ", t).strip()
    return t.rstrip(":").strip()


def norm_title(s: str) -> str:
    """A title reduced for comparison: lowercase letters and digits only, accents removed."""
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", "", s.lower())
