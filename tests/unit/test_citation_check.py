"""The support check of generated sentences (assistant/answering/citations.py), with an embedder
whose similarities are set by hand."""

from __future__ import annotations

import numpy as np

from assistant.answering.citations import check_citations
from assistant.answering.sentence_bank import SentenceBank
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


class ByTopic:
    """Unit vectors by topic: digital texts, care texts, a list's intro, space travel, the rest."""

    name, dim = "by-topic", 5
    TOPICS = (("digital",), ("zorg", "care"), ("zijn:", "are:"), ("space",))

    def embed_passages(self, texts):
        def vec(t: str) -> np.ndarray:
            low = t.lower()
            axis = next((i for i, keys in enumerate(self.TOPICS) if any(k in low for k in keys)), 4)
            return np.eye(5, dtype=np.float32)[axis]

        return np.vstack([vec(t) for t in texts]) if texts else np.zeros((0, 5), dtype=np.float32)

    def embed_query(self, text):
        return self.embed_passages([text])[0]


LIST_TEXT = "Deze impactportfolio's zijn:\n- Digitalisering: robotica en AI.\n- Innovatie in de zorg: medtech."


def test_a_list_the_model_writes_keeps_its_items_on_lines_and_drops_items_the_list_lacks():
    chunk = Chunk("c2", "plan", "Plan", 0, LIST_TEXT, "6.1", "Focus", None, None, "Focus", "body", 0, len(LIST_TEXT))
    bank = SentenceBank(ByTopic())
    text = (
        "The portfolios are:\n1. Digitalisation [1]\n2. Innovation in care [1]\n3. Space travel [1]\nThat is all. [1]"
    )
    kept, flagged, used = check_citations(text, [Passage(chunk, 1.0)], bank, 0.90, 0.90)
    assert kept.splitlines()[1:3] == ["- Digitalisation [1]", "- Innovation in care [1]"]
    assert flagged == ["Space travel", "That is all."] and used == {1}
    assert kept.splitlines()[0] == "The portfolios are: [1]"


def test_a_sentence_after_a_list_starts_a_line_of_its_own():
    chunk = Chunk("c3", "plan", "Plan", 0, LIST_TEXT, "6.1", "Focus", None, None, "Focus", "body", 0, len(LIST_TEXT))
    text = "The portfolios are:\n- Digitalisation [1]\nDigitalisation means robotica en AI. [1]"
    kept, _, _ = check_citations(text, [Passage(chunk, 1.0)], SentenceBank(ByTopic()), 0.90, 0.90)
    assert kept.splitlines() == [
        "The portfolios are: [1]",
        "- Digitalisation [1]",
        "Digitalisation means robotica en AI. [1]",
    ]
