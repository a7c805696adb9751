"""The gold data stays honest: files parse, counts per kind meet the minimums, every evidence quote
occurs in the plan (after normalising whitespace and markup) and in a chunk of the default chunking."""

from __future__ import annotations

from collections import Counter

import pytest

from assistant.settings import Settings
from evals import datasets
from evals.metrics import normalize

PORTFOLIOS = {"digitalisering", "innovatie-in-de-zorg", "circulaire-economie", "sleuteltechnologieen"}


@pytest.fixture(scope="module")
def questions():
    return datasets.load_questions()


@pytest.fixture(scope="module")
def conversations():
    return datasets.load_conversations()


@pytest.fixture(scope="module")
def ideas():
    return datasets.load_ideas()


@pytest.fixture(scope="module")
def plan():
    return normalize(datasets.plan_text())


def test_files_parse_with_unique_ids(questions, conversations, ideas):
    ids = [x.id for x in questions] + [x.id for x in conversations] + [i["id"] for i in ideas]
    assert len(ids) == len(set(ids))
    for x in [*questions, *conversations]:
        assert x.split in ("dev", "test"), x.id
        assert x.language in ("nl", "en"), x.id
        assert x.question.strip(), x.id


def test_counts_meet_minimums(questions, conversations, ideas):
    kinds = Counter(q.kind for q in questions)
    assert len(questions) >= 80
    assert kinds["unanswerable"] >= 15
    assert set(kinds) == set(datasets.KINDS)
    assert all(n >= 5 for n in kinds.values()), kinds
    assert len(conversations) >= 10
    assert len(ideas) >= 40
    # both splits hold every kind (tuning on dev, reporting test separately needs both)
    for split in ("dev", "test"):
        assert {q.kind for q in questions if q.split == split} == set(datasets.KINDS)


def test_gold_shape(questions, conversations):
    for x in [*questions, *conversations]:
        if x.answerable:
            assert x.quotes and x.facts, x.id
            assert all(f and all(v.strip() for v in f) for f in x.facts), x.id
        else:
            assert not x.quotes and not x.facts, x.id
    for c in conversations:
        assert c.history and c.history[-1].role == "assistant", c.id


def test_every_quote_occurs_in_the_plan(questions, conversations, plan):
    missing = [(x.id, q) for x in [*questions, *conversations] for q in x.quotes if normalize(q) not in plan]
    assert not missing, missing


def test_every_quote_lies_within_one_chunk_of_the_default_chunking(questions, conversations):
    """A quote split over two chunks can never be retrieved whole: the data or the chunker is wrong."""
    from ingest.chunking import chunk_corpus_document
    from ingest.loaders import load_file

    s = Settings(_env_file=None)
    doc = load_file(datasets.PLAN, datasets.PLAN.parent)
    chunks = [normalize(c.text) for c in chunk_corpus_document(doc, s.chunk_words, s.chunk_overlap_sentences)]
    missing = [
        (x.id, q) for x in [*questions, *conversations] for q in x.quotes if not any(normalize(q) in c for c in chunks)
    ]
    assert not missing, missing


def test_ideas_name_known_portfolios(ideas):
    kinds = Counter(i["kind"] for i in ideas)
    assert kinds["no_fit"] >= 5
    for i in ideas:
        assert i["idea"].strip() and i["split"] in ("dev", "test"), i["id"]
        assert set(i["expected"]) <= PORTFOLIOS, i["id"]
        if i["kind"] == "no_fit":
            assert not i["expected"], i["id"]
        elif i["kind"] in ("clear", "multi"):
            assert len(i["expected"]) >= (2 if i["kind"] == "multi" else 1), i["id"]


def test_ci_subset_is_deterministic_and_covers_every_kind(questions, conversations):
    ci = datasets.select("ci", questions, conversations)
    assert [x.id for x in ci] == [x.id for x in datasets.select("ci")]
    qs = [x for x in ci if not x.is_conversation]
    assert len(qs) == sum(datasets.CI_PER_KIND.values()) and len([x for x in ci if x.is_conversation]) == 6
    assert {x.kind for x in qs} == set(datasets.KINDS)
    assert sum(not x.answerable for x in qs) >= 6
    assert {x.split for x in ci} == {"dev", "test"}
    assert len({x.id for x in ci}) == len(ci)


def test_the_ci_list_is_the_spread_over_the_items_it_was_made_from(questions, conversations):
    """Growing the set does not move the ci subset: the fixed list is the spread over the items
    of the day it was made (ids q... and a...; the b... questions were written later)."""
    made_from = [q for q in questions if q.id[0] in "qa"]
    ci = datasets.select("ci", questions, conversations)
    assert [x.id for x in datasets.spread_ci(made_from, conversations)] == [x.id for x in ci]


def test_subsets(questions, conversations):
    n = len(questions) + len(conversations)
    dev, test = datasets.select("dev"), datasets.select("test")
    assert len(dev) + len(test) == n == len(datasets.select("all"))
    with pytest.raises(ValueError):
        datasets.select("nope")
