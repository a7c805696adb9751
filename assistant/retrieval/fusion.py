"""Hybrid retrieval: weighted reciprocal rank fusion of llama-index retrievers.

llama-index's `QueryFusionRetriever` cannot express the tuned fusion (dense weight 1.0, BM25 weight
0.75, k = 10): its "reciprocal_rerank" mode fixes k at 60 (ranks counted from 0), ignores
`retriever_weights` and merges nodes by content hash; its other modes fuse normalised scores, not
ranks. Hence this small retriever of our own.
"""

from __future__ import annotations

from collections.abc import Sequence

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle


class WeightedRRFRetriever(BaseRetriever):
    """Scores a node sum(weight / (rrf_k + rank)) over the retrievers that found it, ranks from 1."""

    def __init__(
        self,
        retrievers: Sequence[BaseRetriever],
        weights: Sequence[float],
        rrf_k: float = 10,
        similarity_top_k: int = 15,
    ) -> None:
        if len(weights) != len(retrievers):
            raise ValueError(f"{len(retrievers)} retrievers but {len(weights)} weights")
        super().__init__()
        self.retrievers = list(retrievers)
        self.weights = list(weights)
        self.rrf_k = rrf_k
        self.similarity_top_k = similarity_top_k

    def fuse(self, rankings: Sequence[Sequence[NodeWithScore]]) -> list[NodeWithScore]:
        """Every node of `rankings` (one ranking per retriever, best first) by fused score; ties keep
        the order in which the nodes were first seen."""
        fused: dict[str, float] = {}
        nodes: dict[str, BaseNode] = {}
        for ranking, weight in zip(rankings, self.weights, strict=True):
            for rank, hit in enumerate(ranking, start=1):
                node_id = hit.node.node_id
                nodes.setdefault(node_id, hit.node)
                fused[node_id] = fused.get(node_id, 0.0) + weight / (self.rrf_k + rank)
        order = sorted(fused, key=lambda node_id: -fused[node_id])
        return [NodeWithScore(node=nodes[node_id], score=fused[node_id]) for node_id in order]

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self.fuse([r.retrieve(query_bundle) for r in self.retrievers])[: self.similarity_top_k]
