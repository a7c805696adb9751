"""Dutch or English, guessed from function words: enough to pick an answer language and to tell
an English image description inside a Dutch document."""

from __future__ import annotations

import re

NL_WORDS = frozenset(
    [
        "de",
        "het",
        "een",
        "en",
        "van",
        "in",
        "is",
        "dat",
        "op",
        "te",
        "zijn",
        "met",
        "voor",
        "niet",
        "aan",
        "er",
        "om",
        "ook",
        "als",
        "bij",
        "of",
        "door",
        "over",
        "wat",
        "wie",
        "welke",
        "hoe",
        "waarom",
        "waar",
        "wanneer",
        "wordt",
        "worden",
        "heeft",
        "hebben",
        "kan",
        "kunnen",
        "moet",
        "deze",
        "die",
        "dit",
        "naar",
        "uit",
        "zo",
        "nog",
        "maar",
        "dan",
        "wel",
        "geen",
        "meer",
        "onze",
        "ons",
        "zij",
        "hun",
        "wij",
        "we",
        "u",
        "je",
        "jullie",
        "tot",
        "na",
        "onder",
        "valt",
        "vallen",
        "precies",
        "noemt",
        "staat",
        "welk",
        "hoeveel",
        "zich",
    ]
)
EN_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "of",
        "in",
        "is",
        "that",
        "on",
        "to",
        "are",
        "with",
        "for",
        "not",
        "at",
        "or",
        "by",
        "about",
        "what",
        "who",
        "which",
        "how",
        "why",
        "where",
        "when",
        "does",
        "do",
        "did",
        "has",
        "have",
        "can",
        "could",
        "should",
        "this",
        "these",
        "those",
        "from",
        "into",
        "it",
        "its",
        "their",
        "they",
        "we",
        "you",
        "plan",
        "say",
        "says",
        "mention",
        "mentions",
        "name",
        "names",
        "many",
        "much",
        "fall",
        "under",
        "showing",
        "shows",
        "depicting",
        "depicts",
        "features",
        "featuring",
        "there",
        "was",
        "were",
        "be",
        "while",
    ]
)
_WORD = re.compile(r"[a-zA-Zà-ÿ']+")


def language_counts(text: str) -> tuple[int, int]:
    """(Dutch, English) function words in the text; a word of both languages counts for neither."""
    nl = en = 0
    for w in _WORD.findall(text):
        w = w.lower()
        in_nl, in_en = w in NL_WORDS, w in EN_WORDS
        if in_nl != in_en:
            nl += in_nl
            en += in_en
    return nl, en


def detect_language(text: str) -> str:
    """'nl' or 'en' (ties and unknowns go to Dutch, the corpus language)."""
    nl, en = language_counts(text)
    return "en" if en > nl else "nl"
