"""The evaluation metrics on hand-made rankings and answers, and the summaries of measured figures;
every expected value is worked out by hand in the comment beside it."""

from __future__ import annotations

import math

import pytest

from evals.figures import ms_summary, percentile, print_table, ratio
from evals.metrics import (
    citation_scores,
    contains_quote,
    covered_items,
    dcg_at_k,
    fact_recall,
    hit_at_k,
    ideal_dcg_at_k,
    latency_summary,
    mean,
    ndcg_at_k,
    normalize,
    recall_at_k,
    reciprocal_rank,
    refusal_scores,
    retrieval_scores,
    split_claims,
    supports,
    textbook_idcg,
)

L3, L4, L5 = 1 / math.log2(3), 0.5, 1 / math.log2(5)  # discounts of ranks 2, 3, 4


# ----------------------------------------------------------------------------- matching


def test_normalize_drops_markup_case_and_whitespace():
    assert normalize("**Wim  Boomkamp**\n\n*Voorzitter* <b>Twente</b> Board") == "wim boomkamp voorzitter twente board"
    assert normalize("“Twentse technologie” – 2020 – 2025") == '"twentse technologie" - 2020 - 2025'
    assert normalize("# Voorwoord\n---\nTekst") == "voorwoord tekst"


def test_quote_matching_across_markup_and_line_breaks():
    passage = "Wij stimuleren **innovatie** en ondernemerschap  \nen werken aan een duurzaam Twente"
    assert contains_quote(passage, "innovatie en ondernemerschap en werken")
    assert not contains_quote(passage, "innovatie en werken")
    assert covered_items(passage, ["Wij stimuleren", "duurzaam twente", "Almelo"]) == {0, 1}


# ----------------------------------------------------------------------------- retrieval

RANKING = [set(), {0}, set(), {1, 2}]  # 3 gold items; item 0 at rank 2, items 1 and 2 together at rank 4


def test_hit_at_k():
    assert hit_at_k(RANKING, 1) == 0.0
    assert hit_at_k(RANKING, 2) == 1.0
    assert hit_at_k([set(), set()], 10) == 0.0


def test_recall_counts_each_item_once():
    assert recall_at_k(RANKING, 3, 1) == 0.0
    assert recall_at_k(RANKING, 3, 3) == pytest.approx(1 / 3)
    assert recall_at_k(RANKING, 3, 4) == 1.0  # one passage covers items 1 and 2
    assert recall_at_k([{0}, {0}, {0}], 2, 3) == 0.5  # the same item three times is still one item


def test_reciprocal_rank():
    assert reciprocal_rank(RANKING) == 0.5
    assert reciprocal_rank([set(), set(), {3}]) == pytest.approx(1 / 3)
    assert reciprocal_rank([set()] * 5) == 0.0
    assert reciprocal_rank([set()] * 10 + [{0}], k=10) == 0.0  # beyond the cut-off


def test_ndcg_textbook_case():
    # two gold items, each in its own passage; retrieved at ranks 2 and 3
    # DCG = 1/log2(3) + 1/log2(4) = 0.63093 + 0.5 = 1.13093; IDCG = 1 + 0.63093 = 1.63093
    ranking = [set(), {0}, {1}]
    pool = [{0}, {1}, set(), set()]
    assert dcg_at_k(ranking, 10) == pytest.approx(L3 + L4)
    assert ideal_dcg_at_k(pool, 10) == pytest.approx(1 + L3)
    assert ndcg_at_k(ranking, pool, 10) == pytest.approx((L3 + L4) / (1 + L3))
    assert ndcg_at_k(ranking, pool, 10) == pytest.approx(0.69342, abs=1e-5)


def test_ndcg_ideal_counts_the_items_that_were_not_retrieved():
    # three findable gold items, only one retrieved (rank 1). DCG = 1.
    # IDCG places all three relevant passages first: 1 + 0.63093 + 0.5 = 2.13093 -> nDCG 0.46928.
    # (An IDCG built from the retrieved list alone would wrongly give 1.0.)
    ranking = [{0}, set(), set()]
    pool = [{0}, {1}, {2}]
    assert ideal_dcg_at_k(pool, 10) == pytest.approx(textbook_idcg(3, 10)) == pytest.approx(1 + L3 + L4)
    assert ndcg_at_k(ranking, pool, 10) == pytest.approx(1 / (1 + L3 + L4))
    assert ndcg_at_k(ranking, pool, 10) == pytest.approx(0.46928, abs=1e-5)


