"""The CI gate: the default configuration must stay above the floors in evals/thresholds.json."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.answering.sentence_bank import SentenceBank
from assistant.settings import Settings
from evals import datasets
from evals.harness import Run, evaluate_system
from evals.scoring import aggregate
from evals.systems import PIPELINE_CONFIGS, default_config_name
from ingest.embedding import Embedder

THRESHOLDS_FILE = Path(__file__).resolve().parent / "thresholds.json"
GATE_METRICS = (
    "hit@5",
    "mrr",
    "not_found_recall",
    "not_found_precision",
    "citation_precision",
    "fact_recall",
    "acceptable",
)


def load_thresholds(path: Path = THRESHOLDS_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def check_gate(metrics: dict, thresholds: dict) -> list[str]:
    """One line per metric below its floor (a missing metric fails too)."""
    failures = []
    for key, spec in thresholds.get("metrics", {}).items():
        value = metrics.get(key)
        if value is None or value < spec["min"]:
            shown = "n/a" if value is None else f"{value:.3f}"
            failures.append(f"{key} = {shown} < {spec['min']:.3f} (measured {spec.get('measured')})")
    return failures


def apply_gate(result: dict, subset: str) -> bool:
    """Check the default configuration of an evaluation result; the verdict goes into
    result["gate"] (and a note when the thresholds were measured on another subset)."""
    thresholds = load_thresholds()
    metrics = result["configs"][result["default_config"]]["splits"]["all"]
    failures = check_gate(metrics, thresholds)
    result["gate"] = {"thresholds": thresholds, "failures": failures, "passed": not failures}
    if thresholds.get("subset") and thresholds["subset"] != subset:
        result["notes"].append(
            f"the gate thresholds were measured on the {thresholds['subset']!r} subset; this run used {subset!r}"
        )
    return not failures


def run_gate_subset(
    settings: Settings, embedder: Embedder, progress: bool = False, bank: SentenceBank | None = None
) -> dict:
    """The CI check on an existing index (settings.data_dir): the default configuration on the ci
    subset. Returns {"metrics": aggregate, "failures": [...], "records": [...]}."""
    run = Run(settings, embedder, settings.data_dir, progress=progress, bank=bank)
    name = default_config_name(settings)
    mode, expand = PIPELINE_CONFIGS[name]
    system = run.pipeline(name, settings, mode, expand)
    items = datasets.select("ci")
    with run.bar(len(items), f"eval {name} (ci)") as bar:
        records = evaluate_system(system, items, bar=bar)
    metrics = aggregate(records)
    return {"metrics": metrics, "failures": check_gate(metrics, load_thresholds()), "records": records}
