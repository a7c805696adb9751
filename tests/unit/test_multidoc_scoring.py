"""Scoring over several documents: a gold quote counts only in a passage of its own document (in
the ranking, the ideal ranking's pool and the cited passages), records carry the scope, and the
per-document and per-scope groups put every record where it belongs. A question kept to some
documents is asked, ranked and judged inside them (a fake-embedded index of the three documents)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from support.config import make_settings
from support.fakes import FakeEmbedder

from assistant.answering.sentence_bank import SentenceBank
from assistant.schema import Answer, Citation
from evals import datasets
from evals.datasets import EvalItem
from evals.harness import evaluate_system
from evals.metrics import citation_scores, normalize
from evals.scoring import SCOPE_GROUPS, by_document, by_scope, document_group, scope_group, score_item
from evals.systems import PipelineSystem

PLAN_ID = datasets.PLAN_DOC_ID
NOTE_ID, AGENDA_ID = datasets.document_ids()[1:]
QUOTE = "De Regio Deal is het vliegwiel voor de Agenda voor Twente"


def _item(**kw) -> EvalItem:
    base = {
        "id": "x1",
        "kind": "fact",
        "language": "nl",
        "question": "Wat is de Regio Deal?",
        "answerable": True,
        "quotes": [QUOTE],
        "facts": [["vliegwiel"]],
        "split": "dev",
        "quote_documents": [PLAN_ID],
    }
    return EvalItem(**{**base, **kw})


def _answer(doc_id: str) -> Answer:
    cit = Citation(id=1, document="d", document_id=doc_id, section="5.5", text=QUOTE + ".", score=1.0)
    return Answer(answer=QUOTE + ". [1]", status="answered", citations=[cit])


def test_citation_scores_count_a_gold_quote_only_in_its_own_document():
    claims = [("Iets anders dan de bron.", [1])]
    cited = {1: QUOTE + "."}
    assert citation_scores(claims, cited, [QUOTE])["citation_precision"] == 1.0  # no documents: as before
    same = citation_scores(claims, cited, [QUOTE], [PLAN_ID], {1: PLAN_ID})
    other = citation_scores(claims, cited, [QUOTE], [PLAN_ID], {1: NOTE_ID})
    anywhere = citation_scores(claims, cited, [QUOTE], [""], {1: NOTE_ID})
    assert same["citation_precision"] == 1.0 and anywhere["citation_precision"] == 1.0
    assert other["citation_precision"] == 0.0


def test_score_item_matches_quotes_in_their_document():
    units = [(NOTE_ID, normalize(QUOTE)), (PLAN_ID, normalize(QUOTE + " en meer"))]
    rec = score_item(_item(), _answer(PLAN_ID), [(NOTE_ID, QUOTE), (PLAN_ID, QUOTE)], units)
    assert rec["first_relevant_rank"] == 2 and rec["retrieval"]["hit@1"] == 0.0 and rec["retrieval"]["hit@3"] == 1.0
    assert rec["documents"] == [PLAN_ID] and "scope" not in rec
    assert rec["citations"][0]["document_id"] == PLAN_ID
    wrong_doc = score_item(_item(), _answer(NOTE_ID), [(NOTE_ID, QUOTE)], units)
    assert wrong_doc["retrieval"]["hit@10"] == 0.0 and wrong_doc["first_relevant_rank"] is None
    plan_set = score_item(_item(quote_documents=[]), _answer(NOTE_ID), [(NOTE_ID, QUOTE)], units)
    assert plan_set["first_relevant_rank"] == 1 and "documents" not in plan_set  # no document named: any


def test_groups_by_document_and_by_way_of_picking_it():
    def rec(answerable, **kw):
        return {"answerable": answerable, "status": "answered", "split": "dev", "timings": {}, "kind": "fact", **kw}

    records = [
        rec(True, documents=[NOTE_ID]),
        rec(True, documents=[NOTE_ID], names_document=True),
        rec(True, documents=[AGENDA_ID], scope=[AGENDA_ID]),
        rec(True, documents=[NOTE_ID, PLAN_ID]),
        rec(False, scope=[PLAN_ID]),
        rec(False, scope=[NOTE_ID, AGENDA_ID]),
        rec(False),
    ]
    assert [document_group(r) for r in records] == [
        NOTE_ID,
        NOTE_ID,
        AGENDA_ID,
        "(several)",
        PLAN_ID,
        "(several)",
        "(none)",
    ]
    assert [scope_group(r) for r in records] == [SCOPE_GROUPS[i] for i in (0, 1, 2, 0, 3, 3, 4)]
    assert list(by_document(records)) == [*sorted([NOTE_ID, AGENDA_ID, PLAN_ID]), "(none)", "(several)"]
    assert {g: a["n"] for g, a in by_scope(records).items()} == dict(zip(SCOPE_GROUPS, (2, 1, 1, 2, 1), strict=True))


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    from ingest.indexer import ingest

    root = tmp_path_factory.mktemp("multidoc")
    corpus = datasets.copy_corpus(root / "corpus")
    settings = make_settings(root / "data", corpus)
    embedder = FakeEmbedder()
    report = ingest(settings, embedder, progress=False)
    assert report.failed == [] and report.documents == 3
    pipe = PipelineSystem(
        "hybrid+expand", settings, embedder, SentenceBank(embedder), lambda name: None, "hybrid", True
    )
    pipe.warm()
    assert {c.doc_id for c in pipe.chunks} == set(datasets.document_ids())
    return pipe


def test_a_scoped_question_is_asked_ranked_and_cited_inside_its_documents(system):
    items = {x.id: x for x in datasets.load_questions(datasets.MULTIDOC_QUESTIONS)}
    scoped = [x for x in items.values() if x.documents]
    assert len(scoped) >= 10
    records = evaluate_system(system, scoped, grid=[0.0, 0.5])
    for x, rec in zip(scoped, records, strict=True):
        assert rec["scope"] == x.documents
        assert {c["document_id"] for c in rec["citations"]} <= set(x.documents), x.id
        assert "refused_at" in rec
        if x.answerable:
            query = rec["standalone"] or x.question
            assert {d for d, _ in system.ranked(query, documents=x.documents)} <= set(x.documents), x.id
    # the same question kept to a document without its answer cannot find the gold there
    asked = replace(items["md22"], documents=[NOTE_ID])
    (rec,) = evaluate_system(system, [asked])
    assert rec["retrieval"]["hit@10"] == 0.0
