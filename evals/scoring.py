"""Scoring an evaluation: one record per answered item, their aggregates (per split, per question
kind), the not-found threshold curve, and the choice of the best sweep row or threshold."""

from __future__ import annotations

from assistant.answering.prompts import TEXTS
from assistant.schema import Answer
from evals import datasets
from evals.answer_metrics import answer_checks
from evals.datasets import EvalItem
from evals.metrics import (
    K_VALUES,
    citation_scores,
    fact_recall,
    latency_summary,
    mean,
    normalize,
    refusal_scores,
    retrieval_scores,
    split_claims,
)

ANSWER_CHECKS = ("acceptable", "complete", "first", "language", "length", "cited")
RETRIEVAL_KEYS = (*(f"hit@{k}" for k in K_VALUES), *(f"recall@{k}" for k in K_VALUES), "mrr", "ndcg@10")
# fixed phrases the service adds around quotes: not claims
SKIP_PHRASES = [TEXTS["en"]["quoted"], TEXTS["en"]["nearest"], TEXTS["nl"]["nearest"]]
CHUNKING_CRITERION = ("hit@5", "mrr", "fact_recall")  # retrieval goals + what the answer carries
FUSION_CRITERION = ("hit@5", "mrr")
SWEEP_KEYS = (
    "hit@1",
    "hit@5",
    "recall@5",
    "mrr",
    "ndcg@10",
    "fact_recall",
    "citation_precision",
    "citation_recall",
    "not_found_precision",
    "not_found_recall",
    "refusal_rate_answerable",
)


def _covers(quotes: list[str], docs: list[str], doc_id: str, text: str) -> set[int]:
    """Indexes of the (normalised) gold quotes in `text`, counting a quote that names a document
    only in a passage of that document."""
    return {i for i, q in enumerate(quotes) if q in text and (not docs[i] or docs[i] == doc_id)}


def score_item(
    item: EvalItem, answer: Answer, ranked: list[tuple[str, str]] | None, units: list[tuple[str, str]]
) -> dict:
    """One record: retrieval metrics (answerable items), answer metrics, status, timings.

    `ranked`: the retrieved passages as (doc id, text), best first; `units`: every passage of the
    index as (doc id, normalised text)."""
    refused = answer.status == "not_found"
    rec: dict = {
        "id": item.id,
        "kind": item.kind,
        "split": item.split,
        "language": item.language,
        "answerable": item.answerable,
        "status": answer.status,
        "question": item.question,
        "standalone": answer.standalone_question,
        "answer": answer.answer,
        "citations": [
            {"id": c.id, "document_id": c.document_id, "section": c.section, "chunk_id": c.chunk_id}
            for c in answer.citations
        ],
        "timings": {k: round(v, 3) for k, v in answer.timings.items()},
    }
    docs = item.quote_documents or [""] * len(item.quotes)
    if item.documents:  # several documents: the scope asked, where the gold lies, whether the question names it
        rec["scope"] = list(item.documents)
    if gold := datasets.gold_documents(item):
        rec["documents"] = gold
    if item.names_document:
        rec["names_document"] = True
    if item.answerable and item.quotes and ranked is not None:
        quotes = [normalize(q) for q in item.quotes]
        ranking = [_covers(quotes, docs, d, normalize(p)) for d, p in ranked]
        pool = [_covers(quotes, docs, d, u) for d, u in units]
        rec["retrieval"] = {k: round(v, 6) for k, v in retrieval_scores(ranking, len(quotes), pool).items()}
        rec["first_relevant_rank"] = next((i + 1 for i, r in enumerate(ranking) if r), None)
    if item.answerable:
        rec["fact_recall"] = 0.0 if refused else fact_recall(answer.answer, item.facts)
    if not refused:
        claims = split_claims(answer.answer, SKIP_PHRASES)
        cited = {c.id: c.text for c in answer.citations}
        rec.update(
            citation_scores(
                claims, cited, item.quotes, docs if any(docs) else (), {c.id: c.document_id for c in answer.citations}
            )
        )
        rec["claims"] = len(claims)
    rec["form"] = item.form
    rec["backend"] = answer.backend
    rec["checks"] = answer_checks(
        answer=answer.answer,
        refused=refused,
        answerable=item.answerable,
        language=item.language,
        kind=item.form,
        facts=item.facts,
        citation_precision=rec.get("citation_precision"),
        max_words=item.max_words,
    )
    return rec


