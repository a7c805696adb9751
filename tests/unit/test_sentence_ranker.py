"""The learned sentence ranker (assistant/answering/ranking.py), where the composer uses it, and
the fitting code that makes its weights (evals/sentence_ranker.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from assistant.answering.compose import RANKED_KINDS, compose_span
from assistant.answering.evidence import ScoredSentence
from assistant.answering.question import analyse
from assistant.answering.ranking import FEATURES, LEARNED_WEIGHTS, Candidate, features, ranked_score
from evals.sentence_ranker import Group, fit, is_gold, rank_of_gold


def candidate(text: str, dense: float = 0.85, **kw) -> Candidate:
    values = {"lexical": 0.0, "cognate": 0.0, "rarest": 0.0, "passage": 1.0, "first": False} | kw
    return Candidate(text, dense, dense, **values)


def feature(c: Candidate, question: str, name: str) -> float:
    return features(c, analyse(question))[FEATURES.index(name)]


def test_a_sentence_states_what_the_questions_kind_asks_for_only_for_that_kind():
    number = candidate("De regio investeert 2,5 miljoen euro in talent.")
    assert feature(number, "Hoeveel investeert de regio in talent?", "states_number") == 1.0
    assert feature(number, "Waarom investeert de regio in talent?", "states_number") == 0.0
    dated = candidate("Het plan loopt tot en met 2025.")
    assert feature(dated, "Tot wanneer loopt het plan?", "states_time") == 1.0
    why = candidate("Dat is nodig omdat de arbeidsmarkt krap is.")
    assert feature(why, "Waarom is talent belangrijk?", "states_reason") == 1.0


def test_a_sentence_that_only_says_the_question_again_is_marked():
    question = "Waarom zijn het mkb en de start-ups belangrijk voor de toekomst van Twente?"
    restating = candidate("Voor de toekomst van Twente zijn het mkb en de start-ups van groot belang.")
    answering = candidate("Zij zorgen voor de economie en de banen van morgen.")
    assert feature(restating, question, "restates") == 1.0
    assert feature(answering, question, "restates") == 0.0


def test_the_plain_score_keeps_weight_one_and_the_fitted_weights_prefer_what_was_asked():
    plain = candidate("De regio investeert in talent.")
    values = features(plain, analyse("Wat doet de regio?"))
    assert ranked_score(values, {}) == plain.plain
    question = analyse("Hoeveel investeert de regio in talent?")
    with_number = features(candidate("De regio investeert 2,5 miljoen euro in talent."), question)
    without = features(candidate("De regio investeert fors in talent."), question)
    assert ranked_score(with_number, LEARNED_WEIGHTS) > ranked_score(without, LEARNED_WEIGHTS)


def sentence(text: str, score: float, learned: float, position: int) -> ScoredSentence:
    return ScoredSentence(text, 0, position, score, score, 0.0, "A", "§A", learned=learned)


def test_the_composer_ranks_a_fact_question_by_the_learned_score_and_a_list_by_the_plain_one():
    assert RANKED_KINDS["fact"] and not RANKED_KINDS["list"]
    evidence = [
        sentence("De Twente Board werkt samen met de provincie.", 0.90, 0.80, 0),
        sentence("De lobby richt zich op Den Haag en Brussel.", 0.88, 0.95, 1),
    ]
    span = compose_span(analyse("Waar richt de lobby zich op?"), evidence)
    assert span.sentences[0].text.startswith("De lobby")
    without_ranker = [replace(s, learned=None) for s in evidence]
    span = compose_span(analyse("Waar richt de lobby zich op?"), without_ranker)
    assert span.sentences[0].text.startswith("De Twente Board")
    listing = [
        sentence("De impactportfolio's zijn:", 0.90, 0.70, 0),
        sentence("- Digitalisering;", 0.88, 0.71, 1),
        sentence("- Innovatie in de zorg.", 0.87, 0.72, 2),
        sentence("Elders gaat het over talent.", 0.80, 0.99, 3),
    ]
    span = compose_span(analyse("Welke impactportfolio's zijn er?"), listing)
    assert [s.text for s in span.sentences] == [s.text for s in listing[:3]]


def test_a_gold_sentence_holds_a_quote_or_six_words_of_one():
    assert is_gold("De lobby richting Den Haag en Brussel is belangrijk.", ["lobby richting Den Haag"])
    long_quote = "De opgaven worden met het werkveld in kaart gebracht en samen wordt bepaald"
    assert is_gold(
        "Samen wordt bepaald welke acties nodig zijn, en de opgaven worden met het werkveld in kaart gebracht.",
        [long_quote],
    )
    assert not is_gold("De Twente Board werkt samen met de provincie.", ["lobby richting Den Haag"])


def test_fitting_gives_a_feature_that_marks_the_gold_sentence_a_positive_weight():
    rng = np.random.default_rng(0)
    groups = []
    for i in range(40):
        x = np.zeros((6, len(FEATURES)))
        x[:, 0] = 0.8 + rng.normal(0, 0.01, 6)  # plain scores bunch
        gold = np.zeros(6, dtype=bool)
        gold[i % 6] = True
        x[gold, FEATURES.index("states_number")] = 1.0
        x[:, FEATURES.index("length")] = rng.random(6)  # noise
        groups.append(Group(f"q{i}", "dev", "nl", x, gold, x[:, 0]))
    weights = fit(groups, list(range(len(FEATURES))), lam=0.01)
    assert weights[0] == 1.0
    assert weights[FEATURES.index("states_number")] > 0.05
    assert abs(weights[FEATURES.index("length")]) < weights[FEATURES.index("states_number")]
    ranked = [rank_of_gold(g.x[:, 0] + g.x[:, 1:] @ weights[1:], g.gold) for g in groups]
    assert all(r == 1 for r in ranked)


def test_a_sentences_context_skips_the_copy_an_overlap_repeats():
    from assistant.answering.evidence import _previous_distinct

    rows = [("A.", 0), ("B.", 0), ("B.", 0), ("C.", 0), ("D.", 1)]
    assert _previous_distinct(rows) == [None, 0, 0, 2, None]
