"""English words matched to the Dutch words they share a root with (technology / technologie,
investments / investeringen, photonics / fotonica): the lexical evidence an English question has
in a Dutch sentence. Cross-lingual embeddings alone rank a sentence's neighbour as high as the
sentence that holds the asked thing; shared roots tell them apart.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

from ingest.dutch import STOPWORDS, words

# spellings English and Dutch write differently for one sound (applied to both sides)
_SPELLING = (
    (re.compile(r"ph"), "f"),
    (re.compile(r"th"), "t"),
    (re.compile(r"ck"), "k"),
    (re.compile(r"qu"), "kw"),
    (re.compile(r"x"), "ks"),
    (re.compile(r"c(?=[aoulrt]|$)"), "k"),
    (re.compile(r"y"), "i"),
)
# a root shorter than this matches too many unrelated words; one this long is a root (the rest
# is an ending: investors / investeerders) and is also found inside a compound (textielindustrie)
MIN_ROOT = 4
MAX_ROOT = 6


@lru_cache(maxsize=50_000)
def _spelled(word: str) -> str:
    for pattern, repl in _SPELLING:
        word = pattern.sub(repl, word)
    return word


@lru_cache(maxsize=1)
def _english_stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def english_roots(question: str) -> list[str]:
    """The roots of an English question's content words, as Dutch would spell them: the stem less
    its last letter, at most MAX_ROOT letters (investments -> "inves", technology -> "techno")."""
    return list(_roots(question))


@lru_cache(maxsize=4096)
def _roots(question: str) -> tuple[str, ...]:
    """english_roots, kept per text: the composer asks for a noun's roots once per sentence."""
    stem = _english_stemmer().stemWord
    out = []
    for w in words(question):
        if w in STOPWORDS or len(w) < MIN_ROOT or w.isdigit():
            continue
        s = _spelled(stem(w))
        root = s[: max(MIN_ROOT, min(len(s) - 1, MAX_ROOT))]
        if len(root) >= MIN_ROOT:
            out.append(root)
    return tuple(dict.fromkeys(out))


def roots_in(roots: list[str], text: str) -> set[str]:
    """The roots that begin a word of `text` (a Dutch sentence), or stand inside one when they
    are MAX_ROOT letters long."""
    if not roots:
        return set()
    lengths = sorted({len(r) for r in roots})
    wanted = set(roots)
    long_roots = [r for r in roots if len(r) >= MAX_ROOT]
    found: set[str] = set()
    for w in {_spelled(w) for w in words(text)}:
        found.update(w[:n] for n in lengths if len(w) >= n and w[:n] in wanted)
        found.update(r for r in long_roots if r in w)
    return found
