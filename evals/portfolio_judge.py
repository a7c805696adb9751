"""Would the local language model help the portfolio check as a judge? A measurement, not part
of the check.

For every idea of a split, the bundled Qwen2.5-Coder-1.5B is asked, once per portfolio, whether
the idea belongs to it (the portfolio's own text from the plan, "judge by what the idea is for"),
and the log-odds of "yes" against "no" of its first token is read. Printed: the model's own top-1
accuracy on the ideas that name a portfolio, and the embedding check's top-1 with the model's
centred log-odds added at several weights (weight 0 = the check as shipped). The prompt keeps the
idea first so the four questions share its tokens in llama.cpp's cache.

    .venv/bin/python -m evals.portfolio_judge --data-dir /tmp/pfdev --split dev
"""

from __future__ import annotations

import argparse
import time
from typing import Any, cast

import numpy as np

from evals.portfolio_eval import _services, load_ideas

WEIGHTS = (0.0, 0.001, 0.002, 0.005, 0.01, 0.02)


def _question(idea: str, name: str, description: str) -> list[dict]:
    return [
        {"role": "system", "content": "You answer with yes or no."},
        {
            "role": "user",
            "content": f"Idea: {idea}\n\nPortfolio {name}: {description.rstrip(';')}\n\n"
            "Does the idea belong to this portfolio? Judge by what the idea is for, not by its "
            "technology words. Answer yes or no.",
        },
    ]


class YesNoJudge:
    """Log-odds of 'yes' for a chat prompt, reusing the longest cached prefix."""

    def __init__(self, settings):
        import llama_cpp
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        from assistant.llm.model_files import bundled_gguf_path

        self._llama_cpp = llama_cpp
        path = settings.llamacpp_model_path or str(bundled_gguf_path(settings.llamacpp_cache_dir))
        self.llm = llama_cpp.Llama(model_path=path, n_ctx=2048, n_threads=settings.llamacpp_threads, verbose=False)
        self.fmt = Jinja2ChatFormatter(
            template=self.llm.metadata["tokenizer.chat_template"], eos_token="<|im_end|>", bos_token=""
        )
        first = [self.llm.tokenize(w.encode(), add_bos=False)[0] for w in ("yes", "Yes", "no", "No")]
        self.yes, self.no = first[:2], first[2:]

    def log_odds(self, messages: list[dict]) -> float:
        llm = self.llm
        prompt = self.fmt(messages=cast("Any", messages)).prompt
        tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)
        prefix = 0
        for a, b in zip(llm._input_ids.tolist(), tokens[:-1], strict=False):
            if a != b:
                break
            prefix += 1
        llm.n_tokens = prefix
        llm.eval(tokens[prefix:])
        logits = np.ctypeslib.as_array(self._llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(llm.n_vocab(),))
        return float(np.logaddexp.reduce(logits[self.yes]) - np.logaddexp.reduce(logits[self.no]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir")
    ap.add_argument("--split", default="dev")
    args = ap.parse_args(argv)
    services = _services(args.data_dir)
    check = services.portfolio
    judge = YesNoJudge(services.settings)
    rows, seconds = [], []
    for idea in load_ideas(split=args.split):
        if not idea["expected"]:
            continue
        scores = check.score(idea["idea"])
        t = time.perf_counter()
        odds = [judge.log_odds(_question(idea["idea"], s.topic.name, s.topic.description)) for s in scores.portfolios]
        seconds.append(time.perf_counter() - t)
        rows.append((idea, [s.topic.id for s in scores.portfolios], [s.raw for s in scores.portfolios], odds))
    from assistant.portfolio import ranked

    def top1(weight: float | None) -> float:
        ok = 0
        for idea, ids, raw, odds in rows:
            centred = np.asarray(odds) - np.mean(odds)
            if weight is None:
                first = int(np.argmax(centred))
            else:
                fused = list(np.asarray(raw) + weight * centred)
                first = ranked(fused, ids, services.settings)[0]
            ok += ids[first] in (idea["expected"][:1] if idea["kind"] == "clear" else idea["expected"])
        return ok / max(1, len(rows))

    print(
        f"ideas naming a portfolio: {len(rows)}; judge seconds per idea (4 questions): median "
        f"{sorted(seconds)[len(seconds) // 2]:.2f}"
    )
    print(f"model alone: top-1 {top1(None):.3f}")
    for w in WEIGHTS:
        print(f"embedding + {w} * model log-odds: top-1 {top1(w):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
