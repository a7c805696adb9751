"""Sentence-level evidence: which sentences of the retrieved passages answer the question, and
whether the documents answer it at all (decided here, in code, not by a language model).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np

from assistant.embedding import Embedder
from assistant.retrieval import Passage, Retrieval
from ingest.dutch import STOPWORDS, Analyzer, words
from ingest.sentences import split_sentences

# questions that ask for an amount: only answerable when a passage sentence carries a number
_ASKS_AMOUNT = re.compile(
    r"\b(hoeveel|hoe\s+groot|hoe\s+hoog|welk\s+bedrag|bedrag|budget|begroting|percentage|procent|"
    r"aantal\s+(?:banen|euro|medewerkers|inwoners)|how\s+much|how\s+many|amount|budget|percent|"
    r"euros?|miljoen|million|billion)\b",
    re.I,
)
_NUMBER = re.compile(
    r"\d|\b(?:één|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|twintig|honderd|duizend|miljoen|"
    r"miljard|one|two|three|four|five|ten|hundred|thousand|million)\b",
    re.I,
)


@dataclass
class ScoredSentence:
    text: str
    passage_index: int  # into Retrieval.passages
    position: int  # order inside the passage
    score: float
    dense: float
    lexical: float


class SentenceBank:
    """Sentences of each chunk and their embeddings, computed on first use and kept in memory.

    Embedding sentences at ingest would double its cost for every chunk; here only chunks that
    are actually retrieved pay, once (the service warms the bank in the background at start).
    """

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        self._cache: dict[str, tuple[list[str], np.ndarray]] = {}
        self._lock = threading.Lock()

    def get(self, chunk_id: str, text: str) -> tuple[list[str], np.ndarray]:
        hit = self._cache.get(chunk_id)
        if hit is not None:
            return hit
        sentences = [s for s in split_sentences(text) if len(s.split()) >= 2] or [text]
        vectors = self.embedder.embed_passages(sentences)
        with self._lock:
            self._cache[chunk_id] = (sentences, vectors)
        return sentences, vectors

    def warm(self, chunks, stop: threading.Event | None = None) -> None:
        for c in chunks:
            if stop is not None and stop.is_set():
                return
            self.get(c.chunk_id, c.text)

    def __len__(self) -> int:
        return len(self._cache)


def content_terms(analyzer: Analyzer, text: str) -> set[str]:
    return set(analyzer.tokens(text))


def score_sentences(
    question: str,
    retrieval: Retrieval,
    bank: SentenceBank,
    analyzer: Analyzer,
    max_passages: int = 4,
) -> list[ScoredSentence]:
    q_terms = set(analyzer.tokens(question, join_pairs=True))
    qv = retrieval.query_vector
    out: list[ScoredSentence] = []
    for pi, passage in enumerate(retrieval.passages[:max_passages]):
        rank_bonus = 0.02 * (max_passages - pi) / max_passages
        position = 0
        for chunk in passage.chunks:
            sentences, vectors = bank.get(chunk.chunk_id, chunk.text)
            dense = vectors @ qv if qv is not None else np.zeros(len(sentences))
            for s, d in zip(sentences, dense):
                terms = content_terms(analyzer, s)
                lexical = len(q_terms & terms) / len(q_terms) if q_terms else 0.0
                out.append(
                    ScoredSentence(s, pi, position, float(d) + 0.1 * lexical + rank_bonus, float(d), lexical)
                )
                position += 1
    return out


@dataclass
class Evidence:
    answerable: bool
    score: float
    reason: str


def judge(question: str, retrieval: Retrieval, sentences: list[ScoredSentence], threshold: float,
          analyzer: Analyzer) -> Evidence:
    """Do the passages answer the question? Score = how far the best sentence stands above the
    background similarity of the candidate pool (E5 similarities bunch, so absolute cosine says
    little), plus keyword coverage. An amount question needs a number in its best sentences."""
    if not retrieval.passages or not sentences:
        return Evidence(False, 0.0, "no passages")
    best = sorted(sentences, key=lambda s: -s.score)[:3]
    top = best[0]
    gap = top.dense - retrieval.dense_mean
    q_terms = set(analyzer.tokens(question, join_pairs=True))
    covered = set()
    for p in retrieval.passages[:3]:
        covered |= q_terms & content_terms(analyzer, p.text)
    coverage = len(covered) / len(q_terms) if q_terms else 0.0
    score = 10 * gap + coverage * 0.5 + (top.dense - 0.8) * 5
    if _ASKS_AMOUNT.search(question) and not any(_NUMBER.search(s.text) for s in best):
        return Evidence(False, score, "asks for an amount; the best passages give none")
    return Evidence(score >= threshold, score, f"gap={gap:.3f} coverage={coverage:.2f} top={top.dense:.3f}")


def tokens_overlap(a: str, b: str) -> float:
    """Share of a's content words found in b (crude support check for generated sentences)."""
    aw = {w for w in words(a) if w not in STOPWORDS and len(w) > 2}
    bw = set(words(b))
    return len(aw & bw) / len(aw) if aw else 1.0
