"""Sentence scoring's term weights (assistant/answering/evidence.py)."""

from __future__ import annotations

from assistant.answering.evidence import _term_weights


def test_a_term_in_every_candidate_sentence_weighs_less_than_a_rare_one():
    sentences = [{"twent", "board", "basistak"}, {"twent", "board"}, {"twent"}, {"twent", "lobby"}]
    w = _term_weights({"twent", "basistak", "board"}, sentences)
    assert w["twent"] < w["board"] < w["basistak"]


def test_a_term_no_sentence_holds_weighs_most():
    w = _term_weights({"twent", "onbekend"}, [{"twent"}, {"twent"}])
    assert w["onbekend"] > w["twent"] > 0
