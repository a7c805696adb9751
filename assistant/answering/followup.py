"""Follow-up questions: make "Wat valt er precies onder de tweede?" stand alone before retrieval.

Without a language model: detect a follow-up (short, with a reference word or an ordinal),
resolve an ordinal against the enumeration in the previous answer, otherwise prepend the previous
question. With a language model the service asks it to rewrite (see service.py) and falls back here.
"""

from __future__ import annotations

import html
import re
from typing import Protocol, TypeVar

from assistant.schema import ChatMessage
from ingest.dutch import content_roots
from ingest.language import detect_language

ORDINALS = {
    "eerste": 1,
    "tweede": 2,
    "derde": 3,
    "vierde": 4,
    "vijfde": 5,
    "zesde": 6,
    "laatste": -1,
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "last": -1,
    "1e": 1,
    "2e": 2,
    "3e": 3,
    "4e": 4,
}
REFERENCES = {
    "die",
    "dat",
    "deze",
    "dit",
    "daar",
    "daarvan",
    "daarbij",
    "daarin",
    "daarvoor",
    "hiervan",
    "hierbij",
    "hun",
    "hij",
    "zij",
    "ze",
    "het",
    "ervan",
    "erbij",
    "erin",
    "welke",
    "genoemde",
    "those",
    "them",
    "it",
    "they",
    "that",
    "this",
    "there",
    "these",
    "its",
    "their",
    "one",
    "ones",
    "he",
    "she",
    "his",
    "her",
}
OPENERS = ("en ", "and ", "ook ", "also ", "wat nog", "what else", "en wat", "and what", "verder", "meer ")
_WORD = re.compile(r"[\w'’-]+")
_MARKER = re.compile(r"\s*\[\d+\]")


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def is_follow_up(question: str) -> bool:
    ws = _words(question)
    if not ws or len(ws) > 14:
        return False
    q = question.strip().lower()
    return any(w in ORDINALS for w in ws) or any(w in REFERENCES for w in ws) or q.startswith(OPENERS)


def ordinal_of(question: str) -> int | None:
    for w in _words(question):
        if w in ORDINALS:
            return ORDINALS[w]
    return None


def enumeration(text: str, clauses: bool = False) -> list[str]:
    """The items of the list in an answer: '- ' lines, numbered lines, or 'A, B, C en D' (with
    `clauses`, also in a clause that ends at ";")."""
    text = html.unescape(_MARKER.sub("", text))
    lines = [ln.strip() for ln in text.splitlines()]
    items = [re.sub(r"^(?:[-*•]|\d+[.)])\s+", "", ln) for ln in lines if re.match(r"^(?:[-*•]|\d+[.)])\s+", ln)]
    if len(items) >= 2:
        return [re.split(r"[:;]", it, maxsplit=1)[0].strip() for it in items]
    best: list[str] = []
    for sentence in re.split(r"(?<=[.!?;])\s+" if clauses else r"(?<=[.!?])\s+", text):
        body = sentence.split(":", 1)[1] if ":" in sentence else sentence
        body = re.sub(r"^.*?\b(?:zijn|are|is|zijn de|namely|namelijk)\b\s+", "", body, count=1)
        parts = prose_items(body)
        if len(parts) > len(best):
            best = parts
    return best if len(best) >= 2 else []


# an item longer than this (its bracketed aside not counted) is a clause, not a list item
ITEM_MAX_WORDS = 10
_CONJUNCTION = re.compile(r"\s+(?:en|and|of|or)\s+", re.I)


def _top_level(text: str, pattern: re.Pattern, maxsplit: int = 0) -> list[str]:
    """`text` split at the matches of `pattern` that stand outside brackets (at the first
    `maxsplit` of them, when given)."""
    depth, cuts = 0, []
    spans = [(m.start(), m.end()) for m in pattern.finditer(text)]
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        while spans and spans[0][0] == i:
            if depth == 0:
                cuts.append(spans[0])
            spans.pop(0)
    pieces, start = [], 0
    for a, b in cuts[: maxsplit or None]:
        pieces.append(text[start:a])
        start = b
    return [*pieces, text[start:]]


