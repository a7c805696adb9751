"""The plan set measured beside the multi-document set in one run (`assistant eval --set multidoc`)."""

from __future__ import annotations

import time
from dataclasses import replace

from assistant.settings import Settings
from evals import datasets
from evals.harness import Run, evaluate_system
from evals.scoring import by_kind, by_split
from evals.systems import PIPELINE_CONFIGS


def plan_reference(run: Run, settings: Settings, subset: str, result: dict, backend: str | None) -> dict:
    """The plan set's figures beside the multidoc set's, measured in the same run: the default
    configuration on the same subset over the plan alone (the plan set's own index), and over the
    plan + fixtures index, kept to the plan and open to every document (its quotes must then be
    found in the plan); extractive, and with the language-model backend when one was run."""
    name = result["default_config"]
    mode, expand = PIPELINE_CONFIGS[name]
    items = datasets.select(subset)
    in_plan = datasets.in_document(items, datasets.PLAN_DOC_ID)
    kept = [replace(x, documents=[datasets.PLAN_DOC_ID]) for x in in_plan]
    plan_run = Run(settings, run.embedder, run.workdir / "plan-only", run.progress, run.bank, run.generators)
    backends = ["extractive"]
    if backend and backend != "extractive" and f"{name}/{backend}" in result["configs"]:
        backends.append(backend)
    out: dict = {}
    systems = {}
    for index, r, asked in (
        ("plan index", plan_run, items),
        ("plan + fixtures index, kept to the plan", run, kept),
        ("plan + fixtures index", run, in_plan),
    ):
        key = "plan" if r is plan_run else "multidoc"
        if key not in systems:
            systems[key] = r.pipeline(f"{name} ({key} index)", r.default_index(), mode, expand)
        for b in backends:
            label = f"plan set, {index}" + ("" if b == "extractive" else f", {b}")
            t0 = time.perf_counter()
            with run.bar(len(asked), f"reference: {label}") as bar:
                records = evaluate_system(systems[key], asked, b, bar)
            out[label] = {
                "config": name if b == "extractive" else f"{name}/{b}",
                "records": records,
                "splits": by_split(records),
                "kinds": by_kind(records),
                "seconds": round(time.perf_counter() - t0, 2),
            }
    return out
