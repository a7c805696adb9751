"""The sentence-choice measurement (evals/sentence_signals.py): shares of gold first / in the first three."""

from __future__ import annotations

import numpy as np

from evals.sentence_signals import Candidates, measure


def _group(split: str, language: str, plain, gold, use, titled=None) -> Candidates:
    plain = np.array(plain, dtype=float)
    c = Candidates("x", split, language, "q", ["a"] * len(plain), np.array(gold), plain, plain.copy())
    c.signals = {"use": np.array(use, dtype=float), "e5 titled": np.array(titled or plain), "e5 window": plain}
    return c


def test_a_signal_that_lifts_the_gold_sentence_is_counted_as_putting_it_first():
    groups = [
        _group("dev", "nl", [0.9, 0.8, 0.7, 0.6], [False, True, False, False], use=[0.0, 1.0, 0.0, 0.0]),
        _group("dev", "nl", [0.9, 0.8, 0.7, 0.6], [False, False, False, True], use=[0.0, 0.0, 0.0, 0.0]),
    ]
    rows = {r["variant"]: r for r in measure(groups, None)}
    assert rows["service score"]["dev nl top1"] == 0.0
    assert rows["service score"]["dev nl top3"] == 0.5  # the second group's gold is fourth
    assert rows["+ 1.0 x USE cosine"]["dev nl top1"] == 0.5
    assert rows["service score"]["test en top1"] is None  # no such questions


def test_the_models_pick_goes_first():
    groups = [_group("test", "en", [0.9, 0.8, 0.7], [False, False, True], use=[0, 0, 0])]
    rows = {r["variant"]: r for r in measure(groups, {"x": 2})}
    assert rows["LLM picks from the first 3"]["test en top1"] == 1.0
    assert rows["service score"]["test en top1"] == 0.0
