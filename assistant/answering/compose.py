"""Question-aware extractive composition: pick the span of the evidence that answers what was asked.

The kind of question (`question.analyse`) decides what to look for among the scored sentences:
a list whole with the sentence that introduces it; the sentence that names a term plus the one that
explains it; the sentence with the names, the date or the amount asked for; a reason; one line per
section for an overview. The answer leads with that span and adds nothing from elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import replace

from assistant.answering.evidence import ScoredSentence
from assistant.answering.lists import joined_in, list_span, singled_out, with_second_part
from assistant.answering.markers import enumerated_names, has_number, has_reason, has_time, names_in
from assistant.answering.question import QuestionForm
from assistant.answering.ranking import restates
from assistant.answering.span import (
    KIND_MARGIN,
    Span,
    best_of,
    is_intro,
    is_item,
    item_head,
    mentions,
    next_in_passage,
    then_next,
    with_list,
    with_previous,
)
from ingest.dutch import fold, words

# the kinds of question whose sentence the learned ranker picks (ranking.py); the others keep the
# plain score their list and overview rules were tuned on
RANKED_KINDS: dict[str, bool] = {
    "fact": True,
    "how": True,
    "yes_no": True,
    "definition": True,
    "reason": True,
    "date": True,
    "amount": True,
    "names": False,
    "list": False,
    "overview": False,
}
# a list question answered by a list of "<name>: <explanation>" items gets the names (Span.heads)
LIST_HEADS_ONLY = True
# a fact answer whose sentence stands for the one before ("Daar raakt ...", "Beide ...") starts there
READ_WITH_ANTECEDENT = True
# the questions whose answer sentence brings a list that opens right after it ("... Dat doen we
# met:"); for a fact or yes/no question that list is about something else and pads the answer
LIST_AFTER_ANSWER_KINDS: Collection[str] = ("how",)
# asked how many, a sentence that names them ("A en B") answers with their count first
COUNT_ENUMERATED = True
# a definition reads on from the sentence naming the term until this many words (at most this
# many sentences)
DEFINITION_WORDS = 25
DEFINITION_SENTENCES = 3
OVERVIEW_SECTIONS = 4
SHORT_LINE_WORDS = 3
# the sentence about a question's focus may stand this far below the best one
FOCUS_MARGIN = 0.12
OVERVIEW_MARGIN = 0.08
# a sentence that only says again what was asked (ranking.restates) gives way to what follows it
# for the questions whose answer is a clause the question does not hold (a fact question may be
# asked in the words of the sentence that answers it)
RESTATED_KINDS = ("reason", "how")
# a sentence that refers back to the one before ("Zij zorgen voor ...", "Met hun producten ...")
_REFERS_TO_BEFORE = re.compile(
    r"^(?:\S+\s+){0,3}?(?:zij|ze|hun|hij|zijn|haar|dit|dat|deze|die|daarmee|hiermee|daardoor|hierdoor|"
    r"they|their|this|these|it|its)\b",
    re.I,
)


# a sentence that goes on to another point ("Ook zijn de sectoren ...", "Daarnaast ...")
_ADDS_ANOTHER = re.compile(r"^\s*(?:ook|daarnaast|verder|tevens|bovendien|also|in\s+addition|besides)\b", re.I)
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
    naming = [s for s in ranked if s.score >= ranked[0].score - FOCUS_MARGIN and mentions(s.text, focus)]
    return Span(naming[:1]) if naming else None


def _named_items(span: list[ScoredSentence]) -> bool:
    """The span is one list (intro and items of one passage, in a row) whose items are each named
    ("- <name>: <explanation>") by distinct names that are no numbered labels ("Doel 1", "Stap 2")."""
    items = [x for x in span if is_item(x)]
    heads = [item_head(x.text) for x in items]
    one_list = len({x.passage_index for x in span}) == 1 and all(is_item(x) for x in span[1:])
    return (
        len(items) >= 2
        and one_list
        and all(h and not any(c.isdigit() for c in h) for h in heads)
        and len({h.lower() for h in heads if h}) == len(heads)
    )


def _explained(chosen: ScoredSentence, sentences: Sequence[ScoredSentence]) -> list[ScoredSentence]:
    """The sentence that names a term and the ones after it in its passage until they hold
    DEFINITION_WORDS words ("In Twente hebben we noaberschap. Een authentiek Twents begrip; ...
    men helpt elkaar."): a short naming sentence does not yet say what the term is."""
    span = [chosen]
    while sum(len(x.text.split()) for x in span) < DEFINITION_WORDS and len(span) < DEFINITION_SENTENCES:
        nxt = next_in_passage(span[-1], sentences)
        if nxt is None or is_item(nxt) or (len(span) > 1 and _ADDS_ANOTHER.match(nxt.text)):
            break
        if is_intro(nxt):
            return [*span, *with_list(nxt, sentences)]
        span.append(nxt)
    return span


def _counted(form: QuestionForm, ranked: Sequence[ScoredSentence]) -> dict[str, int]:
    """Asked how many, the sentences that name what is counted without a number: how many names
    each enumerates ("De investeringsprogramma's Regio Deal Twente en de Agenda voor Twente";
    quoted names, or capitalised ones in a sentence naming the counted noun)."""
    if not (COUNT_ENUMERATED and form.kind == "amount" and form.noun):
        return {}
    out = {}
    for s in ranked:
        if has_number(s.text) or is_item(s):
            continue
        names = enumerated_names(s.text, quoted_only=not mentions(s.text, form.noun))
        if len(names) >= 2:
            out[s.text] = len(names)
    return out


def _number_in_intro(chosen: ScoredSentence) -> bool:
    """An intro that holds the number ("... bestaan uit 4 centrale actielijnen:") answers "hoeveel"
    without its list."""
    return is_intro(chosen) and has_number(chosen.text)


def _past_restatement(
    span: list[ScoredSentence], sentences: Sequence[ScoredSentence], form: QuestionForm
) -> list[ScoredSentence]:
    """A span that only restates the question is answered by what follows it: the next sentence
    of its passage and the one after that when it refers back ("Zij ... Met hun ..."); the
    restatement itself goes (the question says it already)."""
    if form.kind not in RESTATED_KINDS or len(span) != 1 or is_item(span[0]) or is_intro(span[0]):
        return span
    if not restates(span[0].text, form):
        return span
    nxt = next_in_passage(span[0], sentences)
    if nxt is None or is_item(nxt):
        return span
    out = [nxt]
    after = next_in_passage(nxt, sentences)
    if after is not None and not is_item(after) and _REFERS_TO_BEFORE.match(after.text):
        out.append(after)
    return out


def compose_span(form: QuestionForm, sentences: Sequence[ScoredSentence]) -> Span:
    """The sentences that answer a question of this form, in the order they are to be read."""
    if not sentences:
        return Span([])
    if RANKED_KINDS.get(form.kind) and all(s.learned is not None for s in sentences):
        sentences = [replace(s, score=s.learned if s.learned is not None else s.score) for s in sentences]
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
        span = list_span(form, ranked, sentences)
        if span and all(x.chunk_kind == "members" for x in span):
            return Span(span, exact=True)  # member lines: names and roles to be given as they stand
        named_list = _named_items(span)
        if named_list and form.parts == 1 and (item := singled_out(form, span)):
            return Span([item], exact=True)
        whole = with_second_part(span, ranked) if form.parts > 1 else span
        heads = LIST_HEADS_ONLY and form.kind == "list" and whole is span and named_list
        return Span(whole, joined=joined_in(whole), heads=heads)

    if form.kind == "definition" and form.term:
        term = form.term
        if item := _defining_item(term, ranked, KIND_MARGIN * 2):
            return Span([item], exact=True)
        naming = [s for s in ranked if mentions(s.text, term)]
        chosen = best_of(naming, top, KIND_MARGIN * 2)
        span = with_list(chosen, sentences) if is_intro(chosen) else _explained(chosen, sentences)
        return Span(with_previous(span, sentences))

    finders = {"date": has_time, "amount": has_number, "reason": has_reason}
    if form.kind in finders:
        stating = [s for s in ranked if finders[form.kind](s.text)]
        # a number stated within the margin goes first; else the names a sentence counts
        close = any(s.score >= top.score - KIND_MARGIN for s in stating)
        counted = {} if close else _counted(form, ranked)
        chosen = best_of(stating + [s for s in ranked if s.text in counted], top, KIND_MARGIN)
        if chosen.text in counted:  # "Hoeveel X?" "De X A en B ...": two, and which
            return Span([chosen], count=counted[chosen.text])
        if form.kind == "amount" and _number_in_intro(chosen):
            return Span([chosen])
        return Span(_past_restatement(with_list(chosen, sentences), sentences, form))

    if form.kind == "names":
        named = [s for s in ranked if names_in(s.text) >= 1]
        return Span(with_list(best_of(named, top, KIND_MARGIN), sentences))

    # a fact, a way (how), yes/no: the best sentence, its list if it opens one (the one item of
    # it the question names, when it names one)
    if is_intro(top) or is_item(top):
        span = with_list(top, sentences)
        if _named_items(span) and (item := singled_out(form, span)):
            return Span([item], exact=True)
        return Span(span)
    span = _past_restatement(then_next(top, sentences, lists=form.kind in LIST_AFTER_ANSWER_KINDS), sentences, form)
    return Span(with_previous(span, sentences, strict=True) if READ_WITH_ANTECEDENT else span)


def _overview(ranked: list[ScoredSentence]) -> list[ScoredSentence]:
    """One sentence per relevant section: the best of each, for the best sections."""
    top = ranked[0]
    seen: set[str] = set()
    picked: list[ScoredSentence] = []
    for s in ranked:
        if s.score < top.score - OVERVIEW_MARGIN or len(picked) >= OVERVIEW_SECTIONS:
            break
        if s.section_key in seen or is_item(s):
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
        if s.text not in texts and not is_item(s):
            chosen.append(s)
            texts.add(s.text)
            budget += len(s.text.split())
    groups: dict[int, list[ScoredSentence]] = {}
    for s in chosen:
        groups.setdefault(s.passage_index, []).append(s)
    return [(pi, sorted(group, key=lambda s: s.position)) for pi, group in groups.items()]
