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

from assistant.settings import Settings
from evals import datasets
from evals.compose_ablation import default_run, figure, print_rows
from evals.harness import evaluate_system
from evals.scoring import by_form_and_language

FIGURES = ("acceptable", "complete", "first", "fact_recall", "nf_recall", "refused")


def measure(settings: Settings, subset: str, weights: list[float]) -> list[dict]:
    run, base, mode, expand = default_run(settings)
    items = datasets.select(subset)
    rows = []
    cache: dict = {}
    for w in weights:
        s = base.model_copy(update={"sentence_cognate_weight": w})
        records = evaluate_system(run.pipeline(f"cognates {w}", s, mode, expand, cache, warm=False), items)
        for lang in ("nl", "en"):
            agg = by_form_and_language(records).get(f"all/{lang}")
            if agg:
                rows.append({"weight": w, "language": lang, "n": agg["n"], **{k: figure(agg, k) for k in FIGURES}})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--subset", default="dev", choices=["dev", "test", "all"])
    parser.add_argument("--weights", default="0,0.1,0.2,0.3")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    weights = [float(w) for w in args.weights.split(",")]
    rows = measure(Settings(backend="extractive"), args.subset, weights)
    print(f"subset {args.subset}, extractive answers")
    print_rows(rows, ("weight", "language", "n"), FIGURES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
