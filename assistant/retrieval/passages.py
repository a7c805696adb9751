"""What a retrieval hands the answer service: passages (a chunk with the neighbours merged into it)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ingest.model import Chunk


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


def join_texts(texts: list[str]) -> str:
    """Concatenate neighbouring chunk texts, dropping the overlap sentences repeated at a boundary."""
    out = ""
    for text in texts:
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


def join_chunk_texts(chunks: list[Chunk]) -> str:
    """`join_texts` of chunks given in document order."""
    return join_texts([c.text for c in chunks])


def fuse_retrievals(first: Retrieval, second: Retrieval, top_k: int, rrf_k: float = 10) -> Retrieval:
    """The passages of two retrievals of one question (as asked, and translated) by reciprocal rank
    fusion, the best `top_k`; query, vector and dense statistics of `second`, the one whose
    language the passages share."""
    score: dict[str, float] = {}
    passage: dict[str, Passage] = {}
    for ranking in (first.passages, second.passages):
        for rank, p in enumerate(ranking, start=1):
            key = p.chunk.chunk_id
            passage.setdefault(key, p)
            score[key] = score.get(key, 0.0) + 1.0 / (rrf_k + rank)
    order = sorted(score, key=lambda k: -score[k])[:top_k]
    return Retrieval(
        query=second.query,
        passages=[passage[k] for k in order],
        query_vector=second.query_vector,
        timings={**first.timings, **{f"translated_{k}": v for k, v in second.timings.items()}},
        dense_top=second.dense_top,
        dense_mean=second.dense_mean,
    )
