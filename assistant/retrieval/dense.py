"""Dense retrieval as a llama-index retriever: the query embedding against the generation's Chroma
collection (``StoreReader.dense``, through ChromaVectorStore); scores are cosine similarities."""

from __future__ import annotations

from collections.abc import Collection

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle

from ingest.embedding import Embedder
from ingest.store import StoreReader


class DenseRetriever(BaseRetriever):
    """Uses `QueryBundle.embedding` when given, else embeds the query with `embedder`.
    `documents` (doc ids) keeps `retrieve` inside those documents; `search` takes its own scope."""

    def __init__(
        self,
        store: StoreReader,
        embedder: Embedder,
        similarity_top_k: int = 30,
        documents: Collection[str] | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.embedder = embedder
        self.similarity_top_k = similarity_top_k
        self.documents = documents

    def search(
        self, query_bundle: QueryBundle, k: int, documents: Collection[str] | None = None
    ) -> list[NodeWithScore]:
        """The best `k` nodes (of `documents`, when given), best first."""
        vector = query_bundle.embedding
        if vector is None:
            vector = self.embedder.embed_query(query_bundle.query_str).tolist()
        hits = self.store.dense(vector, k, documents)
        return [NodeWithScore(node=self.store.nodes[i], score=score) for i, score in hits]

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self.search(query_bundle, self.similarity_top_k, self.documents)
