"""The CI quality gate: the default configuration on the fixed "ci" subset must stay above
evals/thresholds.json (set from measured values minus a small margin). Same check as
`assistant eval --subset ci --gate`."""

from __future__ import annotations

import pytest

from assistant.settings import Settings
from evals import datasets
from evals.gate import GATE_METRICS, check_gate, load_thresholds
from evals.runner import parse_configs


def test_thresholds_file_is_complete():
    t = load_thresholds()
    assert t["subset"] == "ci"
    assert set(t["metrics"]) == set(GATE_METRICS)
    for name, spec in t["metrics"].items():
        assert 0.0 <= spec["min"] <= 1.0, name
        assert spec["min"] <= spec["measured"], name  # a floor below what was measured


def test_check_gate_reports_each_failure():
    thresholds = {"metrics": {"hit@5": {"min": 0.9, "measured": 0.95}, "mrr": {"min": 0.8, "measured": 0.85}}}
    assert check_gate({"hit@5": 0.95, "mrr": 0.81}, thresholds) == []
    failures = check_gate({"hit@5": 0.85, "mrr": None}, thresholds)
    assert len(failures) == 2 and failures[0].startswith("hit@5 = 0.850 < 0.900")
    assert "n/a" in failures[1]


def test_parse_configs():
    s = Settings(_env_file=None)
    assert parse_configs(None, "ci", s) == ["hybrid+expand" if s.expand_context else "hybrid", "sweep-threshold"]
    assert "baseline-llamaindex" in parse_configs(None, "all", s)
    assert parse_configs("bm25, dense", "dev", s) == ["bm25", "dense"]
    with pytest.raises(ValueError):
        parse_configs("bm25,nope", "dev", s)


@pytest.mark.slow
def test_default_configuration_meets_the_ci_thresholds(services):
    from evals.gate import run_gate_subset

    result = run_gate_subset(services.settings, services.embedder, bank=services.bank)
    assert result["metrics"]["n"] == sum(datasets.CI_PER_KIND.values()) + datasets.CI_CONVERSATIONS
    assert not result["failures"], "\n".join(result["failures"])
