"""Sentence scoring's term weights (assistant/answering/evidence.py) and English roots (cognates.py)."""

from __future__ import annotations

from assistant.answering.cognates import english_roots, roots_in
from assistant.answering.evidence import _term_weights


def test_a_term_in_every_candidate_sentence_weighs_less_than_a_rare_one():
    sentences = [{"twent", "board", "basistak"}, {"twent", "board"}, {"twent"}, {"twent", "lobby"}]
    w = _term_weights({"twent", "basistak", "board"}, sentences)
    assert w["twent"] < w["board"] < w["basistak"]


def test_a_term_no_sentence_holds_weighs_most():
    w = _term_weights({"twent", "onbekend"}, [{"twent"}, {"twent"}])
    assert w["onbekend"] > w["twent"] > 0


def test_english_roots_find_their_dutch_cognates_and_not_unrelated_words():
    roots = english_roots("Which historic industries invest in photonics and the circular economy?")
    found = roots_in(roots, "De textielindustrie investeert in fotonica en de circulaire economie.")
    assert {"indust", "inves", "foto", "cirkul", "ekonom"} <= found
    assert not roots_in(english_roots("What is the interest rate?"), "Internationale samenwerking is belangrijk.")


def test_english_roots_leave_out_function_words_and_short_words():
    assert english_roots("What is it for, and who does it?") == []
