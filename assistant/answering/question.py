"""What kind of answer a question asks for: a list, names, a date, an amount, a definition, a
reason, a way (how), an overview, yes or no, or a plain fact.

Decided from the question's form (interrogatives and the words around them), in Dutch and in
English; nothing here knows the documents. The composer and the "not found" decision use it to
look for the span that answers, and the evaluation reports per kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from ingest.dutch import FUNCTION_WORDS, words
from ingest.language import detect_language

AnswerKind = Literal["list", "names", "date", "amount", "definition", "reason", "how", "overview", "yes_no", "fact"]
ANSWER_KINDS: tuple[str, ...] = (
    "list",
    "names",
    "date",
    "amount",
    "definition",
    "reason",
    "how",
    "overview",
    "yes_no",
    "fact",
)

_COUNTS = {
    "twee": 2,
    "drie": 3,
    "vier": 4,
    "vijf": 5,
    "zes": 6,
    "zeven": 7,
    "acht": 8,
    "negen": 9,
    "tien": 10,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_COUNT = re.compile(rf"\b(?:{'|'.join(_COUNTS)}|[2-9]|1[0-9])\b", re.I)

_OVERVIEW = re.compile(
    r"^\s*(?:wat\s+(?:zegt|schrijft|vertelt|meldt)\s+(?:het\s+plan|de\s+(?:notitie|tekst|board|twente\s+board)|het\s+document|het\s+stuk|men)"
    r"|wat\s+staat\s+er\s+(?:in\s+(?:het\s+plan|de\s+notitie|het\s+document)\s+)?"
    r"|what\s+does\s+(?:the\s+(?:plan|paper|document|board|twente\s+board|strategy)|it)\s+(?:say|write|tell\s+us|state)"
    r"|what\s+is\s+said|tell\s+me\s+(?:more\s+)?)"
    r"\s*(?:about|over|on|regarding|omtrent)\s+(?P<term>.+?)\s*[?.!]*\s*$",
    re.I,
)
_DEFINITION = re.compile(
    r"^\s*(?:wat\s+(?:wordt|word)\s+(?:er\s+)?(?:in\s+het\s+plan\s+|door\s+de\s+\w+(?:\s+\w+)?\s+)?bedoeld\s+met\s+(?P<t1>.+?)"
    r"|wat\s+verstaat\s+.+?\s+onder\s+(?P<t2>.+?)"
    r"|wat\s+(?:houdt|behelst)\s+(?P<t3>.+?)\s+in"
    r"|wat\s+(?:is|betekent)\s+(?:precies\s+|eigenlijk\s+)?(?P<t4>(?:een|de|het)\s+\S+(?:\s+\S+){0,4}|\S+(?:\s+\S+){0,2})(?:\s+(?:waar|waarover|die|dat)\b.*)?"
    r"|what\s+does\s+(?:the\s+plan|the\s+board|it|the\s+document)\s+mean\s+(?:by|when\s+it\s+calls\s+\w+(?:\s+\w+)?\s+(?:a|an|the))\s+(?P<t5>.+?)"
    r"|what\s+(?:exactly\s+)?(?:is|are)\s+(?:meant\s+by\s+)?(?P<t6>(?:an?|the)\s+\S+(?:\s+\S+){0,4}|'[^']+'|\S+(?:\s+\S+){0,2})(?:\s+(?:that|which|the\s+plan)\b.*)?"
    r"|define\s+(?P<t7>.+?))"
    r"(?:\s*,?\s*(?:as\s+the\s+plan\s+describes\s+it|volgens\s+het\s+plan|in\s+het\s+plan|in\s+the\s+plan))?\s*[?.!]*\s*$",
    re.I,
)
# a term that ends in a preposition is a question about what it is aimed at, based on, used for
_STRANDED = re.compile(r"\b(?:at|on|for|to|with|about|from|of|by|into|op|aan|voor|mee|naar|over|van|bij)\W*$", re.I)
_REASON = re.compile(r"^\s*(?:waarom|why|om\s+welke\s+reden|for\s+what\s+reason|what\s+is\s+the\s+reason)\b", re.I)
_AMOUNT = re.compile(
    r"\b(?:hoeveel|hoe\s+(?:groot|hoog|lang|vaak)|welk\s+bedrag|how\s+(?:many|much|long|often|big|large)|"
    r"what\s+(?:amount|number|share|percentage))\b",
    re.I,
)
# "hoeveel investeringsprogramma's", "how many of the action lines": what is counted
HOW_MANY = re.compile(
    r"\b(?:hoeveel|how\s+many)\s+(?:(?:of\s+)?(?:the|its|their)\s+)?(?P<noun>[\w'’-]+(?:\s+[\w'’-]+)?)", re.I
)
_DATE = re.compile(
    r"\b(?:wanneer|in\s+welk\s+jaar|welk\s+jaar|welke\s+(?:datum|periode)|over\s+welke\s+jaren|sinds\s+wanneer|"
    r"tot\s+wanneer|vanaf\s+wanneer|when|what\s+(?:year|date|period)|which\s+(?:year|period)|since\s+when|until\s+when|by\s+when)\b",
    re.I,
)
_HOW = re.compile(r"^\s*(?:hoe|how|op\s+welke\s+(?:manier|wijze)|in\s+what\s+way|by\s+what\s+means)\b", re.I)
_PEOPLE = (
    r"organisaties|organisatie|partijen|partij|bedrijven|instellingen|kennisinstellingen|personen|mensen|overheden|"
    r"gemeenten|leden|plaatsen|steden|landen|regio'?s|bestuurders|initiatieven|partners|"
    r"wethouders?|burgemeesters?|gedeputeerden?|voorzitters?|directeuren|directeurs?|bestuurders?|"
    r"aldermen|alderman|mayors?|chairs?|directors?|"
    r"organi[sz]ations?|parties|companies|institutions|people|persons|members|places|cities|countries|regions|"
    r"governments|municipalities|initiatives|partners|groups"
)
_NAMES = re.compile(
    rf"^\s*(?:wie|who|whom)\b|\b(?:welke|which|what)\s+(?:\w+\s+)?(?:{_PEOPLE})\b|\bmet\s+wie\b|\bwith\s+whom\b",
    re.I,
)
_LIST = re.compile(
    r"\b(?:what\s+are\s+the|wat\s+zijn\s+(?:\w+\s+){0,4}de|noem|name\s+the|list\s+the|what\s+kinds?\s+of|welke\s+soorten)\b",
    re.I,
)
# "welke/which" + the noun it asks about: a plural noun asks for a list, a singular one for a fact
_WHICH = re.compile(r"\b(?:welke|which)\s+(?P<first>[\w'’-]+)(?:\s+(?P<second>[\w'’-]+))?", re.I)
_PLURAL_END = re.compile(r"(?:en|ën|s|'s|’s|ies|i)$", re.I)


# "Wat zijn (volgens het plan) de essentiële basistaken ...", "What are the main tasks ...": the noun
_WHAT_ARE = re.compile(
    r"\b(?:wat\s+zijn\s+(?:\w+\s+){0,3}?de|what\s+are\s+the)\s+(?:(?P<adj>\w+e|main|key|most\s+\w+)\s+)?(?P<noun>[\w'’-]+)",
    re.I,
)


def _asked_noun(question: str) -> str | None:
    m = _WHICH.search(question)
    if m is None:
        w = _WHAT_ARE.search(question)
        return w.group("noun") if w and _PLURAL_END.search(w.group("noun")) else None
    first, second = m.group("first"), m.group("second")
    if m.group(0).lower().startswith("which"):
        return second if second and second.lower() not in _ENGLISH_NOT_NOUNS and first.lower() not in _COUNTS else first
    return second if (first.lower().endswith("e") or first.lower() in _COUNTS) and second else first


def _asks_plural(question: str) -> bool:
    m = _WHICH.search(question)
    if m is None:
        return False
    first, second = m.group("first"), m.group("second")
    if m.group(0).lower().startswith("which"):  # English adjectives have no ending: "which weak spots"
        nouns = [w for w in (first, second) if w and w.lower() not in _ENGLISH_NOT_NOUNS]
    else:  # a Dutch adjective before its noun ends in -e: "welke regionale actoren"
        nouns = [second if first.lower().endswith("e") and second else first]
    return any(_PLURAL_END.search(n) for n in nouns)


_ENGLISH_NOT_NOUNS = {"is", "was", "has", "does", "this", "its", "his", "us", "as"}
_YES_NO = re.compile(
    r"^\s*(?:is|zijn|was|waren|heeft|hebben|kan|kunnen|moet|moeten|wordt|worden|weet|weten|gaat|gaan|doet|doen|"
    r"mag|mogen|valt|vallen|staat|speelt|does|do|did|is|are|was|were|can|could|has|have|had|will|would|should|may)\b",
    re.I,
)


@dataclass(frozen=True)
class QuestionForm:
    kind: AnswerKind
    language: str  # "nl" | "en"
    count: int | None = None  # "Welke vier ..." -> 4
    term: str | None = None  # what a definition or an overview is about
    parts: int = 1  # "... voor innovatie, en welke voor talent?" asks two things
    # what a list asks for ("Welke regionale actoren ..." -> "actoren"), or what is counted
    # ("Hoeveel investeringsprogramma's ..." -> "investeringsprogramma's")
    noun: str | None = None
    words: tuple[str, ...] = ()  # the question's content words, folded, in order (to match list items)
    focus: str | None = None  # "Digitalisering: wat houdt dat in?" -> "Digitalisering" (also a resolved follow-up)

    @property
    def wants_many(self) -> bool:
        return self.kind in ("list", "names") or (self.count or 0) > 1


# the words a question opens with (a second one joined to the first included)
_ASKING = r"(?:welke|wie|wat|hoe|waar|waarom|which|who|what|how|where|why)"
# a second question joined to the first: ", en welke ...", "voor X en voor Y", "and which ..."
_SECOND_PART = re.compile(
    rf",?\s+(?:en|and)\s+{_ASKING}\b"
    r"|\b(voor|bij|in|for|in)\s+[^,?]+?\s+(?:en|and)\s+\1\b",
    re.I,
)


# "<what it is about>: <question>", as a follow-up about a list item is resolved ("Innovatie in de
# zorg: wat valt daaronder?") and as users write it
_FOCUS = re.compile(r"^(?P<focus>[^:?]{2,80}?):\s+(?P<question>\S.*\?)\s*$")


def _term(match: re.Match) -> str | None:
    for value in match.groupdict().values():
        if value:
            return value.strip(" '\"‘’“”").strip()
    return None


def analyse(question: str) -> QuestionForm:
    """The kind of answer `question` asks for. In a text of several sentences the question itself
    decides (the last one ending in "?"), not the context written before it."""
    q = " ".join(question.split())
    asked = [p for p in re.split(r"(?<=[.!?])\s+", q) if p.rstrip().endswith("?")]
    if asked:
        q = asked[-1]
    if m := _FOCUS.match(q):
        return replace(analyse(m.group("question")), focus=m.group("focus").strip())
    lang = detect_language(q)
    count_match = _COUNT.search(q)
    count = None
    if count_match:
        word = count_match.group(0).lower()
        count = _COUNTS.get(word) or int(word)

    parts = 2 if _SECOND_PART.search(q) else 1
    content = tuple(w for w in words(q) if w not in FUNCTION_WORDS and len(w) > 2)
    if m := _OVERVIEW.match(q):
        return QuestionForm("overview", lang, None, _term(m))
    if _REASON.match(q):
        return QuestionForm("reason", lang, words=content)
    if _AMOUNT.search(q):
        counted = HOW_MANY.search(q)
        # Dutch compounds the counted noun ("investeringsprogramma's"); English takes two words
        noun = counted and " ".join(counted.group("noun").split()[: 2 if lang == "en" else 1])
        return QuestionForm("amount", lang, noun=noun or None, words=content)
    if _HOW.match(q):
        return QuestionForm("how", lang, words=content)
    # "What are the four X" asks for a list; "What is X aimed at?" for what X is aimed at
    if (m := _DEFINITION.match(q)) and not count and not _STRANDED.search(_term(m) or ""):
        return QuestionForm("definition", lang, None, _term(m))
    if _DATE.search(q):
        return QuestionForm("date", lang)
    if _NAMES.search(q):
        return QuestionForm("names", lang, count, parts=parts, noun=_asked_noun(q), words=content)
    if _LIST.search(q) or _asks_plural(q) or count:
        return QuestionForm("list", lang, count, parts=parts, noun=_asked_noun(q), words=content)
    if _YES_NO.match(q):
        return QuestionForm("yes_no", lang, words=content)
    return QuestionForm("fact", lang, words=content)


# the second of two joined questions: ", en welke ...", "and how ..." (not "voor X en voor Y")
_JOINED_QUESTION = re.compile(rf",?\s+(?:en|and)\s+(?P<second>(?:in\s+welk\w*|in\s+which|{_ASKING})\b.+)$", re.I)


def second_question(question: str) -> str | None:
    """The second of two questions joined by "en"/"and" ("Welke kansen ..., en in welk portfolio
    komt X terug?" -> "in welk portfolio komt X terug?"), asked on its own; None otherwise."""
    q = " ".join(question.split())
    asked = [p for p in re.split(r"(?<=[.!?])\s+", q) if p.rstrip().endswith("?")]
    m = _JOINED_QUESTION.search(asked[-1] if asked else q)
    if m is None or len(m.group("second").split()) < 3:
        return None
    second = m.group("second").strip()
    return second[0].upper() + second[1:]
