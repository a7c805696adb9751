"""A span of evidence sentences and how sentences are read in their passage: a list with its
intro, the sentence that continues or that a reference back points to, the one after.

The composer (compose.py) and the list answers (lists.py) build on these.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answering.cognates import english_roots, roots_in
from assistant.answering.evidence import ScoredSentence
from assistant.answering.markers import ENUMERATION as _ENUMERATION
from ingest.dutch import content_roots, fold, words

# how far below the best sentence a sentence of the asked kind may score and still be chosen
KIND_MARGIN = 0.06
# a second sentence joins the best one only when it is this close (and adjacent, same passage)
FOLLOW_MARGIN = 0.015
# a sentence opening with a reference back ("Voor dat laatste ...") comes with the one before it
_REFERS_BACK = re.compile(
    r"^\s*(?:voor\s+(?:dat|dit)\s+laatste|daarvoor|hiervoor|daarmee|hiermee|hierdoor|daardoor|"
    r"bovengenoemde|deze\s+\w+\s+(?:zijn|is|vormen)|for\s+the\s+latter|to\s+that\s+end)\b",
    re.I,
)
# a reference back anywhere in a sentence's first words ("We hebben hiermee ...")
POINTS_BACK = re.compile(r"^(?:\S+\s+){0,3}(?:hiermee|daarmee|hierdoor|daardoor|hierin|daarin|deze|dit)\b", re.I)
_CONTINUES = re.compile(
    r"^\s*(?:het|dit|deze|die|dat|daarbij|daarmee|zo|ook|hierbij|hiermee|dat\s+betekent|it|this|these|that|so)\b", re.I
)


@dataclass
class Span:
    """Sentences that answer, in reading order; `lines` keeps a list's items on lines of their own."""

    sentences: list[ScoredSentence]
    overview: bool = False
    exact: bool = False  # the span is the answer itself (an item headed by what was asked): nothing beside it
    # sentences (by index) read as the continuation of the one before: "A: daarbij gaat het om B, C"
    joined: frozenset[int] = frozenset()
    # a list whose items are each "<name>: <explanation>", asked for as a list: each item is given
    # by its name (the explanation stays in the cited passage)
    heads: bool = False
    # asked how many, answered by a sentence that names them without a number: how many it names
    count: int | None = None

    @property
    def given_as_is(self) -> bool:
        """Names, items or a count that a writer is not to rephrase (only to translate)."""
        return self.exact or self.heads or bool(self.count)


# "- Techniek als motor: versterken van de technische kracht ...": the item's name before the colon
ITEM_HEAD = re.compile(r"^\s*-\s+(?P<head>[^:]{2,80}?):\s+\S")
HEAD_WORDS = 6


def item_head(text: str) -> str | None:
    """The name heading a list item ("- <name>: <explanation>"), or None."""
    m = ITEM_HEAD.match(text)
    return m.group("head").strip() if m and len(m.group("head").split()) <= HEAD_WORDS else None


def shown(s: ScoredSentence, span: Span) -> str:
    """What an answer shows of a span's sentence: an item's name when the span gives names, else
    the sentence (the key its translation is kept under)."""
    return (item_head(s.text) if span.heads else None) or s.text


def is_item(s: ScoredSentence) -> bool:
    return s.text.lstrip().startswith("- ")


def is_intro(s: ScoredSentence) -> bool:
    return s.text.rstrip().endswith(":")


def by_passage(sentences: Sequence[ScoredSentence]) -> dict[int, list[ScoredSentence]]:
    groups: dict[int, list[ScoredSentence]] = {}
    for s in sentences:
        groups.setdefault(s.passage_index, []).append(s)
    for group in groups.values():
        group.sort(key=lambda s: s.position)
    return groups


def dedupe(sentences: Sequence[ScoredSentence]) -> list[ScoredSentence]:
    """Overlap sentences repeat at chunk boundaries: keep the first of each text."""
    seen: set[str] = set()
    out = []
    for s in sentences:
        key = " ".join(s.text.split()).lower()
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def best_of(candidates: Sequence[ScoredSentence], top: ScoredSentence, margin: float) -> ScoredSentence:
    good = [s for s in candidates if s.score >= top.score - margin]
    return max(good, key=lambda s: s.score) if good else top


