"""Dutch keyword analysis shared by the BM25 index and its queries.

The same `Analyzer` must tokenise corpus and query (ENVIRONMENT.md: a separately tokenised query
scored 0). Steps: lowercase + accent folding, drop Dutch/English stop words, split compounds
against the corpus vocabulary (textielrecycling -> textiel + recycling), Snowball Dutch stemming.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import pairwise

import Stemmer
from bm25s.stopwords import STOPWORDS_DUTCH, STOPWORDS_EN

_WORD = re.compile(r"[0-9a-z]+(?:[-'][0-9a-z]+)*")
# extra Dutch function words the short list misses; English ones so English questions do not
# match on "the/of" noise
_EXTRA_STOP = {
    "wij",
    "we",
    "ons",
    "onze",
    "zij",
    "hun",
    "deze",
    "welke",
    "wat",
    "wie",
    "waar",
    "hoe",
    "waarom",
    "wanneer",
    "worden",
    "wordt",
    "zijn",
    "is",
    "een",
    "het",
    "de",
    "en",
    "of",
    "what",
    "which",
    "who",
    "where",
    "how",
    "why",
    "when",
    "does",
    "do",
    "did",
    "are",
    "the",
    "to",
    "in",
    "for",
    "on",
    "and",
    "or",
    "a",
    "an",
    "with",
    "about",
    "by",
    "from",
    "this",
    "that",
    "these",
    "those",
    "it",
    "its",
    "be",
    "as",
    "at",
    "can",
    "according",
}
_DOMAIN_STOP = {"plan", "twente", "board"}  # in nearly every chunk: no discriminating power here
# function words only (names such as "Twente Board" kept): for rules that read a question's subject
FUNCTION_WORDS = frozenset(STOPWORDS_DUTCH) | frozenset(STOPWORDS_EN) | _EXTRA_STOP
STOPWORDS = FUNCTION_WORDS | _DOMAIN_STOP
_LINKS = ("", "s", "e", "en")  # Dutch linking morphemes in compounds (tussen-s, -e-, -en-)


def fold(text: str) -> str:
    """Lowercase and strip accents (financiële -> financiele, creëren -> creeren)."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def content_roots(text: str, prefix: int, min_length: int) -> set[str]:
    """The first `prefix` letters of a text's content words (no function words, none shorter than
    `min_length`): roots that match across Dutch endings and compounds' heads."""
    return {w[:prefix] for w in words(text) if len(w) >= min_length and w not in FUNCTION_WORDS}


def words(text: str) -> list[str]:
    """Word forms: hyphenated words are split, the plural/possessive 's dropped (portfolio's)."""
    out: list[str] = []
    for w in _WORD.findall(fold(text)):
        if w.endswith("'s"):
            w = w[:-2]
        out.extend(p for p in re.split(r"[-']", w) if p)
    return out


class Analyzer:
    """Tokeniser bound to a corpus vocabulary (for compound splitting)."""

    def __init__(self, vocabulary: set[str] | None = None, min_part: int = 4):
        self.vocabulary = vocabulary or set()
        self.min_part = min_part
        self._stemmer = Stemmer.Stemmer("dutch")
        self._stem = lru_cache(maxsize=50_000)(self._stemmer.stemWord)
        self._split = lru_cache(maxsize=50_000)(self._split_compound)

    @staticmethod
    def build_vocabulary(texts: list[str]) -> set[str]:
        return {w for t in texts for w in words(t) if len(w) >= 4 and w not in STOPWORDS}

    def _split_compound(self, word: str) -> tuple[str, ...]:
        """Split a compound into two vocabulary words, longest head first; () when none."""
        m = self.min_part
        if len(word) < 2 * m or not self.vocabulary:
            return ()
        for i in range(len(word) - m, m - 1, -1):
            head, tail = word[:i], word[i:]
            if tail not in self.vocabulary:
                continue
            for link in _LINKS:
                if link and not head.endswith(link):
                    continue
                h = head[: len(head) - len(link)] if link else head
                if len(h) >= m and h in self.vocabulary:
                    return (h, tail)
        return ()

    def tokens(self, text: str, join_pairs: bool = False) -> list[str]:
        """Stemmed content tokens, plus the parts of compounds found in the vocabulary.

        join_pairs (for queries): two adjacent words that the corpus writes as one compound
        also count as that compound ("impact portfolios" -> impactportfolio).
        """
        out: list[str] = []
        content = [w for w in words(text) if w not in STOPWORDS and len(w) >= 2]
        for w in content:
            out.append(self._stem(w))
            for part in self._split(w):
                if part not in STOPWORDS:
                    out.append(self._stem(part))
        if join_pairs and self.vocabulary:
            for a, b in pairwise(content):
                for joined in (a + b, (a + b)[:-1], (a + b)[:-2]):
                    if len(joined) >= 2 * self.min_part and joined in self.vocabulary:
                        out.append(self._stem(joined))
                        break
        return out
