"""`assistant bench query`: /api/ask over real HTTP beside the bare query embedding."""

from __future__ import annotations

import math
import time

from assistant.settings import Settings
from evals.bench.common import post_ask, shipped_index
from evals.datasets import question_texts
from evals.figures import ms_summary, ratio
from evals.serving import app_in_thread


def bench_query(settings: Settings, embedder=None, rounds: int = 3) -> dict:
    """/api/ask (extractive) over real HTTP against the app under uvicorn on loopback, beside the
    bare query embedding (embedder.embed_query) of the same questions, in the same process.

    cold: a fresh service, nothing warmed, every question once (the first request also opens the
    store). warm: the sentence bank warmed first (as `serve` does, but waited for), then `rounds`
    passes over the questions; each HTTP request is followed by the bare embedding of the same
    question, so both see the same machine load."""
    import httpx

    from assistant.api.app import create_app
    from assistant.services import Services
    from ingest.embedding import make_embedder

    embedder = embedder or make_embedder(settings)
    embedder.embed_query("opwarmen")
    questions = question_texts()
    with shipped_index(settings, embedder) as run_settings:
        services = Services(run_settings, embedder=embedder)
        try:
            app = create_app(run_settings, services, ui=False)
            with app_in_thread(app) as url, httpx.Client(timeout=120) as client:
                client.get(f"{url}/healthz")
                cold, errors = [], 0
                for q in questions:
                    elapsed, body = post_ask(client, url, q)
                    cold.append(elapsed)
                    errors += "_status" in body
                t = time.perf_counter()
                store = services.retriever().store
                services.bank.warm(store.chunks)
                warm_s = time.perf_counter() - t
                http, bare, server_total, server_embed = [], [], [], []
                for _ in range(rounds):
                    for q in questions:
                        elapsed, body = post_ask(client, url, q)
                        if "_status" in body:
                            errors += 1
                            continue
                        http.append(elapsed)
                        server_total.append(body["timings"].get("total", math.nan) / 1000)
                        server_embed.append(body["timings"].get("embed_query", math.nan) / 1000)
                        t = time.perf_counter()
                        embedder.embed_query(q)
                        bare.append(time.perf_counter() - t)
        finally:
            services.close()
    h, b, c = ms_summary(http), ms_summary(bare), ms_summary(cold)
    st, se = ms_summary(server_total), ms_summary(server_embed)
    h50, b50 = h.get("p50_ms", math.nan), b.get("p50_ms", math.nan)
    return {
        "benchmark": "query",
        "embedder": embedder.name,
        "chunks": len(store.chunks),
        "questions": len(questions),
        "warm_rounds": rounds,
        "errors": errors,
        "ask_http_median_ms": h50,
        "ask_http_p95_ms": h.get("p95_ms", math.nan),
        "bare_embed_query_median_ms": b50,
        "bare_embed_query_p95_ms": b.get("p95_ms", math.nan),
        "ratio_median": ratio(h50, b50),
        "ratio_p95": ratio(h.get("p95_ms"), b.get("p95_ms")),
        "goal_median_lt_3x_embed_and_150ms": bool(h50 < 3 * b50 and h50 < 150),
        "server_total_median_ms": st.get("p50_ms", math.nan),
        "server_embed_query_median_ms": se.get("p50_ms", math.nan),
        "http_overhead_median_ms": round(h50 - st.get("p50_ms", math.nan), 2),
        "cold_first_request_ms": round(cold[0] * 1000, 1) if cold else math.nan,
        "cold_median_ms": c.get("p50_ms", math.nan),
        "cold_p95_ms": c.get("p95_ms", math.nan),
        "cold_ratio_median": ratio(c.get("p50_ms"), b50),
        "sentence_bank_warm_after_cold_s": round(warm_s, 2),
    }
