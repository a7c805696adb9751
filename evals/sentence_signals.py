"""Signals that might choose the answer sentence better than the service's score, measured beside it.

    python -m evals.sentence_signals [--llm]

Every answerable question of the plan set (conversations by their condensed question) is
retrieved as the service does; its candidate sentences are scored by the service
(`score_sentences`: E5 cosine + lexical share + passage rank) and by each signal added to that
score: Google's USE multilingual v3 cosine (the second encoder that ships offline), E5 of the
sentence behind its section label, and E5 of the sentence with its neighbours. With --llm, the
bundled Qwen2.5-1.5B also picks one of the service's first three (one generated token). Printed
per split and language: the share of questions whose first sentence is gold, and whose first
three hold one (questions whose candidates hold no gold sentence are retrieval's misses, left out).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from assistant.answering.evidence import score_sentences
from assistant.settings import Settings
from evals import datasets
from evals.compose_ablation import default_run, print_rows
from evals.second_encoder import unit_rows, use_model
from evals.sentence_ranker import is_gold

WEIGHTS = (0.1, 0.25, 0.5, 1.0)
PICK_FROM = 3


@dataclass
class Candidates:
    id: str
    split: str
    language: str
    question: str
    texts: list[str]
    gold: np.ndarray
    plain: np.ndarray
    dense: np.ndarray
    signals: dict[str, np.ndarray] = field(default_factory=dict)


def collect(settings: Settings) -> list[Candidates]:
    run, base, mode, expand = default_run(settings)
    system = run.pipeline("signals", base, mode, expand, {}, warm=False)
    analyzer = system.retriever.store.analyzer
    out = []
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
        )
        neighbours = {(s.passage_index, s.position): s.text for s in scored}
        seen: set[str] = set()
        rows = []
        for s in scored:  # overlap sentences repeat at chunk boundaries: the first counts
            key = " ".join(s.text.split()).lower()
            if key not in seen:
                seen.add(key)
                rows.append(s)
        gold = np.array([is_gold(s.text, item.quotes) for s in rows])
        if not rows or not gold.any():
            continue
        c = Candidates(
            item.id,
            item.split,
            item.language,
            question,
            [s.text for s in rows],
            gold,
            np.array([s.score for s in rows]),
            np.array([s.dense for s in rows]),
        )
        qv = run.embedder.embed_query(question)
        titled = [f"{s.section_label}: {s.text}" for s in rows]
        window = [
            " ".join(
                t
                for t in (
                    neighbours.get((s.passage_index, s.position - 1), ""),
                    s.text,
                    neighbours.get((s.passage_index, s.position + 1), ""),
                )
                if t
            )
            for s in rows
        ]
        c.signals["e5 titled"] = run.embedder.embed_passages(titled) @ qv
        c.signals["e5 window"] = run.embedder.embed_passages(window) @ qv
        out.append(c)
    use = use_model()
    texts = sorted({t for c in out for t in c.texts})
    vectors = dict(zip(texts, unit_rows(use.encode(texts)), strict=True))
    questions = unit_rows(use.encode([c.question for c in out]))
    for c, qv in zip(out, questions, strict=True):
        c.signals["use"] = np.array([vectors[t] @ qv for t in c.texts])
    return out


def llm_picks(groups: list[Candidates], settings: Settings) -> dict[str, int]:
    """The index (into each group's texts) of the sentence the bundled model picks from the
    service's first PICK_FROM."""
    from assistant.llm.llamacpp import LlamaCppGenerator

    llm = LlamaCppGenerator.from_settings(settings).load()
    picks = {}
    for c in groups:
        order = np.argsort(-c.plain)[:PICK_FROM]
        numbered = "\n".join(f"{i + 1}. {c.texts[j]}" for i, j in enumerate(order))
        messages = [
            {
                "role": "system",
                "content": "You pick the sentence that answers the question. Reply with its number only.",
            },
            {"role": "user", "content": f"Question: {c.question}\n\nSentences:\n{numbered}\n\nNumber:"},
        ]
        reply = llm.create_chat_completion(messages=messages, max_tokens=2, temperature=0)
        text = str(reply["choices"][0]["message"]["content"]).strip()  # type: ignore[index]
        n = int(text[0]) if text[:1].isdigit() and 1 <= int(text[0]) <= len(order) else 1
        picks[c.id] = int(order[n - 1])
    return picks


def variants(picks: dict[str, int] | None) -> dict[str, Callable[[Candidates], np.ndarray]]:
    def added(name: str, w: float) -> Callable[[Candidates], np.ndarray]:
        """The service's score + w x the signal (for E5 variants, x what they add to E5's cosine)."""
        return lambda c: c.plain + w * (c.signals[name] - (0.0 if name == "use" else c.dense))

    out: dict[str, Callable[[Candidates], np.ndarray]] = {"service score": lambda c: c.plain}
    for w in WEIGHTS:
        out[f"+ {w} x USE cosine"] = added("use", w)
    for name in ("e5 titled", "e5 window"):
        for w in WEIGHTS:
            out[f"+ {w} x ({name} - e5)"] = added(name, w)
    if picks is not None:

        def picked(c: Candidates) -> np.ndarray:
            score = c.plain.copy()
            score[picks[c.id]] = score.max() + 1.0
            return score

        out["LLM picks from the first 3"] = picked
    return out


def measure(groups: list[Candidates], picks: dict[str, int] | None) -> list[dict]:
    rows = []
    for name, score in variants(picks).items():
        row: dict = {"variant": name}
        for split in ("dev", "test"):
            for lang in ("nl", "en"):
                sel = [c for c in groups if c.split == split and c.language == lang]
                ranks = [c.gold[np.argsort(-score(c))] for c in sel]
                row[f"{split} {lang} top1"] = float(np.mean([r[0] for r in ranks])) if sel else None
                row[f"{split} {lang} top3"] = float(np.mean([r[:3].any() for r in ranks])) if sel else None
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--llm", action="store_true", help="also let the bundled model pick (minutes)")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    settings = Settings(backend="extractive")
    groups = collect(settings)
    picks = llm_picks(groups, settings) if args.llm else None
    rows = measure(groups, picks)
    counts = {
        f"{s} {lang}": sum(c.split == s and c.language == lang for c in groups)
        for s in ("dev", "test")
        for lang in ("nl", "en")
    }
    print(f"questions with a gold candidate: {counts}")
    print_rows(rows, ("variant",), tuple(k for k in rows[0] if k != "variant"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
