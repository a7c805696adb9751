"""Benchmarks: each prints its figures beside a baseline measured in the same run, as a ratio.

    assistant bench ingest   full ingest vs the bare embedder on the same texts; peak memory
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psutil

from assistant.settings import Settings


@contextmanager
def peak_rss():
    """Sample this process's RSS every 20 ms; yields a dict that gets 'peak_mb' at exit."""
    proc = psutil.Process()
    out = {"start_mb": proc.memory_info().rss / 2**20, "peak_mb": 0.0}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            out["peak_mb"] = max(out["peak_mb"], proc.memory_info().rss / 2**20)
            stop.wait(0.02)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    try:
        yield out
    finally:
        stop.set()
        t.join()
        out["peak_mb"] = max(out["peak_mb"], proc.memory_info().rss / 2**20)


def bench_ingest(settings: Settings, corpus_dir: Path | None = None, embedder=None) -> dict:
    """Chunks/s of a full ingest (load, structure, chunk, embed, Chroma, BM25, manifest) beside the
    bare embedder's chunks/s on exactly the same texts, in the same process."""
    from assistant.embedding import make_embedder
    from ingest.indexer import ingest
    from ingest.store import embed_text, read_generation_chunks, read_manifest

    embedder = embedder or make_embedder(settings)
    embedder.embed_passages(["opwarmen"] * 4)  # first call pays one-off setup
    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        run_settings = settings.model_copy(update={"data_dir": tmp / "data", "chroma_mode": "embedded"})
        with peak_rss() as mem_pipeline:
            t = time.perf_counter()
            report = ingest(run_settings, embedder, corpus_dir=corpus_dir, rebuild=True, progress=False)
            pipeline_s = time.perf_counter() - t
        chunks = read_generation_chunks(run_settings, read_manifest(run_settings.data_dir))
        texts = [embed_text(c) for c in chunks]
        bs = max(1, settings.embed_batch_size)
        with peak_rss() as mem_bare:
            t = time.perf_counter()
            for i in range(0, len(texts), bs):
                embedder.embed_passages(texts[i : i + bs])
            bare_s = time.perf_counter() - t
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
        "ratio": round(bare_s / pipeline_s, 3),
        "peak_rss_mb_ingest": round(mem_pipeline["peak_mb"], 1),
        "peak_rss_mb_bare": round(mem_bare["peak_mb"], 1),
    }


def print_table(result: dict) -> None:
    width = max(len(k) for k in result)
    for k, v in result.items():
        print(f"{k:<{width}}  {v}")


BENCHES = {"ingest": bench_ingest}


def main(settings: Settings, what: str = "all", out: Path | None = None) -> int:
    names = list(BENCHES) if what == "all" else [what]
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHES)} or all")
        return 2
    results = []
    for name in names:
        result = BENCHES[name](settings)
        print_table(result)
        print()
        results.append(result)
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / "bench.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0
