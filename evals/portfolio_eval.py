"""Evaluation (and threshold calibration) of the portfolio check on evals/data/portfolio_ideas.jsonl.

`evaluate_portfolio(services, ideas, settings=None)` runs the real check on every idea (with the
`portfolio_*` values of `settings` when given) and returns JSON-ready figures: top-1 accuracy,
no-fit precision/recall, per-kind accuracy, a confusion table, action-line precision/recall,
timings and one row per idea. When the ideas carry more than one split, the figures are repeated
per split under "by_split".

`calibrate(services, ideas)` chooses the thresholds from raw scores (pass the dev split only);
the procedure is described in evals/PORTFOLIO.md. Other values are tried through a copy of the
settings (`settings.model_copy(update={"portfolio_partial": ...})`), never by changing code.

Reproduce the figures of evals/PORTFOLIO.md::

    .venv/bin/python -m evals.portfolio_eval --data-dir /tmp/pfdev           # dev / test / all
    .venv/bin/python -m evals.portfolio_eval --data-dir /tmp/pfdev --calibrate
    .venv/bin/python -m evals.portfolio_eval --data-dir /tmp/pfdev --ablation   # weights / phrases

(the data dir must hold an ingested plan: `ASSISTANT_DATA_DIR=/tmp/pfdev assistant ingest`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter, defaultdict
from itertools import pairwise
from pathlib import Path

from assistant.portfolio import PortfolioService, levels, ranked, served
from assistant.settings import Settings

IDEAS_PATH = Path(__file__).resolve().parent / "data" / "portfolio_ideas.jsonl"
NO_FIT = "no_fit"
THRESHOLDS = ("strong", "partial", "margin", "action", "action_margin")  # `portfolio_*` settings, calibrated


def load_ideas(path: Path = IDEAS_PATH, split: str | None = None) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if split and split != "all":
        rows = [r for r in rows if r.get("split") == split]
    return rows


def _field(idea, name, default=None):
    return idea.get(name, default) if isinstance(idea, dict) else getattr(idea, name, default)


# ---------------------------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------------------------


def judge_row(idea: dict, fit) -> dict:
    """One idea's outcome (fit: a PortfolioFit)."""
    expected = list(_field(idea, "expected", []) or [])
    kind = _field(idea, "kind", "clear")
    top1 = fit.portfolios[0].id if fit.portfolios else None
    shown = [p.id for p in fit.portfolios if p.fit != "none"]
    predicted = top1 if fit.verdict != NO_FIT else NO_FIT
    top1_ok = bool(expected) and top1 in expected
    if kind == "clear":
        ok = top1_ok and fit.verdict == "fit"
    elif kind == "multi":
        ok = top1_ok and fit.verdict != NO_FIT and all(e in shown for e in expected)
    elif expected:  # a vague idea that still names a portfolio
        ok = top1_ok and fit.verdict != NO_FIT
    else:  # no_fit, or vague without a portfolio
        ok = fit.verdict == NO_FIT
    served = [a.id for a in fit.action_lines if a.served]
    return {
        "id": _field(idea, "id"),
        "split": _field(idea, "split"),
        "kind": kind,
        "language": _field(idea, "language"),
        "detected_language": fit.language,
        "expected": expected,
        "verdict": fit.verdict,
        "top1": top1,
        "predicted": predicted,
        "shown": shown,
        "levels": {p.id: p.fit for p in fit.portfolios},
        "scores": {p.id: p.score for p in fit.portfolios},
        "matched": {p.id: p.matched for p in fit.portfolios if p.matched},
        "top1_ok": top1_ok,
        "ok": ok,
        "action_lines_expected": list(_field(idea, "action_lines", []) or []),
        "action_lines_served": served,
        "ms": fit.timings.get("total"),
    }


