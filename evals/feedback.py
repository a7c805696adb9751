"""Feedback becomes evaluation: every thumbs-down answer becomes a draft evaluation item (the
question, the answer given, the passages it cited, the user's comment, the configuration), for a
maintainer to complete with gold evidence and facts. A completed item (status "complete") joins
the evaluation set like any other question.

    assistant eval --from-feedback          # drafts into evals/data/feedback_items.jsonl + a report

A draft keeps `status: "draft"` until a maintainer fills in `evidence` (quotes that answer it)
and `facts` (or sets `answerable: false`), picks a `split` and sets `status: "complete"`.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from evals.datasets import DATA_DIR, FORM_OF_KIND, KINDS, EvalItem, read_jsonl

FEEDBACK_ITEMS = DATA_DIR / "feedback_items.jsonl"
SPLITS = ("dev", "test")


def draft_id(feedback_id: str) -> str:
    return f"fb-{feedback_id[:12]}"


def draft(feedback: dict) -> dict:
    """A draft evaluation item from one stored piece of feedback (`ConversationStore.feedback`)."""
    kind = feedback.get("kind") or "fact"
    return {
        "id": draft_id(feedback["id"]),
        "status": "draft",
        "kind": kind if kind in KINDS else "fact",
        "form": kind,
        "language": feedback.get("language") or "nl",
        "question": feedback["standalone_question"] or feedback["question"],
        "asked": feedback["question"],
        "answer_given": feedback["answer"],
        "status_given": feedback["status"],
        "backend": feedback["backend"],
        "comment": feedback.get("comment", ""),
        "cited": [
            {
                "document": c.get("document_id", ""),
                "section": c.get("section") or "",
                "page": c.get("page"),
                "quote": (c.get("quotes") or [c.get("text", "")[:300]])[0],
            }
            for c in feedback.get("citations", [])
        ],
        "config": feedback.get("config", {}),
        "feedback_at": feedback.get("created_at"),
        # for the maintainer to complete:
        "answerable": feedback["status"] != "not_found",
        "evidence": [],
        "facts": [],
        "split": "",
    }


def write_drafts(feedback: list[dict], path: Path = FEEDBACK_ITEMS) -> tuple[int, int]:
    """Append a draft for each thumbs-down not in the file yet; (added, already there). Items a
    maintainer edited are left as they are."""
    existing = read_jsonl(path) if path.exists() else []
    known = {row["id"] for row in existing}
    new = [draft(f) for f in feedback if f["rating"] == -1 and draft_id(f["id"]) not in known]
    if new:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as out:
            for row in new:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(new), len(feedback) - len(new)


def problems(row: dict) -> list[str]:
    """What keeps a row marked complete from being a usable evaluation item."""
    out = []
    if row.get("split") not in SPLITS:
        out.append(f"split must be one of {', '.join(SPLITS)}")
    if row.get("kind") not in KINDS:
        out.append(f"kind must be one of {', '.join(KINDS)}")
    if row.get("answerable", True) and not (row.get("evidence") and row.get("facts")):
        out.append("an answerable item needs evidence quotes and facts")
    if not str(row.get("question", "")).strip():
        out.append("the question is empty")
    return out


def completed_items(path: Path = FEEDBACK_ITEMS) -> list[EvalItem]:
    """The completed feedback items as evaluation items; a row marked complete that is not usable
    is an error naming what is missing (a silently skipped item would shrink the set unseen)."""
    if not path.exists():
        return []
    items = []
    for row in read_jsonl(path):
        if row.get("status") != "complete":
            continue
        wrong = problems(row)
        if wrong:
            raise ValueError(f"{path.name} item {row.get('id')}: " + "; ".join(wrong))
        items.append(
            EvalItem(
                id=row["id"],
                kind=row["kind"],
                language=row.get("language", "nl"),
                question=row["question"],
                answerable=bool(row.get("answerable", True)),
                quotes=[e["quote"] for e in row.get("evidence", [])],
                facts=[list(f) for f in row.get("facts", [])],
                split=row["split"],
                sections=[str(e.get("section", "")) for e in row.get("evidence", [])],
                form=row.get("form") or FORM_OF_KIND.get(row["kind"], "fact"),
                documents=list(row.get("documents", [])),
                quote_documents=[str(e.get("document", "")) for e in row.get("evidence", [])],
            )
        )
    return items


def counts(feedback: list[dict]) -> dict[str, Counter]:
    """Thumbs up and down per kind of question and per backend."""
    by: dict[str, Counter] = {"kind": Counter(), "backend": Counter()}
    for f in feedback:
        vote = "up" if f["rating"] == 1 else "down"
        by["kind"][(f.get("kind") or "?", vote)] += 1
        by["backend"][(f.get("backend") or "?", vote)] += 1
    return by


def report_markdown(feedback: list[dict], added: int, path: Path) -> str:
    table = counts(feedback)
    lines = [
        "# Feedback",
        "",
        f"{len(feedback)} answers rated: {sum(f['rating'] == 1 for f in feedback)} up, "
        f"{sum(f['rating'] == -1 for f in feedback)} down; {added} new draft item(s) in `{path.name}`.",
    ]
    for what, counter in table.items():
        keys = sorted({k for k, _ in counter})
        lines += ["", f"| {what} | up | down |", "|---|---|---|"]
        lines += [f"| {k} | {counter[(k, 'up')]} | {counter[(k, 'down')]} |" for k in keys]
    return "\n".join(lines) + "\n"


def from_feedback(store, items_path: Path = FEEDBACK_ITEMS, report_dir: Path | None = None) -> str:
    """`assistant eval --from-feedback`: the drafts written, and the report (returned, and written
    to `report_dir/feedback.md` when given)."""
    feedback = store.feedback()
    added, _ = write_drafts(feedback, items_path)
    text = report_markdown(feedback, added, items_path)
    if report_dir is not None:
        report_dir.mkdir(parents=True, exist_ok=True)
        (report_dir / "feedback.md").write_text(text, encoding="utf-8")
    return text
