"""Keyword retrieval as a llama-index retriever: BM25 over the Dutch-analysed index of the generation
(``StoreReader.keyword``, ``ingest.dutch.Analyzer``); only nodes sharing a query term come back."""

from __future__ import annotations

from collections.abc import Collection

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle

from ingest.store import StoreReader


class KeywordRetriever(BaseRetriever):
    """`documents` (doc ids) keeps `retrieve` inside those documents; `search` takes its own scope."""

    def __init__(
        self, store: StoreReader, similarity_top_k: int = 30, documents: Collection[str] | None = None
    ) -> None:
        super().__init__()
        self.store = store
        self.similarity_top_k = similarity_top_k
        self.documents = documents

    def search(
        self, query_bundle: QueryBundle, k: int, documents: Collection[str] | None = None
    ) -> list[NodeWithScore]:
        """The best `k` nodes (of `documents`, when given) by BM25 score, best first."""
        hits = self.store.keyword(query_bundle.query_str, k, documents)
        return [NodeWithScore(node=self.store.nodes[i], score=score) for i, score in hits]

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self.search(query_bundle, self.similarity_top_k, self.documents)
