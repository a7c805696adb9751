"""The LLM judge: the configured language model rates each answer's faithfulness and relevance
(1-5). Indicative only: a model grading its own kind of output."""

from __future__ import annotations

import re

from assistant.llm.base import Generator, GeneratorError, generate
from assistant.schema import Answer
from evals.datasets import EvalItem
from evals.scoring import by_split


def judge_config(
    generator: Generator, entry: dict, items: dict[str, EvalItem], answers: dict[str, Answer], bar=None
) -> None:
    """Rate the answers of one configuration's result entry, then aggregate its splits again (now
    with the ratings) and mark it LLM-judged."""
    rate_answers(generator, entry["records"], items, answers, bar)
    entry["splits"] = by_split(entry["records"])
    entry["llm_judged"] = True


def rate_answers(
    generator: Generator, records: list[dict], items: dict[str, EvalItem], answers: dict[str, Answer], bar=None
) -> None:
    """Ask the language model to rate faithfulness and relevance (1-5); stored per record."""
    for rec in records:
        if bar is not None:
            bar.update(1)
        answer = answers[rec["id"]]
        if answer.status == "not_found":
            continue  # a refusal has nothing to rate
        sources = "\n\n".join(f"[{c.id}] {c.text[:700]}" for c in answer.citations[:4]) or "(none)"
        messages = [
            {
                "role": "system",
                "content": "You grade answers of a question-answering system. Reply "
                "with exactly two lines: 'faithfulness: N' (1-5: is every statement supported by the "
                "sources?) and 'relevance: N' (1-5: does it answer the question?).",
            },
            {
                "role": "user",
                "content": f"Question: {items[rec['id']].question}\n\nAnswer:\n{answer.answer}\n\nSources:\n{sources}",
            },
        ]
        try:
            reply = generate(generator, messages, max_tokens=24)
        except GeneratorError as exc:
            rec["llm_judge_error"] = str(exc)
            continue
        for key, name in (("llm_faithfulness", "faithfulness"), ("llm_relevance", "relevance")):
            m = re.search(rf"{name}\W*([1-5])", reply, re.I)
            if m:
                rec[key] = int(m.group(1))
