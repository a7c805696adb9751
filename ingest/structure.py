"""LoadedDocument -> flat list of Sections (document order) with repaired content text.

Two reading modes:
- markdown (md, docx, html renderings, txt with '#' headings): structure from '#' headings;
- plain (pdf, txt without headings): numbered heading lines ("6.1 Focus op ...") and TOC titles.

Both modes learn chapter/section numbers and titles from a table of contents when there is one
("Inhoudsopgave" / "Inhoud" / "Contents"); the TOC itself is not content.

Repairs: sentences cut by page breaks are joined, image descriptions dropped, markdown/HTML markup
stripped, pull quotes (between two horizontal rules) become sections of kind "quote", member lists
kind "members", the title page before the TOC kind "front". `Section.offset_map` maps every
position of the repaired text back to `doc.text`.
"""

from __future__ import annotations

import bisect
import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from ingest.language import language_counts
from ingest.model import LoadedDocument, Section

# --------------------------------------------------------------------------- mapped text


@dataclass
class _MText:
    """Text with, for every character, its offset in the document text."""

    text: str = ""
    src: list[int] = field(default_factory=list)

    def __add__(self, other: "_MText") -> "_MText":
        return _MText(self.text + other.text, self.src + other.src)

    @staticmethod
    def concat(parts: list["_MText"]) -> "_MText":
        """Join many pieces in linear time."""
        src: list[int] = []
        for p in parts:
            src.extend(p.src)
        return _MText("".join(p.text for p in parts), src)

    @staticmethod
    def synthetic(s: str, at: int) -> "_MText":
        return _MText(s, [at] * len(s))

    def strip(self) -> "_MText":
        a, b = 0, len(self.text)
        while a < b and self.text[a].isspace():
            a += 1
        while b > a and self.text[b - 1].isspace():
            b -= 1
        return _MText(self.text[a:b], self.src[a:b])

    def slice(self, a: int, b: int) -> "_MText":
        return _MText(self.text[a:b], self.src[a:b])


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


def _clean_inline(line: str, base: int) -> _MText:
    """Strip inline markdown/HTML markup from one line; base = offset of line[0] in the document."""
    out: list[str] = []
    src: list[int] = []
    pos = 0
    for m in _INLINE.finditer(line):
        if m.start() > pos:
            out.append(line[pos : m.start()])
            src.extend(range(base + pos, base + m.start()))
        if m.group("link") is not None:
            inner = _clean_inline(m.group("ltext"), base + m.start("ltext"))
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
        return _MText(text, src).strip()
    # collapse spaces created by removals ("a ** b" -> "a  b")
    res_t: list[str] = []
    res_s: list[int] = []
    for ch, s in zip(text, src):
        if ch == " " and res_t and res_t[-1] == " ":
            continue
        res_t.append(ch)
        res_s.append(s)
    return _MText("".join(res_t), res_s).strip()


def _clean_title(s: str) -> str:
    t = _clean_inline(s, 0).text
    t = re.sub(r"\s+", " ", t).strip()
    return t.rstrip(":").strip()


# --------------------------------------------------------------------------- patterns

