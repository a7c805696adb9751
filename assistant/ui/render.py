"""Results -> text for the page: escaped HTML panels (sources, portfolio check, documents,
messages) and the chat's Markdown.

Document and answer text is never put into the page as markup: every piece of text in an HTML
panel goes through `esc()`, and chat messages through `chat_markdown()`, which escapes HTML *and*
Markdown syntax (so a document cannot inject links, images or tags).
"""

from __future__ import annotations

import contextlib
import html
import re
from datetime import datetime
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assistant.failures import classify
from assistant.schema import Answer, Citation, PlanCondition, PortfolioFit
from assistant.source_view import MAX_QUOTE_CHARS, MAX_QUOTES
from assistant.ui.labels import BACKEND_LABELS, FAILURES, FIT_LEVELS, NOTICES, ROLES, VERDICTS, L

SOURCE_PATH = "/source"  # the source viewer page (assistant.ui.source_page), beside the UI
TIME_ZONE = "Europe/Amsterdam"  # stored times are UTC; saved conversations show them in Dutch time

# ---- escaping ---------------------------------------------------------------------------------


def esc(text: object) -> str:
    """Text for an HTML panel. The service hands out text with `<`, `>` already as entities
    (and `&` raw), so entities are decoded first and the whole is escaped once, properly."""
    return html.escape(html.unescape(str(text)), quote=True)


_LIST_ITEM = re.compile(r"^(\s*)(?:-|\*|•)\s+")
_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")
_MD_INLINE = re.compile(r"([\\`*_~|])")
_LINK_OR_IMAGE = re.compile(r"(!)(?=\[)|(\])(?=[(\[])")
_LEADING_BLOCK = re.compile(r"^(\d*)([-+=.)#\[])")


def chat_markdown(text: str) -> str:
    """Plain (service) text -> Markdown that shows exactly that text, and nothing more.

    `<`, `>` become entities (no tag, no autolink, no quote block); emphasis, code, tables and
    strike-through characters get a backslash; `![`, `](`, `][` and a line opening with a block
    marker are broken up, so a document cannot make a link, an image or a heading. '- ' list lines
    stay a list and line breaks are kept. `[n]` markers stay as they are (no link definitions)."""
    out: list[str] = []
    for line in html.unescape(text).splitlines():
        m = _LIST_ITEM.match(line)
        body = line[m.end() :] if m else line.lstrip()  # no indented code blocks
        body = _ENTITY_LIKE.sub("&amp;", body).replace("<", "&lt;").replace(">", "&gt;")
        body = _MD_INLINE.sub(r"\\\1", body)
        body = _LINK_OR_IMAGE.sub(lambda mm: "\\" + mm.group(0), body)
        body = _LEADING_BLOCK.sub(r"\1\\\2", body)
        out.append(f"{m.group(1)}- {body}" if m else body)
    return "\n".join(out)


# ---- chat -------------------------------------------------------------------------------------


def answer_markdown(answer: Answer) -> str:
    """The chat message for a final answer; a 'not found' answer looks clearly different."""
    body = chat_markdown(answer.answer)
    if answer.status == "not_found":
        lines = body.splitlines() or [chat_markdown(L["not_found_badge"])]
        lines[0] = f"**⚠️ {lines[0].strip()}**"
        return "\n".join(f"> {line}" if line else ">" for line in lines)
    return body


def streaming_markdown(text: str) -> str:
    return chat_markdown(text) + " ▌"


# ---- errors and notices -----------------------------------------------------------------------


def error_text(exc: BaseException) -> str:
    """A readable message for the page; never a traceback. What went wrong is decided once, by
    assistant.failures.classify; this only words it for the page."""
    failure = classify(exc)
    msg = str(exc).strip() or exc.__class__.__name__
    if failure.code in FAILURES:
        return FAILURES[failure.code].format(msg=msg)
    if failure.expected:
        return msg
    return L["unexpected_failure"].format(error=L["error"], kind=exc.__class__.__name__)


