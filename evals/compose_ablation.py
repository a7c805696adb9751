"""What each rule of the extractive composer buys: the answer-level figures of the default
configuration (extractive answers) with every rule on, then with each one switched off, per split.

    python -m evals.compose_ablation [--subset dev|test|all]

A rule is switched off by replacing its function in the composer's modules with the
behaviour it has without the rule, for the length of one run. The sentence scoring's idf
weighting and section labels are settings (`sentence_lexical_idf`, `sentence_section_weight`) and
are switched through them.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.answering import compose, lists, question, service, span
from assistant.settings import Settings
from evals import datasets
from evals.harness import Run, evaluate_system
from evals.scoring import by_split
from evals.systems import PIPELINE_CONFIGS, CachingEmbedder, Mode, default_config_name
from ingest.embedding import make_embedder

# "welke burgemeester" read as a plain fact, as before role nouns counted in the singular
_PLURAL_ROLES_ONLY = question._NAMES.pattern.replace(
    "wethouders?|burgemeesters?|gedeputeerden?|voorzitters?|directeuren|directeurs?|bestuurders?|",
    "wethouders|burgemeesters|gedeputeerden|voorzitters|directeuren|directeurs|",
).replace("aldermen|alderman|mayors?|chairs?|directors?|", "aldermen|mayors|chairs|directors|")
# rule -> (function or pattern of the answer modules, what it is replaced with)
RULES: dict[str, tuple[str, Callable | re.Pattern | bool | dict | tuple]] = {
    "member lines the question names": ("matching_items", lambda form, items: items),
    "a question's focus: the item headed by it": ("_about_focus", lambda focus, ranked: None),
    "amount intro without its list": ("_number_in_intro", lambda chosen: False),
    "list: best sentence announcing the asked noun": ("_announces", lambda top, single, form: False),
    "definition: item headed by the term": ("_defines", lambda sentence, term: 0.0),
    "definition: sentence referred back to": ("with_previous", lambda span, sentences: span),
    "list: the sentence spelling out an enumeration": ("_elaborated", lambda span, sentences: span),
    "list: an elaboration read as one sentence": ("_spells_out", lambda before, after: False),
    "restating sentence gives way to what follows": ("_past_restatement", lambda span, sentences, form: span),
    "list: two things called by the asked noun": ("_names_noun_pair", lambda sentence, form: False),
    "follow-up: 'another' leaves out what was answered": (
        "besides_previous",
        lambda sentences, question, history: sentences,
    ),
    "names: a singular role noun asks for a person": ("_NAMES", re.compile(_PLURAL_ROLES_ONLY, re.I)),
    "an English noun found by its Dutch cognates": ("names_cognates", lambda sentence, term: False),
    "list: named items given by their names": ("LIST_HEADS_ONLY", False),
    "fact: no list that opens after the answer": ("LIST_AFTER_ANSWER_KINDS", ("how", "fact", "yes_no")),
    "amount: names counted ('A en B': twee)": ("COUNT_ENUMERATED", False),
    "list: an elliptic compound pair (textiel- en staalindustrie)": (
        "_PAIR",
        re.compile(r"\b\w{3,}\s+(?:en|and)\s+\w{3,}\b"),
    ),
}
MODULES = (compose, lists, span, service, question)
FIGURES = ("acceptable", "complete", "first", "length", "fact_recall", "nf_recall", "refused")


@contextmanager
def _without(rule: str | None) -> Iterator[None]:
    if rule is None or rule not in RULES:
        yield
        return
    name, replacement = RULES[rule]
    # a function imported by name into another module is replaced there too
    holders = [m for m in MODULES if hasattr(m, name)]
    originals = [getattr(m, name) for m in holders]
    for m in holders:
        setattr(m, name, replacement)
    try:
        yield
    finally:
        for m, original in zip(holders, originals, strict=True):
            setattr(m, name, original)


def default_run(settings: Settings) -> tuple[Run, Settings, Mode, bool | None]:
    """An evaluation run over a fresh default index: the run, its settings and the default
    configuration's retrieval mode and expansion."""
    embedder = CachingEmbedder(make_embedder(settings))
    run = Run(settings, embedder, Path(tempfile.mkdtemp(prefix="twente-ablation-")), progress=False)
    base = run.default_index()
    mode, expand = PIPELINE_CONFIGS[default_config_name(settings)]
    return run, base, mode, expand


def measure(settings: Settings, subset: str) -> list[dict]:
    run, base, mode, expand = default_run(settings)
    items = datasets.select(subset)
    rows = []
    variants: list[tuple[str, str | None, Settings]] = [("all rules", None, base)]
    variants += [(f"without {rule}", rule, base) for rule in RULES]
    variants.append(("without idf term weights", None, base.model_copy(update={"sentence_lexical_idf": False})))
    variants.append(("without section labels", None, base.model_copy(update={"sentence_section_weight": 0.0})))
    cache: dict = {}
    for label, rule, s in variants:
        system = run.pipeline(label, s, mode, expand, cache, warm=False)
        with _without(rule):
            records = evaluate_system(system, items)
        for split, agg in sorted(by_split(records).items()):
            rows.append({"variant": label, "split": split, **{k: figure(agg, k) for k in FIGURES}})
    return rows


def figure(agg: dict, key: str) -> float | None:
    """One of FIGURES (or another aggregate key) of an aggregate."""
    return agg.get({"nf_recall": "not_found_recall", "refused": "refusal_rate_answerable"}.get(key, key))


def print_rows(rows: list[dict], columns: tuple[str, ...], figures: tuple[str, ...]) -> None:
    """A markdown table: the label columns as they are, the figures to three decimals."""
    print("| " + " | ".join(columns + figures) + " |")
    print("|" + "---|" * (len(columns) + len(figures)))
    for r in rows:
        cells = [str(r[c]) for c in columns] + ["n/a" if r[k] is None else f"{r[k]:.3f}" for k in figures]
        print("| " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--subset", default="all", choices=["dev", "test", "all"])
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    print_rows(measure(Settings(backend="extractive"), args.subset), ("variant", "split"), FIGURES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
