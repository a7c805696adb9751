"""Fit the sentence ranker (assistant/answering/ranking.py) on the dev split and report it on test.

    python -m evals.sentence_ranker [--write] [--ablation]

Every answerable question of the plan set (conversations by their condensed question) is
retrieved as the service does; each candidate sentence of its best passages gets the ranker's
features, and is gold when it holds a gold evidence quote. A conditional logit (each question's
gold sentences against its other candidates, L2 on the standardised features, the strength chosen
by 5-fold cross-validation on dev; the plain score itself is not penalised, so a strong penalty
gives the plain ranking back) is fitted on **dev only**; the weights are divided by the plain
score's, so the score stays on the cosine scale. Printed: the gold sentence's rank (share of
questions with a gold sentence first, in the first three) per split and language for the plain
score and the ranker; with --ablation, the same with each feature left out (refitted on dev).
--write puts the weights into ranking.py.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.answering.evidence import score_sentences
from assistant.answering.ranking import FEATURES
from assistant.settings import Settings
from evals import datasets
from evals.compose_ablation import default_run
from evals.metrics import fold

LAMBDAS = (0.01, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
RANKING_PY = Path(__file__).resolve().parents[1] / "assistant" / "answering" / "ranking.py"


@dataclass
class Group:
    """One question's candidate sentences: features, gold labels, the plain score."""

    id: str
    split: str
    language: str
    x: np.ndarray
    gold: np.ndarray
    plain: np.ndarray


def is_gold(sentence: str, quotes: list[str]) -> bool:
    """The sentence holds a gold quote, or six words in a row of one (a quote over two sentences)."""
    s = fold(sentence)
    for quote in quotes:
        q = fold(quote)
        if q in s or (len(s) > 30 and s in q):
            return True
        w = q.split()
        if any(" ".join(w[i : i + 6]) in s for i in range(max(1, len(w) - 5))):
            return True
    return False


def collect(settings: Settings) -> list[Group]:
    run, base, mode, expand = default_run(settings.model_copy(update={"sentence_ranker": "plain"}))
    system = run.pipeline("ranker", base, mode, expand, {}, warm=False)
    analyzer = system.retriever.store.analyzer
    groups = []
    for item in datasets.select("all"):
        if not (item.answerable and item.quotes):
            continue
        question = system.answers._condense(item.question, item.history, None)
        retrieval = system.retriever.retrieve(question)
        scored = score_sentences(
            question,
            retrieval,
            system.bank,
            analyzer,
            lexical_weight=base.sentence_lexical_weight,
            idf=base.sentence_lexical_idf,
            cognate_weight=base.sentence_cognate_weight,
            ranker={},
        )
        seen: set[str] = set()
        rows = []
        for s in scored:  # overlap sentences repeat at chunk boundaries: the first counts
            key = " ".join(s.text.split()).lower()
            if key not in seen:
                seen.add(key)
                rows.append(s)
        gold = np.array([is_gold(s.text, item.quotes) for s in rows])
        if not rows or not gold.any():
            continue  # no gold sentence among the candidates: retrieval's miss, not the ranker's
        groups.append(
            Group(
                item.id,
                item.split,
                item.language,
                np.array([s.features for s in rows], dtype=float),
                gold,
                np.array([s.score for s in rows]),
            )
        )
    return groups


def fit(groups: list[Group], keep: list[int], lam: float, steps: int = 400) -> np.ndarray:
    """Conditional-logit weights over the feature columns `keep`, returned per feature (0 for the
    others), divided by the plain score's weight."""
    x_all = np.vstack([g.x[:, keep] for g in groups])
    mean, std = x_all.mean(axis=0), x_all.std(axis=0)
    std[std == 0] = 1.0
    xs = [(g.x[:, keep] - mean) / std for g in groups]
    beta = np.zeros(len(keep))
    beta[0] = 1.0  # the plain score first
    lr = 0.5
    for _ in range(steps):
        grad = -2 * lam * beta
        grad[0] = 0.0  # the plain score is not penalised: the fit shrinks towards the plain ranking
        for x, g in zip(xs, groups, strict=True):
            z = x @ beta
            p = np.exp(z - z.max())
            p /= p.sum()
            q = p * g.gold
            q /= q.sum()
            grad += (q - p) @ x
        beta += lr * grad / len(groups)
    raw = beta / std
    if raw[0] <= 0:
        raise RuntimeError("the plain score got no positive weight")
    weights = np.zeros(len(FEATURES))
    weights[keep] = raw / raw[0]
    return weights


