"""Dense retrieval as a llama-index retriever: the query embedding against the generation's Chroma
collection (``StoreReader.dense``, through ChromaVectorStore); scores are cosine similarities."""

from __future__ import annotations

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle

from ingest.embedding import Embedder
from ingest.store import StoreReader


class DenseRetriever(BaseRetriever):
    """Uses `QueryBundle.embedding` when given, else embeds the query with `embedder`."""

    def __init__(self, store: StoreReader, embedder: Embedder, similarity_top_k: int = 30) -> None:
        super().__init__()
        self.store = store
        self.embedder = embedder
        self.similarity_top_k = similarity_top_k

    def search(self, query_bundle: QueryBundle, k: int) -> list[NodeWithScore]:
        """The best `k` nodes, best first (what `retrieve` returns for k = similarity_top_k)."""
        vector = query_bundle.embedding
        if vector is None:
            vector = self.embedder.embed_query(query_bundle.query_str).tolist()
        return [NodeWithScore(node=self.store.nodes[i], score=score) for i, score in self.store.dense(vector, k)]

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self.search(query_bundle, self.similarity_top_k)