def error_markdown(exc: BaseException) -> str:
    return f"**⚠️ {L['error']}:** {chat_markdown(error_text(exc))}"


def message_html(text: str, kind: str = "info") -> str:
    return f'<div class="ta-msg ta-msg-{esc(kind)}" role="status">{esc(text)}</div>'


# ---- sources ----------------------------------------------------------------------------------


def _citation_location(c: Citation) -> str:
    """'§6.1 Focus op impactportfolio's, p. 21' (escaped)."""
    return esc(c.location(section_sign=L["section"], page_word=L["page"]))


def marked(text: str, quotes: list[str] | None) -> str:
    """`text` escaped, each occurrence of a quote in it wrapped in <mark> (the sentences the
    answer rests on)."""
    plain = html.unescape(str(text))
    spans: list[tuple[int, int]] = []
    for q in quotes or []:
        q = html.unescape(q).strip().lstrip("-•* ").strip()
        at = plain.find(q) if len(q) >= 3 else -1
        if at >= 0 and not any(a < at + len(q) and at < b for a, b in spans):
            spans.append((at, at + len(q)))
    out, pos = [], 0
    for a, b in sorted(spans):
        out += [esc(plain[pos:a]), f'<mark class="ta-quote">{esc(plain[a:b])}</mark>']
        pos = b
    return "".join([*out, esc(plain[pos:])])


def source_links(c: Citation) -> str:
    """Links from a citation to its section (the viewer page) and, for a page of a PDF, to the
    original file at that page. Opened in a new tab, the chat stays as it is."""
    if not c.chunk_id or not c.document_id:
        return ""
    query = urlencode([("quote", q) for q in c.quotes[:MAX_QUOTES] if len(q) <= MAX_QUOTE_CHARS])
    doc, chunk = quote(c.document_id, safe=""), quote(c.chunk_id, safe="")
    view = f"{SOURCE_PATH}/{doc}/{chunk}" + (f"?{query}" if query else "") + "#cited"
    links = [f'<a class="ta-view" href="{esc(view)}" target="_blank" rel="noopener">{esc(L["view_section"])}</a>']
    if c.page is not None:
        pdf = f"/api/documents/{doc}/file#page={int(c.page)}"
        label = L["open_original"].format(page=int(c.page))
        links.append(f'<a class="ta-open" href="{esc(pdf)}" target="_blank" rel="noopener">{esc(label)}</a>')
    return f'<div class="ta-links">{" · ".join(links)}</div>'


def citation_card(c: Citation, css_class: str = "ta-source") -> str:
    loc = _citation_location(c)
    return (
        f'<div class="{css_class}" data-citation="{int(c.id)}">'
        f'<div class="ta-source-head"><span class="ta-marker">[{int(c.id)}]</span> '
        f'<span class="ta-doc">{esc(c.document)}</span>'
        + (f'<div class="ta-loc">{loc}</div>' if loc else "")
        + f'</div><div class="ta-text">{marked(c.text, c.quotes)}</div>{source_links(c)}</div>'
    )


def sources_html(
    citations: list[Citation] | None,
    status: str | None = "answered",
    interpreted_as: str | None = None,
    meta: str | None = None,
) -> str:
    """The sources panel: each cited passage with document, section, page and its text."""
    parts: list[str] = []
    if status == "not_found":
        parts.append(
            f'<div class="ta-notfound" role="status"><strong>⚠️ {esc(L["not_found_badge"])}</strong>'
            f"<p>{esc(L['not_found_note'])}</p></div>"
        )
        title = L["nearest"]
    else:
        title = L["sources"]
    if interpreted_as:
        parts.append(f'<div class="ta-interpreted">{esc(L["interpreted"])}: <em>{esc(interpreted_as)}</em></div>')
    if not citations:
        if status != "not_found":
            parts.append(f'<div class="ta-empty">{esc(L["sources_empty"])}</div>')
    else:
        css = "ta-source ta-nearest" if status == "not_found" else "ta-source"
        parts.append(f'<h3 class="ta-sources-title">{esc(title)}</h3>')
        parts.extend(citation_card(c, css) for c in citations)
    if meta:
        parts.append(f'<div class="ta-meta">{esc(meta)}</div>')
    return f'<div class="ta-sources">{"".join(parts)}</div>'