def scores(g: Group, weights: np.ndarray) -> np.ndarray:
    return g.x[:, 0] + g.x[:, 1:] @ weights[1:]


def rank_of_gold(score: np.ndarray, gold: np.ndarray) -> int:
    order = np.argsort(-score, kind="stable")
    return int(np.nonzero(gold[order])[0][0]) + 1


def at(groups: list[Group], score_of, k: int) -> float:
    return sum(rank_of_gold(score_of(g), g.gold) <= k for g in groups) / len(groups) if groups else float("nan")


def choose_lambda(dev: list[Group], keep: list[int], folds: int = 5) -> float:
    best, best_hits = LAMBDAS[0], -1.0
    for lam in LAMBDAS:
        hits = 0.0
        for f in range(folds):
            train = [g for i, g in enumerate(dev) if i % folds != f]
            held = [g for i, g in enumerate(dev) if i % folds == f]
            w = fit(train, keep, lam)
            hits += at(held, lambda g, w=w: scores(g, w), 1) * len(held)
        if hits >= best_hits:  # a tie goes to the stronger penalty (the plainer ranking)
            best, best_hits = lam, hits
    return best


def table(groups: list[Group], variants: dict[str, object]) -> None:
    cells = [(split, lang) for split in ("dev", "test") for lang in ("nl", "en")]
    print("| ranking | " + " | ".join(f"{s} {lang} @1 / @3" for s, lang in cells) + " | test all @1 |")
    print("|---|" + "---|" * (len(cells) + 1))
    for label, score_of in variants.items():
        row = []
        for split, lang in cells:
            sub = [g for g in groups if g.split == split and g.language == lang]
            row.append(f"{at(sub, score_of, 1):.3f} / {at(sub, score_of, 3):.3f} (n={len(sub)})")
        test = [g for g in groups if g.split == "test"]
        print(f"| {label} | " + " | ".join(row) + f" | {at(test, score_of, 1):.3f} |")


def write_weights(weights: np.ndarray) -> None:
    body = "".join(f'    "{n}": {w:.4f},\n' for n, w in zip(FEATURES[1:], weights[1:], strict=True) if abs(w) >= 5e-5)
    text = RANKING_PY.read_text(encoding="utf-8")
    text = re.sub(
        r"LEARNED_WEIGHTS: dict\[str, float\] = \{.*?\}\n",
        "LEARNED_WEIGHTS: dict[str, float] = {\n" + body + "}\n",
        text,
        count=1,
        flags=re.S,
    )
    RANKING_PY.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="write the fitted weights into ranking.py")
    parser.add_argument("--ablation", action="store_true", help="refit with each feature left out")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    groups = collect(Settings(backend="extractive"))
    dev = [g for g in groups if g.split == "dev"]
    everything = list(range(len(FEATURES)))
    lam = choose_lambda(dev, everything)
    weights = fit(dev, everything, lam)
    print(f"questions with a gold sentence among the candidates: dev {len(dev)}, test {len(groups) - len(dev)}")
    print(f"L2 strength chosen by 5-fold cross-validation on dev: {lam}")
    print("weights (plain score = 1): " + ", ".join(f"{n} {w:+.4f}" for n, w in zip(FEATURES, weights, strict=True)))
    variants: dict[str, object] = {
        "plain (cosine + lexical)": lambda g: g.plain,
        "learned": lambda g: scores(g, weights),
    }
    if args.ablation:
        for i, name in enumerate(FEATURES[1:], 1):
            keep = [j for j in everything if j != i]
            w = fit(dev, keep, lam)
            variants[f"learned without {name}"] = lambda g, w=w: scores(g, w)
    table(groups, variants)
    if args.write:
        write_weights(weights)
        print(f"written to {RANKING_PY}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
