"""The evaluation report: report.md (tables, sweeps, definitions), report.json and the plots, and
the summary printed at the end of a run."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from evals.multidoc_report import multidoc_section
from evals.plots import write_all
from evals.scoring import CHUNKING_CRITERION, FUSION_CRITERION, SWEEP_KEYS
from evals.systems import BASELINE

DEFINITIONS = """\
- **Relevance**: a passage is relevant to a gold evidence item when its text contains the item's
  quote after normalising markup, typographic quotes/dashes, case and whitespace. Unanswerable
  questions are excluded from retrieval metrics. Retrieval is scored on the top 10 passages
  (the baseline returns 2, as shipped).
- **hit@k**: any gold item in the top k. **recall@k**: gold items covered by the top k / gold items
  (a passage covering several items counts once per item). **MRR**: mean of 1/rank of the first
  relevant passage (0 if none in the top 10).
- **nDCG@10**: binary relevance per gold item; a passage gains the number of gold items it is the
  first to cover, discounted by 1/log2(rank+1); IDCG = DCG of the ideal ranking (relevant passages
  first) over the passages that exist and the gold items that can be found in them (the textbook
  sum_{i<=min(n,10)} 1/log2(i+1) when each of n findable items sits in its own passage).
- **fact recall**: share of required facts (any variant) in the answer, case- and accent-folded,
  over answerable questions; a refused answerable question scores 0.
- **citation precision**: share of an answer's cited passages that contain a gold quote or support
  a sentence citing them; **citation recall**: share of answer sentences with a citation to a
  passage that supports them. *Support*: the passage contains the sentence (normalised), or >= 80 %
  of the sentence's words (>= 3 letters, accent-folded). Only answered questions; fixed service
  phrases are not sentences.
- **not_found precision / recall**: positive class = refused (status not_found); precision =
  correct refusals / refusals, recall = correct refusals / unanswerable questions.
  **refused** = share of answerable questions refused.
- **latency**: Answer.timings per stage (ms), median and p95; the sentence bank is warmed first
  (the service warms it at start).
"""


def _pct(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def _ms(v) -> str:
    return "n/a" if v is None else (f"{v:.0f}" if v >= 10 else f"{v:.1f}")


MAIN_COLUMNS = [
    ("hit@1", "hit@1"),
    ("hit@3", "hit@3"),
    ("hit@5", "hit@5"),
    ("hit@10", "hit@10"),
    ("recall@5", "R@5"),
    ("recall@10", "R@10"),
    ("mrr", "MRR"),
    ("ndcg@10", "nDCG@10"),
    ("fact_recall", "facts"),
    ("citation_precision", "cit.P"),
    ("citation_recall", "cit.R"),
    ("not_found_precision", "NF P"),
    ("not_found_recall", "NF R"),
    ("refusal_rate_answerable", "refused"),
]


def config_table(result: dict, split: str) -> list[str]:
    """The markdown table of every configuration's metrics on one split."""
    head = "| configuration | n | " + " | ".join(h for _, h in MAIN_COLUMNS) + " | median ms | p95 ms |"
    lines = [head, "|" + "---|" * (len(MAIN_COLUMNS) + 4)]
    for name, entry in result["configs"].items():
        agg = entry["splits"].get(split)
        if agg is None:
            continue
        total = agg["latency"].get("total") or {}
        label = f"**{name}** (default)" if name == result["default_config"] else name
        cells = []
        for key, _ in MAIN_COLUMNS:
            v = agg.get(key)
            if not entry.get("refuses", True) and key.startswith("not_found"):
                cells.append("never refuses" if key == "not_found_recall" else _pct(v))
            else:
                cells.append(_pct(v))
        lines.append(
            f"| {label} | {agg['n']} | "
            + " | ".join(cells)
            + f" | {_ms(total.get('median'))} | {_ms(total.get('p95'))} |"
        )
    return lines