def answer_meta(answer: Answer) -> str:
    total = answer.timings.get("total")
    label = BACKEND_LABELS.get(answer.backend, answer.backend)
    notice = NOTICES.get(answer.notice or "", "")
    return f"{label}" + (f" · {notice}" if notice else "") + (f" · {total / 1000:.1f} s" if total is not None else "")


# ---- portfolio --------------------------------------------------------------------------------


def _verdict_class(verdict: str) -> str:
    return {"fit": "ta-good", "partial": "ta-mid", "no_fit": "ta-bad"}.get(verdict, "ta-mid")


def _fit_class(fit: str) -> str:
    return {"strong": "ta-good", "partial": "ta-mid", "none": "ta-bad"}.get(fit, "ta-mid")


def _evidence_list(evidence: list[Citation], limit: int = 3) -> str:
    if not evidence:
        return ""
    items = []
    for c in evidence[:limit]:
        loc = _citation_location(c)
        items.append(
            f'<li><span class="ta-marker">[{int(c.id)}]</span> <span class="ta-doc">{esc(c.document)}</span>'
            + (f' <span class="ta-loc">{loc}</span>' if loc else "")
            + f'<div class="ta-text">{esc(c.text)}</div></li>'
        )
    return f'<details class="ta-evidence"><summary>{esc(L["evidence"])} ({len(evidence)})</summary><ul>{"".join(items)}</ul></details>'


def _score(score: float) -> str:
    pct = max(0.0, min(1.0, float(score))) * 100
    return (
        f'<span class="ta-bar" title="{esc(L["score"])} {float(score):.2f}">'
        f'<span style="width:{pct:.0f}%"></span></span> <span class="ta-score">{float(score):.2f}</span>'
    )


def _conditions(title: str, items: list[PlanCondition]) -> str:
    if not items:
        return ""
    lis = []
    for it in items:
        cite = ""
        if it.citation is not None:
            loc = _citation_location(it.citation)
            cite = (
                f' <span class="ta-loc">[{int(it.citation.id)}] '
                f"({esc(it.citation.document)}{', ' + loc if loc else ''})</span>"
            )
        lis.append(f"<li>{esc(it.text)}{cite}</li>")
    return f'<h4>{esc(title)}</h4><ul class="ta-list">{"".join(lis)}</ul>'


