"""The retrieval the answer service and the evaluation call, composed of llama-index parts built once
per store generation:

    DenseRetriever + KeywordRetriever -> WeightedRRFRetriever.fuse -> SentenceTransformerRerank
    (optional cross-encoder) -> SectionContextExpander -> Passages

`retrieve` adds what the answer stage needs besides the passages: the query vector, the timings
(embed_query, retrieve, fuse) and the dense statistics of the candidate pool.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Literal

import numpy as np
from llama_index.core.postprocessor import SentenceTransformerRerank
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle, TextNode

from assistant.retrieval.dense import DenseRetriever
from assistant.retrieval.expansion import SectionContextExpander
from assistant.retrieval.fusion import WeightedRRFRetriever
from assistant.retrieval.keyword import KeywordRetriever
from assistant.retrieval.passages import Passage, Retrieval
from assistant.settings import Settings
from ingest.embedding import Embedder
from ingest.model import Chunk
from ingest.store import StoreReader

Mode = Literal["hybrid", "dense", "bm25"]
POOL = 3  # the expansion (and the hybrid retriever's default) draws on POOL x top_k fused candidates


class Retriever:
    """`dense`, `keyword`, `hybrid`, `expander` (and `reranker` when ASSISTANT_RERANKER_MODEL is set)
    are plain llama-index components: `hybrid` returns the POOL x top_k fused candidates that
    `expander` (top_n = top_k) merges, so ``RetrieverQueryEngine(hybrid, node_postprocessors=[expander])``
    returns the passages of `retrieve(query)` at the default settings."""

    def __init__(self, settings: Settings, embedder: Embedder, store: StoreReader):
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.dense = DenseRetriever(store, embedder, similarity_top_k=settings.candidates)
        self.keyword = KeywordRetriever(store, similarity_top_k=settings.candidates)
        self.hybrid = WeightedRRFRetriever(
            [self.dense, self.keyword],
            [settings.dense_weight, settings.bm25_weight],
            rrf_k=settings.rrf_k,
            similarity_top_k=POOL * settings.top_k,
        )
        self.expander = SectionContextExpander(store.nodes, top_n=settings.top_k)
        self.reranker: SentenceTransformerRerank | None = None
        if settings.reranker_model:
            # top_n = every node: `retrieve` chooses the pool, the cross-encoder only reorders it
            self.reranker = SentenceTransformerRerank(
                model=settings.reranker_model, top_n=max(1, len(store.nodes)), device="cpu"
            )

    def retrieve(
        self,
        query: str,
        top_k: int | None = None,
        mode: Mode = "hybrid",
        expand: bool | None = None,
        query_vector: np.ndarray | None = None,
        documents: Collection[str] | None = None,
    ) -> Retrieval:
        """The top_k passages for `query`; only from `documents` (doc ids) when given."""
        s = self.settings
        top_k = top_k or s.top_k
        expand = s.expand_context if expand is None else expand
        timings: dict[str, float] = {}
        depth = max(s.candidates, top_k)
        if query_vector is None and mode in ("hybrid", "dense"):
            t = time.perf_counter()
            query_vector = self.embedder.embed_query(query)
            timings["embed_query"] = (time.perf_counter() - t) * 1000
        embedding = None if query_vector is None else np.asarray(query_vector, dtype=np.float32).tolist()
        bundle = QueryBundle(query_str=query, embedding=embedding)

        t = time.perf_counter()
        dense_hits = self.dense.search(bundle, depth, documents) if mode in ("hybrid", "dense") else []
        keyword_hits = self.keyword.search(bundle, depth, documents) if mode in ("hybrid", "bm25") else []
        timings["retrieve"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        candidates = self.hybrid.fuse([dense_hits, keyword_hits])
        if self.reranker is not None and candidates:
            candidates = _rerank(self.reranker, candidates[: max(top_k * 3, 10)], bundle)
        if expand:
            groups = self.expander.expand(candidates[: POOL * top_k])[:top_k]
        else:
            groups = [(hit, []) for hit in candidates[:top_k]]
        dense_of = {h.node.node_id: h.score for h in dense_hits}
        bm25_of = {h.node.node_id: h.score for h in keyword_hits}
        passages = [
            Passage(
                self._chunk(hit.node),
                float(hit.score or 0.0),
                dense=dense_of.get(hit.node.node_id),
                bm25=bm25_of.get(hit.node.node_id),
                context=[self._chunk(n) for n in context],
            )
            for hit, context in groups
        ]
        timings["fuse"] = (time.perf_counter() - t) * 1000
        dense_scores = [h.score or 0.0 for h in dense_hits]
        return Retrieval(
            query=query,
            passages=passages,
            query_vector=query_vector,
            timings=timings,
            dense_top=max(dense_scores, default=0.0),
            dense_mean=float(np.mean(dense_scores)) if dense_scores else 0.0,
        )

    def _chunk(self, node: BaseNode) -> Chunk:
        return self.store.chunks[self.store.index_of[node.node_id]]


def _rerank(reranker: SentenceTransformerRerank, hits: list[NodeWithScore], bundle: QueryBundle) -> list[NodeWithScore]:
    """The hits in cross-encoder order. SentenceTransformerRerank scores a node's EMBED content
    (heading path + text); it gets text-only views, so it scores (question, chunk text)."""
    views = [NodeWithScore(node=TextNode(id_=h.node.node_id, text=h.node.get_content()), score=h.score) for h in hits]
    node_of = {h.node.node_id: h.node for h in hits}
    ranked = reranker.postprocess_nodes(views, query_bundle=bundle)
    return [NodeWithScore(node=node_of[v.node.node_id], score=float(v.score or 0.0)) for v in ranked]
