"""Prompt and generation speed of one llama.cpp runtime on the bundled model, for choosing between
the compiled `llama-cpp-python` and the prebuilt `xllamacpp` wheel. Needs only the runtime and
the standard library, so it runs in a venv that has just one of them:

    .venv/bin/python evals/runtime_speed.py --runtime llama_cpp --model ~/.cache/twente-assistant/<gguf>
    /tmp/xv/bin/python evals/runtime_speed.py --runtime xllamacpp --model ...

Prints one JSON line: the CPU features the build uses, prompt tokens, first-token seconds and
generation tokens/s for each repetition of the same ~300-token chat prompt from an empty cache."""

from __future__ import annotations

import argparse
import json
import time

TEXT = (
    "De Twente Board werkt aan een groene technologische topregio. Het plan kent vier impactportfolio's: "
    "digitalisering, innovatie in de zorg, circulaire economie en sleuteltechnologieën. "
) * 9
MESSAGES = [
    {"role": "system", "content": "Beantwoord de vraag kort uit de bron."},
    {
        "role": "user",
        "content": f"Bron: {TEXT}\n\nVraag: welke vier impactportfolio's noemt het plan? Noem ze allemaal.",
    },
]


def run_llama_cpp(model: str, threads: int, reps: int, max_tokens: int) -> dict:
    import llama_cpp

    llm = llama_cpp.Llama(model_path=model, n_ctx=2048, n_threads=threads, seed=1, verbose=False)
    runs = []
    for _ in range(reps):
        llm.reset()
        t0, first, n = time.perf_counter(), None, 0
        for chunk in llm.create_chat_completion(messages=MESSAGES, max_tokens=max_tokens, temperature=0.0, stream=True):
            if (chunk["choices"][0].get("delta") or {}).get("content"):
                first = first if first is not None else time.perf_counter() - t0
                n += 1
        total = time.perf_counter() - t0
        runs.append({"first_token_s": first, "tokens": n, "total_s": total, "prompt_tokens": llm.n_tokens - n})
    return {"system": llama_cpp.llama_print_system_info().decode(), "runs": runs}


def run_xllamacpp(model: str, threads: int, reps: int, max_tokens: int) -> dict:
    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = model
    params.n_ctx = 2048
    params.n_parallel = 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.cache_ram_mib = 0  # no prompt cache between repetitions: every run starts empty
    server = xlc.Server(params)
    runs = []
    for k in range(reps):
        # a different first word every time, so no run reuses the previous run's prefix
        messages = [dict(m) for m in MESSAGES]
        messages[0]["content"] = f"({k}) " + messages[0]["content"]
        t0, first, n = time.perf_counter(), None, 0
        out: list = []

        def on_chunk(s, out=out, t0=t0):
            out.append((time.perf_counter() - t0, s))

        server.handle_chat_completions(
            {"messages": messages, "max_tokens": max_tokens, "temperature": 0.0, "stream": True}, on_chunk
        )
        total = time.perf_counter() - t0
        usage = {}
        for at, s in out:
            d = s if isinstance(s, dict) else json.loads(s)
            for ch in d.get("choices") or []:
                if (ch.get("delta") or {}).get("content"):
                    first = first if first is not None else at
                    n += 1
            usage = d.get("usage") or usage
        runs.append(
            {"first_token_s": first, "tokens": n, "total_s": total, "prompt_tokens": usage.get("prompt_tokens")}
        )
    return {"system": xlc.get_system_info(), "runs": runs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runtime", choices=["llama_cpp", "xllamacpp"], required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--max-tokens", type=int, default=48)
    args = ap.parse_args()
    fn = run_llama_cpp if args.runtime == "llama_cpp" else run_xllamacpp
    result = fn(args.model, args.threads, args.reps, args.max_tokens)
    for r in result["runs"]:
        gen = r["total_s"] - (r["first_token_s"] or 0)
        r["decode_tok_s"] = round((r["tokens"] - 1) / gen, 2) if r["tokens"] > 1 and gen > 0 else None
    print(json.dumps({"runtime": args.runtime, **result}))


if __name__ == "__main__":
    main()
