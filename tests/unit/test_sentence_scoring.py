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

    from assistant.answering.evidence import score_sentences
    from assistant.answering.sentence_bank import SentenceBank
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


def _two_sections(question: str):
    from support.fakes import FakeEmbedder

    from assistant.retrieval import Passage, Retrieval
    from ingest.model import Chunk

    text = "Daarvoor zetten we het volgende in."
    lobby = Chunk("c1", "plan", "Plan", 0, text, "5.2", "Lobby", None, None, "Lobby", "body", 0, len(text))
    weather = Chunk("c2", "plan", "Plan", 1, text, "5.3", "Het weer", None, None, "Het weer", "body", 0, len(text))
    embedder = FakeEmbedder()
    retrieval = Retrieval(question, [Passage(weather, 1.0), Passage(lobby, 1.0)], embedder.embed_query(question), {})
    return embedder, retrieval


def test_a_sentence_read_behind_its_section_label_ranks_by_what_the_section_is_about():
    from assistant.answering.evidence import score_sentences
    from assistant.answering.sentence_bank import SentenceBank
    from ingest.dutch import Analyzer

    embedder, retrieval = _two_sections("Wat zet de lobby in?")
    plain = score_sentences(retrieval.query, retrieval, SentenceBank(embedder), Analyzer())
    titled = score_sentences(retrieval.query, retrieval, SentenceBank(embedder), Analyzer(), section_weight=0.5)
    # the same sentence twice: without labels only the passage rank tells them apart
    assert max(plain, key=lambda s: s.score).section_label == "§5.3 Het weer"
    assert max(titled, key=lambda s: s.score).section_label == "§5.2 Lobby"
    # whether the documents answer is judged on the score without the label's gain
    assert [t.judge_score for t in titled] == [p.score for p in plain]


def test_the_bank_embeds_labelled_sentences_once_and_only_when_asked():
    from assistant.answering.evidence import score_sentences
    from assistant.answering.sentence_bank import SentenceBank
    from ingest.dutch import Analyzer

    embedder, retrieval = _two_sections("Wat zet de lobby in?")
    bank = SentenceBank(embedder)
    score_sentences(retrieval.query, retrieval, bank, Analyzer())
    assert not any(t.startswith("§") for t in embedder.passages)
    score_sentences(retrieval.query, retrieval, bank, Analyzer(), section_weight=0.5)
    score_sentences(retrieval.query, retrieval, bank, Analyzer(), section_weight=0.5)
    labelled = [t for t in embedder.passages if t.startswith("§")]
    assert labelled == [
        "§5.3 Het weer: Daarvoor zetten we het volgende in.",
        "§5.2 Lobby: Daarvoor zetten we het volgende in.",
    ]


def test_a_titled_bank_warms_the_labelled_sentences_too():
    from support.fakes import FakeEmbedder

    from assistant.answering.sentence_bank import SentenceBank

    embedder, retrieval = _two_sections("Wat zet de lobby in?")
    plain_bank, titled_bank = SentenceBank(FakeEmbedder()), SentenceBank(embedder, titled=True)
    plain_bank.warm([p.chunk for p in retrieval.passages])
    titled_bank.warm([p.chunk for p in retrieval.passages])
    assert sum(t.startswith("§") for t in embedder.passages) == 2
    assert not any(t.startswith("§") for t in plain_bank.embedder.passages)
