"""Hybrid retrieval on llama-index: dense (Chroma) + Dutch BM25 retrievers, weighted reciprocal rank
fusion, context expansion (neighbouring chunks of the same section) and an optional cross-encoder."""

from assistant.retrieval.dense import DenseRetriever
from assistant.retrieval.expansion import SectionContextExpander
from assistant.retrieval.fusion import WeightedRRFRetriever
from assistant.retrieval.keyword import KeywordRetriever
from assistant.retrieval.passages import Passage, Retrieval, fuse_retrievals, join_chunk_texts
from assistant.retrieval.retriever import Mode, Retriever

__all__ = [
    "DenseRetriever",
    "KeywordRetriever",
    "Mode",
    "Passage",
    "Retrieval",
    "Retriever",
    "SectionContextExpander",
    "WeightedRRFRetriever",
    "fuse_retrievals",
    "join_chunk_texts",
]