def prose_items(body: str) -> list[str]:
    """'A, B (b1, b2), C en D' -> A, B (b1, b2), C, D. Commas outside brackets part the items
    (semicolons, when there are two or more: a single one ends a clause) and only the last part is
    split at its conjunction ("A and B" without commas too), so an item that holds "en" ("talent
    en kenniswerkers") stays whole. A part too long to be an item makes the sentence no list (a
    silently dropped item would shift "the third one")."""
    separator = re.compile(r";\s*" if body.count(";") >= 2 else r",\s*")
    parts = [p.strip(" .;") for p in _top_level(body.strip(), separator)]
    last = re.sub(r"^(?:en|and|of|or)\s+", "", parts[-1], flags=re.I)
    if last != parts[-1]:  # "A, B, and C": the conjunction opens the last item
        parts[-1] = last
    else:  # "A, B en C": the last part holds two items; "A en B": no commas, all are items
        parts[-1:] = [p.strip(" .;") for p in _top_level(last, _CONJUNCTION, maxsplit=int(len(parts) > 1))]
    parts = [p for p in parts if p]
    if any(len(re.sub(r"\([^()]*\)", "", p).split()) > ITEM_MAX_WORDS for p in parts):
        return []
    return parts


# "he"/"she" refer to the person the previous answer named; "die twee"/"both" to its enumeration
_PERSONAL = re.compile(r"\b(?:hij|hem|he|him|she)\b", re.I)
_PERSON = re.compile(
    r"\b(?!(?:De|Het|Een|The|A|An|In|Op|Voor|Met)\b)([A-Z][a-zà-ÿ]+(?:\s+(?:van|de|der|den|ter|ten|von))*\s+[A-Z][a-zà-ÿ]+)\b"
)
_BOTH = re.compile(
    r"\b(?:die|deze|de)\s+(?:twee|drie|vier|beide)\b|\bbeide\b|\b(?:those|these|the)\s+(?:two|three|four)\b|\bboth\b",
    re.I,
)


def _resolve_reference(question: str, answer: str) -> str | None:
    """The question with its pronoun replaced by the person the previous answer names, or its
    "die twee" by the items the previous answer enumerates; None when neither applies."""
    text = html.unescape(_MARKER.sub("", answer))
    if _PERSONAL.search(question) and (person := _PERSON.search(text)):
        return _PERSONAL.sub(person.group(1), question, count=1)
    if _BOTH.search(question):
        items = [re.sub(r"^(?:de|het|the)\s+", "", it, flags=re.I) for it in enumeration(text, clauses=True)]
        if 2 <= len(items) <= 4 and all(len(it.split()) <= 6 for it in items):
            joined = ", ".join(items[:-1]) + (" and " if detect_language(question) == "en" else " en ") + items[-1]
            return _BOTH.sub(joined, question, count=1)
    return None


def condense(question: str, history: list[ChatMessage] | None) -> str:
    """The question rewritten to stand alone, by rules (no language model)."""
    if not history or not is_follow_up(question):
        return question
    users = [m.content for m in history if m.role == "user"]
    answers = [m.content for m in history if m.role == "assistant"]
    n = ordinal_of(question)
    if n is not None and answers:
        items = enumeration(answers[-1])
        if items and (n == -1 or n <= len(items)):
            item = items[n - 1] if n > 0 else items[-1]
            return f"{item}: {question}"
    if answers and (resolved := _resolve_reference(question, answers[-1])):
        return resolved
    if users:
        return f"{users[-1]} {question}"
    return question


# "welke andere burgemeester", "what else", "besides those": something other than what was answered
_OTHER = re.compile(r"\b(?:andere?|anders|nog\s+meer|verder\s+nog|other|else|another|besides)\b", re.I)
# a sentence the previous answer gave already: this share of its words in that answer, or of the
# answer's words in it (the answer may paraphrase it, or quote it in full)
SAID_BEFORE_SHARE = 0.6


class _Sentence(Protocol):
    text: str


S = TypeVar("S", bound=_Sentence)


def besides_previous(sentences: list[S], question: str, history: list[ChatMessage] | None) -> list[S]:
    """The sentences, without those the previous answer gave, when the question asks for something
    besides it ("welke andere burgemeester ..."); all of them when that would leave none."""
    if not history or not _OTHER.search(question):
        return sentences
    answers = [m.content for m in history if m.role == "assistant" and m.content.strip()]
    if not answers:
        return sentences
    previous = _MARKER.sub("", html.unescape(answers[-1]))
    return [s for s in sentences if not said_before(s.text, previous)] or sentences


def _content(text: str) -> set[str]:
    return content_roots(text, 7, 3)


def said_before(sentence: str, answer: str) -> bool:
    """Whether `answer` already said what `sentence` says (compared as content words)."""
    own, said = _content(sentence), _content(answer)
    if not own or not said:
        return False
    shared = len(own & said)
    return max(shared / len(own), shared / len(said)) >= SAID_BEFORE_SHARE