_TOC_WORDS = {"inhoudsopgave", "inhoud", "contents", "table of contents", "inhoudstafel", "index"}
_TOC_ENTRY = re.compile(
    r"^\s*(?:[-*]\s+)?(?:(?P<num>\d{1,2}(?:\.\d{1,2}){0,3})\.?[\t ]+)?(?P<title>\S.*?)"
    r"(?:[\t ]*(?:\.{2,}|…+|_{2,}|·{2,})[\t ]*|[\t ]+)(?P<page>\d{1,4})\s*$"
)
_TOC_ENTRY_NOPAGE = re.compile(r"^\s*(?:[-*]\s+)?(?P<num>\d{1,2}(?:\.\d{1,2}){0,3})\.?[\t ]+(?P<title>\S.*?)\s*$")
_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*#*[ \t]*$")
_HR = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_SETEXT_H1 = re.compile(r"^ {0,3}=+[ \t]*$")
_LIST_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*+•●▪◦‣–]|\d{1,3}[.)])[ \t]+(?P<body>\S.*)$")
_PLAIN_BULLET = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*•●▪◦‣–\uf0b7\uf0a7])[ \t]*(?P<body>\S.*)$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_NUMBER_ONLY = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?$")
_NUMBERED_TITLE = re.compile(r"^(?P<num>\d{1,2}(?:\.\d{1,2}){0,3})(?P<dot>\.?)\s+(?P<title>\S.*)$")
_PLAIN_HEADING_TITLE = re.compile(r"^[A-ZÀ-ÖØ-Þ“‘'\"(]")
_PAGE_NUMBER = re.compile(r"(?i)^\s*(?:(?:pagina|page|blz\.?|p\.)\s*)?\d{1,3}(?:\s*(?:/|van|of)\s*\d{1,3})?\s*$")
_TERMINAL_END = re.compile(r"[.!?:;…][\"'”’»)\]]*$")
_OPEN_QUOTES = "“\"‘'„«"
_CLOSE_QUOTES = "”\"’'»“"

_IMAGE_WORDS = re.compile(
    r"(?i)\b(image|images|photo|photos|photograph|picture|illustration|figure|graphic|graphics|icon|"
    r"logo|diagram|drawing|chart|visual|backdrop)\b"
)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_NAME_LINE = re.compile(r"^[A-ZÀ-ÖØ-Þ][\w.'’-]*(?:\s+[\w.'’-]+){0,5},\s+\S.{0,120}$")
_MEMBER_TITLE = re.compile(r"(?i)\b(leden|members|bestuursleden|samenstelling|deelnemers|ledenlijst|board members)\b")


def _norm_title(s: str) -> str:
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", "", s.lower())


# --------------------------------------------------------------------------- TOC


@dataclass
class _Toc:
    entries: list[tuple[str, str]] = field(default_factory=list)  # (number, title)
    line_start: int = -1  # index of the TOC heading line
    line_end: int = -1  # first line after the TOC

    def __bool__(self) -> bool:
        return bool(self.entries)

    @property
    def titles(self) -> dict[str, str]:
        return {n: t for n, t in self.entries}

    @property
    def top_numbers(self) -> set[str]:
        return {n.split(".")[0] for n, _ in self.entries}

    def number_for(self, title: str) -> str | None:
        key = _norm_title(title)
        if not key:
            return None
        for n, t in self.entries:
            if _norm_title(t) == key:
                return n
        best, best_r = None, 0.0
        for n, t in self.entries:
            r = difflib.SequenceMatcher(None, key, _norm_title(t)).ratio()
            if r > best_r:
                best, best_r = n, r
        return best if best_r >= 0.9 else None


def _toc_line_text(line: str) -> str:
    t = re.sub(r"</?[A-Za-z][^<>]*>", "", line)
    t = re.sub(r"\*\*|__", "", t)
    t = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", t)
    return t.replace("\xa0", " ")


def _find_toc(lines: list[str], markdown: bool) -> _Toc:
    for i, line in enumerate(lines):
        head = line.strip()
        if markdown:
            m = _MD_HEADING.match(line)
            if m:
                head = m.group(2) or ""
        if len(head) > 40:
            continue
        if _clean_title(_toc_line_text(head)).lower() not in _TOC_WORDS:
            continue
        toc = _Toc(line_start=i)
        j = i + 1
        last_entry = i
        while j < len(lines):
            raw = lines[j]
            if not raw.strip():
                j += 1
                continue
            if markdown and _MD_HEADING.match(raw):
                break
            t = _toc_line_text(raw)
            m = _TOC_ENTRY.match(t)
            if m is None and markdown:
                m = _TOC_ENTRY_NOPAGE.match(t)
            if m is None:
                break
            title = _clean_title(m.group("title"))
            if m.group("num") and title:
                toc.entries.append((m.group("num"), title))
            last_entry = j
            j += 1
        if len(toc.entries) >= 2:
            toc.line_end = last_entry + 1
            return toc
    return _Toc()


