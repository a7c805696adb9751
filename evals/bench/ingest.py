"""`assistant bench ingest`: a full ingest beside the bare embedder on the same texts."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from assistant.settings import Settings
from evals.bench.common import bare_embed, warm
from evals.figures import ratio
from evals.serving import RssSampler


def bench_ingest(settings: Settings, corpus_dir: Path | None = None, embedder=None) -> dict:
    """Chunks/s of a full ingest (load, structure, chunk, embed, Chroma, BM25, manifest) beside the
    bare embedder's chunks/s on exactly the same texts, in the same process."""
    from ingest.embedding import make_embedder
    from ingest.indexer import ingest
    from ingest.store import embed_text, read_generation_chunks, read_manifest

    embedder = warm(embedder or make_embedder(settings))
    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        run_settings = settings.model_copy(update={"data_dir": tmp / "data", "chroma_mode": "embedded"})
        sampler = RssSampler(os.getpid(), interval=0.02)
        t = time.perf_counter()
        report = ingest(run_settings, embedder, corpus_dir=corpus_dir, rebuild=True, progress=False)
        pipeline_s = time.perf_counter() - t
        peak_pipeline = sampler.stop()
        manifest = read_manifest(run_settings.data_dir)
        assert manifest is not None  # the ingest above wrote it
        chunks = read_generation_chunks(run_settings, manifest)
        texts = [embed_text(c) for c in chunks]
        sampler = RssSampler(os.getpid(), interval=0.02)
        bare_s, _ = bare_embed(embedder, texts, settings.embed_batch_size)
        peak_bare = sampler.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    n = report.chunks
    return {
        "benchmark": "ingest",
        "embedder": embedder.name,
        "documents": report.documents,
        "chunks": n,
        "pipeline_seconds": round(pipeline_s, 3),
        "pipeline_chunks_per_s": round(n / pipeline_s, 3),
        "bare_embed_seconds": round(bare_s, 3),
        "bare_chunks_per_s": round(n / bare_s, 3),
        "ratio": ratio(bare_s, pipeline_s, 3),
        "peak_rss_mb_ingest": peak_pipeline,
        "peak_rss_mb_bare": peak_bare,
    }
