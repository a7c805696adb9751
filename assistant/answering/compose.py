"""Question-aware extractive composition: pick the span of the evidence that answers what was asked.

The kind of question (`question.analyse`) decides what to look for among the scored sentences:
a list whole with the sentence that introduces it; the sentence that names a term plus the one that
explains it; the sentence with the names, the date or the amount asked for; a reason; one line per
section for an overview. The answer leads with that span and adds nothing from elsewhere.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answering.evidence import ENUMERATION as _ENUMERATION
from assistant.answering.evidence import ROLE_WORDS, ScoredSentence, has_number, has_time
from assistant.answering.question import QuestionForm
from ingest.dutch import fold, words

# how far below the best sentence a sentence of the asked kind may score and still be chosen
KIND_MARGIN = 0.06
# a list block wins over an enumerating sentence scoring up to this much more
LIST_BONUS = 0.02
# ... and either gets this when it names the noun the question asks for
NOUN_BONUS = 0.03
# a sentence of another passage joins a list answer when it scores within this of the span
SECOND_PART_MARGIN = 0.035
# a second sentence joins the best one only when it is this close (and adjacent, same passage)
FOLLOW_MARGIN = 0.015
OVERVIEW_SECTIONS = 4
SHORT_LINE_WORDS = 3
# the sentence about a question's focus may stand this far below the best one
FOCUS_MARGIN = 0.12
# a question word that is also a word of the list's heading ("Leden Twente Board") tells the
# items apart less: it weighs this much against 1 for the question's other words
TOPIC_WORD_WEIGHT = 0.3
# a sentence opening with a reference back ("Voor dat laatste ...") comes with the one before it
_REFERS_BACK = re.compile(
    r"^\s*(?:voor\s+(?:dat|dit)\s+laatste|daarvoor|hiervoor|daarmee|hiermee|hierdoor|daardoor|"
    r"bovengenoemde|deze\s+\w+\s+(?:zijn|is|vormen)|for\s+the\s+latter|to\s+that\s+end)\b",
    re.I,
)
# a reference back anywhere in a sentence's first words ("We hebben hiermee ...")
_POINTS_BACK = re.compile(r"^(?:\S+\s+){0,3}(?:hiermee|daarmee|hierdoor|daardoor|hierin|daarin|deze|dit)\b", re.I)
OVERVIEW_MARGIN = 0.08

_REASON = re.compile(
    r"\b(?:omdat|doordat|want|daardoor|daarom|zodat|waardoor|om\s+\w+(?:\s+\w+){0,6}\s+te|"
    r"because|so\s+that|in\s+order\s+to|therefore)\b",
    re.I,
)
_NAME = re.compile(r"(?<!^)(?<![.:;!?]\s)\b[A-ZÀ-Þ][\w'’&-]+")
_CONTINUES = re.compile(
    r"^\s*(?:het|dit|deze|die|dat|daarbij|daarmee|zo|ook|hierbij|hiermee|dat\s+betekent|it|this|these|that|so)\b", re.I
)


@dataclass
class Span:
    """Sentences that answer, in reading order; `lines` keeps a list's items on lines of their own."""

    sentences: list[ScoredSentence]
    overview: bool = False
    exact: bool = False  # the span is the answer itself (an item headed by what was asked): nothing beside it


def _is_item(s: ScoredSentence) -> bool:
    return s.text.lstrip().startswith("- ")


def _is_intro(s: ScoredSentence) -> bool:
    return s.text.rstrip().endswith(":")


def _by_passage(sentences: Sequence[ScoredSentence]) -> dict[int, list[ScoredSentence]]:
    groups: dict[int, list[ScoredSentence]] = {}
    for s in sentences:
        groups.setdefault(s.passage_index, []).append(s)
    for group in groups.values():
        group.sort(key=lambda s: s.position)
    return groups


