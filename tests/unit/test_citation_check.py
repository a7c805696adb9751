"""The support check of generated sentences (assistant/answering/citations.py), with an embedder
whose similarities are set by hand."""

from __future__ import annotations

import numpy as np

from assistant.answering.citations import check_citations
from assistant.answering.evidence import SentenceBank
from assistant.retrieval import Passage
from ingest.model import Chunk

DUTCH = "De Twente Board werkt samen met bedrijven, overheden en onderwijs in de regio."
ENGLISH = "The board works together with companies, governments and schools in the region."
UNRELATED = "The weather in the capital of France is usually mild in spring."


class SetSimilarity:
    """Unit vectors: DUTCH is e0; ENGLISH lies at cosine `sim` to it; anything else is orthogonal."""

    name, dim = "set-similarity", 3

    def __init__(self, sim: float):
        self.sim = sim

    def _vec(self, text: str) -> np.ndarray:
        if text.startswith("De Twente Board"):
            return np.array([1.0, 0.0, 0.0], dtype=np.float32)
        if text.startswith("The board works"):
            return np.array([self.sim, (1 - self.sim**2) ** 0.5, 0.0], dtype=np.float32)
        return np.array([0.0, 0.0, 1.0], dtype=np.float32)

    def embed_passages(self, texts):
        return np.vstack([self._vec(t) for t in texts]) if texts else np.zeros((0, 3), dtype=np.float32)

    def embed_query(self, text):
        return self._vec(text)


def passage() -> Passage:
    chunk = Chunk("c1", "plan", "Plan", 0, DUTCH, "2", "Strategie", None, None, "Strategie", "body", 0, len(DUTCH))
    return Passage(chunk, 1.0)


def check(sim: float, text: str, translated_floor: float):
    bank = SentenceBank(SetSimilarity(sim))
    return check_citations(text, [passage()], bank, 0.90, translated_floor)


def test_a_translation_above_the_translated_floor_is_kept_and_cited():
    kept, flagged, used = check(0.88, ENGLISH + " [1]", translated_floor=0.87)
    assert kept == ENGLISH + " [1]" and flagged == [] and used == {1}


def test_the_same_translation_is_dropped_with_the_stricter_floor():
    kept, flagged, used = check(0.88, ENGLISH + " [1]", translated_floor=0.90)
    assert kept == "" and flagged == [ENGLISH] and used == set()


def test_an_unrelated_sentence_is_dropped_and_a_false_marker_removed():
    kept, flagged, _ = check(0.95, f"{UNRELATED} [1] {ENGLISH} [7]", translated_floor=0.87)
    assert flagged == [UNRELATED]
    assert kept == ENGLISH + " [1]"  # [7] pointed at nothing given: the supporting source is named instead


def test_a_dutch_sentence_copied_from_the_passage_is_supported_by_its_words():
    kept, _, used = check(0.0, DUTCH, translated_floor=0.99)
    assert kept == DUTCH + " [1]" and used == {1}


def test_a_marker_after_the_full_stop_belongs_to_the_sentence_before_it():
    from assistant.answering.citations import claim_sentences

    text = "Het plan kiest vier portfolio's. [1] Zorg is er een van. [2][3] Meer staat er niet."
    assert claim_sentences(text) == [
        "Het plan kiest vier portfolio's. [1]",
        "Zorg is er een van. [2][3]",
        "Meer staat er niet.",
    ]
    assert claim_sentences("[1] Alleen een marker vooraan.") == ["[1] Alleen een marker vooraan."]
