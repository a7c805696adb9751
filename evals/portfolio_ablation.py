"""Ablation of the portfolio check's rules, each switched off through a copy of the settings:
the application-first ranking (`portfolio_technology`), the skipping of phrases two portfolios
share (`portfolio_skip_shared`), and both. Figures per split (choose on dev; test is reported).

    .venv/bin/python -m evals.portfolio_ablation --data-dir /tmp/pfdev
"""

from __future__ import annotations

import argparse
import json

from evals.portfolio_eval import _services, evaluate_portfolio, load_ideas

VARIANTS: dict[str, dict] = {
    "default": {},
    "no application-first": {"portfolio_technology": ""},
    "no shared-phrase skip": {"portfolio_skip_shared": False},
    "neither": {"portfolio_technology": "", "portfolio_skip_shared": False},
}
FIGURES = ("top1_accuracy", "top1_accuracy_clear", "no_fit_precision", "no_fit_recall", "multi_both_shown")


def ablation_rows(services, ideas) -> list[dict]:
    rows = []
    for name, update in VARIANTS.items():
        settings = services.settings.model_copy(update=update)
        result = evaluate_portfolio(services, ideas, settings)
        for split, figures in sorted(result.get("by_split", {"all": result}).items()):
            rows.append({"variant": name, "split": split, **{k: figures.get(k) for k in FIGURES}})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", help="data dir holding the ingested plan (default: settings)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rows = ablation_rows(_services(args.data_dir), load_ideas())
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print("| variant | split | " + " | ".join(FIGURES) + " |")
    print("|---|---|" + "---|" * len(FIGURES))
    for r in rows:
        print(f"| {r['variant']} | {r['split']} | " + " | ".join(f"{r[k]:.3f}" for k in FIGURES) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
