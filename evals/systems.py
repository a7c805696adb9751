"""The systems under evaluation: our pipeline in one retrieval mode (`PipelineSystem`, answered by
the real AnswerService) and the llama-index baseline (`BaselineSystem`), with the embedder memo and
the retriever wrapper they run on."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Literal

import numpy as np

from assistant.answering.evidence import judge, scored_for
from assistant.answering.followup import condense, is_follow_up
from assistant.answering.sentence_bank import SentenceBank
from assistant.answering.service import AnswerService
from assistant.retrieval import Mode, Retrieval, Retriever
from assistant.schema import Answer
from assistant.settings import Settings
from evals.datasets import EvalItem
from evals.metrics import K_VALUES, normalize
from ingest.embedding import Embedder
from ingest.language import detect_language
from ingest.store import StoreReader

PIPELINE_CONFIGS: dict[str, tuple[Mode, bool]] = {  # name -> (retrieval mode, context expansion)
    "bm25": ("bm25", False),
    "dense": ("dense", False),
    "hybrid": ("hybrid", False),
    "hybrid+expand": ("hybrid", True),
}
BASELINE = "baseline-llamaindex"  # SentenceSplitter(1024), dense only, top-2: the common template
BASELINE_FUSION = "baseline-llamaindex-fusion"  # stock parts on our chunks: vector + BM25Retriever, QueryFusion, top-5
BASELINE_BM25_PLAIN = "baseline-bm25-plain-tokens"  # bm25s default tokeniser on our chunks (the Dutch analyser's gain)
BASELINES = (BASELINE, BASELINE_FUSION, BASELINE_BM25_PLAIN)
RETRIEVAL_K = max(K_VALUES)


def default_config_name(settings: Settings) -> str:
    """The configuration the service runs with these settings."""
    return "hybrid+expand" if settings.expand_context else "hybrid"


class CachingEmbedder:
    """The embedder with a memo for passage texts (same name and dim, so indexes open as usual).

    Sentences recur across the chunking variants; embedding them once keeps the sweeps fast.
    Queries are not memoised here (their latency is measured); see ForcedRetriever."""

    def __init__(self, inner: Embedder):
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self._memo: dict[str, np.ndarray] = {}

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if todo:
            for t, v in zip(todo, self.inner.embed_passages(todo), strict=True):
                self._memo[t] = np.asarray(v, dtype=np.float32)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._memo[t] for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


class ForcedRetriever:
    """A Retriever with a fixed mode and expansion (what the answer service calls).

    In BM25 mode the query is still embedded and the dense candidate statistics filled in, so the
    answer stage (sentence scoring, the not-found judge) gets the same inputs as in hybrid mode
    and only the ranking differs. `query_cache` (sweeps only) reuses query vectors across configs."""

    def __init__(
        self, inner: Retriever, mode: Mode, expand: bool | None, query_cache: dict[str, np.ndarray] | None = None
    ):
        self.inner = inner
        self.store = inner.store
        self.settings = inner.settings
        self.mode = mode
        self.expand = expand
        self.cache = query_cache
        self.vectors: dict[str, np.ndarray] = {}  # query vectors seen, for the metric re-runs

    def _vector(self, query: str, timings: dict[str, float]) -> np.ndarray:
        if self.cache is not None and query in self.cache:
            return self.cache[query]
        t = time.perf_counter()
        vec = self.inner.embedder.embed_query(query)
        timings["embed_query"] = (time.perf_counter() - t) * 1000
        if self.cache is not None:
            self.cache[query] = vec
        return vec

    def retrieve(
        self,
        query: str,
        top_k: int | None = None,
        mode: str = "hybrid",
        expand: bool | None = None,
        query_vector: np.ndarray | None = None,
        documents: Collection[str] | None = None,
    ) -> Retrieval:
        extra: dict[str, float] = {}
        if query_vector is None and (self.cache is not None or self.mode == "bm25"):
            query_vector = self._vector(query, extra)
        scope = {} if documents is None else {"documents": documents}  # the scope only when one is asked
        retrieval = self.inner.retrieve(
            query, top_k=top_k, mode=self.mode, expand=self.expand, query_vector=query_vector, **scope
        )
        if self.mode == "bm25":
            assert query_vector is not None  # embedded above in bm25 mode
            t = time.perf_counter()
            dense = [s for _, s in self.store.dense(query_vector, max(self.settings.candidates, top_k or 0), **scope)]
            retrieval.dense_top = max(dense, default=0.0)
            retrieval.dense_mean = float(np.mean(dense)) if dense else 0.0
            extra["dense_stats"] = (time.perf_counter() - t) * 1000
        retrieval.timings = {**extra, **retrieval.timings}
        if retrieval.query_vector is not None:
            self.vectors[query] = retrieval.query_vector
        return retrieval


class PipelineSystem:
    """Our pipeline over one index, one retrieval mode; answers through the real AnswerService."""

    refuses: Literal[True] = True

    def __init__(
        self,
        name: str,
        settings: Settings,
        embedder: Embedder,
        bank: SentenceBank,
        generator_provider: Callable,
        mode: Mode = "hybrid",
        expand: bool | None = None,
        query_cache: dict | None = None,
    ):
        self.name = name
        self.settings = settings
        self.bank = bank
        store = StoreReader(settings, embedder.name, embedder.dim)
        self.retriever = ForcedRetriever(Retriever(settings, embedder, store), mode, expand, query_cache)
        self.answers = AnswerService(settings, lambda: self.retriever, generator_provider, bank)  # type: ignore[arg-type, return-value]  # ForcedRetriever is duck-typed; AnswerService names the Retriever class
        self._units = [(c.doc_id, normalize(c.text)) for c in store.chunks]

    @property
    def normalized_units(self) -> list[tuple[str, str]]:
        """Every passage of the index as (doc id, normalised text)."""
        return self._units

    @property
    def chunks(self):
        return self.retriever.store.chunks

    def warm(self) -> None:
        self.bank.warm(self.chunks)

    def ask(self, item: EvalItem, backend: str = "extractive") -> Answer:
        if item.documents:  # a question kept to some documents
            return self.answers.ask(item.question, item.history, backend, documents=item.documents)
        return self.answers.ask(item.question, item.history, backend)

    def ranked(
        self, query: str, k: int = RETRIEVAL_K, documents: Collection[str] | None = None
    ) -> list[tuple[str, str]]:
        """The top k passages as (doc id, text); only from `documents` when given."""
        vec = self.retriever.vectors.get(query)
        retrieval = self.retriever.retrieve(query, top_k=k, query_vector=vec, documents=documents or None)
        return [(p.chunk.doc_id, p.text) for p in retrieval.passages]

    def refusals(
        self, query: str, grid: list[float], documents: Collection[str] | None = None
    ) -> tuple[float, list[bool], str]:
        """The judge's score for the query and its verdict (refused?) at every threshold of `grid`,
        from the same retrieval and sentence evidence as the answer service.

        The judge is called at -inf: a refusal there comes from a rule (refused at every threshold);
        otherwise the verdict at t is `score < t`, checked against a call at the configured one."""
        retrieval = self.retriever.retrieve(
            query, query_vector=self.retriever.vectors.get(query), documents=documents or None
        )
        analyzer = self.retriever.store.analyzer
        sentences = scored_for(query, retrieval, self.bank, analyzer, self.settings)
        rules = self.settings.not_found_rules
        low = judge(query, retrieval, sentences, float("-inf"), analyzer, rules)
        if not low.answerable:
            return float(low.score), [True] * len(grid), low.reason
        configured = self.settings.not_found_threshold
        at_configured = judge(query, retrieval, sentences, configured, analyzer, rules)
        if at_configured.answerable != (low.score >= configured):
            raise RuntimeError("judge() is not a threshold on its score; evaluate it per threshold")
        return float(low.score), [low.score < t for t in grid], "score"


class BaselineSystem:
    """A baseline pipeline (evals/baseline.py); its passages answered by the same extractive
    composition. It never refuses: a plain pipeline has no "not found" decision."""

    refuses: Literal[False] = False

    def __init__(self, name: str, settings: Settings, embedder: Embedder, bank: SentenceBank):
        from evals.baseline import LlamaIndexBaseline, LlamaIndexFusionBaseline, PlainTokenizerBM25
        from ingest.store import read_generation_chunks, read_manifest

        self.name = name
        self.settings = settings
        self.pipe: LlamaIndexBaseline | LlamaIndexFusionBaseline | PlainTokenizerBM25
        if name == BASELINE:
            self.pipe = LlamaIndexBaseline(embedder, settings.corpus_dir)
            self.ranked_k: int | None = None  # as shipped: its own top 2
        else:
            manifest = read_manifest(settings.data_dir)
            assert manifest is not None, "the default index is built before the baselines"
            chunks = read_generation_chunks(settings, manifest)  # the same chunks as ours
            self.pipe = (
                LlamaIndexFusionBaseline(embedder, chunks) if name == BASELINE_FUSION else PlainTokenizerBM25(chunks)
            )
            self.ranked_k = RETRIEVAL_K
        self.bank = bank
        self.answers = AnswerService(settings, lambda: None, lambda name: None, bank)  # type: ignore[arg-type, return-value]  # only _extractive is used: no retriever or generator is ever asked for
        self._units = [(c.doc_id, normalize(c.text)) for c in self.pipe.chunks.values()]

    @property
    def normalized_units(self) -> list[tuple[str, str]]:
        return self._units

    def warm(self) -> None:
        self.bank.warm(self.pipe.chunks.values())

    def ask(self, item: EvalItem, backend: str = "extractive") -> Answer:
        if item.documents:
            raise ValueError(f"{self.name} cannot keep a question to some documents ({item.id})")
        started = time.perf_counter()
        question = item.question.strip()
        history = [m for m in item.history if m.content.strip()][-8:]
        t = time.perf_counter()
        standalone = condense(question, history) if history and is_follow_up(question) else question
        timings = {"condense": (time.perf_counter() - t) * 1000}
        retrieval = self.pipe.retrieve(standalone)
        timings.update(retrieval.timings)
        t = time.perf_counter()
        sentences = scored_for(standalone, retrieval, self.bank, self.pipe.analyzer, self.settings)
        timings["evidence"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        answer = self.answers._extractive(question, standalone, retrieval, sentences, detect_language(question))
        timings["generate"] = (time.perf_counter() - t) * 1000
        answer.timings = {**timings, "total": (time.perf_counter() - started) * 1000}
        return answer

    def ranked(
        self, query: str, k: int = RETRIEVAL_K, documents: Collection[str] | None = None
    ) -> list[tuple[str, str]]:
        if documents:
            raise ValueError(f"{self.name} cannot keep a question to some documents")
        return [(p.chunk.doc_id, p.text) for p in self.pipe.retrieve(query, top_k=self.ranked_k).passages]


def passage_words(system: PipelineSystem | BaselineSystem) -> float | None:
    """Mean words per passage the system retrieves from."""
    if isinstance(system, BaselineSystem):
        texts = system.pipe.unit_texts
    else:
        texts = [c.text for c in system.chunks]
    return round(float(np.mean([len(t.split()) for t in texts])), 1) if texts else None
