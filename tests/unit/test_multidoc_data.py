"""The multi-document gold data stays honest: the invented fixture documents are what their
generator makes and are never in corpus/; every item parses, ids are unique, both splits and both
languages are there, scoped doc ids exist, every evidence quote lies in its own document's loaded
text, within one chunk of the default chunking, in the section it names (its number, or its title
where it has none) and on the PDF page it names; a question kept to a document without the answer
has that answer in another document and none in its scope."""

from __future__ import annotations

from collections import Counter

import pytest

from assistant.settings import REPO_ROOT, Settings
from evals import datasets, fixture_documents
from evals.metrics import normalize
from ingest.chunking import chunk_corpus_document
from ingest.loaders import load_file


@pytest.fixture(scope="module")
def items():
    return datasets.load_questions(datasets.MULTIDOC_QUESTIONS)


@pytest.fixture(scope="module")
def rows():
    return datasets.read_jsonl(datasets.MULTIDOC_QUESTIONS)


@pytest.fixture(scope="module")
def documents():
    """doc id -> (normalised loaded text, chunks of the default chunking)."""
    s = Settings(_env_file=None)
    out = {}
    for path in datasets.MULTIDOC_DOCUMENTS:
        doc = load_file(path, path.parent)
        out[doc.doc_id] = (normalize(doc.text), chunk_corpus_document(doc, s.chunk_words, s.chunk_overlap_sentences))
    return out


def _evidence(rows):
    for r in rows:
        for e in r.get("evidence", []):
            yield r["id"], e, "evidence"
        for e in r.get("elsewhere", []):
            yield r["id"], e, "elsewhere"


def test_the_fixtures_are_what_the_generator_makes():
    """Deterministic rebuild: the committed files are the generator's output, byte for byte."""
    folder = fixture_documents.DOCUMENTS_DIR
    assert (folder / fixture_documents.NOTE_FILE).read_bytes() == fixture_documents.note_docx()
    assert (folder / fixture_documents.AGENDA_FILE).read_bytes() == fixture_documents.agenda_pdf()
    assert [p.name for p in datasets.MULTIDOC_DOCUMENTS[1:]] == [
        fixture_documents.NOTE_FILE,
        fixture_documents.AGENDA_FILE,
    ]


def test_the_fixtures_are_marked_and_never_in_the_corpus(documents):
    corpus = {p.name for p in (REPO_ROOT / "corpus").rglob("*")}
    for path in datasets.MULTIDOC_DOCUMENTS[1:]:
        assert path.parent == datasets.FIXTURES_DIR and path.name not in corpus
    assert "test fixtures" in (datasets.FIXTURES_DIR / "README.md").read_text(encoding="utf-8").lower()
    for doc_id in datasets.document_ids()[1:]:
        assert normalize(fixture_documents.FIXTURE_MARK) in documents[doc_id][0], doc_id


def test_the_fixtures_load_with_formats_sections_and_pages(documents):
    ids = datasets.document_ids()
    assert ids[0] == datasets.PLAN_DOC_ID == "twente-board-strategisch-plan-2020-2025"
    note, agenda = (load_file(p, p.parent) for p in datasets.MULTIDOC_DOCUMENTS[1:])
    assert (note.format, note.title, note.pages) == ("docx", "Notitie Regio Deal Twente", [])
    assert (agenda.format, agenda.title, len(agenda.pages)) == ("pdf", fixture_documents.AGENDA_TITLE, 4)
    note_sections = {c.section_number for c in documents[ids[1]][1]}
    assert {"1", "2", "3", "3.1", "3.2", "3.3", "4", "5", "6", "7"} <= note_sections
    agenda_pages = {c.section_number: c.page for c in documents[ids[2]][1] if c.section_number}
    assert agenda_pages == {
        "1": 1,
        "2": 2,
        "3": 2,
        "3.1": 2,
        "3.2": 3,
        "3.3": 3,
        "3.4": 3,
        "4": 4,
        "5": 4,
    }


