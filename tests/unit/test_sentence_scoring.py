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


def test_roots_rank_an_english_questions_sentences_but_the_judge_keeps_the_dutch_score():
    from support.fakes import FakeEmbedder

    from assistant.answering.evidence import SentenceBank, score_sentences
    from assistant.retrieval import Passage, Retrieval
    from ingest.dutch import Analyzer
    from ingest.model import Chunk

    text = "De textielindustrie en de staalindustrie maakten Twente sterk. Het weer in Twente is vaak nat."
    chunk = Chunk("c1", "plan", "Plan", 0, text, "2", "Strategie", None, None, "Strategie", "body", 0, len(text))
    embedder = FakeEmbedder()
    question = "Which historic industries made the region strong?"
    retrieval = Retrieval(question, [Passage(chunk, 1.0)], embedder.embed_query(question), {})
    bank, analyzer = SentenceBank(embedder), Analyzer()
    plain = score_sentences(question, retrieval, bank, analyzer, idf=True)
    rooted = score_sentences(question, retrieval, bank, analyzer, idf=True, cognate_weight=0.2)
    assert rooted[0].lexical > 0 and rooted[0].score > plain[0].score  # "indust" in the compounds
    assert [r.judged for r in rooted] == [p.score for p in plain]
    assert all(p.judged is None for p in plain)
