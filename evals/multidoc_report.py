"""The multi-document set's part of the evaluation report: figures per document and per way a
question picks its document, and the plan set's figures beside them (measured in the same run)."""

from __future__ import annotations


def _pct(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


MULTIDOC_COLUMNS = [
    ("hit@5", "hit@5"),
    ("fact_recall", "facts"),
    ("citation_precision", "cit.P"),
    ("not_found_recall", "NF R"),
    ("refusal_rate_answerable", "refused"),
    ("acceptable", "acceptable"),
]


def _multidoc_rows(groups: dict) -> list[str]:
    head = "| | n | " + " | ".join(h for _, h in MULTIDOC_COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(MULTIDOC_COLUMNS) + 2)]
    for label, agg in groups.items():
        lines.append(f"| {label} | {agg['n']} | " + " | ".join(_pct(agg.get(k)) for k, _ in MULTIDOC_COLUMNS) + " |")
    return lines


def _reference_changes(reference: dict) -> list[str]:
    """The plan-set questions whose not-found decision changes when the fixtures join the index
    (open to every document), with the documents the new answers cite."""
    alone = next((ref for label, ref in reference.items() if label == "plan set, plan index"), None)
    joined = next((ref for label, ref in reference.items() if label == "plan set, plan + fixtures index"), None)
    if not alone or not joined:
        return []
    before = {r["id"]: r for r in alone["records"]}
    answered, refused = [], []
    for r in joined["records"]:
        was = before.get(r["id"])
        if was is None or (was["status"] == "not_found") == (r["status"] == "not_found"):
            continue
        if r["status"] == "not_found":
            refused.append(r["id"])
        else:
            docs = sorted({c.get("document_id", "") for c in r["citations"]} - {""})
            answered.append(
                f"{r['id']} ({'unanswerable' if not r['answerable'] else 'answerable'}; cites {', '.join(docs)})"
            )
    lines = []
    if answered:
        lines += [
            "",
            "Plan-set questions refused over the plan alone but answered over the plan + fixtures index: "
            + "; ".join(answered)
            + ".",
        ]
    if refused:
        lines += [
            "",
            "Plan-set questions answered over the plan alone but refused over the plan + fixtures index: "
            + ", ".join(refused)
            + ".",
        ]
    return lines


def multidoc_section(result: dict) -> list[str]:
    """The multidoc set: beside the plan set (same run), per document, per way the question picks
    its document, per question kind."""
    L = [
        "",
        "## Several documents: the multidoc set beside the plan set",
        "",
        "Index: " + ", ".join(f"`{d}`" for d in result.get("documents", [])) + " (the last two are invented "
        "test fixtures, evals/data/documents/). A gold quote counts only in a passage of its own document; "
        "a question with `documents` is asked inside them. The plan set's rows: the default configuration "
        f"on the same subset ({result['subset']}), over the plan alone, and over the plan + fixtures index kept to "
        "the plan (`documents` = the plan) and open to every document.",
        "",
    ]
    rows = {f"multidoc set ({name})": e["splits"]["all"] for name, e in result["configs"].items() if "documents" in e}
    for label, ref in (result.get("reference") or {}).items():
        rows[f"{label} ({ref['config']})"] = ref["splits"]["all"]
    L += _multidoc_rows(rows)
    L += _reference_changes(result.get("reference") or {})
    for name, entry in result["configs"].items():
        if "documents" not in entry or not (name == result["default_config"] or "/" in name):
            continue
        L += ["", f"Per document ({name}; unanswerable questions under the document they are kept to):", ""]
        L += _multidoc_rows(entry["documents"])
        L += ["", f"Per way the question picks its document ({name}):", ""]
        L += _multidoc_rows(entry["scopes"])
        L += ["", f"Per question kind ({name}):", ""]
        L += _multidoc_rows(entry["kinds"])
        suffix = "" if "/" not in name else f", {name.split('/', 1)[1]}"
        plan = (result.get("reference") or {}).get(f"plan set, plan index{suffix}")
        if plan:
            L += ["", f"Per question kind beside the plan set over the plan alone ({name}):", ""]
            L += _kinds_beside(entry["kinds"], plan["kinds"])
    return L


def _kinds_beside(multidoc: dict, plan: dict) -> list[str]:
    """One row per question kind: the multidoc set's figures, then the plan set's."""
    keys = ("hit@5", "fact_recall", "not_found_recall", "acceptable")
    heads = "hit@5 | facts | NF R | acceptable"
    lines = [f"| kind | multidoc n | {heads} | plan n | {heads} |", "|" + "---|" * (2 * len(keys) + 3)]
    for kind in [*multidoc, *(k for k in plan if k not in multidoc)]:
        cells = [kind]
        for groups in (multidoc, plan):
            agg = groups.get(kind)
            cells += [str(agg["n"]), *(_pct(agg.get(k)) for k in keys)] if agg else ["0", *([""] * len(keys))]
        lines.append("| " + " | ".join(cells) + " |")
    return lines
