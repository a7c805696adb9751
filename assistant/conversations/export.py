"""A conversation as Markdown (answers with their numbered sources) or JSON, for download."""

from __future__ import annotations

import json

from assistant.schema import Citation


def _where(c: dict) -> str:
    try:
        return Citation(**c).location()
    except Exception:  # a stored citation from an older schema: its document only
        return ""


def as_markdown(conversation: dict) -> str:
    lines = [f"# {conversation['title']}", "", f"_{conversation['created_at']}_", ""]
    for t in conversation["turns"]:
        lines += [f"## {t['question']}", "", t["answer"], ""]
        if t["citations"]:
            lines.append("Bronnen:")
            for c in t["citations"]:
                where = _where(c)
                lines.append(f"{c['id']}. {c['document']}" + (f", {where}" if where else ""))
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def as_json(conversation: dict) -> str:
    return json.dumps(conversation, ensure_ascii=False, indent=1)
