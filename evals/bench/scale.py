"""`assistant bench scale`: a generated corpus of 10,000 chunks (scale_corpus.py) against the
shipped one: ingest throughput beside the bare embedder, query latency and memory of the served
stores, with embedded Chroma and with a `chroma run` server. See evals/BENCHMARKS.md."""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from assistant.settings import Settings
from evals.bench.common import bare_embed, post_ask, warm
from evals.bench.ingest_process import run_ingest
from evals.bench.scale_corpus import generate_corpus
from evals.datasets import question_texts
from evals.figures import ms_summary, ratio
from evals.serving import RssSampler, free_port, serving, shipped_index_env, start_chroma, wait_idle


def store_env(data_dir: Path, corpus_dir: Path, mode: str, port: int | None, prefix: str) -> dict[str, str]:
    """The ASSISTANT_* variables of one store: its data dir and corpus, Chroma mode and collections."""
    env = {
        **shipped_index_env(data_dir, corpus_dir),
        "ASSISTANT_CHROMA_MODE": mode,
        "ASSISTANT_COLLECTION_PREFIX": prefix,
    }
    if mode == "http":
        env.update({"ASSISTANT_CHROMA_HOST": "127.0.0.1", "ASSISTANT_CHROMA_PORT": str(port)})
    return env


def query_served(env: dict[str, str], questions: list[str], settings_env: dict[str, str]) -> dict:
    """Start `assistant serve` over a store; ask every question twice over HTTP (cold, then
    warm for these questions); peak RSS of the serving process."""
    import httpx

    t = time.perf_counter()
    with serving({**settings_env, **env}, ready_timeout=900) as server:
        ready_s = time.perf_counter() - t
        sampler = RssSampler(server.proc.pid)
        idle_wait = wait_idle(server.proc.pid, timeout=240)  # background warm-up of small stores
        rss_ready = sampler.sample()
        passes: dict[str, list] = {"cold": [], "warm": []}
        stages: dict[str, list] = {"retrieve": [], "embed_query": [], "evidence": [], "total": []}
        errors = 0
        with httpx.Client(timeout=300) as client:
            for name in ("cold", "warm"):
                for q in questions:
                    elapsed, body = post_ask(client, server.base_url, q)
                    if "_status" in body:
                        errors += 1
                        continue
                    passes[name].append(elapsed)
                    if name == "warm":
                        for k in stages:
                            stages[k].append(body["timings"].get(k, math.nan) / 1000)
        peak = sampler.stop()
    cold, warmed = ms_summary(passes["cold"]), ms_summary(passes["warm"])
    return {
        "startup_s": round(ready_s, 1),
        "idle_wait_s": idle_wait,
        "errors": errors,
        "cold_median_ms": cold.get("p50_ms", math.nan),
        "cold_p95_ms": cold.get("p95_ms", math.nan),
        "warm_median_ms": warmed.get("p50_ms", math.nan),
        "warm_p95_ms": warmed.get("p95_ms", math.nan),
        "search_median_ms": ms_summary(stages["retrieve"]).get("p50_ms", math.nan),
        "embed_query_median_ms": ms_summary(stages["embed_query"]).get("p50_ms", math.nan),
        "evidence_median_ms": ms_summary(stages["evidence"]).get("p50_ms", math.nan),
        "rss_ready_mb": round(rss_ready, 1),
        "peak_rss_mb": peak,
    }