def summarize(rows: list[dict]) -> dict:
    fits = [r for r in rows if r["expected"]]
    clear = [r for r in rows if r["kind"] == "clear"]
    exp_nf = [r for r in rows if not r["expected"]]
    pred_nf = [r for r in rows if r["verdict"] == NO_FIT]
    tp_nf = [r for r in pred_nf if not r["expected"]]
    by_kind: dict[str, list[bool]] = defaultdict(list)
    by_lang: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        by_kind[r["kind"]].append(r["ok"])
        by_lang[r["language"] or "?"].append(r["ok"])
    confusion: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        if not r["expected"]:
            label = NO_FIT
        elif r["top1"] in r["expected"]:
            label = r["top1"]
        else:
            label = r["expected"][0]
        confusion[label][r["predicted"]] += 1
    multi = [r for r in rows if r["kind"] == "multi"]
    # action lines: micro precision / recall over (idea, line) pairs
    tp = fp = fn = exact = 0
    for r in rows:
        exp, got = set(r["action_lines_expected"]), set(r["action_lines_served"])
        tp += len(exp & got)
        fp += len(got - exp)
        fn += len(exp - got)
        exact += exp == got
    ms = [r["ms"] for r in rows if r["ms"] is not None]

    def ratio(a, b):
        return round(a / b, 4) if b else None

    return {
        "n": len(rows),
        "top1_accuracy": ratio(sum(r["top1_ok"] for r in fits), len(fits)),
        "top1_accuracy_clear": ratio(sum(r["top1_ok"] for r in clear), len(clear)),
        "clear_fit_accuracy": ratio(sum(r["ok"] for r in clear), len(clear)),
        "no_fit_precision": ratio(len(tp_nf), len(pred_nf)),
        "no_fit_recall": ratio(len(tp_nf), len(exp_nf)),
        "fit_recall": ratio(sum(r["verdict"] != NO_FIT for r in fits), len(fits)),
        "multi_both_shown": ratio(sum(all(e in r["shown"] for e in r["expected"]) for r in multi), len(multi)),
        "clear_single_shown": ratio(sum(len(r["shown"]) == 1 for r in clear), len(clear)),
        "per_kind_accuracy": {k: ratio(sum(v), len(v)) for k, v in sorted(by_kind.items())},
        "per_language_accuracy": {k: ratio(sum(v), len(v)) for k, v in sorted(by_lang.items())},
        "accuracy": ratio(sum(r["ok"] for r in rows), len(rows)),
        "confusion": {k: dict(v) for k, v in sorted(confusion.items())},
        "action_lines": {
            "precision": ratio(tp, tp + fp),
            "recall": ratio(tp, tp + fn),
            "f1": ratio(2 * tp, 2 * tp + fp + fn),
            "exact": ratio(exact, len(rows)),
        },
        "ms_mean": round(statistics.fmean(ms), 1) if ms else None,
        "ms_median": round(statistics.median(ms), 1) if ms else None,
        "ms_max": round(max(ms), 1) if ms else None,
    }


def thresholds_of(settings: Settings) -> dict[str, float]:
    """The calibrated thresholds of `settings`, by short name ("partial": `portfolio_partial`)."""
    return {name: getattr(settings, f"portfolio_{name}") for name in THRESHOLDS}


def with_values(settings: Settings, values: dict[str, float]) -> Settings:
    """A copy of `settings` with the given portfolio values ("partial" -> `portfolio_partial`)."""
    return settings.model_copy(update={f"portfolio_{name}": v for name, v in values.items()})


def evaluate_portfolio(services, ideas, settings: Settings | None = None) -> dict:
    """Run the portfolio check on every idea and score the outcome (see module doc); with
    `settings`, a check with those settings instead of `services.portfolio`."""
    service = PortfolioService(settings, services) if settings is not None else services.portfolio
    rows = []
    for idea in ideas:
        fit = service.check(_field(idea, "idea"), backend="extractive")
        rows.append(judge_row(idea, fit))
    out = summarize(rows)
    splits = sorted({r["split"] for r in rows if r["split"]})
    if len(splits) > 1:
        out["by_split"] = {s: summarize([r for r in rows if r["split"] == s]) for s in splits}
    out["thresholds"] = thresholds_of(service.settings)
    out["rows"] = rows
    return out


# ---------------------------------------------------------------------------------------------
# calibration
# ---------------------------------------------------------------------------------------------


def _best_interval(values: list[float], errors) -> tuple[float, int, tuple[float, float]]:
    """The threshold with the fewest errors: candidates between sorted distinct values; among
    the optimal ones, the middle of the widest interval (largest margin to both sides)."""
    pts = sorted(set(values))
    if not pts:
        return 0.0, 0, (0.0, 0.0)
    cands = [pts[0] - 0.01] + [(a + b) / 2 for a, b in pairwise(pts)] + [pts[-1] + 0.01]
    scored = [(errors(c), c) for c in cands]
    best = min(e for e, _ in scored)
    # contiguous runs of optimal candidates -> the widest run between data points
    runs, run = [], []
    for e, c in scored:
        if e == best:
            run.append(c)
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)

    def width(r):
        lo = max([p for p in pts if p < r[0]], default=r[0] - 0.01)
        hi = min([p for p in pts if p > r[-1]], default=r[-1] + 0.01)
        return hi - lo, lo, hi

    widest = max(runs, key=lambda r: width(r)[0])
    _, lo, hi = width(widest)
    return round((lo + hi) / 2, 4), best, (round(lo, 4), round(hi, 4))