# --------------------------------------------------------------------------- blocks


@dataclass
class _Block:
    kind: str  # heading | hr | para | item | toc
    start: int  # doc offset of the block's first line
    end: int
    level: int = 0  # heading level
    raw: str = ""  # heading text (uncleaned)
    number: str | None = None  # plain-mode numbered heading
    m: _MText = field(default_factory=_MText)
    lines: int = 1
    dehyphen: bool = False  # plain mode: join "woord-\nvervolg"
    emph: bool = False  # the whole paragraph is bold/italic (pull-quote candidate)
    extra: list[_MText] = field(default_factory=list)  # lines added after m, joined by finish()

    def add_line(self, line: _MText) -> None:
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
        self.extra.append(_MText.synthetic(" ", line.src[0]))
        self.extra.append(line)

    def finish(self) -> "_Block":
        if self.extra:
            self.m = _MText.concat([self.m] + self.extra)
            self.extra = []
        return self


def _line_offsets(text: str) -> list[tuple[int, str]]:
    out = []
    pos = 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def _page_furniture(doc: LoadedDocument, lines: list[tuple[int, str]]) -> set[int]:
    """Indices of lines that are page numbers or running headers/footers (plain/PDF mode)."""
    drop: set[int] = set()
    for idx, (_, line) in enumerate(lines):
        if line.strip() and _PAGE_NUMBER.match(line):
            drop.add(idx)
    if len(doc.pages) >= 3:
        starts = [off for off, _ in lines]
        counts: dict[str, set[int]] = {}
        where: dict[str, list[int]] = {}
        for page in doc.pages:
            a = bisect.bisect_left(starts, page.start)
            b = bisect.bisect_left(starts, page.end)
            idxs = [k for k in range(a, b) if lines[k][1].strip() and k not in drop]
            for k in idxs[:2] + idxs[-2:]:
                # running header/footer: the same text on many pages, give or take a page number
                key = re.sub(r"^\d+\s+|\s+\d+$", "#", re.sub(r"\s+", " ", lines[k][1].strip().lower()))
                counts.setdefault(key, set()).add(page.number)
                where.setdefault(key, []).append(k)
        for key, pages in counts.items():
            if len(pages) >= 3 and len(pages) >= len(doc.pages) / 2 and len(key) < 100:
                drop.update(where[key])
    return drop


def _markdown_blocks(lines: list[tuple[int, str]], toc: _Toc) -> list[_Block]:
    blocks: list[_Block] = []
    cur: _Block | None = None
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
                blocks.append(_Block("toc", off, off + len(line)))
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
            mh = _MD_HEADING.match(line)
            if mh and (mh.group(2) or "").strip():
                close()
                body = mh.group(2)
                b_off = off + line.index(body)
                blocks.append(_Block("heading", off, off + len(line), level=len(mh.group(1)), raw=body,
                                     m=_clean_inline(body, b_off)))
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
                blocks.append(_Block("hr", off, off + len(line)))
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
                content = _clean_inline(mi.group("body"), body_off)
                prefix = "- " if not marker[0].isdigit() else "- " + marker + " "
                cur = _Block("item", off, off + len(line), m=_MText.synthetic(prefix, body_off) + content)
                prev_blank = False
                continue
        stripped = line
        s_off = off
        q = re.match(r"^\s{0,3}>\s?", line)
        if q and not in_fence:
            stripped = line[q.end():]
            s_off = off + q.end()
        content = _clean_inline(stripped, s_off)
        if cur is None:
            cur = _Block("para", off, off + len(line), m=content)
        else:
            cur.add_line(content)
            cur.end = off + len(line)
        prev_blank = False
    close()
    return blocks