def _dedupe(sentences: Sequence[ScoredSentence]) -> list[ScoredSentence]:
    """Overlap sentences repeat at chunk boundaries: keep the first of each text."""
    seen: set[str] = set()
    out = []
    for s in sentences:
        key = " ".join(s.text.split()).lower()
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def list_blocks(sentences: Sequence[ScoredSentence]) -> list[list[ScoredSentence]]:
    """Every run of list items with the sentence before it (its intro), per passage."""
    blocks = []
    for group in _by_passage(sentences).values():
        group = _dedupe(group)
        i = 0
        while i < len(group):
            if not _is_item(group[i]):
                i += 1
                continue
            start = i
            while i < len(group) and _is_item(group[i]):
                i += 1
            intro = [group[start - 1]] if start > 0 and not _is_item(group[start - 1]) else []
            blocks.append(intro + group[start:i])
    return blocks


def _block_score(block: list[ScoredSentence], form: QuestionForm) -> float:
    items = [s for s in block if _is_item(s)]
    score = max(s.score for s in block) + _noun_bonus(block[0], form)
    if form.count and len(items) == form.count:
        score += 0.02
    if block and _is_intro(block[0]):
        score += 0.005
    return score


def _best_of(candidates: Sequence[ScoredSentence], top: ScoredSentence, margin: float) -> ScoredSentence:
    good = [s for s in candidates if s.score >= top.score - margin]
    return max(good, key=lambda s: s.score) if good else top


def _with_list(chosen: ScoredSentence, sentences: Sequence[ScoredSentence]) -> list[ScoredSentence]:
    """A sentence that introduces a list (or is one of its items) comes with the whole list."""
    group = _dedupe(_by_passage(sentences)[chosen.passage_index])
    idx = next(i for i, s in enumerate(group) if s.position == chosen.position or s.text == chosen.text)
    if not (_is_intro(chosen) or _is_item(chosen)):
        return [chosen]
    start = idx
    while start > 0 and _is_item(group[start]):
        start -= 1
    end = idx + 1
    while end < len(group) and _is_item(group[end]):
        end += 1
    return group[start:end]


def _then_next(
    chosen: ScoredSentence, sentences: Sequence[ScoredSentence], always: bool = False, enumeration: bool = False
) -> list[ScoredSentence]:
    """The chosen sentence and, when it continues the thought (or, with `enumeration`, when it
    enumerates what the chosen one announces), the next one of its passage."""
    group = _dedupe(_by_passage(sentences)[chosen.passage_index])
    idx = next((i for i, s in enumerate(group) if s.text == chosen.text), None)
    if idx is None or idx + 1 >= len(group):
        return [chosen]
    nxt = group[idx + 1]
    close = nxt.score >= chosen.score - FOLLOW_MARGIN
    if always or close or _CONTINUES.match(nxt.text) or (enumeration and _ENUMERATION.search(nxt.text)):
        return [chosen, *(_with_list(nxt, sentences) if _is_intro(nxt) else [nxt])]
    return [chosen]


def _noun_bonus(s: ScoredSentence, form: QuestionForm) -> float:
    """A list's intro or an enumeration that names what was asked for ("actoren") is the answer."""
    return NOUN_BONUS if form.noun and _mentions(s.text, form.noun) else 0.0


def _mentions(sentence: str, term: str) -> bool:
    """The sentence names the term: all its content words (folded, as prefixes for Dutch endings)."""
    needed = [fold(w)[:7] for w in words(term) if len(w) > 2]
    have = [fold(w) for w in words(sentence)]
    return bool(needed) and all(any(h.startswith(n) for h in have) for n in needed)


_ITEM_HEAD = re.compile(r"^\s*-\s+(?P<head>[^:]{2,80}):\s+\S")


def _defines(sentence: str, term: str) -> float:
    """How much of the term a list item "- <head>: <explanation>" names in its head (0: not such an
    item, or its head holds a word the term does not): the item defines the term."""
    m = _ITEM_HEAD.match(sentence)
    if m is None:
        return 0.0
    head = [fold(w)[:7] for w in words(m.group("head")) if len(w) > 2]
    wanted = [fold(w)[:7] for w in words(term) if len(w) > 2]
    if not head or not wanted or not all(h in wanted for h in head):
        return 0.0
    share = sum(w in head for w in wanted) / len(wanted)
    return share if share >= 0.5 else 0.0