def raw_scores(service: PortfolioService, ideas) -> list[dict]:
    out = []
    for idea in ideas:
        s = service.score(_field(idea, "idea"))
        out.append(
            {
                "idea": idea,
                "p": {t.topic.id: t.raw for t in s.portfolios},
                "a": {t.topic.id: t.raw for t in s.action_lines},
            }
        )
    return out


def calibrate(services, ideas) -> dict:
    """Thresholds from the raw scores of `ideas` (the dev split). Returns the thresholds and the
    error counts and intervals behind each choice."""
    settings = services.settings
    data = raw_scores(services.portfolio, ideas)
    best = [max(d["p"].values()) for d in data]
    exp = [list(_field(d["idea"], "expected", []) or []) for d in data]
    kinds = [_field(d["idea"], "kind", "clear") for d in data]
    report = {}

    # 1. partial (the no-fit boundary): ideas naming a portfolio above, the others below
    def err_partial(t):
        return sum((b >= t) != bool(e) for b, e in zip(best, exp, strict=True))

    partial, e1, iv1 = _best_interval(best, err_partial)
    report["partial"] = {"value": partial, "errors": e1, "interval": iv1}

    # 2. strong: clear and multi ideas above ("fit"); vague ideas that name a portfolio between
    #    partial and strong ("partial")
    def err_strong(t):
        if t < partial:
            return 10**6
        n = 0
        for b, e, k in zip(best, exp, kinds, strict=True):
            if not e or b < partial:
                continue
            n += (b < t) if k in ("clear", "multi") else (b >= t)
        return n

    strong, e2, iv2 = _best_interval([b for b in best if b >= partial] + [partial], err_strong)
    strong = max(strong, partial)
    report["strong"] = {"value": strong, "errors": e2, "interval": iv2}

    # 3. margin: multi ideas show every expected portfolio; clear ideas show only theirs
    gaps = []
    for d in data:
        top = max(d["p"].values())
        gaps += [top - v for v in d["p"].values() if top - v > 0]

    n_multi = sum(k == "multi" for k in kinds)
    n_clear = sum(k == "clear" for k in kinds)

    def err_margin(m):
        th = with_values(settings, {"partial": partial, "strong": strong, "margin": m})
        missed = extra = 0
        for d, e, k in zip(data, exp, kinds, strict=True):
            ids = list(d["p"])
            raw = [d["p"][i] for i in ids]
            lv = dict(zip(ids, levels(raw, th, ranked(raw, ids, th)), strict=True))
            shown = {i for i, v in lv.items() if v != "none"}
            if k == "multi":
                missed += any(x not in shown for x in e)
            elif k == "clear":
                extra += bool(shown - set(e))
        # balanced error: share of multi ideas that miss a portfolio + share of clear ideas that
        # show an extra one (the two kinds differ in number)
        return missed / max(1, n_multi) + extra / max(1, n_clear)

    margin, e3, iv3 = _best_interval(gaps, err_margin)
    report["margin"] = {"value": margin, "errors": e3, "interval": iv3}

    # 4. action lines: the lines the fitting portfolios drive are served anyway (the plan's link);
    #    on top, lines served by similarity: threshold and margin by the fewest wrong (idea, line) pairs
    links = services.portfolio.plan().links
    base = with_values(settings, {"partial": partial, "strong": strong, "margin": margin})
    linked_of = []
    for d in data:
        ids = list(d["p"])
        raw = [d["p"][i] for i in ids]
        lv = levels(raw, base, ranked(raw, ids, base))
        linked_of.append({links[i] for i, v in zip(ids, lv, strict=True) if v != "none" and i in links})

    def err_action(t, m):
        th = with_values(base, {"action": t, "action_margin": m})
        n = 0
        for d, linked in zip(data, linked_of, strict=True):
            ids = list(d["a"])
            got = {i for i, ok in zip(ids, served([d["a"][i] for i in ids], th), strict=True) if ok} | linked
            want = set(_field(d["idea"], "action_lines", []) or [])
            n += len(got ^ want)
        return n

    avals = sorted({v for d in data for v in d["a"].values()})
    grid_t = [avals[-1] + 0.01] + [round(x, 4) for x in avals]
    best_a = min((err_action(t, m), -t, m) for t in grid_t for m in (0.004, 0.008, 0.012, 0.016, 0.02))
    report["action"] = {
        "value": round(-best_a[1], 4),
        "margin": best_a[2],
        "errors": best_a[0],
        "errors_links_only": err_action(grid_t[0], 0.0),
    }
    thresholds = {
        "partial": partial,
        "strong": strong,
        "margin": margin,
        "action": round(-best_a[1], 4),
        "action_margin": best_a[2],
    }
    return {"thresholds": thresholds, "report": report}