def test_items_parse_with_unique_ids_both_splits_and_languages(items):
    ids = [x.id for x in items]
    plan_ids = {x.id for x in datasets.select("all")}
    assert len(ids) == len(set(ids)) and not set(ids) & plan_ids
    assert 40 <= len(items) <= 70
    for x in items:
        assert x.split in ("dev", "test") and x.language in ("nl", "en") and x.question.strip(), x.id
        assert x.kind in datasets.KINDS, x.id
    for split in ("dev", "test"):
        part = [x for x in items if x.split == split]
        assert {x.language for x in part} == {"nl", "en"}
        assert any(not x.answerable for x in part) and any(x.documents for x in part)
    dev, test = datasets.select_set("multidoc", "dev"), datasets.select_set("multidoc", "test")
    assert len(dev) + len(test) == len(items) == len(datasets.select_set("multidoc", "all"))
    with pytest.raises(ValueError):
        datasets.select_set("multidoc", "ci")


def test_the_set_covers_every_document_and_way_of_asking(items):
    ids = datasets.document_ids()
    answered_in = Counter(d for x in items if x.answerable for d in datasets.gold_documents(x))
    assert all(answered_in[d] >= 3 for d in ids), answered_in
    assert sum(answered_in[d] >= 1 for d in ids[1:]) == 2 and answered_in[ids[1]] >= 15 and answered_in[ids[2]] >= 15
    assert sum(len(datasets.gold_documents(x)) > 1 for x in items) >= 2  # answers spread over documents
    assert sum(x.answerable and bool(x.documents) for x in items) >= 6  # kept to the document that answers
    assert sum(x.names_document and not x.documents for x in items) >= 10  # naming the document in words
    assert sum(x.kind == "overview" for x in items) >= 4
    kept_elsewhere = [x for x in items if not x.answerable and x.documents]
    assert len(kept_elsewhere) >= 5 and all(x.elsewhere for x in kept_elsewhere)
    assert sum(not x.answerable and not x.documents for x in items) >= 3  # in no document at all
    forms = Counter(x.form for x in items)
    assert all(forms[f] >= 3 for f in ("amount", "date", "names", "list", "overview")), forms


def test_gold_shape_and_doc_ids(items, rows):
    known = set(datasets.document_ids())
    for x in items:
        assert set(x.documents) <= known and len(x.documents) == len(set(x.documents)), x.id
        if x.answerable:
            assert x.quotes and x.facts and all(x.quote_documents), x.id
            assert all(f and all(v.strip() for v in f) for f in x.facts), x.id
            assert not x.elsewhere, x.id
            if x.documents:
                assert set(x.quote_documents) <= set(x.documents), x.id
        else:
            assert not x.quotes and not x.facts, x.id
            assert set(x.elsewhere) <= known and not set(x.elsewhere) & set(x.documents), x.id
    for rid, e, _ in _evidence(rows):
        assert e["document"] in known and str(e.get("section", "")).strip() and e["quote"].strip(), rid


def test_every_quote_lies_in_its_document_and_in_one_chunk_of_its_section(rows, documents):
    problems = []
    for rid, e, _ in _evidence(rows):
        text, chunks = documents[e["document"]]
        quote = normalize(e["quote"])
        if quote not in text:
            problems.append((rid, "not in the document", e["quote"]))
            continue
        holding = [c for c in chunks if quote in normalize(c.text)]
        if not holding:
            problems.append((rid, "split over chunks", e["quote"]))
            continue
        sections = {c.section_number or c.section_title for c in holding}  # the title where there is no number
        if str(e["section"]) not in sections:
            problems.append((rid, f"section {e['section']} but found in {sorted(sections)}", e["quote"]))
        if "page" in e and e["page"] not in {c.page for c in holding}:
            problems.append((rid, f"page {e['page']} but found on {sorted({c.page for c in holding})}", e["quote"]))
    assert not problems, problems


def test_a_question_kept_to_other_documents_has_no_answer_there(items, rows, documents):
    """The answer lies elsewhere (its quote is in another document) and in none of the scoped ones."""
    by_id = {r["id"]: r for r in rows}
    for x in items:
        if x.answerable or not x.documents:
            continue
        for e in by_id[x.id]["elsewhere"]:
            quote = normalize(e["quote"])
            assert quote in documents[e["document"]][0], x.id
            assert not any(quote in documents[d][0] for d in x.documents), x.id


def test_plan_items_asked_over_several_documents_name_the_plan():
    plan = datasets.select("dev")
    tagged = datasets.in_document(plan, datasets.PLAN_DOC_ID)
    assert [x.id for x in tagged] == [x.id for x in plan]
    assert all(len(x.quote_documents) == len(x.quotes) for x in tagged)
    assert all(d == datasets.PLAN_DOC_ID for x in tagged for d in x.quote_documents)
    assert all(d == "" for x in plan for d in x.quote_documents)  # the plan set itself names no document
