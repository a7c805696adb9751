"""`assistant bench llm`: the llamacpp backend through the answering service beside
llama_cpp.Llama driven directly with the same prompt and model."""

from __future__ import annotations

import math
import os
import time
from typing import cast

from assistant.schema import Answer
from assistant.settings import Settings
from evals.bench.common import shipped_index
from evals.datasets import load_questions
from evals.figures import percentile, ratio
from evals.serving import RssSampler


class RecordingGenerator:
    """Wraps the real LlamaCppGenerator for the service run: records the messages it is given
    (so the bare run can use the very same prompt) and resets the model's KV cache first (so
    neither run profits from a prompt prefix the other left behind)."""

    def __init__(self, inner):
        self.inner = inner
        self.name = inner.name
        self.calls: list[tuple[list[dict], int, float]] = []
        self.reset = True  # False: keep what the previous prompt left (the service's steady state)

    @property
    def loaded(self) -> bool:
        return self.inner.loaded

    def load(self):
        return self.inner.load()

    def stream(self, messages, max_tokens, temperature=0.0, usage=None):
        self.calls.append((messages, max_tokens, temperature))
        if self.reset:
            self.inner.load().reset()
        yield from self.inner.stream(messages, max_tokens, temperature, usage)


def _llm_questions(n: int) -> list[str]:
    """n answerable questions of different kinds (fact, list, english, ...), deterministic."""
    by_kind: dict[str, list[str]] = {}
    for q in load_questions():
        if q.answerable:
            by_kind.setdefault(q.kind, []).append(q.question)
    order = ["fact", "list", "english", "paraphrase", "multi_section"]
    picked: list[str] = []
    i = 0
    while len(picked) < n and any(by_kind.get(k) for k in order):
        kind = order[i % len(order)]
        if by_kind.get(kind):
            picked.append(by_kind[kind].pop(0))
        i += 1
    return picked


def bare_llama_run(llm, messages, max_tokens, temperature, seed) -> dict:
    llm.reset()
    pieces, first, last = [], None, None
    t0 = time.perf_counter()
    for chunk in llm.create_chat_completion(
        messages=messages, max_tokens=max_tokens, temperature=temperature, seed=seed, stream=True
    ):
        choices = chunk.get("choices") or []
        piece = (choices[0].get("delta") or {}).get("content") if choices else None
        if piece:
            now = time.perf_counter()
            first = first if first is not None else now - t0
            last = now - t0
            pieces.append(piece)
    total = time.perf_counter() - t0
    return {"text": "".join(pieces), "ttft": first, "last": last, "total": total}


REFERENCE_PROMPT_TOKENS = 350


def reference_messages(real, plan_text: str, tokens: int = REFERENCE_PROMPT_TOKENS) -> list[dict]:
    """A fixed prompt of about `tokens` tokens (the grounded writer's system text and the plan's
    opening words): the yardstick the service's first token is compared with."""
    from assistant.answering.prompts import WRITER

    words = plan_text.split()
    lo, hi = 1, len(words)
    while lo < hi:  # the most words that keep the prompt within `tokens`
        mid = (lo + hi + 1) // 2
        messages = [{"role": "system", "content": WRITER["nl"]}, {"role": "user", "content": " ".join(words[:mid])}]
        lo, hi = (mid, hi) if real.count_message_tokens(messages) <= tokens else (lo, mid - 1)
    return [{"role": "system", "content": WRITER["nl"]}, {"role": "user", "content": " ".join(words[:lo])}]


