"""What one evaluation run works with: `Run` (its work dir, the indexes built there once, the shared
embedder, sentence bank and language models) and `evaluate_system` (ask every item, score it)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from assistant.answering.sentence_bank import SentenceBank
from assistant.llm.registry import make_generator
from assistant.retrieval import Mode
from assistant.settings import Settings
from evals.datasets import EvalItem
from evals.scoring import score_item
from evals.systems import BaselineSystem, PipelineSystem
from ingest.embedding import Embedder


@dataclass
class Run:
    """One evaluation run: indexes per chunking in `workdir`, built once; systems over them."""

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
        if name not in self.generators:
            self.generators[name] = make_generator(name, self.settings)
        return self.generators[name]

    def index(self, chunk_words: int, overlap: int) -> Settings:
        """Settings over an index of the corpus with this chunking (built once, in the work dir)."""
        key = (chunk_words, overlap)
        if key not in self.indexes:
            from ingest.indexer import ingest

            s = self.settings.model_copy(
                update={
                    "data_dir": self.workdir / f"index-{chunk_words}-{overlap}",
                    "chunk_words": chunk_words,
                    "chunk_overlap_sentences": overlap,
                    "chroma_mode": "embedded",
                }
            )
            t = time.perf_counter()
            report = ingest(s, self.embedder, progress=False)
            if report.failed:
                raise RuntimeError(f"indexing failed: {report.failed}")
            self.index_seconds[f"{chunk_words}/{overlap}"] = round(time.perf_counter() - t, 2)
            self.indexes[key] = s
        return self.indexes[key]

    def default_index(self) -> Settings:
        return self.index(self.settings.chunk_words, self.settings.chunk_overlap_sentences)

    def pipeline(
        self,
        name: str,
        settings: Settings,
        mode: Mode,
        expand: bool | None,
        query_cache: dict | None = None,
        warm: bool = True,
    ) -> PipelineSystem:
        """`warm`: embed every chunk's sentences first, as the service does at start, so that the
        latency measured is the steady state (the sweeps skip it: they report no latency)."""
        assert self.bank is not None  # made in __post_init__
        system = PipelineSystem(name, settings, self.embedder, self.bank, self.generator, mode, expand, query_cache)
        if warm:
            system.warm()
        return system

    def bar(self, total: int, desc: str):
        return tqdm(
            total=total,
            desc=desc,
            unit="q",
            disable=not self.progress,
            file=sys.stderr,
            dynamic_ncols=True,
            leave=False,
        )


def evaluate_system(
    system: PipelineSystem | BaselineSystem,
    items: list[EvalItem],
    backend: str = "extractive",
    bar=None,
    grid: list[float] | None = None,
    answers: dict | None = None,
) -> list[dict]:
    """Ask every item, score it; `grid`: also record the not-found verdict per threshold;
    `answers`: filled with id -> Answer (for the LLM judge)."""
    records = []
    for item in items:
        answer = system.ask(item, backend)
        if answers is not None:
            answers[item.id] = answer
        query = answer.standalone_question or item.question
        scope = item.documents or None  # retrieval is scored inside the scope the question asked
        ranked = system.ranked(query, documents=scope) if item.answerable and item.quotes else None
        rec = score_item(item, answer, ranked, system.normalized_units)
        if grid is not None and system.refuses:
            rec["judge_score"], rec["refused_at"], rec["judge_rule"] = system.refusals(query, grid, scope)
        records.append(rec)
        if bar is not None:
            bar.update(1)
    return records
