"""Tiny language guess (Dutch or English) from function words; enough to pick the answer language."""

from __future__ import annotations

import re

_NL = set(
    "de het een en van in is dat op te zijn met voor niet aan er om ook als bij of door over "
    "wat wie welke hoe waarom waar wanneer wordt worden heeft hebben kan kunnen moet deze die dit "
    "naar uit zo nog maar dan wel geen meer onze ons zij hun wij we u je jullie tot na onder "
    "valt vallen precies noemt staat welk hoeveel".split()
)
_EN = set(
    "the a an and of in is that on to are with for not at or by about what who which how why "
    "where when does do did has have can could should this these those from into does it its "
    "their they we you plan say says mention mentions name names many much fall under".split()
)
_WORD = re.compile(r"[a-zA-Zà-ÿ']+")


def detect_language(text: str) -> str:
    """'nl' or 'en' (ties and unknowns go to Dutch, the corpus language)."""
    words = [w.lower() for w in _WORD.findall(text)]
    nl = sum(w in _NL for w in words)
    en = sum(w in _EN for w in words)
    return "en" if en > nl else "nl"
