"""The gold data: questions, conversations and portfolio ideas, and the deterministic subsets.

Every question and conversation becomes an `EvalItem` (one shape for both). Subsets:
``dev`` / ``test`` (the split field), ``all``, and ``ci``: a fixed, fast selection across every
question kind plus a few conversations (see `ci_subset`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from assistant.schema import ChatMessage
from assistant.settings import REPO_ROOT

DATA_DIR = Path(__file__).resolve().parent / "data"
QUESTIONS = DATA_DIR / "questions.jsonl"
CONVERSATIONS = DATA_DIR / "conversations.jsonl"
IDEAS = DATA_DIR / "portfolio_ideas.jsonl"
PLAN = REPO_ROOT / "corpus" / "twente-board-strategisch-plan-2020-2025.md"

KINDS = (
    "fact",
    "list",
    "paraphrase",
    "english",
    "multi_section",
    "definition",
    "reason",
    "how",
    "overview",
    "yes_no",
    "unanswerable",
)
# the kind of answer asked (for the answer-level checks): the item's `form`, else one from its kind
FORM_OF_KIND = {
    "fact": "fact",
    "list": "list",
    "paraphrase": "fact",
    "english": "fact",
    "multi_section": "list",
    "unanswerable": "unanswerable",
    "conversation": "follow_up",
}
SUBSETS = ("dev", "test", "ci", "all")
# questions per kind in the CI subset (40 in all) and conversations (6)
CI_PER_KIND = {
    "fact": 5,
    "list": 5,
    "paraphrase": 4,
    "english": 5,
    "multi_section": 4,
    "definition": 2,
    "reason": 2,
    "how": 2,
    "overview": 2,
    "yes_no": 2,
    "unanswerable": 7,
}
CI_CONVERSATIONS = 6


@dataclass
class EvalItem:
    id: str
    kind: str  # a question kind, or "conversation"
    language: str
    question: str
    answerable: bool
    quotes: list[str]
    facts: list[list[str]]
    split: str
    history: list[ChatMessage] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)  # as given in the data; informative only
    form: str = "fact"  # the kind of answer asked: list, names, date, amount, definition, ... (answer checks)
    max_words: int | None = None  # how long a satisfying answer may be (None: a default per form)

    @property
    def is_conversation(self) -> bool:
        return self.kind == "conversation"


def read_jsonl(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path.name} line {n}: {exc}") from exc
    return rows


def load_questions(path: Path = QUESTIONS) -> list[EvalItem]:
    return [
        EvalItem(
            id=r["id"],
            kind=r["kind"],
            language=r.get("language", "nl"),
            question=r["question"],
            answerable=bool(r["answerable"]),
            quotes=[e["quote"] for e in r.get("evidence", [])],
            facts=[list(f) for f in r.get("facts", [])],
            split=r["split"],
            sections=[str(e.get("section", "")) for e in r.get("evidence", [])],
            form=r.get("form") or FORM_OF_KIND.get(r["kind"], "fact"),
            max_words=r.get("max_words"),
        )
        for r in read_jsonl(path)
    ]


def load_conversations(path: Path = CONVERSATIONS) -> list[EvalItem]:
    return [
        EvalItem(
            id=r["id"],
            kind="conversation",
            language=r.get("language", "nl"),
            question=r["question"],
            answerable=bool(r.get("answerable", True)),
            quotes=[e["quote"] for e in r.get("evidence", [])],
            facts=[list(f) for f in r.get("facts", [])],
            split=r["split"],
            history=[ChatMessage(**m) for m in r.get("history", [])],
            sections=[str(e.get("section", "")) for e in r.get("evidence", [])],
            form="follow_up",
            max_words=r.get("max_words"),
        )
        for r in read_jsonl(path)
    ]


def load_ideas(path: Path = IDEAS) -> list[dict]:
    return read_jsonl(path)


def _evenly(items: list, n: int) -> list:
    """n items spread evenly over the list (deterministic: first, ..., last)."""
    if n >= len(items):
        return list(items)
    if n <= 1:
        return items[:n]
    step = (len(items) - 1) / (n - 1)
    return [items[round(i * step)] for i in range(n)]


def ci_subset(questions: list[EvalItem], conversations: list[EvalItem]) -> list[EvalItem]:
    """Questions per kind as in CI_PER_KIND (spread evenly by id over dev and test) + 6 conversations."""
    out: list[EvalItem] = []
    for kind, n in CI_PER_KIND.items():
        of_kind = sorted((q for q in questions if q.kind == kind), key=lambda q: q.id)
        out += _evenly(of_kind, n)
    out += _evenly(sorted(conversations, key=lambda c: c.id), CI_CONVERSATIONS)
    return out


def select(
    subset: str, questions: list[EvalItem] | None = None, conversations: list[EvalItem] | None = None
) -> list[EvalItem]:
    questions = load_questions() if questions is None else questions
    conversations = load_conversations() if conversations is None else conversations
    if subset == "all":
        return [*questions, *conversations]
    if subset in ("dev", "test"):
        return [x for x in [*questions, *conversations] if x.split == subset]
    if subset == "ci":
        return ci_subset(questions, conversations)
    raise ValueError(f"unknown subset {subset!r}; choose one of {', '.join(SUBSETS)}")


def question_texts(subset: str = "all") -> list[str]:
    """The subset's single questions (no conversations), as text: what the benchmarks ask."""
    return [q.question for q in select(subset, conversations=[])]


def select_ideas(subset: str, ideas: list[dict] | None = None) -> list[dict]:
    ideas = load_ideas() if ideas is None else ideas
    if subset in ("dev", "test"):
        return [i for i in ideas if i.get("split") == subset]
    if subset == "ci":
        return _evenly(sorted(ideas, key=lambda i: i["id"]), 12)
    return list(ideas)


def plan_text(path: Path = PLAN) -> str:
    return path.read_text(encoding="utf-8")