def _plain_heading(line: str, toc: _Toc) -> tuple[str | None, str] | None:
    """(number, title) when a plain-text line looks like a heading."""
    s = line.strip()
    if not s or len(s) >= 80 or s.endswith(","):
        return None
    if _TERMINAL_END.search(s) and not s.endswith("?"):  # a sentence, not a heading
        return None
    m = _NUMBERED_TITLE.match(s)
    if m:
        num, title = m.group("num"), _clean_title(m.group("title"))
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
        if n is not None and _norm_title(s) == _norm_title(toc.titles.get(n, "")):
            return n, _clean_title(s)
    return None


def _plain_title_line(line: str) -> str | None:
    s = line.strip()
    if not s or len(s) >= 80 or s.endswith(",") or (_TERMINAL_END.search(s) and not s.endswith("?")):
        return None
    title = _clean_title(s)
    if not _PLAIN_HEADING_TITLE.match(title) or len(title.split()) > 12:
        return None
    return title


_PARA_END = re.compile(r"[.!?;…][\"'”’»)\]]*$")


def _plain_blocks(doc: LoadedDocument, lines: list[tuple[int, str]], toc: _Toc) -> list[_Block]:
    """Blocks of text without markup (PDF extraction, plain .txt).

    Lines are joined into paragraphs; a paragraph (or list item) ends at a blank line, a heading
    line, a bullet, or after a short line that ends a sentence when the next line starts with a
    capital (the usual shape of a paragraph end in extracted PDF text)."""
    blocks: list[_Block] = []
    cur: _Block | None = None
    cur_last = ""  # last raw line of cur
    cont_indent: int | None = None  # indentation of the current list item's continuation lines
    page_breaks = {p.end - 1 for p in doc.pages[:-1]}  # the empty line between two pages
    at_page_break = False
    drop = _page_furniture(doc, lines) if doc.pages else set()
    lengths = sorted(len(ln.strip()) for i, (_, ln) in enumerate(lines) if ln.strip() and i not in drop)
    typical = lengths[int(len(lengths) * 0.9)] if len(lengths) >= 20 else (lengths[-1] if lengths else 80)
    skip: set[int] = set()

    def close():
        nonlocal cur
        if cur is not None:
            cur.finish()
            if cur.m.text:
                blocks.append(cur)
        cur = None

    def heading(idx_off: int, end: int, num: str, title: str, content: _MText) -> None:
        close()
        blocks.append(_Block("heading", idx_off, end, level=num.count(".") + 1, raw=title, number=num, m=content))

    for idx, (off, line) in enumerate(lines):
        if toc and toc.line_start <= idx < toc.line_end:
            if idx == toc.line_start:
                close()
                blocks.append(_Block("toc", off, off + len(line)))
            continue
        if idx in drop or idx in skip:
            continue
        if not line.strip():
            if off in page_breaks and cur is not None:
                at_page_break = True  # decided by the next line: continuation or new paragraph
            else:
                close()
            continue
        if at_page_break:
            at_page_break = False
            first = line.strip()[:1]
            if not (first.islower() or (not _TERMINAL_END.search(cur_last) and not _PLAIN_BULLET.match(line))):
                close()
        # a section number on its own line, its title on the next line
        mo = _NUMBER_ONLY.match(line.strip())
        if mo and ("." in mo.group(1) or (toc and mo.group(1) in toc.titles)):
            num = mo.group(1)
            nxt = next((k for k in range(idx + 1, min(idx + 4, len(lines)))
                        if lines[k][1].strip() and k not in drop), None)
            title = _plain_title_line(lines[nxt][1]) if nxt is not None else None
            if title is not None:
                n_off, n_line = lines[nxt]
                heading(off, n_off + len(n_line), num, title, _clean_inline(n_line, n_off))
                skip.add(nxt)
                continue
            if toc and num in toc.titles:
                heading(off, off + len(line), num, toc.titles[num], _clean_inline(line, off))
                continue
        h = _plain_heading(line, toc)
        if h is not None:
            heading(off, off + len(line), h[0], h[1], _clean_inline(line, off))
            continue
        mb = _PLAIN_BULLET.match(line)
        if mb and not (mb.group("marker") in "-–" and not line[mb.end("marker"):mb.end("marker") + 1].isspace()):
            close()
            body_off = off + mb.start("body")
            content = _clean_inline(mb.group("body"), body_off)
            cur = _Block("item", off, off + len(line), m=_MText.synthetic("- ", body_off) + content, dehyphen=True)
            cur_last = line.strip()
            cont_indent = None
            continue
        content = _clean_inline(line, off)
        indent = len(line) - len(line.lstrip())
        if cur is not None and content.text[:1].isupper() and (
            (len(cur_last) < 0.7 * typical and _PARA_END.search(cur_last))
            # a list item whose wrapped lines are indented ends at the first unindented line
            or (cur.kind == "item" and cont_indent and indent < cont_indent)
        ):
            close()
        if cur is not None and cur.kind == "item" and cont_indent is None and indent > 0:
            cont_indent = indent
        if cur is None:
            cur = _Block("para", off, off + len(line), m=content, dehyphen=True)
        else:
            cur.add_line(content)
            cur.end = off + len(line)
        cur_last = line.strip()
    close()
    return blocks


