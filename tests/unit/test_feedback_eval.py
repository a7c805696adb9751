"""Thumbs-down answers become draft evaluation items; completed ones are evaluation items."""

from __future__ import annotations

import json

import pytest

from assistant.conversations import ConversationStore
from assistant.schema import Answer, Citation
from evals.feedback import completed_items, counts, report_markdown, write_drafts


def answer(question: str, text: str, backend: str = "extractive") -> Answer:
    cite = Citation(
        id=1,
        document="Plan",
        document_id="plan",
        section="6.1",
        text="De vier portfolio's.",
        score=0.5,
        quotes=["De vier portfolio's."],
    )
    return Answer(
        answer=text,
        status="answered",
        citations=[cite],
        backend=backend,
        question=question,
        standalone_question=question,
    )


@pytest.fixture
def rated(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    c = store.create("browser:a")
    t1 = store.add_turn("browser:a", c["id"], answer("Wat zijn de portfolio's?", "Iets anders. [1]"))
    t2 = store.add_turn("browser:a", c["id"], answer("Wie is de voorzitter?", "Wim Boomkamp. [1]", "llamacpp"))
    store.set_feedback(
        "browser:a",
        c["id"],
        t1["id"],
        -1,
        "de lijst ontbreekt",
        kind="list",
        language="nl",
        config={"backend": "extractive"},
    )
    store.set_feedback("browser:a", c["id"], t2["id"], 1, kind="names", language="nl")
    yield store
    store.close()


def test_thumbs_down_become_drafts_once(rated, tmp_path):
    path = tmp_path / "feedback_items.jsonl"
    assert write_drafts(rated.feedback(), path) == (1, 1)
    [row] = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert row["status"] == "draft" and row["question"] == "Wat zijn de portfolio's?"
    assert row["answer_given"] == "Iets anders. [1]" and row["comment"] == "de lijst ontbreekt"
    assert row["cited"] == [{"document": "plan", "section": "6.1", "page": None, "quote": "De vier portfolio's."}]
    assert row["config"] == {"backend": "extractive"} and row["kind"] == "list"
    assert write_drafts(rated.feedback(), path) == (0, 2)  # again: nothing new, nothing duplicated
    assert completed_items(path) == []  # a draft is not an evaluation item


def test_a_completed_item_joins_and_an_incomplete_one_is_refused(rated, tmp_path):
    path = tmp_path / "feedback_items.jsonl"
    write_drafts(rated.feedback(), path)
    row = json.loads(path.read_text(encoding="utf-8"))
    row.update(
        status="complete",
        split="test",
        evidence=[{"section": "6.1", "quote": "De vier portfolio's."}],
        facts=[["Digitalisering"]],
    )
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    [item] = completed_items(path)
    assert (item.kind, item.split, item.quotes, item.facts) == (
        "list",
        "test",
        ["De vier portfolio's."],
        [["Digitalisering"]],
    )
    row.update(facts=[], split="")
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"split must be one of.*evidence quotes and facts"):
        completed_items(path)


def test_counts_per_kind_and_backend(rated, tmp_path):
    table = counts(rated.feedback())
    assert table["kind"][("list", "down")] == 1 and table["kind"][("names", "up")] == 1
    assert table["backend"][("extractive", "down")] == 1 and table["backend"][("llamacpp", "up")] == 1
    text = report_markdown(rated.feedback(), 1, tmp_path / "feedback_items.jsonl")
    assert "2 answers rated: 1 up, 1 down" in text and "| list | 0 | 1 |" in text
