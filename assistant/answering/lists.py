"""List answers: the list block, the enumerating sentence or the member lines that answer "which
...", "who ...", with the sentence that announces or spells them out.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from assistant.answering.cognates import english_roots, roots_in
from assistant.answering.evidence import ROLE_WORDS, ScoredSentence
from assistant.answering.markers import ENUMERATION as _ENUMERATION
from assistant.answering.markers import names_in
from assistant.answering.question import QuestionForm
from assistant.answering.span import (
    KIND_MARGIN,
    POINTS_BACK,
    by_passage,
    dedupe,
    is_intro,
    is_item,
    item_head,
    mentions,
    next_in_passage,
    then_next,
    with_list,
    with_previous,
)
from ingest.dutch import FUNCTION_WORDS, fold, words

# a list block wins over an enumerating sentence scoring up to this much more
LIST_BONUS = 0.02
# ... and either gets this when it names the noun the question asks for
NOUN_BONUS = 0.03
# a question that names one item of a list of named items is answered by that item alone
SINGLE_OUT_ITEMS = True
# a sentence of another passage joins a list answer when it scores within this of the span
SECOND_PART_MARGIN = 0.035
# a question word that is also a word of the list's heading ("Leden Twente Board") tells the
# items apart less: it weighs this much against 1 for the question's other words
TOPIC_WORD_WEIGHT = 0.3
# a sentence that spells out what the one before names ("Daarbij gaat het om Europese fondsen,
# Rijksbeleidsprogramma's ...", "Denk aan slimme materialen, sensing ...")
_ELABORATES = re.compile(
    r"^\s*(?:daarbij|hierbij|het)\s+gaat\s+het\s+(?:dan\s+|onder\s+meer\s+)?om\b|^\s*het\s+gaat\s+(?:dan\s+|hierbij\s+)?om\b"
    r"|^\s*(?:denk\s+aan|bijvoorbeeld|zoals|onder\s+meer|waaronder|namelijk|such\s+as|for\s+example|think\s+of)\b",
    re.I,
)
# "A en B", and Dutch's elliptic compounds "textiel- en staalindustrie"
_PAIR = re.compile(r"\b\w{3,}-?\s+(?:en|and)\s+\w{3,}\b")


def list_blocks(sentences: Sequence[ScoredSentence]) -> list[list[ScoredSentence]]:
    """Every run of list items with the sentence before it (its intro), per passage."""
    blocks = []
    for group in by_passage(sentences).values():
        group = dedupe(group)
        i = 0
        while i < len(group):
            if not is_item(group[i]):
                i += 1
                continue
            start = i
            while i < len(group) and is_item(group[i]):
                i += 1
            intro = [group[start - 1]] if start > 0 and not is_item(group[start - 1]) else []
            blocks.append(intro + group[start:i])
    return blocks


def _block_score(block: list[ScoredSentence], form: QuestionForm) -> float:
    items = [s for s in block if is_item(s)]
    score = max(s.score for s in block) + _noun_bonus(block[0], form)
    if form.count and len(items) == form.count:
        score += 0.02
    if block and is_intro(block[0]):
        score += 0.005
    return score


def _noun_bonus(s: ScoredSentence, form: QuestionForm) -> float:
    """A list's intro or an enumeration that names what was asked for ("actoren") is the answer."""
    return NOUN_BONUS if form.noun and mentions(s.text, form.noun) else 0.0


def list_span(
    form: QuestionForm, ranked: list[ScoredSentence], sentences: Sequence[ScoredSentence]
) -> list[ScoredSentence]:
    """A list, names or an enumeration: the best-scoring of the list blocks (whole, with intro)
    and the sentences that enumerate inside themselves; an announcing best sentence brings the
    enumeration that follows it."""
    top = ranked[0]
    blocks = [b for b in list_blocks(sentences) if len([s for s in b if is_item(s)]) >= 2]
    block = max(blocks, key=lambda b: _block_score(b, form)) if blocks else None
    if form.kind == "names":
        members = [s for s in ranked if s.chunk_kind == "members" and s.score >= top.score - KIND_MARGIN]
        if members:  # a member list answers "who": the members the question names, else all, in order
            return matching_items(
                form,
                dedupe(
                    sorted(
                        (s for s in sentences if s.chunk_kind == "members"), key=lambda s: (s.passage_index, s.position)
                    )
                ),
            )
        singles = [s for s in ranked if names_in(s.text) >= 2]
    else:
        singles = [s for s in ranked if _ENUMERATION.search(s.text) or _names_noun_pair(s.text, form)]
    single = max(
        (s for s in singles if s.score >= top.score - KIND_MARGIN),
        key=lambda s: s.score + _noun_bonus(s, form),
        default=top,
    )
    if block is not None and _block_score(block, form) + LIST_BONUS >= single.score + _noun_bonus(single, form):
        return block
    if _announces(top, single, form):
        # "We hebben hiermee unieke posities opgebouwd in de sleuteltechnologieën": the best
        # sentence names what is asked; the enumeration it points to stands before or after it
        return with_previous(then_next(top, sentences, enumeration=True), sentences)
    if single is top and not singles:
        return then_next(top, sentences, enumeration=True)  # an announcement: the enumeration may follow
    return _elaborated(with_list(single, sentences), sentences)


def _names_noun_pair(sentence: str, form: QuestionForm) -> bool:
    """ "Signaleren en monitoren zijn de essentiële basistaken": two things joined by "en" that the
    sentence calls by the noun asked for (a list of two needs no comma)."""
    return bool(form.noun and _PAIR.search(sentence) and mentions(sentence, form.noun))


