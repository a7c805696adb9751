"""What shared roots buy English questions: the extractive answer-level figures per language with
the sentence score's cognate term (`sentence_cognate_weight`) at each weight of a grid, 0 = off.

    python -m evals.cognate_ablation [--subset dev|test|all] [--weights 0,0.1,0.2]

English answers are Dutch quotes in this mode, so their "language" check fails; "complete",
"first" and fact recall say whether the right Dutch sentence was chosen, which is what the
model's answer (backend auto) is written from.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from assistant.settings import Settings
from evals import datasets
from evals.harness import Run, evaluate_system
from evals.scoring import by_form_and_language
from evals.systems import PIPELINE_CONFIGS, CachingEmbedder, default_config_name
from ingest.embedding import make_embedder

FIGURES = ("acceptable", "complete", "first", "fact_recall", "nf_recall", "refused")


def measure(settings: Settings, subset: str, weights: list[float]) -> list[dict]:
    embedder = CachingEmbedder(make_embedder(settings))
    run = Run(settings, embedder, Path(tempfile.mkdtemp(prefix="twente-cognates-")), progress=False)
    base = run.default_index()
    mode, expand = PIPELINE_CONFIGS[default_config_name(settings)]
    items = datasets.select(subset)
    rows = []
    cache: dict = {}
    for w in weights:
        s = base.model_copy(update={"sentence_cognate_weight": w})
        records = evaluate_system(run.pipeline(f"cognates {w}", s, mode, expand, cache, warm=False), items)
        for lang in ("nl", "en"):
            agg = by_form_and_language(records).get(f"all/{lang}")
            if agg:
                rows.append({"weight": w, "language": lang, "n": agg["n"], **{k: _figure(agg, k) for k in FIGURES}})
    return rows


def _figure(agg: dict, key: str) -> float | None:
    return agg.get({"nf_recall": "not_found_recall", "refused": "refusal_rate_answerable"}.get(key, key))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--subset", default="dev", choices=["dev", "test", "all"])
    parser.add_argument("--weights", default="0,0.1,0.2,0.3")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    weights = [float(w) for w in args.weights.split(",")]
    rows = measure(Settings(backend="extractive"), args.subset, weights)
    print(f"subset {args.subset}, extractive answers")
    print("| cognate weight | language | n | " + " | ".join(FIGURES) + " |")
    print("|---|---|---|" + "---|" * len(FIGURES))
    for r in rows:
        cells = ["n/a" if r[k] is None else f"{r[k]:.3f}" for k in FIGURES]
        print(f"| {r['weight']} | {r['language']} | {r['n']} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