# --------------------------------------------------------------------------- classification helpers


def _words(s: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(s)]


def _doc_is_dutch(text: str) -> bool:
    nl, en = language_counts(text[:200000])
    return nl > en


def _is_image_description(text: str, dutch_doc: bool) -> bool:
    if not dutch_doc or not _IMAGE_WORDS.search(text):
        return False
    n_words = len(_words(text))
    if n_words < 6:
        return False
    nl, en = language_counts(text)
    return en >= 3 and en >= 2 * nl and en / n_words >= 0.12


def _is_quote_text(t: str) -> bool:
    t = t.strip()
    return len(t) >= 2 and t[0] in _OPEN_QUOTES and t.rstrip(".!?,;:")[-1:] in _CLOSE_QUOTES


def _is_emphasised(raw_line_text: str) -> bool:
    s = raw_line_text.strip()
    return (s.startswith("**") and s.rstrip().endswith("**")) or (s.startswith("*") and s.endswith("*")) or (
        s.startswith("__") and s.endswith("__")
    )


def _ends_open(t: str) -> bool:
    return not _TERMINAL_END.search(t.rstrip())


def _starts_lower(t: str) -> bool:
    t = t.lstrip()
    return bool(t) and t[0].islower()


def _is_member_list(blocks: list[_Block], title: str) -> bool:
    paras = [b.m.text for b in blocks]
    if len(paras) < 3:
        return False
    hits = sum(1 for p in paras if _NAME_LINE.match(p) and len(p.split()) <= 25 and not p.endswith("."))
    need = 0.6 if _MEMBER_TITLE.search(title or "") else 0.8
    return hits / len(paras) >= need


# --------------------------------------------------------------------------- section assembly


@dataclass
class _Entry:
    level: int
    number: str | None
    title: str


def _join_blocks(blocks: list[_Block]) -> list[_Block]:
    """Join sentences cut by page breaks: an open paragraph/item + a paragraph starting lowercase."""
    groups: list[list[_Block]] = []
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
    out: list[_Block] = []
    for g in groups:
        if len(g) == 1:
            out.append(g[0])
            continue
        parts: list[_MText] = [g[0].m]
        for b in g[1:]:
            parts.append(_MText.synthetic(" ", b.m.src[0]))
            parts.append(b.m)
        out.append(_Block(g[0].kind, g[0].start, g[-1].end, m=_MText.concat(parts)))
    return out


def _render(blocks: list[_Block]) -> _MText:
    parts: list[_MText] = []
    prev: _Block | None = None
    for b in blocks:
        if prev is not None:
            at = prev.m.src[-1] + 1
            if b.kind == "item" and (prev.kind == "item" or prev.m.text.rstrip().endswith(":")):
                sep = "\n"
            else:
                sep = "\n\n"
            parts.append(_MText.synthetic(sep, at))
        parts.append(b.m)
        prev = b
    return _MText.concat(parts)


