"""Hybrid retrieval: dense (Chroma) + Dutch BM25, fused by weighted reciprocal rank fusion,
then context expansion (neighbouring chunks of the same section) and an optional reranker.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ingest.embedding import Embedder
from assistant.settings import Settings
from ingest.model import Chunk
from ingest.store import StoreReader

Mode = Literal["hybrid", "dense", "bm25"]


@dataclass
class Passage:
    chunk: Chunk
    score: float  # fused score (or reranker score)
    dense: float | None = None  # cosine similarity of query and chunk
    bm25: float | None = None
    context: list[Chunk] = field(default_factory=list)  # chunks merged in, in document order

    @property
    def chunks(self) -> list[Chunk]:
        return sorted([self.chunk, *self.context], key=lambda c: c.ordinal)

    @property
    def text(self) -> str:
        return join_chunk_texts(self.chunks)


@dataclass
class Retrieval:
    query: str
    passages: list[Passage]
    query_vector: np.ndarray | None
    timings: dict[str, float]
    dense_top: float = 0.0  # best cosine among all candidates (evidence for "not found")
    dense_mean: float = 0.0  # mean cosine of the candidate pool (the background level)


def join_chunk_texts(chunks: list[Chunk]) -> str:
    """Concatenate neighbouring chunks, dropping the overlap sentences repeated at a boundary."""
    out = ""
    for c in chunks:
        text = c.text
        if out:
            # the longest suffix of `out` that is a prefix of `text` is overlap
            for size in range(min(len(out), len(text)), 20, -1):
                if out.endswith(text[:size]):
                    text = text[size:].lstrip()
                    break
            out = f"{out}\n{text}" if text else out
        else:
            out = text
    return out


def rrf(rankings: list[tuple[list[int], float]], k: int) -> dict[int, float]:
    """Weighted reciprocal rank fusion: sum of weight / (k + rank), ranks from 1."""
    fused: dict[int, float] = {}
    for ranking, weight in rankings:
        for rank, idx in enumerate(ranking, start=1):
            fused[idx] = fused.get(idx, 0.0) + weight / (k + rank)
    return fused


class Retriever:
    def __init__(self, settings: Settings, embedder: Embedder, store: StoreReader):
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.reranker = None
        if settings.reranker_model:
            from sentence_transformers import CrossEncoder

            self.reranker = CrossEncoder(settings.reranker_model, device="cpu")

    def retrieve(
        self,
        query: str,
        top_k: int | None = None,
        mode: Mode = "hybrid",
        expand: bool | None = None,
        query_vector: np.ndarray | None = None,
    ) -> Retrieval:
        s = self.settings
        top_k = top_k or s.top_k
        expand = s.expand_context if expand is None else expand
        timings: dict[str, float] = {}
        depth = max(s.candidates, top_k)
        dense_hits: list[tuple[int, float]] = []
        bm25_hits: list[tuple[int, float]] = []
        if mode in ("hybrid", "dense") or query_vector is not None:
            if query_vector is None:
                t = time.perf_counter()
                query_vector = self.embedder.embed_query(query)
                timings["embed_query"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        if mode in ("hybrid", "dense"):
            dense_hits = self.store.dense(query_vector, depth)
        if mode in ("hybrid", "bm25"):
            bm25_hits = self.store.keyword(query, depth)
        timings["retrieve"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        dense_of = dict(dense_hits)
        bm25_of = dict(bm25_hits)
        fused = rrf(
            [([i for i, _ in dense_hits], s.dense_weight), ([i for i, _ in bm25_hits], s.bm25_weight)],
            s.rrf_k,
        )
        order = sorted(fused, key=lambda i: -fused[i])
        chunks = self.store.chunks
        candidates = [
            Passage(chunks[i], fused[i], dense=dense_of.get(i), bm25=bm25_of.get(i)) for i in order
        ]
        if self.reranker is not None and candidates:
            pairs = [(query, p.text) for p in candidates[: max(top_k * 3, 10)]]
            scores = self.reranker.predict(pairs)
            for p, sc in zip(candidates, scores):
                p.score = float(sc)
            candidates = sorted(candidates[: len(pairs)], key=lambda p: -p.score)
        passages = self._expand(candidates, top_k) if expand else candidates[:top_k]
        timings["fuse"] = (time.perf_counter() - t) * 1000
        dense_scores = [sc for _, sc in dense_hits]
        return Retrieval(
            query=query,
            passages=passages,
            query_vector=query_vector,
            timings=timings,
            dense_top=max(dense_scores, default=0.0),
            dense_mean=float(np.mean(dense_scores)) if dense_scores else 0.0,
        )

    def _expand(self, candidates: list[Passage], top_k: int) -> list[Passage]:
        """Merge a candidate's same-section neighbours that are candidates too (or tiny) into it."""
        by_ord = {(c.doc_id, c.ordinal): c for c in self.store.chunks}
        cand_ids = {p.chunk.chunk_id for p in candidates[: top_k * 3]}
        used: set[str] = set()
        out: list[Passage] = []
        for p in candidates:
            if p.chunk.chunk_id in used:
                continue
            used.add(p.chunk.chunk_id)
            for step in (-1, 1):
                nb = by_ord.get((p.chunk.doc_id, p.chunk.ordinal + step))
                if nb is None or nb.chunk_id in used or not _same_section(nb, p.chunk):
                    continue
                short = len(p.chunk.text.split()) < 40 or len(nb.text.split()) < 25
                if nb.chunk_id in cand_ids or short:
                    p.context.append(nb)
                    used.add(nb.chunk_id)
            out.append(p)
            if len(out) >= top_k:
                break
        return out


def _same_section(a: Chunk, b: Chunk) -> bool:
    return (
        a.doc_id == b.doc_id
        and a.section_number == b.section_number
        and a.heading_path == b.heading_path
        and a.kind == b.kind
    )
