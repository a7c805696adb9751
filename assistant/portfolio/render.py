"""The terminal rendering of a check's result (`assistant fit`)."""

from __future__ import annotations

from assistant.portfolio.explain import CITATION_MARKER
from assistant.portfolio.texts import RENDER_LABELS
from assistant.schema import Citation, PortfolioFit


def render_fit(result: PortfolioFit) -> str:
    """A readable terminal rendering of a PortfolioFit (labels in the idea's language)."""
    L = RENDER_LABELS.get(result.language, RENDER_LABELS["nl"])
    lines = [
        f"{L['verdict']}: {L['verdicts'].get(result.verdict, result.verdict)} ({result.verdict})",
        "",
        result.explanation,
        "",
        f"{L['portfolios']}:",
    ]
    cited: dict[int, Citation] = {}
    for rank, p in enumerate(result.portfolios, 1):
        ev = "".join(f" [{c.id}]" for c in p.evidence)
        lines.append(f"  {rank}. {p.name:<24} {L['fit'].get(p.fit, p.fit):<12} {p.score:.2f}{ev}")
        for m in p.matched:
            lines.append(f"       {m}")
        cited.update({c.id: c for c in p.evidence})
    lines += ["", f"{L['actions']}:"]
    for a in result.action_lines:
        mark = "x" if a.served else " "
        ev = "".join(f" [{c.id}]" for c in a.evidence)
        lines.append(f"  [{mark}] {a.name:<36} {a.score:.2f}{ev}")
        cited.update({c.id: c for c in a.evidence})
    for title, items in ((L["conditions"], result.conditions), (L["support"], result.support)):
        if items:
            lines += ["", f"{title}:"]
            for it in items:
                ref = f" [{it.citation.id}]" if it.citation else ""
                lines.append(f"  - {it.text}{ref}")
                if it.citation:
                    cited[it.citation.id] = it.citation
    if result.flagged_sentences:
        lines += ["", f"({len(result.flagged_sentences)} {L['flagged']})"]
    used = {int(n) for n in CITATION_MARKER.findall(result.explanation)}
    if used:
        lines += ["", f"{L['sources']}:"]
        for n in sorted(used):
            c = cited.get(n)
            if c is None:
                continue
            lines.append(f"  [{n}] {c.document} — {c.location()}")
            lines.append("      " + c.text[:240].replace("\n", " ") + ("…" if len(c.text) > 240 else ""))
    if result.timings.get("total") is not None:
        lines += ["", f"({result.timings['total']:.0f} ms)"]
    return "\n".join(lines)