def render_markdown(result: dict) -> str:
    L: list[str] = ["# Evaluation report", ""]
    s = result["settings"]
    L += [
        f"- subset **{result['subset']}**{' of the **multidoc** set' if result.get('set') == 'multidoc' else ''} "
        f"({result['items']} questions/conversations); run took "
        f"{result['seconds']} s on {result['machine']['cpus']} CPUs ({result['machine']['platform']}); "
        f"load average at start {result['machine'].get('load_average')}, at end "
        f"{result['machine'].get('load_average_end')} (a shared machine: timings include other work); "
        f"OMP_WAIT_POLICY={result['machine'].get('omp_wait_policy')}",
        f"- embedder {result['embedder']}; default configuration **{result['default_config']}**",
        "- settings: " + ", ".join(f"{k}={v}" for k, v in s.items()),
        "",
    ]
    for note in result.get("notes", []):
        L.append(f"> note: {note}")
    if result.get("gate"):
        g = result["gate"]
        L += ["", "## CI gate", "", "**PASSED**" if g["passed"] else "**FAILED**", ""]
        L += ["| metric | minimum | measured when set | this run |", "|---|---|---|---|"]
        agg = result["configs"][result["default_config"]]["splits"]["all"]
        for k, spec in g["thresholds"].get("metrics", {}).items():
            L.append(f"| {k} | {spec['min']:.3f} | {spec.get('measured')} | {_pct(agg.get(k))} |")
        for f in g["failures"]:
            L.append(f"- FAILED: {f}")
    splits = [sp for sp in ("dev", "test", "all") if any(sp in e["splits"] for e in result["configs"].values())]
    for split in splits:
        L += ["", f"## Configurations: {split}", "", *config_table(result, split)]
    if result.get("set") == "multidoc":
        L += multidoc_section(result)
    if any(not e.get("refuses", True) for e in result["configs"].values()):
        L += [
            "",
            f"{BASELINE} never refuses (a plain pipeline has no not-found decision): its NF "
            "precision is n/a, NF recall 0 and every unanswerable question gets an answer.",
        ]
    for name, config in result["configs"].items():
        if "forms" in config and (name == result["default_config"] or "/" in name):
            L += answers_table(name, config)
    default = result["configs"].get(result["default_config"])
    if default:
        L += [
            "",
            f"## Per question kind ({result['default_config']}, all items of the subset)",
            "",
            "| kind | n | hit@5 | MRR | nDCG@10 | facts | cit.P | refused / NF recall |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for kind, agg in default["kinds"].items():
            nf = (
                f"NF R {_pct(agg.get('not_found_recall'))}"
                if agg["n_answerable"] == 0
                else f"refused {_pct(agg.get('refusal_rate_answerable'))}"
            )
            L.append(
                f"| {kind} | {agg['n']} | {_pct(agg.get('hit@5'))} | {_pct(agg.get('mrr'))} | "
                f"{_pct(agg.get('ndcg@10'))} | {_pct(agg.get('fact_recall'))} | "
                f"{_pct(agg.get('citation_precision'))} | {nf} |"
            )
        misses = [r for r in default["records"] if r.get("retrieval") and not r["retrieval"]["hit@5"]]
        wrong = [r for r in default["records"] if (r["status"] == "not_found") == r["answerable"]]
        if misses:
            L += [
                "",
                "Retrieval misses (no gold passage in the top 5): "
                + ", ".join(
                    f"{r['id']} ({r['kind']}, first at {r.get('first_relevant_rank') or '>10'})" for r in misses
                ),
            ]
        if wrong:
            L += [
                "",
                "Wrong not-found decisions: "
                + ", ".join(
                    f"{r['id']} ({'refused answerable' if r['answerable'] else 'answered unanswerable'})" for r in wrong
                ),
            ]
    if result.get("threshold_sweep"):
        sweep = result["threshold_sweep"]
        L += [
            "",
            "## Not-found threshold sweep",
            "",
            f"Configured threshold: {s['not_found_threshold']}. Suggested from dev (highest recall with at "
            f"most 5 % of answerable questions refused): "
            f"{(result.get('threshold_choice') or {}).get('threshold', 'none')}.",
            "",
            "| threshold | dev P | dev R | dev refused | test P | test R | test refused |",
            "|---|---|---|---|---|---|---|",
        ]
        dev, test = sweep.get("dev", []), sweep.get("test", [])
        for i, row in enumerate(sweep["all"]):
            d = dev[i] if i < len(dev) else {}
            t = test[i] if i < len(test) else {}
            L.append(
                f"| {row['threshold']:.2f} | {_pct(d.get('not_found_precision'))} | {_pct(d.get('not_found_recall'))} | "
                f"{_pct(d.get('refusal_rate_answerable'))} | {_pct(t.get('not_found_precision'))} | "
                f"{_pct(t.get('not_found_recall'))} | {_pct(t.get('refusal_rate_answerable'))} |"
            )
    if default and any("judge_rule" in r for r in default["records"]):
        rules: Counter[tuple[str, str]] = Counter()
        for r in default["records"]:
            if r.get("judge_rule", "score") != "score":
                rules[
                    (
                        r["judge_rule"].split(":")[0].split(";")[0],
                        "unanswerable" if not r["answerable"] else "ANSWERABLE",
                    )
                ] += 1
        if rules:
            L += [
                "",
                "Refusals made by a rule before the score (at every threshold):",
                "",
                "| rule | question | count |",
                "|---|---|---|",
            ]
            L += [f"| {rule} | {kind} | {n} |" for (rule, kind), n in sorted(rules.items())]
    for key, title, labels in (
        ("chunking_sweep", "Chunking sweep (dev)", ("chunk_words", "overlap", "chunks", "passage_words")),
        ("fusion_sweep", "Fusion sweep (dev)", ("dense_weight", "bm25_weight", "rrf_k")),
    ):
        rows = result.get(key)
        if not rows:
            continue
        cols = tuple(k for k in SWEEP_KEYS if k != "citation_recall")  # 1.000 for every extractive row
        crit = CHUNKING_CRITERION if key == "chunking_sweep" else FUSION_CRITERION
        choice = result.get(key.replace("sweep", "choice")) or {}
        L += [
            "",
            f"## {title}",
            "",
            f"Best on dev by {' + '.join(crit)} (ties: nDCG@10): "
            + ", ".join(f"{k}={choice.get(k)}" for k in labels[: 3 if key == "fusion_sweep" else 2])
            + ".",
            "",
            "| " + " | ".join(labels + cols) + " |",
            "|" + "---|" * (len(labels) + len(cols)),
        ]
        for r in rows:
            L.append(
                "| " + " | ".join(str(r[k]) for k in labels) + " | " + " | ".join(_pct(r.get(c)) for c in cols) + " |"
            )
    if result.get("rules_ablation"):
        L += [
            "",
            "## Not-found rules, each switched off (default configuration)",
            "",
            "| variant | split | NF precision | NF recall | answerable refused | facts |",
            "|---|---|---|---|---|---|",
        ]
        for r in result["rules_ablation"]:
            L.append(
                f"| {r['variant']} | {r['split']} | {_pct(r.get('not_found_precision'))} | "
                f"{_pct(r.get('not_found_recall'))} | {_pct(r.get('refusal_rate_answerable'))} | "
                f"{_pct(r.get('fact_recall'))} |"
            )
    if result.get("index_seconds"):
        L += [
            "",
            "Index build seconds per chunking (chunk embeddings are memoised by text across the variants, "
            "so a variant that repeats another's chunks builds faster): "
            + ", ".join(f"{k}: {v}" for k, v in result["index_seconds"].items()),
        ]
    if default:
        L += [
            "",
            f"## Latency per stage ({result['default_config']}, ms)",
            "",
            "| stage | median | p95 | n |",
            "|---|---|---|---|",
        ]
        for stage, v in default["splits"]["all"]["latency"].items():
            L.append(f"| {stage} | {_ms(v['median'])} | {_ms(v['p95'])} | {v['n']} |")
    judged = [n for n, e in result["configs"].items() if e.get("llm_judged")]
    L += ["", "## LLM-judged scores", ""]
    if judged:
        L += [
            "These scores are **LLM-judged** (1-5, the configured language model rating its own "
            "kind of output); treat them as indicative only.",
            "",
            "| configuration | faithfulness | relevance |",
            "|---|---|---|",
        ]
        for n in judged:
            a = result["configs"][n]["splits"]["all"]
            L.append(f"| {n} | {_pct(a.get('llm_faithfulness'))} | {_pct(a.get('llm_relevance'))} |")
    else:
        L.append("Not run (use --judge with a language model configured).")
    pf = result.get("portfolio") or {}
    L += ["", "## Portfolio check", ""]
    if "skipped" in pf:
        L.append(f"Skipped: {pf['skipped']}")
    elif pf:
        keys = ("top1_accuracy", "no_fit_precision", "no_fit_recall", "accuracy", "clear_fit_accuracy")
        L += ["| split | n | " + " | ".join(keys) + " |", "|" + "---|" * (len(keys) + 2)]
        for split, agg in [("all", pf), *sorted((pf.get("by_split") or {}).items())]:
            L.append(f"| {split} | {agg.get('n')} | " + " | ".join(_pct(agg.get(k)) for k in keys) + " |")
    L += [
        "",
        "## Plots",
        "",
        "![metrics](metrics_by_config.png)",
        "",
        "![latency](latency.png)",
        "",
        "![not found](not_found_threshold.png)",
        "",
    ]
    if result.get("chunking_sweep"):
        L += ["![chunking](sweep_chunking.png)", ""]
    if result.get("fusion_sweep"):
        L += ["![fusion](sweep_fusion.png)", ""]
    L += ["## Metric definitions", "", DEFINITIONS]
    return "\n".join(L)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_report(result: dict, out: Path) -> list[Path]:
    """report.json, report.md and the plots in `out`; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(_jsonable(result), ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "report.md").write_text(render_markdown(result), encoding="utf-8")
    return [out / "report.md", out / "report.json", *write_all(result, out)]


def result_summary(result: dict) -> str:
    """One line per configuration, for the terminal."""
    lines = [f"subset {result['subset']} ({result['items']} items), {result['seconds']} s"]
    if result.get("set") == "multidoc":
        lines[0] = f"set multidoc, {lines[0]}"
    for name, entry in result["configs"].items():
        a = entry["splits"]["all"]
        lines.append(
            f"{name:<24} hit@5 {_pct(a.get('hit@5'))}  MRR {_pct(a.get('mrr'))}  nDCG@10 {_pct(a.get('ndcg@10'))}  "
            f"facts {_pct(a.get('fact_recall'))}  cit.P {_pct(a.get('citation_precision'))}  "
            f"NF P/R {_pct(a.get('not_found_precision'))}/{_pct(a.get('not_found_recall'))}  "
            f"refused {_pct(a.get('refusal_rate_answerable'))}  acceptable {_pct(a.get('acceptable'))}"
        )
    for label, ref in (result.get("reference") or {}).items():
        a = ref["splits"]["all"]
        lines.append(
            f"{label:<40} hit@5 {_pct(a.get('hit@5'))}  facts {_pct(a.get('fact_recall'))}  "
            f"cit.P {_pct(a.get('citation_precision'))}  NF R {_pct(a.get('not_found_recall'))}  "
            f"refused {_pct(a.get('refusal_rate_answerable'))}  acceptable {_pct(a.get('acceptable'))}"
        )
    return "\n".join(lines)


def answers_table(name: str, config: dict) -> list[str]:
    """Answers that answer: the acceptable rate and each check, per kind of answer and language,
    per split (evals/answer_metrics.py)."""
    lines = [
        "",
        f"## Answers that answer ({name})",
        "",
        "An answer is acceptable when it has every required fact, leads with one, is in the question's "
        "language, is no longer than the question needs and every cited passage supports it; an "
        "unanswerable question's answer when it is refused.",
        "",
        "| split | acceptable | complete | first | language | length | cited |",
        "|---|---|---|---|---|---|---|",
    ]
    for split, agg in config["splits"].items():
        lines.append(
            f"| {split} | {_pct(agg.get('acceptable'))} | {_pct(agg.get('complete'))} | {_pct(agg.get('first'))} | "
            f"{_pct(agg.get('language'))} | {_pct(agg.get('length'))} | {_pct(agg.get('cited'))} |"
        )
    lines += [
        "",
        "| kind / language | n | acceptable | complete | first | language | length | cited |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, agg in config["forms"].items():
        lines.append(
            f"| {key} | {agg['n']} | {_pct(agg.get('acceptable'))} | {_pct(agg.get('complete'))} | "
            f"{_pct(agg.get('first'))} | {_pct(agg.get('language'))} | {_pct(agg.get('length'))} | "
            f"{_pct(agg.get('cited'))} |"
        )
    return lines
