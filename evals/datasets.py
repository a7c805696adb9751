"""The gold data: questions, conversations and portfolio ideas, and the deterministic subsets.

Every question and conversation becomes an `EvalItem` (one shape for both). Subsets:
``dev`` / ``test`` (the split field), ``all``, and ``ci``: a fixed, fast selection across every
question kind plus a few conversations (evals/data/ci_subset.json, see `ci_subset`).

Two evaluation sets (`EVAL_SETS`): ``plan``, the questions and conversations above over an index
of corpus/ (the plan), and ``multidoc``, evals/data/multidoc_questions.jsonl over an index of the
plan and the two invented fixture documents of evals/data/documents/ (`MULTIDOC_DOCUMENTS`; made
by evals/fixture_documents.py, never shipped in corpus/). A multidoc item may be kept to some
documents (`documents`, doc ids), and its evidence quotes name the document they lie in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.schema import ChatMessage
from assistant.settings import REPO_ROOT
from ingest.loaders.paths import doc_id_for

DATA_DIR = Path(__file__).resolve().parent / "data"
QUESTIONS = DATA_DIR / "questions.jsonl"
CONVERSATIONS = DATA_DIR / "conversations.jsonl"
IDEAS = DATA_DIR / "portfolio_ideas.jsonl"
CI_SUBSET = DATA_DIR / "ci_subset.json"
PLAN = REPO_ROOT / "corpus" / "twente-board-strategisch-plan-2020-2025.md"
MULTIDOC_QUESTIONS = DATA_DIR / "multidoc_questions.jsonl"
FIXTURES_DIR = DATA_DIR / "documents"  # invented test documents (see its README.md), not policy papers
# the multidoc index: the plan and the fixtures, side by side in one corpus folder (doc id = file stem)
MULTIDOC_DOCUMENTS = (
    PLAN,
    FIXTURES_DIR / "notitie-regio-deal-twente.docx",
    FIXTURES_DIR / "uitvoeringsagenda-arbeidsmarkt-twente-2024.pdf",
)
EVAL_SETS = ("plan", "multidoc")
PLAN_DOC_ID = doc_id_for(PLAN.name)

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
    documents: list[str] = field(default_factory=list)  # the scope asked: only these doc ids (empty: all)
    quote_documents: list[str] = field(default_factory=list)  # per quote, the doc id it must lie in ("": any)
    names_document: bool = False  # the question names the document it asks about ("in de notitie")
    elsewhere: list[str] = field(default_factory=list)  # unanswerable in its scope: doc ids that do answer it

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
            documents=list(r.get("documents", [])),
            quote_documents=[str(e.get("document", "")) for e in r.get("evidence", [])],
            names_document=bool(r.get("names_document", False)),
            elsewhere=list(dict.fromkeys(str(e["document"]) for e in r.get("elsewhere", []))),
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


def spread_ci(questions: list[EvalItem], conversations: list[EvalItem]) -> list[EvalItem]:
    """Questions per kind as in CI_PER_KIND (spread evenly by id over dev and test) + 6 conversations."""
    out: list[EvalItem] = []
    for kind, n in CI_PER_KIND.items():
        of_kind = sorted((q for q in questions if q.kind == kind), key=lambda q: q.id)
        out += _evenly(of_kind, n)
    out += _evenly(sorted(conversations, key=lambda c: c.id), CI_CONVERSATIONS)
    return out


def ci_subset(questions: list[EvalItem], conversations: list[EvalItem]) -> list[EvalItem]:
    """The fixed ci selection (CI_SUBSET's ids, made by `spread_ci`), in its order."""
    by_id = {x.id: x for x in [*questions, *conversations]}
    ids = json.loads(CI_SUBSET.read_text(encoding="utf-8"))["ids"]
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise ValueError(f"{CI_SUBSET.name} names items that are not in the data: {', '.join(missing)}")
    return [by_id[i] for i in ids]


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


def document_ids(paths=MULTIDOC_DOCUMENTS) -> list[str]:
    """The doc ids of files laid side by side in one corpus folder (as `copy_corpus` lays them)."""
    return [doc_id_for(p.name) for p in paths]


def copy_corpus(folder: Path, paths=MULTIDOC_DOCUMENTS) -> Path:
    """A corpus folder holding copies of `paths` (the multidoc index's documents), side by side."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    for p in paths:
        shutil.copyfile(p, folder / p.name)
    return folder


def in_document(items: list[EvalItem], doc_id: str) -> list[EvalItem]:
    """Copies of the items whose quotes must lie in `doc_id` (plan items asked over several documents)."""
    return [
        replace(x, quote_documents=[d or doc_id for d in (x.quote_documents or [""] * len(x.quotes))]) for x in items
    ]


def gold_documents(item: EvalItem) -> list[str]:
    """The doc ids the item's evidence lies in (sorted; empty when its quotes name none)."""
    return sorted({d for d in item.quote_documents if d})


def select_set(eval_set: str, subset: str) -> list[EvalItem]:
    """The items of an evaluation set's subset (multidoc: dev, test or all; it has no ci selection)."""
    if eval_set == "plan":
        return select(subset)
    if eval_set != "multidoc":
        raise ValueError(f"unknown evaluation set {eval_set!r}; choose one of {', '.join(EVAL_SETS)}")
    items = load_questions(MULTIDOC_QUESTIONS)
    if subset == "all":
        return items
    if subset in ("dev", "test"):
        return [x for x in items if x.split == subset]
    raise ValueError(f"the multidoc set has no {subset!r} subset; choose dev, test or all")


def question_texts(subset: str = "all") -> list[str]:
    """The subset's single questions (no conversations), as text: what the benchmarks ask."""
    questions = load_questions()
    single = {q.id for q in questions}
    return [q.question for q in select(subset, questions=questions) if q.id in single]


def select_ideas(subset: str, ideas: list[dict] | None = None) -> list[dict]:
    ideas = load_ideas() if ideas is None else ideas
    if subset in ("dev", "test"):
        return [i for i in ideas if i.get("split") == subset]
    if subset == "ci":
        return _evenly(sorted(ideas, key=lambda i: i["id"]), 12)
    return list(ideas)


def plan_text(path: Path = PLAN) -> str:
    return path.read_text(encoding="utf-8")


if __name__ == "__main__":  # python -m evals.datasets --spread-ci: the ids a fresh spread would choose
    import sys

    if sys.argv[1:] != ["--spread-ci"]:
        raise SystemExit("usage: python -m evals.datasets --spread-ci")
    print(json.dumps([x.id for x in spread_ci(load_questions(), load_conversations())]))
