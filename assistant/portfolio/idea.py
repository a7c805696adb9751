"""Cutting an idea into the pieces the check embeds: windows of a long idea, short content
fragments (to name what in the idea matches), and the idea's own spelling of each stemmed word."""

from __future__ import annotations

import re

from ingest.dutch import STOPWORDS, words
from ingest.sentences import split_sentences

WINDOW_WORDS = 100  # long ideas are embedded as windows of about this many words
MAX_WINDOWS = 8
MAX_SEGMENTS = 32  # idea fragments embedded to name "what in the idea matches"

# connectors that end an idea fragment besides the stop words (generic function words)
_CONNECTORS = frozenset(
    ["so", "zodat", "waarmee", "waarbij", "waardoor", "omdat", "want", "dus", "don't", "doesn't", "can't", "won't"]
)
_WORD_RE = re.compile(r"[^\W_][\w'’-]*", re.U)


def idea_windows(idea: str, max_words: int = WINDOW_WORDS, cap: int = MAX_WINDOWS) -> list[str]:
    """The idea itself when short; else consecutive sentence groups of about `max_words` words."""
    if len(idea.split()) <= max_words * 1.2:
        return [idea]
    out: list[str] = []
    cur: list[str] = []
    n = 0
    for sentence in split_sentences(idea):
        for piece in _hard_wrap(sentence, max_words):
            w = len(piece.split())
            if cur and n + w > max_words:
                out.append(" ".join(cur))
                cur, n = [], 0
            cur.append(piece)
            n += w
    if cur:
        out.append(" ".join(cur))
    return out[:cap]


def _hard_wrap(text: str, max_words: int) -> list[str]:
    ws = text.split()
    return [" ".join(ws[i : i + max_words]) for i in range(0, len(ws), max_words)] or [text]


def idea_segments(idea: str, cap: int = MAX_SEGMENTS) -> list[str]:
    """Short content fragments of the idea: runs of up to 3 non-function words and, inside longer
    runs, their single words (for naming what in the idea matches a phrase of the plan)."""
    out: list[str] = []
    for piece in re.split(r"[.,;:!?()\[\]\"“”]+|\s[-–]\s", idea):
        run: list[str] = []
        for w in [*_WORD_RE.findall(piece), ""]:
            if w and len(w) > 1 and w.lower() not in _CONNECTORS and not all(p in STOPWORDS for p in words(w)):
                run.append(w)
                continue
            pieces = [" ".join(run[i : i + 3]) for i in range(0, len(run), 3)]
            if len(run) > 1:
                pieces += [x for x in run if len(x) >= 4]
            for seg in pieces:
                if seg and seg not in out:
                    out.append(seg)
            run = []
        if len(out) >= cap:
            break
    return out[:cap]


def surface_forms(idea: str, analyzer) -> dict[str, str]:
    """Analyzer token -> the idea's word it came from (first occurrence)."""
    out: dict[str, str] = {}
    for w in _WORD_RE.findall(idea):
        for tok in analyzer.tokens(w):
            out.setdefault(tok, w)
    return out