def _defining_item(term: str, ranked: list[ScoredSentence], margin: float) -> ScoredSentence | None:
    """The list item near the best sentence whose head names most of the term ("- Circulaire
    economie & Duurzaamheid: aansluiten bij ..."), or None."""
    near = [s for s in ranked if s.score >= ranked[0].score - margin and _defines(s.text, term)]
    return max(near, key=lambda s: (_defines(s.text, term), s.score), default=None)


def _about_focus(focus: str, ranked: list[ScoredSentence]) -> Span | None:
    """A question about one thing ("Innovatie in de zorg: wat valt daaronder?") is answered by the
    list item headed by it, else by the best sentence that names it; not by the whole list."""
    if item := _defining_item(focus, ranked, FOCUS_MARGIN):
        return Span([item], exact=True)
    naming = [s for s in ranked if s.score >= ranked[0].score - FOCUS_MARGIN and _mentions(s.text, focus)]
    return Span(naming[:1]) if naming else None


def _number_in_intro(chosen: ScoredSentence) -> bool:
    """An intro that holds the number ("... bestaan uit 4 centrale actielijnen:") answers "hoeveel"
    without its list."""
    return _is_intro(chosen) and has_number(chosen.text)


def _with_previous(span: list[ScoredSentence], sentences: Sequence[ScoredSentence]) -> list[ScoredSentence]:
    """A span that opens with a reference back ("Voor dat laatste ...") starts one sentence earlier."""
    first = span[0]
    if not (_REFERS_BACK.match(first.text) or _POINTS_BACK.search(first.text)):
        return span
    group = _dedupe(_by_passage(sentences)[first.passage_index])
    idx = next((i for i, s in enumerate(group) if s.text == first.text), 0)
    if idx == 0 or _is_item(group[idx - 1]):
        return span
    return [group[idx - 1], *span]


def _names_in(text: str) -> int:
    return len(_NAME.findall(text))


def compose_span(form: QuestionForm, sentences: Sequence[ScoredSentence]) -> Span:
    """The sentences that answer a question of this form, in the order they are to be read."""
    if not sentences:
        return Span([])
    ranked = sorted(sentences, key=lambda s: -s.score)
    if form.kind not in ("names", "list", "date", "amount"):
        # a line of two or three words (a signature, a heading) does not answer what, how or why
        ranked = [s for s in ranked if len(s.text.split()) > SHORT_LINE_WORDS] or ranked
    top = ranked[0]

    if form.focus and (about := _about_focus(form.focus, ranked)):
        return about

    if form.kind == "overview":
        return Span(_overview(ranked), overview=True)

    if form.wants_many:
        span = _many(form, ranked, sentences)
        if span and all(x.chunk_kind == "members" for x in span):
            return Span(span, exact=True)  # member lines: names and roles to be given as they stand
        return Span(_with_second_part(span, ranked) if form.parts > 1 else span)

    if form.kind == "definition" and form.term:
        term = form.term
        if item := _defining_item(term, ranked, KIND_MARGIN * 2):
            return Span([item], exact=True)
        naming = [s for s in ranked if _mentions(s.text, term)]
        chosen = _best_of(naming, top, KIND_MARGIN * 2)
        short = len(chosen.text.split()) < 25
        span = _with_list(chosen, sentences) if _is_intro(chosen) else _then_next(chosen, sentences, always=short)
        return Span(_with_previous(span, sentences))

    finders = {"date": has_time, "amount": has_number, "reason": lambda t: bool(_REASON.search(t))}
    if form.kind in finders:
        chosen = _best_of([s for s in ranked if finders[form.kind](s.text)], top, KIND_MARGIN)
        if form.kind == "amount" and _number_in_intro(chosen):
            return Span([chosen])
        return Span(_with_list(chosen, sentences))

    if form.kind == "names":
        named = [s for s in ranked if _names_in(s.text) >= 1]
        return Span(_with_list(_best_of(named, top, KIND_MARGIN), sentences))

    # a fact, a way (how), yes/no: the best sentence, its list if it opens one
    if _is_intro(top) or _is_item(top):
        return Span(_with_list(top, sentences))
    return Span(_then_next(top, sentences))


