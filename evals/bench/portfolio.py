"""`assistant bench portfolio`: the portfolio check with the local model beside the check without
it and beside llama_cpp.Llama driven directly with the same prompt, in the same run.

Each idea is checked four ways: without the model (the baseline), with the model from an empty
KV cache ("cold"), with the model right after another idea's check ("warm": llama.cpp reuses the
prompt prefix both share, as in a running service), and bare llama.cpp on the very same messages
from an empty cache. Ratios and token counts are what compare across machines."""

from __future__ import annotations

import math
import time

from assistant.settings import Settings
from evals.bench.common import shipped_index
from evals.bench.llm import RecordingGenerator, bare_llama_run
from evals.datasets import load_ideas
from evals.figures import percentile, ratio


class _Recorder(RecordingGenerator):
    """The real generator, recording each prompt with what came back and its token counts;
    `reset` empties the KV cache before a call (a cold start)."""

    def __init__(self, inner):
        super().__init__(inner)
        self.records: list[dict] = []

    def stream(self, messages, max_tokens, temperature=0.0, usage=None):
        usage = {} if usage is None else usage
        pieces = list(super().stream(messages, max_tokens, temperature, usage))
        self.records.append({"messages": messages, "max_tokens": max_tokens, "text": "".join(pieces), **usage})
        yield from pieces


def bench_ideas(n: int) -> list[dict]:
    """n dev ideas (the test split stays unseen), alternating Dutch and English."""
    ideas = [i for i in load_ideas() if i.get("split") == "dev"]
    nl = [i for i in ideas if i["language"] == "nl"]
    en = [i for i in ideas if i["language"] == "en"]
    picked = [x for pair in zip(nl, en, strict=False) for x in pair]
    return picked[:n]


def bench_portfolio(settings: Settings, embedder=None, questions: int = 6) -> dict:
    """Seconds per check with and without the model, the model's share, prompt and completion
    tokens, and how many of the model's sentences the checks kept (`questions` = ideas)."""
    from assistant.llm.llamacpp import LlamaCppGenerator
    from assistant.services import Services
    from ingest.embedding import make_embedder

    embedder = embedder or make_embedder(settings)
    real = LlamaCppGenerator.from_settings(settings)
    llm = real.load()
    recorder = _Recorder(real)
    rows: list[dict] = []
    with shipped_index(settings, embedder) as run_settings:
        services = Services(run_settings, embedder=embedder, generators={"llamacpp": recorder})
        try:
            service = services.portfolio
            service.check("Een opwarmronde voor de meting.", backend="extractive")
            for k, idea in enumerate(bench_ideas(max(2, questions))):
                text = idea["idea"]
                t = time.perf_counter()
                plain_fit = service.check(text, backend="extractive")
                plain = time.perf_counter() - t
                recorder.reset = True
                t = time.perf_counter()
                cold_fit = service.check(text, backend="llamacpp")
                cold = time.perf_counter() - t
                call = recorder.records[-1]
                bare = bare_llama_run(llm, call["messages"], call["max_tokens"], 0.0, real.seed)["total"]
                warm = math.nan
                if k:  # the cache holds the previous idea's prompt: the steady state of a service
                    previous = rows[-1]["messages"]
                    bare_llama_run(llm, previous, 1, 0.0, real.seed)
                    recorder.reset = False
                    t = time.perf_counter()
                    service.check(text, backend="llamacpp")
                    warm = time.perf_counter() - t
                rows.append(
                    {
                        "language": idea["language"],
                        "plain_s": plain,
                        "cold_s": cold,
                        "warm_s": warm,
                        "bare_s": bare,
                        "prompt_tokens": call.get("prompt_tokens", 0),
                        "completion_tokens": call.get("completion_tokens", 0),
                        "flagged": len(cold_fit.flagged_sentences),
                        # "" from the checks means the composed explanation was given instead
                        "model_text_kept": cold_fit.explanation != plain_fit.explanation,
                        "messages": call["messages"],
                    }
                )
        finally:
            services.close()

    def med(key: str) -> float:
        p = percentile([r[key] for r in rows if not math.isnan(r[key])], 50)
        return p if p is not None else math.nan

    return {
        "benchmark": "portfolio",
        "model": real.name,
        "n_threads": real.n_threads,
        "ideas": len(rows),
        "max_tokens": settings.portfolio_llm_max_tokens,
        "prompt_tokens_median": med("prompt_tokens"),
        "completion_tokens_median": med("completion_tokens"),
        "check_without_model_median_ms": round(med("plain_s") * 1000, 1),
        "check_cold_median_s": round(med("cold_s"), 2),
        "check_warm_median_s": round(med("warm_s"), 2),
        "check_warm_max_s": round(max((r["warm_s"] for r in rows if not math.isnan(r["warm_s"])), default=math.nan), 2),
        "bare_llama_median_s": round(med("bare_s"), 2),
        "ratio_cold_to_bare": ratio(med("cold_s"), med("bare_s")),
        "ratio_warm_to_bare": ratio(med("warm_s"), med("bare_s")),
        "ratio_warm_to_without_model": ratio(med("warm_s"), med("plain_s")),
        "model_sentences_dropped_total": sum(r["flagged"] for r in rows),
        "ideas_with_model_text_kept": sum(r["model_text_kept"] for r in rows),
        "runs": [
            {k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items() if k != "messages"} for r in rows
        ],
    }