def _offset_map(src: list[int]) -> list[tuple[int, int]]:
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


class _Builder:
    def __init__(self, doc: LoadedDocument, toc: _Toc):
        self.doc = doc
        self.toc = toc
        self.stack: list[_Entry] = []
        self.sections: list[Section] = []
        self.dutch = _doc_is_dutch(doc.text)

    # metadata of the current position
    def meta(self) -> dict:
        stack = self.stack
        numbered = [e for e in stack if e.number]
        if numbered:
            number = numbered[-1].number
            chap_no = number.split(".")[0]
            chap_idx = next((i for i, e in enumerate(stack) if e.number == chap_no), None)
            if chap_idx is None:
                chap_idx = next(i for i, e in enumerate(stack) if e.number)
                chap_title = self.toc.titles.get(chap_no) if self.toc else None
            else:
                chap_title = stack[chap_idx].title
            path = [e.title for e in stack[chap_idx:]]
            if chap_title and path and path[0] != chap_title:
                path = [chap_title] + path
            return dict(number=number, title=stack[-1].title, heading_path=path,
                        chapter_number=chap_no, chapter_title=chap_title)
        if stack:
            return dict(number=None, title=stack[-1].title, heading_path=[e.title for e in stack],
                        chapter_number=None, chapter_title=stack[0].title)
        return dict(number=None, title=self.doc.title, heading_path=[self.doc.title],
                    chapter_number=None, chapter_title=None)

    def emit(self, blocks: list[_Block], kind: str, meta: dict) -> None:
        blocks = [b for b in blocks if b.m.text]
        if kind != "quote":
            blocks = [b for b in blocks if not _is_image_description(b.m.text, self.dutch)]
        if not blocks:
            return
        if kind == "body" and _is_member_list(blocks, meta["title"]):
            kind = "members"
        blocks = _join_blocks(blocks) if kind in ("body", "front") else blocks
        mt = _render(blocks).strip()
        if not mt.text:
            return
        self.sections.append(
            Section(
                number=meta["number"],
                title=meta["title"],
                heading_path=list(meta["heading_path"]),
                start=mt.src[0],
                end=mt.src[-1] + 1,
                text=mt.text,
                kind=kind,
                chapter_number=meta["chapter_number"],
                chapter_title=meta["chapter_title"],
                offset_map=_offset_map(mt.src),
            )
        )

    def push_heading(self, level: int, number: str | None, title: str) -> None:
        if number and "." in number:
            parent = number.rsplit(".", 1)[0]
            for e in self.stack:
                if e.number == parent:
                    level = max(level, e.level + 1)
        while self.stack and self.stack[-1].level >= level:
            self.stack.pop()
        self.stack.append(_Entry(level, number, title))


def _toc_number_fits(stack: list[_Entry], number: str, level: int) -> bool:
    """A TOC number found by title is only used where it fits: a chapter number for a heading that
    is not deeper than the current chapter heading, a section number inside its own chapter."""
    if "." not in number:
        return not stack or level <= min(e.level for e in stack)
    current = next((e.number.split(".")[0] for e in stack if e.number), None)
    return current is None or current == number.split(".")[0]


def _quote_regions(blocks: list[_Block]) -> dict[int, int]:
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
            quoteish = any(
                b.kind == "heading" or _is_quote_text(b.m.text) or b.emph for b in inner
            )
            if words <= 90 and quoteish and all(b.kind in ("heading", "para") for b in inner):
                regions[i] = j
                i = j + 1
                continue
        i += 1
    return regions


