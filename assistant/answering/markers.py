"""What a sentence states, by its surface: a number, a moment, a reason, names.

The "not found" decision asks whether the best sentences state what a question asks for; the
sentence ranker and the composer prefer the sentence that states it.
"""

from __future__ import annotations

import re

_NUMBER = re.compile(
    r"\d|\b(?:één|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|twintig|honderd|duizend|miljoen|"
    r"miljard|one|two|three|four|five|ten|hundred|thousand|million|beide|allebei|both)\b",
    re.I,
)
# Dutch writes numbers as one word ("tweeduizend", "vijfentwintig", "driehonderdvijftig"): a word
# made only of number parts is a number; "een" and "en" alone are the article and "and"
_DUTCH_NUMBER_WORD = re.compile(
    r"(?:één|een|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|dertien|veertien|"
    r"twintig|dertig|veertig|vijftig|zestig|zeventig|tachtig|negentig|honderd|duizend|en|ën)+",
    re.I,
)
_WORD = re.compile(r"\w+")
_TIME = re.compile(
    r"\b(?:1[89]\d\d|20\d\d)\b|\b(?:januari|februari|maart|april|mei|juni|juli|augustus|september|"
    r"oktober|november|december|jaar|jaren|maand(?:en)?|week|weken|kwartaal)\b",
    re.I,
)
REASON = re.compile(
    r"\b(?:omdat|doordat|want|daardoor|daarom|zodat|waardoor|om\s+\w+(?:\s+\w+){0,6}\s+te|"
    r"because|so\s+that|in\s+order\s+to|therefore)\b",
    re.I,
)
# a sentence that enumerates inside itself: "publieke, privaat/publieke en private financieringsbronnen"
ENUMERATION = re.compile(r"(?:[^,;]+,){2,}|(?:[^,;]+,)[^,;]+\b(?:en|of|and|or)\b")
# a capitalised word that does not open a sentence: a name (Novel-T, Kennispunt, Wim Boomkamp)
NAME = re.compile(r"(?<!^)(?<![.:;!?]\s)\b[A-ZÀ-Þ][\w'’&-]+")


def has_number(text: str) -> bool:
    """Whether a text states a number: digits, a number word ("beide" counts two), or a Dutch
    compound number word."""
    if _NUMBER.search(text):
        return True
    return any(
        len(w) <= 40 and w.lower() not in ("een", "en") and _DUTCH_NUMBER_WORD.fullmatch(w) for w in _WORD.findall(text)
    )


def has_time(text: str) -> bool:
    """Whether a text states a moment: a year, a month, or a period word."""
    return bool(_TIME.search(text))


def has_reason(text: str) -> bool:
    """Whether a text gives a reason or a purpose (omdat, zodat, om ... te, because)."""
    return bool(REASON.search(text))


def names_in(text: str) -> int:
    """How many names (capitalised words not opening a sentence) a text holds."""
    return len(NAME.findall(text))


# names enumerated in a sentence: "'Techniek als motor' en 'Circulaire economie'", or capitalised
# names joined by commas and en/and ("Regio Deal Twente en de Agenda voor Twente")
_QUOTED = r"['‘“][^'‘’“”]{2,60}['’”]"
_CAPITALISED = r"[A-ZÀ-Þ][\w’&-]*(?:'s)?(?:\s+(?:(?:voor|van|de|der|in|op|&)\s+)?[A-ZÀ-Þ][\w’&-]*)*"
_ARTICLE = r"(?:(?:de|het|the)\s+)?"


def _enumeration_of(item: str) -> re.Pattern:
    one = _ARTICLE + item
    return re.compile(rf"(?<!\w){one}(?:\s*,\s*{one})*\s*,?\s+(?:en|and)\s+{one}")


_QUOTED_ENUMERATION = _enumeration_of(_QUOTED)
_NAMED_ENUMERATION = _enumeration_of(_CAPITALISED)
ENUMERATION_MAX_CHARS = 600


def enumerated_names(text: str, quoted_only: bool = False) -> list[str]:
    """The names a sentence enumerates ("A, B en C", quoted or capitalised), when it has one such
    enumeration; [] otherwise (two of them: which one a count is of is not clear). A sentence's
    opening word is no name. Only a sentence's first ENUMERATION_MAX_CHARS are read (the patterns
    backtrack over a long run of capitalised words)."""
    text = text[:ENUMERATION_MAX_CHARS]
    for pattern in (_QUOTED_ENUMERATION,) if quoted_only else (_QUOTED_ENUMERATION, _NAMED_ENUMERATION):
        found = [m for m in pattern.finditer(text) if m.start() > 0 or pattern is _QUOTED_ENUMERATION]
        if len(found) == 1:
            return [
                p.strip(" '‘’“”") for p in re.split(r"\s*,\s*(?:en\s+|and\s+)?|\s+(?:en|and)\s+", found[0].group(0))
            ]
        if found:
            return []
    return []