def portfolio_html(fit: PortfolioFit) -> str:
    """The ranked portfolio check: verdict, explanation, the four portfolios (best first) with
    score, fit level and evidence, the action lines served, conditions and support actors."""
    verdict = VERDICTS.get(fit.verdict, fit.verdict)
    parts = [
        f'<div class="ta-portfolio"><div class="ta-verdict {_verdict_class(fit.verdict)}" '
        f'data-verdict="{esc(fit.verdict)}">{esc(verdict)}</div>',
        f'<p class="ta-explanation">{esc(fit.explanation)}</p>',
        f'<h4>{esc(L["portfolios"])}</h4><ol class="ta-ranking">',
    ]
    for p in fit.portfolios:  # the check's ranking: the application first, then by score
        level = FIT_LEVELS.get(p.fit, p.fit)
        if p.role:
            level = f"{ROLES[p.role]} · {level}"
        matched = ""
        if p.matched:
            matched = f'<div class="ta-matched">{esc(L["matched"])}: ' + "; ".join(esc(m) for m in p.matched) + "</div>"
        parts.append(
            f'<li class="ta-pf" data-portfolio="{esc(p.id)}"><div class="ta-pf-head">'
            f'<span class="ta-pf-name">{esc(p.name)}</span> '
            f'<span class="ta-fit {_fit_class(p.fit)}">{esc(level)}</span> {_score(p.score)}</div>'
            f"{matched}{_evidence_list(p.evidence)}</li>"
        )
    parts.append("</ol>")
    if fit.action_lines:
        parts.append(f'<h4>{esc(L["action_lines"])}</h4><ul class="ta-list ta-actions">')
        for a in sorted(fit.action_lines, key=lambda a: (not a.served, -a.score)):
            mark = "✓" if a.served else "–"
            state = L["served"] if a.served else L["not_served"]
            parts.append(
                f'<li class="{"ta-served" if a.served else "ta-unserved"}"><span class="ta-mark">{mark}</span> '
                f'<strong>{esc(a.name)}</strong> <span class="ta-loc">({esc(state)}, {esc(L["score"])} {float(a.score):.2f})</span>'
                + (f'<div class="ta-desc">{esc(a.description)}</div>' if a.description else "")
                + f"{_evidence_list(a.evidence, 2)}</li>"
            )
        parts.append("</ul>")
    parts.append(_conditions(L["conditions"], fit.conditions))
    parts.append(_conditions(L["support"], fit.support))
    if fit.flagged_sentences:
        parts.append(
            f'<details class="ta-flagged"><summary>{esc(L["flagged"])}</summary><ul>'
            + "".join(f"<li>{esc(s)}</li>" for s in fit.flagged_sentences)
            + "</ul></details>"
        )
    parts.append("</div>")
    return "".join(parts)


# ---- documents --------------------------------------------------------------------------------


def documents_html(documents: list[dict] | None) -> str:
    """The ingested documents: entries with id, title, chunks, ingested_at (DocumentService.list())."""
    if not documents:
        return f'<p class="ta-empty">{esc(L["docs_empty"])}</p>'
    rows = []
    for d in sorted(documents, key=lambda d: (str(d.get("title") or d.get("id", "")).lower(), str(d.get("id")))):
        doc_id = d.get("id", "")
        source = L["docs_upload"] if d.get("source") == "upload" else L["docs_corpus"]
        rows.append(
            f'<tr data-doc-id="{esc(doc_id)}"><td>{esc(d.get("title") or doc_id)}</td><td><code>{esc(doc_id)}</code></td>'
            f'<td class="ta-num">{esc(d.get("chunks", ""))}</td><td>{esc(format_time(d.get("ingested_at")))}</td>'
            f"<td>{esc(source)}</td></tr>"
        )
    head = "".join(
        f"<th>{esc(L[k])}</th>" for k in ("docs_title", "docs_id", "docs_chunks", "docs_ingested", "docs_source")
    )
    return f'<table class="ta-docs"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def format_time(value: str | None) -> str:
    """'2026-11-28T14:34:24+0000' -> '28-11-2026 14:34' (unparseable values as they are)."""
    if not value:
        return ""
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(value, fmt).strftime("%d-%m-%Y %H:%M")
        except ValueError:
            continue
    return str(value)


def local_time(value: str | None) -> str:
    """A stored UTC time ('2026-11-28T14:34:24.123Z') as '28-11-2026 15:34', Dutch time."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return format_time(value)
    if moment.tzinfo is not None:
        with contextlib.suppress(ZoneInfoNotFoundError):  # no time zone data: UTC as stored
            moment = moment.astimezone(ZoneInfo(TIME_ZONE))
    return moment.strftime("%d-%m-%Y %H:%M")


def document_choices(documents: list[dict] | None) -> list[tuple[str, str]]:
    return [(f"{d.get('title') or d.get('id')} ({d.get('id')})", str(d.get("id"))) for d in documents or []]