def test_ndcg_idcg_uses_only_findable_items():
    # gold item 1 occurs in no passage at all: the ideal holds only item 0, so rank 1 is perfect
    assert ndcg_at_k([{0}, set()], [{0}, set()], 10) == 1.0
    # nothing findable: 0 (not a division by zero)
    assert ndcg_at_k([set(), set()], [set()], 10) == 0.0


def test_ndcg_passage_covering_several_items():
    # pool: one passage with items 0 and 1, and one passage each. Ideal: the joint passage at rank 1,
    # gain 2 -> IDCG = 2. Retrieving the single-item passages at ranks 1 and 2: DCG = 1 + 0.63093.
    pool = [{0, 1}, {0}, {1}]
    assert ideal_dcg_at_k(pool, 10) == pytest.approx(2.0)
    assert ndcg_at_k([{0}, {1}], pool, 10) == pytest.approx((1 + L3) / 2)
    assert ndcg_at_k([{0, 1}], pool, 10) == 1.0


def test_ndcg_repeated_item_gains_nothing():
    # item 0 again at rank 2 adds no gain: DCG = 1 + 0 + 1/log2(4) = 1.5; IDCG = 1 + 0.63093
    pool = [{0}, {1}]
    assert dcg_at_k([{0}, {0}, {1}], 10) == pytest.approx(1.5)
    assert ndcg_at_k([{0}, {0}, {1}], pool, 10) == pytest.approx(1.5 / (1 + L3))


def test_ndcg_cut_off_and_ideal_order():
    pool = [{0}, {1}]
    assert ndcg_at_k([set()] * 10 + [{0}], pool, 10) == 0.0  # relevant only at rank 11
    # the ideal is bounded by k: with k=1 only one item can be placed
    assert ideal_dcg_at_k([{0}, {1}, {2}], 1) == 1.0
    # a better order scores higher than a worse one over the same passages
    assert ndcg_at_k([{0}, set(), {1}], pool) > ndcg_at_k([set(), {0}, {1}], pool)


def test_retrieval_scores_bundle():
    s = retrieval_scores(RANKING, 3, [{0}, {1, 2}, set()])
    # ideal: {1,2} at rank 1 (gain 2) then {0} at rank 2 -> 2 + 0.63093
    # DCG: rank 2 gains 1 (0.63093), rank 4 gains 2 (2 * 1/log2(5) = 0.86135)
    assert s["hit@1"] == 0 and s["hit@3"] == 1 and s["recall@3"] == pytest.approx(1 / 3) and s["recall@5"] == 1
    assert s["mrr"] == 0.5
    assert s["ndcg@10"] == pytest.approx((L3 + 2 * L5) / (2 + L3))


# ----------------------------------------------------------------------------- answers


def test_fact_recall_variants_case_and_accents():
    facts = [["Wim Boomkamp"], ["Sleuteltechnologieën", "key technologies"], ["Almelo"]]
    answer = "De voorzitter is WIM BOOMKAMP; het portfolio sleuteltechnologieen [1]."
    assert fact_recall(answer, facts) == pytest.approx(2 / 3)
    assert fact_recall("**Wim\nBoomkamp**", [["Wim Boomkamp"]]) == 1.0
    assert fact_recall("anything", []) is None


def test_split_claims_at_markers_and_skips_fixed_phrases():
    answer = (
        "The documents are in Dutch; quoted from the source:\n"
        "De Regio Deal is het vliegwiel. [1] Twente is sterk in techniek [2]\n"
        "- Digitalisering: robotica [2]\nEen zin zonder bron."
    )
    claims = split_claims(answer, skip=["The documents are in Dutch; quoted from the source:"])
    assert claims == [
        ("De Regio Deal is het vliegwiel.", [1]),
        ("Twente is sterk in techniek", [2]),
        ("Digitalisering: robotica", [2]),
        ("Een zin zonder bron.", []),
    ]
    # two sentences before one marker: the marker belongs to the last one
    assert split_claims("Eerste zin hier. Tweede zin hier [3]") == [("Eerste zin hier.", []), ("Tweede zin hier", [3])]