def bench_llm(settings: Settings, embedder=None, questions: int = 3) -> dict:
    """Time to first token and tokens/s of the llamacpp backend through the answering service
    (retrieval, evidence, prompt, generation, citation check) beside llama_cpp.Llama driven
    directly with the very same messages, the same loaded model, the same settings."""
    from assistant.llm.llamacpp import LlamaCppGenerator
    from assistant.services import Services
    from ingest.embedding import make_embedder

    embedder = embedder or make_embedder(settings)
    real = LlamaCppGenerator.from_settings(settings)
    sampler = RssSampler(os.getpid(), interval=0.02)
    t = time.perf_counter()
    llm = real.load()
    load_s = time.perf_counter() - t
    load_peak_mb = sampler.stop()
    recorder = RecordingGenerator(real)

    def count(text: str) -> int:
        return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)) if text else 0

    from evals.datasets import plan_text

    reference = reference_messages(real, plan_text())
    rows = []
    with shipped_index(settings, embedder) as run_settings:
        services = Services(run_settings, embedder=embedder, generators={"llamacpp": recorder})
        try:
            services.bank.warm(services.retriever().store.chunks)
            previous: list[dict] | None = None
            for i, q in enumerate(_llm_questions(questions)):

                def service_run(question: str) -> dict:
                    pieces: list[str] = []
                    first: float | None = None
                    last: float | None = None
                    answer: Answer | None = None
                    t0 = time.perf_counter()
                    for event in services.answers.stream(question, backend="llamacpp"):
                        now = time.perf_counter() - t0
                        if event.type == "token":
                            first = first if first is not None else now
                            last = now
                            pieces.append(cast(str, event.data))
                        elif event.type == "final":
                            answer = cast(Answer, event.data)
                    total = time.perf_counter() - t0
                    return {
                        "usage_prompt_tokens": answer.usage.get("prompt_tokens") if answer else None,
                        "text": "".join(pieces),
                        "ttft": first,
                        "last": last,
                        "total": total,
                        "gen_ttft": (answer.timings.get("first_token", math.nan) / 1000) if answer else math.nan,
                        "status": answer.status if answer else None,
                    }

                def bare_run() -> dict:
                    messages, max_tokens, temperature = recorder.calls[-1]
                    return bare_llama_run(llm, messages, max_tokens, temperature, real.seed)

                # A B B A: service, bare, bare, service -- a drift in machine load hits both alike
                asked = len(recorder.calls)
                first_svc = service_run(q)
                if len(recorder.calls) == asked:  # "not found": the model was never asked
                    continue
                runs = [
                    ("svc", first_svc),
                    ("bare", bare_run()),
                    ("ref", bare_llama_run(llm, reference, settings.llm_max_tokens, 0.0, real.seed)),
                    ("bare", bare_run()),
                    ("svc", service_run(q)),
                ]
                messages = recorder.calls[-1][0]
                if previous is not None:
                    # steady state: the model last ran another question's prompt, as in a running
                    # service; llama.cpp reuses the prefix both share (system prompt, template)
                    bare_llama_run(llm, previous, settings.llm_max_tokens, 0.0, real.seed)
                    recorder.reset = False
                    try:
                        runs.append(("warm", service_run(q)))
                    finally:
                        recorder.reset = True
                previous = messages
                prompt_tokens = real.count_message_tokens(messages)
                for kind, run in runs:
                    rows.append(
                        {
                            "kind": kind,
                            "question": i,
                            "prompt_tokens": prompt_tokens,
                            "tokens": count(run["text"]),
                            **run,
                        }
                    )
        finally:
            services.close()
    if not rows:
        raise RuntimeError("no question reached the language model (all 'not found')")

    def decode_tps(run: dict) -> float:
        span = (run["last"] or 0) - (run["ttft"] or 0)
        return (run["tokens"] - 1) / span if run["tokens"] > 1 and span > 0 else math.nan

    def med(xs: list[float | None]) -> float:
        p = percentile([x for x in xs if x is not None and not math.isnan(x)], 50)
        return p if p is not None else math.nan  # nan for no values

    svc = [r for r in rows if r["kind"] == "svc"]
    bare = [r for r in rows if r["kind"] == "bare"]
    ref = [r for r in rows if r["kind"] == "ref"]
    warm = [r for r in rows if r["kind"] == "warm"]
    warm_ttft = med([r["ttft"] for r in warm])
    svc_ttft, bare_ttft = med([r["ttft"] for r in svc]), med([r["ttft"] for r in bare])
    ref_ttft = med([r["ttft"] for r in ref])
    svc_gen_ttft = med([r["gen_ttft"] for r in svc])
    svc_tps, bare_tps = med([decode_tps(r) for r in svc]), med([decode_tps(r) for r in bare])
    texts: dict[int, set[str]] = {}
    for r in svc + bare:
        texts.setdefault(r["question"], set()).add(r["text"])
    steady_same = all(r["text"] in texts.get(r["question"], {r["text"]}) for r in warm)
    return {
        "benchmark": "llm",
        "model": real.name,
        "n_threads": real.n_threads,
        "n_ctx": real.n_ctx,
        "max_tokens": settings.llm_max_tokens,
        "questions": len(texts),
        "runs_each_side": len(svc),
        "prompt_tokens_median": med([r["prompt_tokens"] for r in svc]),
        "usage_prompt_tokens_median": med([r.get("usage_prompt_tokens") for r in svc]),
        "reference_prompt_tokens": real.count_message_tokens(reference),
        "reference_ttft_median_ms": round(ref_ttft * 1000, 1),
        "ratio_ttft_to_reference": ratio(svc_ttft, ref_ttft),
        "steady_runs": len(warm),
        "steady_service_ttft_median_ms": round(warm_ttft * 1000, 1),
        "steady_ratio_ttft_to_reference": ratio(warm_ttft, ref_ttft),
        "steady_same_output": steady_same,
        "model_load_s": round(load_s, 2),
        "model_load_peak_rss_mb": load_peak_mb,
        "service_ttft_from_question_median_ms": round(svc_ttft * 1000, 1),
        "service_ttft_from_generation_median_ms": round(svc_gen_ttft * 1000, 1),
        "bare_ttft_median_ms": round(bare_ttft * 1000, 1),
        "ratio_ttft_question": ratio(svc_ttft, bare_ttft),
        "ratio_ttft_generation": ratio(svc_gen_ttft, bare_ttft),
        "service_tokens_per_s_median": round(svc_tps, 2),
        "bare_tokens_per_s_median": round(bare_tps, 2),
        "ratio_tokens_per_s": ratio(svc_tps, bare_tps),
        "service_total_median_s": round(med([r["total"] for r in svc]), 2),
        "bare_total_median_s": round(med([r["total"] for r in bare]), 2),
        "tokens_generated": sorted({(r["question"], r["tokens"]) for r in rows}),
        "same_output": all(len(t) == 1 for t in texts.values()),
        "runs": [
            {
                "kind": r["kind"],
                "q": r["question"],
                "ttft_s": round(r["ttft"] or math.nan, 2),
                "tokens": r["tokens"],
                "decode_tok_s": round(decode_tps(r), 2),
                "total_s": round(r["total"], 2),
            }
            for r in rows
        ],
    }