def ablation(services, ideas, weights=(0.0, 0.25, 0.5, 0.75, 1.0), tops=(1, 2, 3)) -> list[dict]:
    """Top-1 accuracy and no-fit separability (AUC of the best raw score, fitting vs not) per
    split for other item weights / phrase counts of the score (a check per settings copy)."""
    rows = []
    for w in weights:
        for k in tops:
            settings = with_values(services.settings, {"item_weight": w, "top_phrases": k})
            data = raw_scores(PortfolioService(settings, services), ideas)
            row = {"item_weight": w, "top_phrases": k}
            for split in ("dev", "test", "all"):
                sel = [d for d in data if split == "all" or _field(d["idea"], "split") == split]
                fits = [d for d in sel if _field(d["idea"], "expected")]
                clear = [d for d in fits if _field(d["idea"], "kind") == "clear"]

                def top1(d):
                    return max(d["p"], key=d["p"].get) in _field(d["idea"], "expected")

                pos = [max(d["p"].values()) for d in fits]
                neg = [max(d["p"].values()) for d in sel if not _field(d["idea"], "expected")]
                auc = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / max(1, len(pos) * len(neg))
                row[split] = {
                    "top1": round(sum(map(top1, fits)) / max(1, len(fits)), 3),
                    "top1_clear": round(sum(map(top1, clear)) / max(1, len(clear)), 3),
                    "no_fit_auc": round(auc, 3),
                }
            rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------------


def _services(data_dir: str | None):
    from assistant.services import Services
    from assistant.settings import Settings

    settings = Settings(_env_file=None, data_dir=Path(data_dir)) if data_dir else Settings()
    return Services(settings)


def _print_summary(title: str, s: dict) -> None:
    print(f"== {title} (n={s['n']})")
    for key in (
        "top1_accuracy",
        "top1_accuracy_clear",
        "clear_fit_accuracy",
        "no_fit_precision",
        "no_fit_recall",
        "fit_recall",
        "multi_both_shown",
        "clear_single_shown",
        "accuracy",
    ):
        print(f"  {key:<22} {s[key]}")
    print(f"  per kind               {s['per_kind_accuracy']}")
    print(f"  per language           {s['per_language_accuracy']}")
    print(f"  action lines           {s['action_lines']}")
    print(f"  ms mean/median/max     {s['ms_mean']} / {s['ms_median']} / {s['ms_max']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", help="data dir holding the ingested plan (default: settings)")
    ap.add_argument("--split", default="all", help="dev | test | all")
    ap.add_argument("--calibrate", action="store_true", help="choose thresholds on the dev split, then evaluate")
    ap.add_argument("--json", action="store_true", help="print the full result as JSON")
    ap.add_argument("--ablation", action="store_true", help="compare item weights / phrase counts and stop")
    args = ap.parse_args(argv)
    services = _services(args.data_dir)
    _ = services.portfolio  # warm-up: read and embed the portfolio definitions
    if args.ablation:
        print("item_weight top_phrases | dev top1 clear auc | test top1 clear auc | all top1 clear auc")
        for r in ablation(services, load_ideas()):
            cells = " | ".join(
                f"{r[s]['top1']:.3f} {r[s]['top1_clear']:.3f} {r[s]['no_fit_auc']:.3f}" for s in ("dev", "test", "all")
            )
            print(f"{r['item_weight']:<11} {r['top_phrases']:<11} | {cells}")
        return 0
    settings = None
    if args.calibrate:
        cal = calibrate(services, load_ideas(split="dev"))
        settings = with_values(services.settings, cal["thresholds"])
        print(json.dumps(cal, indent=1))
    ideas = load_ideas(split=args.split)
    result = evaluate_portfolio(services, ideas, settings=settings)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return 0
    print("thresholds:", result["thresholds"])
    _print_summary(args.split, result)
    for split, s in result.get("by_split", {}).items():
        _print_summary(split, s)
    print("confusion (expected -> predicted):")
    for k, v in result["confusion"].items():
        print(f"  {k:<22} {v}")
    wrong = [r for r in result["rows"] if not r["ok"]]
    if wrong:
        print("not ok:")
        for r in wrong:
            print(
                f"  {r['id']} {r['split']} {r['kind']:<6} expected {r['expected'] or 'no_fit'} -> {r['verdict']} "
                f"top1 {r['top1']} shown {r['shown']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