def aggregate(records: list[dict]) -> dict:
    """The metrics of a set of records (means, refusal figures, latency per stage)."""
    ret = [r for r in records if r.get("retrieval")]
    out: dict = {"n": len(records), "n_answerable": sum(r["answerable"] for r in records)}
    for k in RETRIEVAL_KEYS:
        out[k] = mean(r["retrieval"][k] for r in ret)
    out["fact_recall"] = mean(r.get("fact_recall") for r in records if r["answerable"])
    out["citation_precision"] = mean(r.get("citation_precision") for r in records)
    out["citation_recall"] = mean(r.get("citation_recall") for r in records)
    out.update(refusal_scores((r["answerable"], r["status"] == "not_found") for r in records))
    for check in ANSWER_CHECKS:
        values = [r["checks"][check] for r in records if r.get("checks") and r["checks"][check] is not None]
        out[check] = sum(values) / len(values) if values else None
    out["latency"] = latency_summary(r["timings"] for r in records)
    for key in ("llm_faithfulness", "llm_relevance"):
        if any(key in r for r in records):
            out[key] = mean(r.get(key) for r in records)
    return out


def by_split(records: list[dict]) -> dict:
    out = {"all": aggregate(records)}
    for split in ("dev", "test"):
        part = [r for r in records if r["split"] == split]
        if part and len(part) < len(records):
            out[split] = aggregate(part)
    return out


def by_form_and_language(records: list[dict]) -> dict:
    """The answer-level figures per kind of answer asked (form) and language, and per language."""
    out: dict = {}
    for lang in ("nl", "en"):
        part = [r for r in records if r["language"] == lang]
        if part:
            out[f"all/{lang}"] = aggregate(part)
    for form in sorted({r["form"] for r in records}):
        for lang in ("nl", "en"):
            part = [r for r in records if r["form"] == form and r["language"] == lang]
            if part:
                out[f"{form}/{lang}"] = aggregate(part)
    return out


def by_kind(records: list[dict]) -> dict:
    kinds = sorted({r["kind"] for r in records}, key=lambda k: (k not in datasets.KINDS, k))
    return {k: aggregate([r for r in records if r["kind"] == k]) for k in kinds}


def document_group(rec: dict) -> str:
    """Which document a record is about: its gold evidence's (answerable) or its scope's
    (unanswerable); "(several)" for more than one, "(none)" for an unscoped unanswerable one."""
    docs = rec.get("documents") if rec["answerable"] else rec.get("scope")
    if not docs:
        return "(none)"
    return docs[0] if len(docs) == 1 else "(several)"


SCOPE_GROUPS = (
    "open question",
    "names its document",
    "scoped to its document",
    "scoped to a document without the answer",
    "in no document",
)


def scope_group(rec: dict) -> str:
    """How a record's question picks its document (one of SCOPE_GROUPS)."""
    if not rec["answerable"]:
        return SCOPE_GROUPS[3] if rec.get("scope") else SCOPE_GROUPS[4]
    if rec.get("scope"):
        return SCOPE_GROUPS[2]
    return SCOPE_GROUPS[1] if rec.get("names_document") else SCOPE_GROUPS[0]


def by_document(records: list[dict]) -> dict:
    groups = sorted({document_group(r) for r in records}, key=lambda g: (g.startswith("("), g))
    return {g: aggregate([r for r in records if document_group(r) == g]) for g in groups}


def by_scope(records: list[dict]) -> dict:
    present = {scope_group(r) for r in records}
    return {g: aggregate([r for r in records if scope_group(r) == g]) for g in SCOPE_GROUPS if g in present}


def threshold_curve(records: list[dict], grid: list[float]) -> list[dict]:
    rows = []
    for i, t in enumerate(grid):
        scores = refusal_scores((r["answerable"], r["refused_at"][i]) for r in records if "refused_at" in r)
        rows.append({"threshold": t, **scores})
    return rows


def choose_by(rows: list[dict], keys: tuple[str, ...], tie: str = "ndcg@10") -> dict | None:
    """The row with the largest sum of `keys` (the goal metrics), ties broken by `tie`."""
    if not rows:
        return None
    return max(rows, key=lambda r: (round(sum(r.get(k) or 0.0 for k in keys), 6), r.get(tie) or 0.0))


def choose_threshold(curve: list[dict], max_refusal: float = 0.05) -> dict | None:
    """Highest not-found recall with at most `max_refusal` of answerable questions refused; ties:
    the better precision, then the highest threshold of the tied run (refuse weak evidence as
    long as it costs nothing measured)."""
    ok = [
        r
        for r in curve
        if r["refusal_rate_answerable"] is not None
        and r["refusal_rate_answerable"] <= max_refusal
        and r["not_found_recall"] is not None
    ]
    if not ok:
        return None
    return max(ok, key=lambda r: (r["not_found_recall"], r["not_found_precision"] or 0.0, r["threshold"]))


def sweep_row(agg: dict) -> dict:
    """The figures of one sweep row, from an aggregate."""
    return {k: agg.get(k) for k in SWEEP_KEYS} | {"n": agg["n"]}