def with_list(chosen: ScoredSentence, sentences: Sequence[ScoredSentence]) -> list[ScoredSentence]:
    """A sentence that introduces a list (or is one of its items) comes with the whole list."""
    group = dedupe(by_passage(sentences)[chosen.passage_index])
    idx = next(i for i, s in enumerate(group) if s.position == chosen.position or s.text == chosen.text)
    if not (is_intro(chosen) or is_item(chosen)):
        return [chosen]
    start = idx
    while start > 0 and is_item(group[start]):
        start -= 1
    end = idx + 1
    while end < len(group) and is_item(group[end]):
        end += 1
    return group[start:end]


def next_in_passage(chosen: ScoredSentence, sentences: Sequence[ScoredSentence]) -> ScoredSentence | None:
    group = dedupe(by_passage(sentences)[chosen.passage_index])
    idx = next((i for i, s in enumerate(group) if s.text == chosen.text), None)
    return group[idx + 1] if idx is not None and idx + 1 < len(group) else None


def then_next(
    chosen: ScoredSentence,
    sentences: Sequence[ScoredSentence],
    always: bool = False,
    enumeration: bool = False,
    lists: bool = True,
) -> list[ScoredSentence]:
    """The chosen sentence and, when it continues the thought (or, with `enumeration`, when it
    enumerates what the chosen one announces), the next one of its passage; a next sentence that
    opens a list comes with the list, or, without `lists`, only when the chosen sentence announces
    it (a list of other things after the sentence that answers pads it)."""
    group = dedupe(by_passage(sentences)[chosen.passage_index])
    idx = next((i for i, s in enumerate(group) if s.text == chosen.text), None)
    if idx is None or idx + 1 >= len(group):
        return [chosen]
    nxt = group[idx + 1]
    if is_intro(nxt) and not (lists or enumeration or announces(chosen.text, nxt.text)):
        return [chosen]
    close = nxt.score >= chosen.score - FOLLOW_MARGIN
    if always or close or _CONTINUES.match(nxt.text) or (enumeration and _ENUMERATION.search(nxt.text)):
        return [chosen, *(with_list(nxt, sentences) if is_intro(nxt) else [nxt])]
    return [chosen]


def announces(sentence: str, intro: str) -> bool:
    """The sentence names what the list intro after it lists ("... vier impactportfolio's." /
    "Deze impactportfolio's zijn:"): they share a content word."""
    return bool(content_roots(sentence, 6, 4) & content_roots(intro, 6, 4))


# a sentence whose subject is the one before's ("Daar raakt de opgave ...", "Beide programma's ...",
# "Zij zorgen voor ..."): read alone it does not say what it is about
STANDS_FOR_BEFORE = re.compile(r"^\s*(?:(?:daar|hier)\s+(?!\w+\s*[,:])\w+|beide|both|zij|ze|they)\b", re.I)


def with_previous(
    span: list[ScoredSentence], sentences: Sequence[ScoredSentence], strict: bool = False
) -> list[ScoredSentence]:
    """A span that opens with a reference back ("Voor dat laatste ...") starts one sentence earlier;
    `strict`: only for a sentence that cannot be read alone (STANDS_FOR_BEFORE, _REFERS_BACK)."""
    first = span[0]
    back = _REFERS_BACK.match(first.text) or STANDS_FOR_BEFORE.match(first.text)
    if not (back or (not strict and POINTS_BACK.search(first.text))):
        return span
    group = dedupe(by_passage(sentences)[first.passage_index])
    idx = next((i for i, s in enumerate(group) if s.text == first.text), 0)
    if idx == 0 or is_item(group[idx - 1]):
        return span
    return [group[idx - 1], *span]


def mentions(sentence: str, term: str) -> bool:
    """The sentence names the term: all its content words (folded, as prefixes for Dutch endings),
    or, for a term in English, the Dutch cognates of them all (industries / staalindustrie)."""
    needed = [fold(w)[:7] for w in words(term) if len(w) > 2]
    have = [fold(w) for w in words(sentence)]
    if bool(needed) and all(any(h.startswith(n) for h in have) for n in needed):
        return True
    return names_cognates(sentence, term)


def names_cognates(sentence: str, term: str) -> bool:
    """Every English word of the term has a Dutch cognate in the sentence."""
    roots = english_roots(term)
    return bool(roots) and len(roots_in(roots, sentence)) == len(roots)


def with_other_part(span: Span, other: Span) -> Span:
    """A span answering the first of two joined questions, with the sentences of the span that
    answers the second which it does not hold already (read after it)."""
    if span.overview:
        return span
    have = {" ".join(x.text.split()) for x in span.sentences}
    extra = [x for x in other.sentences if " ".join(x.text.split()) not in have]
    if not extra:
        return span
    return Span([*span.sentences, *extra], joined=span.joined)