def _many(
    form: QuestionForm, ranked: list[ScoredSentence], sentences: Sequence[ScoredSentence]
) -> list[ScoredSentence]:
    """A list, names or an enumeration: the best-scoring of the list blocks (whole, with intro)
    and the sentences that enumerate inside themselves; an announcing best sentence brings the
    enumeration that follows it."""
    top = ranked[0]
    blocks = [b for b in list_blocks(sentences) if len([s for s in b if _is_item(s)]) >= 2]
    block = max(blocks, key=lambda b: _block_score(b, form)) if blocks else None
    if form.kind == "names":
        members = [s for s in ranked if s.chunk_kind == "members" and s.score >= top.score - KIND_MARGIN]
        if members:  # a member list answers "who": the members the question names, else all, in order
            return matching_items(
                form,
                _dedupe(
                    sorted(
                        (s for s in sentences if s.chunk_kind == "members"), key=lambda s: (s.passage_index, s.position)
                    )
                ),
            )
        singles = [s for s in ranked if _names_in(s.text) >= 2]
    else:
        singles = [s for s in ranked if _ENUMERATION.search(s.text)]
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
        return _with_previous(_then_next(top, sentences, enumeration=True), sentences)
    if single is top and not singles:
        return _then_next(top, sentences, enumeration=True)  # an announcement: the enumeration may follow
    return _with_list(single, sentences)


def _announces(top: ScoredSentence, single: ScoredSentence, form: QuestionForm) -> bool:
    """The best sentence names the noun a list question asks for, outscoring (with that bonus)
    the best enumerating sentence, and points back to what it names."""
    return (
        single is not top
        and _noun_bonus(top, form) > 0
        and top.score + _noun_bonus(top, form) > single.score + _noun_bonus(single, form)
        and bool(_POINTS_BACK.search(top.text))
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


def _with_second_part(span: list[ScoredSentence], ranked: list[ScoredSentence]) -> list[ScoredSentence]:
    """A question in two parts ("voor innovatie, en welke voor talent?") is answered in two
    passages: the best sentence of another passage joins when it scores as well as the span."""
    used = {s.passage_index for s in span}
    other = next((s for s in ranked if s.passage_index not in used), None)
    if other is not None and other.score >= ranked[0].score - SECOND_PART_MARGIN:
        return [*span, other]
    return span


def _overview(ranked: list[ScoredSentence]) -> list[ScoredSentence]:
    """One sentence per relevant section: the best of each, for the best sections."""
    top = ranked[0]
    seen: set[str] = set()
    picked: list[ScoredSentence] = []
    for s in ranked:
        if s.score < top.score - OVERVIEW_MARGIN or len(picked) >= OVERVIEW_SECTIONS:
            break
        if s.section_key in seen or _is_item(s):
            continue
        seen.add(s.section_key)
        picked.append(s)
    return picked


def writer_evidence(
    form: QuestionForm,
    sentences: Sequence[ScoredSentence],
    extra: int = 2,
    max_words: int = 220,
    composed: Span | None = None,
) -> list[tuple[int, list[ScoredSentence]]]:
    """What the language model gets to write from: the composed span (`composed`, when the caller
    has it already) plus the next best sentences, grouped by passage (in rank order) and in reading
    order inside each, within a word budget."""
    composed = composed or compose_span(form, sentences)
    span = composed.sentences
    if composed.exact:
        extra = 0  # other sentences beside the item that answers only lead the model astray
    chosen = list(span)
    texts = {s.text for s in chosen}
    budget = sum(len(s.text.split()) for s in chosen)
    for s in sorted(sentences, key=lambda s: -s.score):
        if len(chosen) >= len(span) + extra or budget >= max_words:
            break
        if s.text not in texts and not _is_item(s):
            chosen.append(s)
            texts.add(s.text)
            budget += len(s.text.split())
    groups: dict[int, list[ScoredSentence]] = {}
    for s in chosen:
        groups.setdefault(s.passage_index, []).append(s)
    return [(pi, sorted(group, key=lambda s: s.position)) for pi, group in groups.items()]