def _announces(top: ScoredSentence, single: ScoredSentence, form: QuestionForm) -> bool:
    """The best sentence names the noun a list question asks for, outscoring (with that bonus)
    the best enumerating sentence, and points back to what it names."""
    return (
        single is not top
        and _noun_bonus(top, form) > 0
        and top.score + _noun_bonus(top, form) > single.score + _noun_bonus(single, form)
        and bool(POINTS_BACK.search(top.text))
    )


def _elaborated(span: list[ScoredSentence], sentences: Sequence[ScoredSentence]) -> list[ScoredSentence]:
    """An enumerating or announcing sentence comes with the next one of its passage when that one
    spells out what it names ("Daarbij gaat het om A, B en C")."""
    last = span[-1]
    if is_item(last) or is_intro(last):
        return span
    nxt = next_in_passage(last, sentences)
    if nxt is not None and _ELABORATES.match(nxt.text) and _ENUMERATION.search(nxt.text):
        return [*span, nxt]
    return span


def _spells_out(before: ScoredSentence, after: ScoredSentence) -> bool:
    """`after` is the elaboration of `before` in its passage (read as one sentence with it)."""
    return (
        before.passage_index == after.passage_index
        and after.position == before.position + 1
        and not (is_item(before) or is_intro(before) or is_item(after))
        and bool(_ELABORATES.match(after.text) and _ENUMERATION.search(after.text))
    )


def _has_word(have: Sequence[str], word: str) -> bool:
    stem = word[:7]
    return any(h.startswith(stem) for h in have)


def _pair_in(have: Sequence[str], first: str, second: str) -> bool:
    return any(a.startswith(first[:7]) and b.startswith(second[:7]) for a, b in itertools.pairwise(have))


def matching_items(form: QuestionForm, items: list[ScoredSentence]) -> list[ScoredSentence]:
    """The items of a list that the question singles out ("Wie is de voorzitter van de Twente
    Board?" -> the chair's line; "Wie is namens Saxion lid?" -> Saxion's), else all of them.

    An item scores 1 per question word it holds that is not a word of the list's own heading, and
    2 x the lesser weight (TOPIC_WORD_WEIGHT for a heading word, else 1) per pair of question words
    it holds side by side; an item holding no word but the heading's scores 0. The best are kept."""
    # an English role word stands for the Dutch one the list uses ("chairs" -> "voorzitter")
    q = tuple(ROLE_WORDS.get(w, ROLE_WORDS.get(w.removesuffix("s"), w)) for w in form.words)
    if not q or len(items) < 2:
        return items
    topic = {w for s in items for w in words(s.section_label)}
    weight = {w: TOPIC_WORD_WEIGHT if w in topic else 1.0 for w in q}

    def score(item: ScoredSentence) -> float:
        have = words(item.text)
        held = [w for w in dict.fromkeys(q) if w not in topic and _has_word(have, w)]
        if not held:
            return 0.0
        pairs = sum(2 * min(weight[a], weight[b]) for a, b in itertools.pairwise(q) if _pair_in(have, a, b))
        return len(held) + pairs

    scores = [score(s) for s in items]
    best = max(scores)
    chosen = [s for s, sc in zip(items, scores, strict=True) if best > 0 and sc == best]
    return chosen if chosen and len(chosen) < len(items) else items


def singled_out(form: QuestionForm, block: list[ScoredSentence]) -> ScoredSentence | None:
    """The one item of a list of named items whose name the question holds ("What does the key
    technologies portfolio focus on?" -> "- Sleuteltechnologieën: Focus ligt op fotonica ..."): the
    question asks about that item, not for the list. None when it names no item, or several, or asks
    for a number of them."""
    if not SINGLE_OUT_ITEMS or (form.count or 0) > 1:
        return None
    items = [s for s in block if is_item(s)]
    if len(items) < 3:
        return None
    hits = [s for s in items if _names_head(form, item_head(s.text) or "")]
    return hits[0] if len(hits) == 1 else None


def _names_head(form: QuestionForm, head: str) -> bool:
    """The question holds at least half of the content words of an item's name: as the same word,
    one inside the other (a compound: "digitaliseringsportfolio"), or its English cognate."""
    wanted = [fold(w) for w in words(head) if w not in FUNCTION_WORDS and len(w) > 3]
    if not wanted or not form.words:
        return False
    asked = [fold(w) for w in form.words]
    roots = english_roots(" ".join(form.words)) if form.language == "en" else []

    def held(h: str) -> bool:
        return any(q[:7] == h[:7] or (len(h) >= 6 and h in q) or (len(q) >= 6 and q in h) for q in asked) or bool(
            roots_in(roots, h)
        )

    return 2 * sum(held(h) for h in wanted) >= len(wanted)


def with_second_part(span: list[ScoredSentence], ranked: list[ScoredSentence]) -> list[ScoredSentence]:
    """A question in two parts ("voor innovatie, en welke voor talent?") is answered in two
    passages: the best sentence of another passage joins when it scores as well as the span."""
    used = {s.passage_index for s in span}
    other = next((s for s in ranked if s.passage_index not in used), None)
    if other is not None and other.score >= ranked[0].score - SECOND_PART_MARGIN:
        return [*span, other]
    return span


def joined_in(span: list[ScoredSentence]) -> frozenset[int]:
    """The sentences of a list span read as the rest of the one before them (an elaboration)."""
    return frozenset(i for i, x in enumerate(span) if i and _spells_out(span[i - 1], x))
