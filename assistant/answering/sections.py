"""Whole-section and whole-document questions: "Vat hoofdstuk 5 samen", "Wat staat er in 6.1?",
"Summarise the Regio Deal paper". They are answered from the whole section or document, found by
number or title (not by the top passages of a search), as an overview: one cited line per
subsection (per chapter for a document), each the subsection's most central sentence.

A question about a topic *within* a section or document ("wat staat er in de notitie over de
Regio Deals?") is not one of these: it goes through retrieval (kept to the named document).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.answering.citations import citation_for
from assistant.answering.documents import DocumentNames, terms
from assistant.answering.evidence import ScoredSentence
from assistant.answering.sentence_bank import SentenceBank
from assistant.answering.span import Span
from assistant.retrieval import Passage, Retrieval
from assistant.schema import Answer
from ingest.dutch import Analyzer
from ingest.model import Chunk
from ingest.sentences import split_sentences
from ingest.store import StoreReader

_SUMMARY = re.compile(
    r"\b(?:vat\b.{0,100}\bsamen|(?:geef|maak|schrijf)\b.{0,30}\bsamenvatting|samenvatting\s+van|"
    r"in\s+het\s+kort\s*\??$|overzicht\s+van|"
    r"wat\s+staat\s+er\s+(?:allemaal\s+)?in|waar\s+gaat\b.{0,100}\bover\s*\??$|wat\s+zegt\s+(?:hoofdstuk|paragraaf|sectie)|"
    r"summari[sz]e|summary\s+of|overview\s+of|what(?:'s|\s+is)\s+in|what\s+is\b.{0,100}\babout\s*\??$|"
    r"what\s+does\s+(?:section|chapter|paragraph)\b)",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"(?:\b(?:hoofdstuk|paragraaf|sectie|section|chapter|par\.)\s*|§\s*)(\d+(?:\.\d+)*)\b"
    # a bare "6.1": not a thousands group (1.500) nor a figure with a unit (2.5 miljoen)
    r"|\b(\d{1,2}\.\d{1,2})\b(?!\s*(?:%|procent|percent|miljoen|million|miljard|billion|euro|eur|keer|uur|jaar))",
    re.IGNORECASE,
)
# "... over talent", "... about funding": a topic inside the target, answered by retrieval
_TOPIC = re.compile(
    r"\b(?:over|about|regarding|aangaande|omtrent|voor|for|on|bij)\s+(?!\s*\??$)(?!(?:me|mij|ons|us|jou|you)\b)\w+",
    re.IGNORECASE,
)
_WHOLE_DOCUMENT = re.compile(r"\b(?:plan|document|notitie|nota|agenda|paper|note|report|stuk)\b", re.IGNORECASE)
# words after "over ..." that belong to the request, not to its topic ("vat de notitie over X samen")
_NOT_TOPIC = frozenset(
    [
        "over",
        "about",
        "regarding",
        "aangaande",
        "omtrent",
        "voor",
        "for",
        "on",
        "bij",
        "samen",
        "kort",
        "summarise",
        "summarize",
    ]
)
SKIPPED_KINDS = ("front", "members")  # the title page and the member list say nothing to summarise
MAX_LINES = 12
MIN_WORDS = 6


@dataclass
class Target:
    """What a whole-section question asks about: sections (doc id, number, title) to summarise."""

    label: str  # "hoofdstuk 5 (Onderhoud van het Twentse ecosysteem)", "Notitie Regio Deal Twente"
    chunks: list[Chunk]
    by_chapter: bool = False  # a document: one line per chapter
    missing: str | None = None  # the number asked for that no document has
    number: str | None = None  # the section number asked for (the intro says "Hoofdstuk 5 ...")


@dataclass
class Overview:
    retrieval: Retrieval
    sentences: list[ScoredSentence]
    span: Span
    intro: str


def asks_whole(question: str) -> bool:
    return bool(_SUMMARY.search(question)) and not _asks_topic(question)


def _asks_topic(question: str) -> bool:
    # "waar gaat hoofdstuk 5 over?" ends in "over": the whole section is asked, not a topic
    return bool(_TOPIC.search(re.sub(r"\bover\s*\??\s*$", "", question.strip())))


def _topic_is_named(question: str, names: DocumentNames, named: list[str]) -> bool:
    """ "Wat staat er in de notitie over de Regio Deal?" of the Notitie Regio Deal: the topic is
    what the named document is about, so the whole document is asked."""
    match = _TOPIC.search(question)
    if match is None or len(named) != 1:
        return False
    topic = terms(question[match.start() :]) - _NOT_TOPIC
    return bool(topic) and topic <= names.words[named[0]]


def _in_number(chunk: Chunk, number: str) -> bool:
    section = chunk.section_number or ""
    return section == number or section.startswith(number + ".") or (chunk.chapter_number or "") == number


def find_target(
    question: str,
    chunks: Sequence[Chunk],
    names: DocumentNames,
    analyzer: Analyzer,
    scope: frozenset[str] | None,
) -> Target | None:
    """The section or document `question` asks to summarise, or None when it asks something else."""
    named = names.named_in(question)
    if not _SUMMARY.search(question) or (_asks_topic(question) and not _topic_is_named(question, names, named)):
        return None
    pool = [c for c in chunks if (scope is None or c.doc_id in scope)]
    in_named = [c for c in pool if c.doc_id in named] if named else pool
    match = _NUMBER.search(question)
    if match:
        number = match.group(1) or match.group(2)
        hits = [c for c in in_named if _in_number(c, number)]
        if not hits:
            # "hoofdstuk 9" that no document has is said so; a bare "2.5" may be something else
            return Target(label=number, chunks=[], missing=number, number=number) if match.group(1) else None
        first = hits[0]
        title = first.chapter_title if (first.chapter_number or "") == number else first.section_title
        label = f"{number} ({title})" if title else number
        # a number several documents have: each of them, the answer names which says what
        return Target(label=label if len({c.doc_id for c in hits}) == 1 else number, chunks=hits, number=number)
    asked = set(analyzer.tokens(question))
    titled = _by_title(in_named, asked, analyzer)
    if titled is not None:
        return titled
    in_pool = list(dict.fromkeys(c.doc_id for c in in_named))
    if len(named) == 1 or (len(in_pool) == 1 and _WHOLE_DOCUMENT.search(question)):
        doc_id = named[0] if named else in_pool[0]
        doc_chunks = [c for c in pool if c.doc_id == doc_id]
        if not doc_chunks:  # the named document is outside the scope: the scope decides
            return None
        return Target(label=doc_chunks[0].doc_title, chunks=doc_chunks, by_chapter=True)
    return None


def _by_title(chunks: Sequence[Chunk], asked: set[str], analyzer: Analyzer) -> Target | None:
    """The section (or chapter) whose whole title is in the question, the longest such title."""
    best: tuple[int, str, str, str] | None = None  # (title terms, doc id, kind, title)
    for c in chunks:
        for kind, title in (("chapter", c.chapter_title or ""), ("section", c.section_title)):
            if title.strip() == c.doc_title.strip():
                continue  # the document's own title names the whole document
            terms = set(analyzer.tokens(title))
            if terms and terms <= asked and (best is None or len(terms) > best[0]):
                best = (len(terms), c.doc_id, kind, title)
    if best is None:
        return None
    _, doc_id, kind, title = best
    hits = [
        c
        for c in chunks
        if c.doc_id == doc_id and ((c.chapter_title if kind == "chapter" else c.section_title) == title)
    ]
    return Target(label=title, chunks=hits)


def overview(target: Target, bank: SentenceBank, lang: str) -> Overview:
    """One line per subsection of the target (per chapter for a document): its lead sentence. A
    target of one section gets the lead sentence of each of its paragraphs and list items."""
    chunks = sorted(target.chunks, key=lambda c: (c.doc_id, c.ordinal))
    useful = [c for c in chunks if c.kind not in SKIPPED_KINDS] or chunks
    groups: dict[tuple, list[Chunk]] = {}
    for c in useful:
        key = (
            (c.doc_id, c.chapter_number, c.chapter_title)
            if target.by_chapter
            else (c.doc_id, c.section_number, c.section_title)
        )
        groups.setdefault(key, []).append(c)
    if target.by_chapter and any(k[1] for k in groups):  # unnumbered front and back matter says little
        groups = {k: v for k, v in groups.items() if k[1]}
    picked: list[tuple[Chunk, str, int]] = []
    if len(groups) == 1:
        picked = _paragraph_leads(next(iter(groups.values())))[:MAX_LINES]
    else:
        for members in list(groups.values())[:MAX_LINES]:
            leads = [p for p in _paragraph_leads(members) if not p[1].lstrip().startswith("- ")]
            picked += leads[:1] or _central(members, bank, 1)
    passages: list[Passage] = []
    sentences: list[ScoredSentence] = []
    index_of: dict[str, int] = {}
    for chunk, text, position in picked:
        if chunk.chunk_id not in index_of:
            index_of[chunk.chunk_id] = len(passages)
            passages.append(Passage(chunk, 1.0))
        passage = passages[index_of[chunk.chunk_id]]
        label = citation_for(0, passage).location() or chunk.doc_title
        if target.by_chapter and chunk.chapter_title:
            label = f"{chunk.chapter_number or ''} {chunk.chapter_title}".strip()
        sentences.append(
            ScoredSentence(
                text,
                index_of[chunk.chunk_id],
                position,
                1.0,
                1.0,
                0.0,
                section_key=f"{chunk.doc_id}#{chunk.section_number}#{chunk.section_title}",
                section_label=label,
                chunk_kind=chunk.kind,
            )
        )
    retrieval = Retrieval(query="", passages=passages, query_vector=None, timings={})
    span = Span(sentences, overview=len(groups) > 1)
    intro = (f"{target.label} in brief:" if lang == "en" else f"{target.label} in het kort:") if target.label else ""
    if target.number:
        chapter = "." not in target.number
        word = {("en", True): "Chapter", ("en", False): "Section", ("nl", True): "Hoofdstuk"}.get(
            (lang, chapter), "Paragraaf"
        )
        intro = f"{word} {intro}"
    return Overview(retrieval, sentences, span, intro)


def _paragraph_leads(chunks: list[Chunk]) -> list[tuple[Chunk, str, int]]:
    """The first sentence of each paragraph and list item of `chunks` (a section, in reading
    order), without the overlap lines a chunk repeats from the one before; a paragraph that is too
    short or only introduces a list is left out."""
    out: list[tuple[Chunk, str, int]] = []
    seen: set[str] = set()  # sentences already read (a chunk starts with the last of the one before)
    for c in chunks:
        for position, line in enumerate(ln.strip() for ln in c.text.split("\n")):
            fresh = [s.strip() for s in split_sentences(line) or [line] if s.strip() not in seen]
            seen.update(s.strip() for s in split_sentences(line) or [line])
            if not fresh:
                continue
            first = fresh[0]
            item = first.startswith("- ")
            if (item or len(first.split()) >= MIN_WORDS) and not first.endswith((":", "?")):
                out.append((c, first.rstrip(";"), position))
    return out


def whole_section(
    question: str,
    scope: frozenset[str] | None,
    store: StoreReader,
    names: DocumentNames,
    bank: SentenceBank,
    lang: str,
) -> Overview | Answer | None:
    """An overview when the question asks for a whole section or document (a not-found answer
    when the section it names does not exist); None for any other question."""
    target = find_target(question, store.chunks, names, store.analyzer, scope)
    if target is None:
        return None
    if target.missing:
        return missing_section_answer(question, target.missing, lang)
    result = overview(target, bank, lang)
    return result if result.sentences else None


def missing_section_answer(question: str, number: str, lang: str) -> Answer:
    """A section number that no document (in the scope) has: said so, nothing guessed."""
    text = (
        f"The documents have no section {number}."
        if lang == "en"
        else f"De documenten hebben geen hoofdstuk of paragraaf {number}."
    )
    return Answer(answer=text, status="not_found", question=question, standalone_question=question)


def _central(chunks: list[Chunk], bank: SentenceBank, n: int) -> list[tuple[Chunk, str, int]]:
    """The `n` sentences of `chunks` nearest to their mean (long enough, not an intro to a list),
    in reading order; (chunk, sentence, position in the chunk)."""
    candidates: list[tuple[Chunk, str, int, np.ndarray]] = []
    seen: set[str] = set()
    for c in chunks:
        sentences, vectors = bank.get(c.chunk_id, c.text)
        for position, (s, v) in enumerate(zip(sentences, vectors, strict=True)):
            if s in seen:
                continue  # the overlap sentence repeated in the next chunk
            seen.add(s)
            if len(s.split()) >= MIN_WORDS and not s.rstrip().endswith((":", "?")):
                candidates.append((c, s, position, v))
    if not candidates:
        first = chunks[0]
        return [(first, first.text.split("\n")[0], 0)]
    matrix = np.vstack([v for *_, v in candidates])
    order = np.argsort(-(matrix @ matrix.mean(axis=0)))[:n]
    return [candidates[i][:3] for i in sorted(order)]