def parse_sections(doc: LoadedDocument) -> list[Section]:
    text = doc.text
    lines = _line_offsets(text)
    if doc.format == "pdf":
        markdown = False
    elif doc.format == "txt":
        markdown = any(_MD_HEADING.match(ln) and (_MD_HEADING.match(ln).group(2) or "").strip() for _, ln in lines)
    else:
        markdown = True
    toc = _find_toc([ln for _, ln in lines], markdown)
    if markdown:
        blocks = _markdown_blocks(lines, toc)
        # remember which paragraphs were fully emphasised (pull-quote candidates)
        for b in blocks:
            if b.kind == "para":
                b.emph = _is_emphasised(text[b.start : b.end])
    else:
        blocks = _plain_blocks(doc, lines, toc)

    builder = _Builder(doc, toc)
    quotes = _quote_regions(blocks)
    has_heading = any(b.kind == "heading" for b in blocks)
    toc_idx = next((i for i, b in enumerate(blocks) if b.kind == "toc"), None)

    # 1. front matter: everything before the TOC, or before the first heading
    first_struct = toc_idx if toc_idx is not None else next(
        (i for i, b in enumerate(blocks) if b.kind == "heading"), len(blocks)
    )
    front = [b for b in blocks[:first_struct] if b.kind in ("para", "item", "heading")]
    if front:
        title = next((_clean_title(b.raw) for b in front if b.kind == "heading"), "") or doc.title
        kind = "front" if (has_heading or toc_idx is not None) else "body"
        as_paras = [_Block("para", b.start, b.end, m=b.m) if b.kind == "heading" else b for b in front]
        builder.emit(as_paras, kind, dict(number=None, title=title, heading_path=[title],
                                           chapter_number=None, chapter_title=None))

    # 2. the body
    part: list[_Block] = []
    pending: tuple[str, int] | None = None  # number-only heading waiting for its title
    i = first_struct
    while i < len(blocks):
        b = blocks[i]
        if b.kind == "toc":
            builder.emit(part, "body", builder.meta())
            part = []
            i += 1
            continue
        if i in quotes:
            j = quotes[i]
            builder.emit(part, "body", builder.meta())
            part = []
            inner = [_Block("para", x.start, x.end, m=x.m) for x in blocks[i + 1 : j]]
            builder.emit(inner, "quote", builder.meta())
            i = j + 1
            continue
        if b.kind == "hr":
            # a lone rule: not content, but a paragraph boundary (no join across it)
            builder.emit(part, "body", builder.meta())
            part = []
            i += 1
            continue
        if b.kind == "heading":
            title = _clean_title(b.raw)
            if _is_quote_text(title):
                builder.emit(part, "body", builder.meta())
                part = []
                builder.emit([_Block("para", b.start, b.end, m=b.m)], "quote", builder.meta())
                i += 1
                continue
            builder.emit(part, "body", builder.meta())
            part = []
            if b.number is not None:  # plain mode: already resolved
                number, level = b.number, b.level
                if pending:
                    pending = None
            else:
                mo = _NUMBER_ONLY.match(title)
                if mo:
                    pending = (mo.group(1), b.level)
                    nxt = blocks[i + 1] if i + 1 < len(blocks) else None
                    if nxt is None or nxt.kind != "heading":
                        num = mo.group(1)
                        t = builder.toc.titles.get(num, num) if toc else num
                        builder.push_heading(b.level, num, t)
                        pending = None
                    i += 1
                    continue
                level = b.level
                if pending:
                    number, level = pending
                    pending = None
                else:
                    mn = _NUMBERED_TITLE.match(title)
                    if mn and (not mn.group("dot") or "." in mn.group("num") or (toc and mn.group("num") in toc.titles)):
                        number, title = mn.group("num"), _clean_title(mn.group("title"))
                    else:
                        number = toc.number_for(title) if toc else None
                        if number and not _toc_number_fits(builder.stack, number, level):
                            number = None
                if number and toc and number in toc.titles and "." not in number:
                    level = min(level, min((e.level for e in builder.stack), default=level))
            builder.push_heading(level, number, title)
            i += 1
            continue
        part.append(b)
        i += 1
    builder.emit(part, "body", builder.meta())
    return builder.sections
