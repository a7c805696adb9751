"""Sections -> Chunks: sentence-aligned, list-aware, with sentence overlap inside a section."""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass

from ingest.model import Chunk, LoadedDocument, Section
from ingest.sentences import sentence_spans
from ingest.structure import OffsetMapper, parse_sections

NO_OVERLAP_KINDS = {"quote", "members"}


def word_count(text: str) -> int:
    """Words as the chunker counts them (list bullets '-' are not words)."""
    return sum(1 for w in text.split() if w != "-")


@dataclass
class _Atom:
    start: int  # offsets in section.text
    end: int
    is_item: bool
    words: int


@dataclass
class _Unit:
    atoms: list[_Atom]
    words: int
    is_sentence: bool  # a plain sentence (eligible for overlap)


_TOKEN = re.compile(r"\S+")


def _split_runaway(text: str, s: int, e: int, chunk_words: int) -> list[tuple[int, int]]:
    """Safety valve for pathological input only (no sentence end for hundreds of words, e.g. a
    table or a broken conversion): cut into pieces of <= chunk_words words, at a comma/semicolon
    when there is one in the second half of the window."""
    toks = [(m.start(), m.end()) for m in _TOKEN.finditer(text, s, e)]
    pieces: list[tuple[int, int]] = []
    i = 0
    while i < len(toks):
        j = min(len(toks), i + chunk_words)
        if j < len(toks):
            for k in range(j - 1, i + chunk_words // 2, -1):
                if text[toks[k][1] - 1] in ",;:":
                    j = k + 1
                    break
        pieces.append((toks[i][0], toks[j - 1][1]))
        i = j
    return pieces


def _atoms(section: Section, chunk_words: int) -> list[_Atom]:
    text = section.text
    cap = max(4 * chunk_words, 250)
    out: list[_Atom] = []
    for s, e in sentence_spans(text):
        wc = word_count(text[s:e])
        is_item = text.startswith("- ", s)
        if wc > cap:
            for a, b in _split_runaway(text, s, e, chunk_words):
                out.append(_Atom(a, b, is_item and a == s, word_count(text[a:b])))
        else:
            out.append(_Atom(s, e, is_item, wc))
    return out


def _units(section: Section, chunk_words: int) -> list[_Unit]:
    text = section.text
    atoms = _atoms(section, chunk_words)
    units: list[_Unit] = []
    i = 0
    while i < len(atoms):
        a = atoms[i]
        if not a.is_item:
            units.append(_Unit([a], a.words, True))
            i += 1
            continue
        j = i
        while j < len(atoms) and atoms[j].is_item:
            j += 1
        items = atoms[i:j]
        intro = None
        if (
            units
            and units[-1].is_sentence
            and text[units[-1].atoms[0].start : units[-1].atoms[0].end].rstrip().endswith(":")
        ):
            intro = units.pop().atoms[0]
        total = sum(x.words for x in items) + (intro.words if intro else 0)
        if total <= chunk_words * 2:
            units.append(_Unit(([intro] if intro else []) + items, total, False))
        else:
            # split the items into groups; repeat the intro at the start of every group
            base = intro.words if intro else 0
            group: list[_Atom] = []
            words = base
            for it in items:
                if group and words + it.words > chunk_words:
                    units.append(_Unit(([intro] if intro else []) + group, words, False))
                    group, words = [], base
                group.append(it)
                words += it.words
            if group:
                units.append(_Unit(([intro] if intro else []) + group, words, False))
        i = j
    return units


def _pack(units: list[_Unit], chunk_words: int, overlap: int) -> list[list[_Atom]]:
    chunks: list[list[_Atom]] = []
    cur: list[_Atom] = []
    cur_units: list[_Unit] = []
    cur_words = 0
    has_new = False
    for u in units:
        if has_new and cur_words + u.words > chunk_words:
            chunks.append(cur)
            carry: list[_Unit] = []
            if overlap > 0:
                for prev in reversed(cur_units):
                    if not prev.is_sentence or len(carry) >= overlap:
                        break
                    carry.insert(0, prev)
            carry_words = sum(x.words for x in carry)
            if carry_words + u.words > chunk_words:
                carry, carry_words = [], 0
            cur = [a for x in carry for a in x.atoms]
            cur_units = list(carry)
            cur_words = carry_words
            has_new = False
        cur.extend(u.atoms)
        cur_units.append(u)
        cur_words += u.words
        has_new = True
    if has_new:
        chunks.append(cur)
    return chunks


def _balanced_pack(units: list[_Unit], chunk_words: int, overlap: int) -> list[list[_Atom]]:
    """Greedy packing at the smallest word limit (<= chunk_words) that needs no more chunks than
    packing at chunk_words: same chunk count, evener sizes (no tiny tail chunk)."""
    best = _pack(units, chunk_words, overlap)
    if len(best) <= 1:
        return best
    total = sum(u.words for u in units)
    lo = max(1, total // len(best))
    step = max(1, chunk_words // 24)
    for limit in range(lo, chunk_words, step):
        cand = _pack(units, limit, overlap)
        if len(cand) <= len(best):
            return cand
    return best


def _chunk_text(section_text: str, atoms: list[_Atom]) -> tuple[str, list[int]]:
    """The chunk's text and where each atom begins in it."""
    parts: list[str] = []
    at: list[int] = []
    size = 0
    prev: _Atom | None = None
    for a in atoms:
        if prev is not None:
            if a.is_item:
                sep = "\n"
            elif a.start >= prev.end and "\n" not in section_text[prev.end : a.start]:
                sep = " "
            else:
                sep = "\n\n"
            parts.append(sep)
            size += len(sep)
        at.append(size)
        piece = section_text[a.start : a.end]
        parts.append(piece)
        size += len(piece)
        prev = a
    return "".join(parts), at


def _page_marks(pages: list[int | None], offsets: list[int]) -> str:
    """ "offset:page" for each atom that begins on another page than the atom before it."""
    marks = []
    for i in range(1, len(pages)):
        if pages[i] is not None and pages[i] != pages[i - 1]:
            marks.append(f"{offsets[i]}:{pages[i]}")
    return ";".join(marks)


def _page_of(doc: LoadedDocument, offset: int, starts: list[int]) -> int | None:
    if not doc.pages:
        return None
    i = bisect.bisect_right(starts, offset) - 1
    i = max(0, min(i, len(doc.pages) - 1))
    return doc.pages[i].number


def chunk_document(
    doc: LoadedDocument, sections: list[Section], chunk_words: int = 120, overlap_sentences: int = 1
) -> list[Chunk]:
    chunk_words = max(1, int(chunk_words))
    overlap_sentences = max(0, int(overlap_sentences))
    out: list[Chunk] = []
    page_starts = [p.start for p in doc.pages]
    for section in sorted(sections, key=lambda s: s.start):
        if not section.text.strip():
            continue
        overlap = 0 if section.kind in NO_OVERLAP_KINDS else overlap_sentences
        to_doc = OffsetMapper(section)
        for atoms in _balanced_pack(_units(section, chunk_words), chunk_words, overlap):
            text, offsets = _chunk_text(section.text, atoms)
            # doc span: from the first to the last source character the chunk covers
            starts = [to_doc(a.start) for a in atoms]
            ends = [to_doc(a.end - 1) + 1 for a in atoms]
            start, end = min(starts), max(ends)
            ordinal = len(out)
            digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
            out.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}:{ordinal:04d}:{digest}",
                    doc_id=doc.doc_id,
                    doc_title=doc.title,
                    ordinal=ordinal,
                    text=text,
                    section_number=section.number,
                    section_title=section.title,
                    chapter_number=section.chapter_number,
                    chapter_title=section.chapter_title,
                    heading_path=" > ".join(section.heading_path),
                    kind=section.kind,
                    start=start,
                    end=end,
                    page=_page_of(doc, start, page_starts),
                    page_end=_page_of(doc, max(start, end - 1), page_starts),
                    page_marks=_page_marks([_page_of(doc, x, page_starts) for x in starts], offsets),
                )
            )
    return out


def chunk_corpus_document(doc: LoadedDocument, chunk_words: int = 120, overlap: int = 1) -> list[Chunk]:
    """parse_sections + chunk_document: the one call the indexer uses."""
    return chunk_document(doc, parse_sections(doc), chunk_words=chunk_words, overlap_sentences=overlap)