def test_support_by_containment_or_overlap():
    passage = "De Regio Deal is daarbij het vliegwiel voor de Agenda voor Twente."
    assert supports(passage, "De Regio Deal is daarbij het **vliegwiel** voor de Agenda voor Twente.")
    # 4 of 5 content words (regio, deal, vliegwiel, agenda; not 'hoofdrol') = 0.8
    assert supports(passage, "Regio Deal vliegwiel hoofdrol Agenda")
    assert not supports(passage, "Almelo krijgt een nieuwe snelweg naar Hengelo")


def test_citation_precision_and_recall():
    cited = {
        1: "Wim Boomkamp, voorzitter Twente Board",  # contains the gold quote
        2: "De Regio Deal is het vliegwiel.",  # supports the claim that cites it
        3: "Tekst over iets anders.",  # cited, but supports nothing and holds no gold
    }
    claims = [("De Regio Deal is het vliegwiel.", [2]), ("Wim Boomkamp leidt alles", [3]), ("Los", [])]
    s = citation_scores(claims, cited, ["Wim Boomkamp, voorzitter"])
    assert s["citation_precision"] == pytest.approx(2 / 3)  # passages 1 and 2 are good, 3 is not
    assert s["citation_recall"] == pytest.approx(1 / 3)  # only the first claim is supported by its citation
    # a marker to a passage that is not in the list counts as a bad citation
    s = citation_scores([("De Regio Deal is het vliegwiel.", [2, 9])], {2: cited[2]})
    assert s["citation_precision"] == 0.5 and s["citation_recall"] == 1.0
    assert citation_scores([], {}) == {"citation_precision": None, "citation_recall": None}


def test_refusal_scores():
    # (answerable, refused): 2 correct refusals, 1 wrong refusal, 1 missed unanswerable, 6 answered
    pairs = [(False, True), (False, True), (True, True), (False, False)] + [(True, False)] * 6
    s = refusal_scores(pairs)
    assert s["not_found_precision"] == pytest.approx(2 / 3)
    assert s["not_found_recall"] == pytest.approx(2 / 3)
    assert s["refusal_rate_answerable"] == pytest.approx(1 / 7)
    assert (s["tp"], s["fp"], s["fn"], s["tn"]) == (2, 1, 1, 6)
    assert refusal_scores([(True, False)])["not_found_precision"] is None  # nothing refused


def test_latency_and_mean():
    s = latency_summary([{"total": v, "retrieve": 1.0} for v in (1, 2, 3, 4, 100)])
    assert s["total"]["median"] == 3
    assert s["total"]["p95"] == pytest.approx(4 + 0.8 * 96)  # rank 0.95 * 4 = 3.8: between 4 and 100
    assert s["retrieve"] == {"median": 1.0, "p95": 1.0, "n": 5}
    assert mean([1.0, None, 0.0]) == 0.5 and mean([None]) is None


# ----------------------------------------------------------------------------- measured figures


def test_percentile_interpolates_and_has_none_for_nothing():
    assert percentile([4, 1, 3, 2], 50) == 2.5  # unsorted input; between 2 and 3
    assert percentile([1, 2, 3, 4, 100], 95) == pytest.approx(4 + 0.8 * 96)
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None


def test_ms_summary_of_durations_in_seconds():
    s = ms_summary([0.001, 0.002, 0.003, 0.004, 0.100])  # p95/p99 at ranks 3.8/3.96: 4 + 0.8/0.96 * 96
    assert s == {"n": 5, "p50_ms": 3.0, "p95_ms": 80.8, "p99_ms": 96.16, "max_ms": 100.0, "mean_ms": 22.0}
    assert ms_summary([]) == {"n": 0}


def test_ratio_is_nan_when_a_figure_is_missing():
    assert ratio(3.0, 2.0) == 1.5 and ratio(1.0, 3.0, 3) == 0.333
    for a, b in ((1.0, 0.0), (None, 1.0), (1.0, None), (math.nan, 1.0), (1.0, math.nan)):
        assert math.isnan(ratio(a, b))


def test_print_table_pads_the_names(capsys):
    print_table({"a": 1, "longer": "x"})
    assert capsys.readouterr().out == "a       1\nlonger  x\n"
