"""Citations: a passage as a `Citation`, and the check that every generated sentence is supported
by the passage it cites."""

from __future__ import annotations

import re

import numpy as np

from assistant.answering.evidence import tokens_overlap
from assistant.answering.sentence_bank import SentenceBank
from assistant.answering.text import MARKER, clean_output
from assistant.retrieval import Passage
from assistant.schema import Citation
from ingest.language import detect_language
from ingest.sentences import split_sentences


def citation_for(n: int, passage: Passage) -> Citation:
    c = passage.chunk
    return Citation(
        id=n,
        document=c.doc_title,
        document_id=c.doc_id,
        section=c.section_number,
        section_title=c.section_title or None,
        page=c.page,
        text=clean_output(passage.text),
        score=round(float(passage.score), 6),
        chunk_id=c.chunk_id,
        heading_path=clean_output(c.heading_path),
    )


def quoted_citation(n: int, passage: Passage, quotes: list[str]) -> Citation:
    """`citation_for` with the sentences the answer rests on; its page is the page of the first
    of them (a passage that runs over a page break is cited at the page its quote stands on)."""
    citation = citation_for(n, passage)
    citation.quotes = list(quotes)
    for quote in quotes:
        for chunk in passage.chunks:
            at = chunk.text.find(quote.strip())
            if at >= 0:
                citation.page = chunk.page_at(at)
                return citation
    return citation


def section_label(p: Passage) -> str:
    return citation_for(0, p).location() or p.chunk.doc_title


LEADING_MARKERS = re.compile(r"^((?:\[\d+\]\s*)+)")


def claim_sentences(text: str) -> list[str]:
    """Sentences with their markers: a marker after the full stop ("... ketens. [1] Het ...")
    belongs to the sentence before it, not to the next one."""
    out: list[str] = []
    for sentence in split_sentences(text):
        lead = LEADING_MARKERS.match(sentence)
        if lead and out:
            out[-1] = f"{out[-1]} {lead.group(1).strip()}"
            sentence = sentence[lead.end() :].strip()
        if sentence:
            out.append(sentence)
    return out


# a line of a list the model writes ("- Digitalisering [1]", "2. Innovation in care [1]"): one claim
LIST_LINE = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
# a short list item is supported by the item line of its cited passage it is this close to (the
# model names the items of a Dutch list in English: "Innovation in care" / "- Innovatie in de zorg")
ITEM_MIN_SIMILARITY = 0.85


def claim_units(text: str) -> list[tuple[bool, str]]:
    """(is a list item, claim) in reading order: each list line is one claim, the rest is read
    sentence by sentence (claim_sentences)."""
    units: list[tuple[bool, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if LIST_LINE.match(line):
            units.append((True, LIST_LINE.sub("", line, count=1).strip()))
        else:
            units.extend((False, s) for s in claim_sentences(line))
    return units


def check_citations(
    text: str,
    passages: list[Passage],
    bank: SentenceBank,
    min_similarity: float = 0.90,
    min_similarity_translated: float = 0.90,
    quotes: dict[int, list[str]] | None = None,
) -> tuple[str, list[str], set[int]]:
    """Keep sentences a given passage supports, pointing at it; drop the rest (flagged).

    Markers to sources that were not given are removed; a sentence without a marker that a
    passage supports gets that passage's marker. Support = half the sentence's words in the
    passage, or an embedding similarity to one of its sentences of at least `min_similarity`
    (`min_similarity_translated` for a sentence in another language than the passage: an English
    rendering of a Dutch sentence scores lower than a Dutch paraphrase would).
    `quotes`, when given, gets for each used marker the passage sentences nearest to the sentences
    that cite it (what the source view highlights)."""
    text = clean_output(text)
    kept: list[tuple[bool, str]] = []
    flagged: list[str] = []
    used: set[int] = set()
    embedder = bank.embedder
    banked = [[bank.get(c.chunk_id, c.text) for c in p.chunks] for p in passages]
    passage_vectors = [np.vstack([vectors for _, vectors in b]) for b in banked]
    passage_sentences = [[s for sentences, _ in b for s in sentences] for b in banked]
    passage_langs = [detect_language(p.text) for p in passages]
    for item, sentence in claim_units(text):
        markers = [int(m) for m in MARKER.findall(sentence)]
        bare = MARKER.sub("", sentence).strip()
        if len(bare.split()) < 3 and not (item and bare):
            continue  # stray fragments and lone markers
        lexical = [tokens_overlap(bare, p.text) for p in passages]
        vec = embedder.embed_passages([bare])[0]
        # per passage: its sentence nearest to the claim (index) and how near (cosine)
        sims = [v @ vec for v in passage_vectors]
        nearest = [int(np.argmax(x)) if len(x) else -1 for x in sims]
        dense = [float(x[n]) if n >= 0 else 0.0 for x, n in zip(sims, nearest, strict=True)]
        lang = detect_language(bare)
        floors = [min_similarity if pl == lang else min_similarity_translated for pl in passage_langs]
        # 0.5 = supported: lexical overlap of half the words, or the similarity floor reached
        support = [max(lx, 0.5 + (d - t) * 5) for lx, d, t in zip(lexical, dense, floors, strict=True)]
        if item:  # a list item naming an item of the cited passage's list, near enough
            support = [
                max(sp, 0.5 if n >= 0 and ps[n].lstrip().startswith("- ") and d >= ITEM_MIN_SIMILARITY else 0.0)
                for sp, n, d, ps in zip(support, nearest, dense, passage_sentences, strict=True)
            ]
        valid = [m for m in markers if 1 <= m <= len(passages)]
        supported = [m for m in valid if support[m - 1] >= 0.5]
        if not supported:
            best = int(np.argmax(support)) if support else -1
            if best >= 0 and support[best] >= 0.5:
                supported = [best + 1]
        if not supported:
            flagged.append(bare)
            continue
        used.update(supported)
        if quotes is not None:
            for m in supported:
                if nearest[m - 1] >= 0:
                    quote = passage_sentences[m - 1][nearest[m - 1]]
                    if quote not in quotes.setdefault(m, []):
                        quotes[m].append(quote)
        kept.append((item, bare.rstrip() + " " + "".join(f"[{m}]" for m in supported)))
    return _joined(kept), flagged, used


def _joined(claims: list[tuple[bool, str]]) -> str:
    """Kept claims as text: sentences run on, each list item on a line of its own, and a sentence
    after a list starts a new line."""
    lines: list[str] = []
    after_item = False
    for item, claim in claims:
        if item:
            lines.append(f"- {claim}")
        elif lines and not after_item:
            lines[-1] = f"{lines[-1]} {claim}"
        else:
            lines.append(claim)
        after_item = item
    return "\n".join(lines)
