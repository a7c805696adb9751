"""The sentences of each retrieved chunk and their embeddings, kept in memory (`SentenceBank`)."""

from __future__ import annotations

import threading

import numpy as np

from ingest.embedding import Embedder
from ingest.model import Chunk
from ingest.sentences import split_sentences


class SentenceBank:
    """Sentences of each chunk and their embeddings, computed on first use and kept in memory.

    Embedding sentences at ingest would double its cost for every chunk; here only chunks that
    are actually retrieved pay, once (the service warms the bank in the background at start).
    With `titled`, each sentence is also embedded behind its section's label ("§6.1 Focus op
    impactportfolio's: ..."), which tells a short sentence what it is about.
    """

    def __init__(self, embedder: Embedder, titled: bool = False):
        self.embedder = embedder
        self.titled = titled
        self._cache: dict[str, tuple[list[str], np.ndarray]] = {}
        self._titled: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def get(self, chunk_id: str, text: str) -> tuple[list[str], np.ndarray]:
        hit = self._cache.get(chunk_id)
        if hit is not None:
            return hit
        sentences = [s for s in split_sentences(text) if len(s.split()) >= 2] or [text]
        vectors = self.embedder.embed_passages(sentences)
        with self._lock:
            self._cache[chunk_id] = (sentences, vectors)
        return sentences, vectors

    def titled_vectors(self, chunk: Chunk) -> np.ndarray:
        """The chunk's sentences (as `get` splits them) embedded behind its section label."""
        hit = self._titled.get(chunk.chunk_id)
        if hit is not None:
            return hit
        sentences, _ = self.get(chunk.chunk_id, chunk.text)
        label = section_label_of(chunk)
        vectors = self.embedder.embed_passages([f"{label}: {s}" if label else s for s in sentences])
        with self._lock:
            self._titled[chunk.chunk_id] = vectors
        return vectors

    def warm(self, chunks, stop: threading.Event | None = None) -> None:
        for c in chunks:
            if stop is not None and stop.is_set():
                return
            self.get(c.chunk_id, c.text)
            if self.titled:
                self.titled_vectors(c)

    def __len__(self) -> int:
        return len(self._cache)


def section_label_of(chunk: Chunk) -> str:
    """ "§6.1 Focus op impactportfolio's": the section number and title (or the document's title)."""
    parts = (f"§{chunk.section_number}" if chunk.section_number else "", chunk.section_title or chunk.doc_title)
    return " ".join(x for x in parts if x)