def bench_scale(
    settings: Settings,
    chunks: int | None = None,
    big: int = 10_000,
    embedder=None,
    modes: tuple[str, ...] = ("embedded", "http"),
    questions_subset: str = "ci",
    max_questions: int | None = None,
    shipped_corpus: Path | None = None,
) -> dict:
    """See the module doc and evals/BENCHMARKS.md. `chunks` (default 1,000): size of the corpus
    whose ingest is timed with the real embedder; `big` (10,000): size of the store that query
    latency and serving memory are measured on.

    With ``chunks >= big`` the run is *full*: the big corpus itself is ingested with the real
    embedder in every mode, that real store is the one queried (no SentenceMeanEmbedder), and the
    bare embedder runs once over the stored texts, between the first and the second mode's ingest
    (the texts are the same in every mode; one bare pass saves ~25 minutes at 10,000 chunks).

    `max_questions` (default all of the subset) and `shipped_corpus` (default the settings'
    corpus, the store the big one is compared with) make a smaller run: the tests use both."""
    from ingest.embedding import make_embedder
    from ingest.store import embed_text, read_generation_chunks, read_manifest

    n = int(chunks or 1000)
    full = n >= big
    embedder = warm(embedder or make_embedder(settings))
    questions = question_texts(questions_subset)[:max_questions]
    shipped_dir = Path(shipped_corpus or settings.corpus_dir)
    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    base_env = {
        "ASSISTANT_EMBEDDER": settings.embedder,
        "ASSISTANT_CHUNK_WORDS": str(settings.chunk_words),
        "ASSISTANT_CHUNK_OVERLAP_SENTENCES": str(settings.chunk_overlap_sentences),
        "ASSISTANT_EMBED_BATCH_SIZE": str(settings.embed_batch_size),
        "ASSISTANT_BACKEND": "extractive",
    }
    if settings.st_model:
        base_env["ASSISTANT_ST_MODEL"] = settings.st_model
    out: dict = {
        "benchmark": "scale",
        "embedder": embedder.name,
        "questions": len(questions),
        "full": full,
        "cpu_count": os.cpu_count(),
    }
    bare: tuple[int, float, float] | None = None  # (texts, wall s, cpu s), reused in a full run
    try:
        t = time.perf_counter()
        gen_big = generate_corpus(
            tmp / "corpus-big", big, chunk_words=settings.chunk_words, overlap=settings.chunk_overlap_sentences
        )
        small_dir = tmp / "corpus-big" if full else tmp / "corpus-small"
        gen_small = (
            gen_big
            if full
            else generate_corpus(
                small_dir, n, chunk_words=settings.chunk_words, overlap=settings.chunk_overlap_sentences
            )
        )
        out.update(
            {
                "generate_s": round(time.perf_counter() - t, 2),
                "big_corpus_documents": gen_big["documents"],
                "big_corpus_chunks": gen_big["chunks"],
                "small_corpus_documents": gen_small["documents"],
                "small_corpus_chunks": gen_small["chunks"],
            }
        )
        for mode in modes:
            p = f"{mode}."
            print(f"scale: {mode} mode, ingesting {gen_small['chunks']} chunks with {embedder.name} ...", flush=True)
            with ExitStack() as stack:
                port = None
                chroma_sampler = None
                if mode == "http":
                    port = free_port()
                    chroma = start_chroma(tmp / "chroma-server", port)
                    stack.callback(chroma.stop)
                    chroma_sampler = RssSampler(chroma.proc.pid)
                # 1. real ingest of the ingest corpus (CLI subprocess), then the bare embedder
                small_env = {**base_env, **store_env(tmp / mode / "small", small_dir, mode, port, "small")}
                report, wall, peak = run_ingest(small_env, small_dir)
                pipeline_s, pipeline_cpu = report["seconds"], report["cpu_seconds"]
                if bare is None or not full:
                    # the bare embedder on exactly the stored texts, right after, in this process
                    print("scale: bare embedder on the same texts ...", flush=True)
                    s_settings = settings.model_copy(update={"data_dir": tmp / mode / "small", "chroma_mode": mode})
                    manifest = read_manifest(s_settings.data_dir)
                    assert manifest is not None  # the ingest above wrote it
                    texts = [embed_text(c) for c in read_generation_chunks(s_settings, manifest)]
                    bare = (len(texts), *bare_embed(embedder, texts, settings.embed_batch_size))
                    out[p + "bare_measured_here"] = True
                bare_n, bare_s, bare_cpu = bare
                chunks_n = report["chunks"]
                out.update(
                    {
                        p + "ingest_chunks": chunks_n,
                        p + "ingest_pipeline_s": pipeline_s,
                        p + "ingest_process_wall_s": round(wall, 1),
                        p + "ingest_chunks_per_s": round(chunks_n / pipeline_s, 2),
                        p + "bare_embed_chunks_per_s": round(bare_n / bare_s, 2),
                        p + "ratio_ingest_over_bare": ratio(chunks_n / pipeline_s, bare_n / bare_s),
                        # CPU seconds are far less disturbed by other processes on a shared machine
                        p + "ingest_chunks_per_cpu_s": round(chunks_n / pipeline_cpu, 2),
                        p + "bare_embed_chunks_per_cpu_s": round(bare_n / bare_cpu, 2),
                        p + "ratio_cpu_ingest_over_bare": ratio(chunks_n / pipeline_cpu, bare_n / bare_cpu),
                        p + "ingest_peak_rss_mb": peak,
                    }
                )
                if full:
                    big_env = small_env  # the store just built, with real embeddings
                else:
                    # 2. the big store, with cheap embeddings (subprocess: its own peak memory)
                    big_env = {**base_env, **store_env(tmp / mode / "big", tmp / "corpus-big", mode, port, "big")}
                    rep, wall, peak = run_ingest(big_env, tmp / "corpus-big", cheap=True)
                    out.update(
                        {
                            p + "big_ingest_chunks": rep["chunks"],
                            p + "big_ingest_s_cheap_embeddings": rep["seconds"],
                            p + "big_ingest_cpu_s_cheap_embeddings": rep["cpu_seconds"],
                            p + "big_ingest_real_sentence_embeddings": rep["real_sentence_embeddings"],
                            p + "big_ingest_real_embed_s": rep["real_embed_seconds"],
                            p + "big_ingest_non_embedding_s": round(rep["seconds"] - rep["real_embed_seconds"], 2),
                            p + "big_ingest_peak_rss_mb": peak,
                        }
                    )
                # 3. the shipped corpus, real embeddings
                shipped_env = {
                    **base_env,
                    **store_env(tmp / mode / "shipped", shipped_dir, mode, port, "shipped"),
                }
                rep, _, _ = run_ingest(shipped_env, shipped_dir)
                out[p + "shipped_chunks"] = rep["chunks"]
                # 4. serve each store and query it
                print(
                    f"scale: {mode} mode, querying the shipped and the {gen_big['chunks']}-chunk store ...", flush=True
                )
                shipped = query_served(shipped_env, questions, base_env)
                bigq = query_served(big_env, questions, base_env)
                for name, res in (("shipped", shipped), ("big", bigq)):
                    for k, v in res.items():
                        out[f"{p}{name}_{k}"] = v
                out[p + "ratio_warm_median_big_over_shipped"] = ratio(bigq["warm_median_ms"], shipped["warm_median_ms"])
                out[p + "ratio_cold_median_big_over_shipped"] = ratio(bigq["cold_median_ms"], shipped["cold_median_ms"])
                out[p + "ratio_search_median_big_over_shipped"] = ratio(
                    bigq["search_median_ms"], shipped["search_median_ms"]
                )
                out[p + "ratio_serving_peak_rss_big_over_shipped"] = ratio(bigq["peak_rss_mb"], shipped["peak_rss_mb"])
                if chroma_sampler is not None:
                    out[p + "chroma_server_peak_rss_mb"] = chroma_sampler.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out
