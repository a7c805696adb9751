"""The web UI: a Gradio app mounted on the FastAPI app at /ui (chat, portfolio check, documents).

`mount_ui(app, services, settings)` builds everything; importing this module does no work.

Everything that turns results into text for the page is a plain function (`chat_markdown`,
`answer_markdown`, `sources_html`, `portfolio_html`, `documents_html`, `history_to_messages`,
`error_text`), and so are the handlers behind the widgets (`chat_turn` streams one question,
`portfolio_check`, `upload_document`, `delete_document`), so all of it is tested without a
browser (tests/test_ui_logic.py); `build_blocks` only lays out widgets and wires them up.
Document changes go through `DocumentActions` (assistant.documents.DocumentService).

Safety: document and answer text is never put into the page as markup. HTML panels are built
here with every piece of text passed through `esc()`; chat messages go through `chat_markdown()`,
which escapes HTML *and* Markdown syntax (so a document cannot inject links, images or tags),
and the Chatbot additionally sanitises what it renders.
"""

from __future__ import annotations

import hmac
import html
import logging
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from assistant.schema import Answer, ChatMessage, Citation, PortfolioFit

if TYPE_CHECKING:  # imported for real inside mount_ui: importing gradio is slow
    from fastapi import FastAPI

    from assistant.services import Services
    from assistant.settings import Settings

log = logging.getLogger(__name__)

UI_PATH = "/ui"
IDEA_MAX_CHARS = 4000

EXAMPLE_QUESTIONS = (
    "Wat zijn de vier impactportfolio's?",
    "Welke regionale actoren ondersteunen ondernemers?",
    "Wat zegt het plan over talent?",
    "What does the plan say about talent?",
)

BACKEND_CHOICES = (
    ("Extractief (standaard, zonder taalmodel)", "extractive"),
    ("Lokaal taalmodel (llama.cpp)", "llamacpp"),
    ("OpenAI-compatibele server", "openai"),
)

# ---- labels (Dutch by default) --------------------------------------------------------------

L = {
    "title": "Twente strategie-assistent",
    "subtitle": "Stel vragen over het strategisch plan 2020-2025 van de Twente Board. Elk antwoord "
    "verwijst met [n] naar de passages waarop het steunt.",
    "tab_chat": "Vragen",
    "tab_portfolio": "Portfolio-check",
    "tab_docs": "Documenten",
    "question": "Uw vraag",
    "question_ph": "Bijvoorbeeld: Wat zijn de vier impactportfolio's?",
    "send": "Vraag",
    "new_chat": "Nieuw gesprek",
    "examples": "Voorbeeldvragen",
    "backend": "Antwoordmethode",
    "chat_label": "Gesprek",
    "chat_placeholder": "Stel een vraag over het strategisch plan, of kies een voorbeeldvraag hieronder.",
    "searching": "_Bezig met zoeken in de documenten…_",
    "sources": "Bronnen",
    "sources_empty": "Hier verschijnen de passages waarop het antwoord steunt.",
    "nearest": "Dichtstbijzijnde passages (geen antwoord)",
    "not_found_badge": "De documenten zeggen hier niets over",
    "not_found_note": "Er staat in de documenten geen antwoord op deze vraag. Hieronder staan de "
    "passages die er het dichtst bij komen; ze beantwoorden de vraag niet.",
    "interpreted": "Opgevat als",
    "section": "§",
    "page": "p.",
    "error": "Er ging iets mis",
    "idea": "Uw idee of projectvoorstel",
    "idea_ph": "Beschrijf in een paar zinnen wat u wilt doen, voor wie en met welk doel.",
    "check": "Controleer",
    "portfolio_empty": "Beschrijf een idee en klik op ‘Controleer’ om te zien bij welk "
    "impactportfolio en welke actielijnen van het plan het past.",
    "verdict": {"fit": "Past bij het plan", "partial": "Past gedeeltelijk", "no_fit": "Past niet bij het plan"},
    "fit": {"strong": "sterk", "partial": "gedeeltelijk", "none": "geen"},
    "portfolios": "Impactportfolio's (gerangschikt)",
    "action_lines": "Actielijnen",
    "served": "bediend",
    "not_served": "niet bediend",
    "conditions": "Voorwaarden uit het plan",
    "support": "Wie kan helpen (regionale actoren)",
    "matched": "Overeenkomsten",
    "evidence": "Onderbouwing",
    "flagged": "Weggelaten (niet door de bronnen gedekt)",
    "score": "score",
    "docs_intro": "De documenten waarop de assistent antwoordt.",
    "docs_empty": "Er zijn nog geen documenten ingelezen.",
    "docs_title": "Titel",
    "docs_id": "Id",
    "docs_chunks": "Passages",
    "docs_ingested": "Ingelezen op",
    "docs_source": "Bron",
    "docs_upload": "upload",
    "docs_corpus": "corpus",
    "docs_disabled": "Uploaden en verwijderen zijn uitgeschakeld: er is geen API-sleutel ingesteld "
    "(ASSISTANT_API_KEY).",
    "api_key": "API-sleutel",
    "upload_file": "Document (md, txt, pdf, docx, html)",
    "upload": "Uploaden",
    "delete_id": "Document om te verwijderen",
    "delete": "Verwijderen",
    "refresh": "Lijst verversen",
    "bad_key": "De API-sleutel klopt niet.",
    "no_file": "Kies eerst een bestand.",
    "no_doc": "Kies eerst een document.",
    "uploaded": "Toegevoegd",
    "deleted": "Verwijderd",
    "docs_unavailable": "Documentbeheer is (nog) niet beschikbaar in deze installatie.",
}

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
        body = line[m.end():] if m else line.lstrip()  # no indented code blocks
        body = _ENTITY_LIKE.sub("&amp;", body).replace("<", "&lt;").replace(">", "&gt;")
        body = _MD_INLINE.sub(r"\\\1", body)
        body = _LINK_OR_IMAGE.sub(lambda mm: "\\" + mm.group(0), body)
        body = _LEADING_BLOCK.sub(r"\1\\\2", body)
        out.append(f"{m.group(1)}- {body}" if m else body)
    return "\n".join(out)


# ---- chat -------------------------------------------------------------------------------------


def history_to_messages(turns: Iterable[dict | ChatMessage] | None) -> list[ChatMessage]:
    """The conversation kept by the UI (role/content dicts) -> ChatMessage list for the service.

    Only user and assistant turns with text; anything else (errors, notices) is dropped."""
    messages: list[ChatMessage] = []
    for turn in turns or []:
        if isinstance(turn, ChatMessage):
            role, content = turn.role, turn.content
        elif isinstance(turn, dict):
            role, content = turn.get("role"), turn.get("content")
        else:
            continue
        if isinstance(content, list):  # openai-style parts: [{"type": "text", "text": ...}]
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        if role not in ("user", "assistant") or not isinstance(content, str) or not content.strip():
            continue
        messages.append(ChatMessage(role=role, content=content))
    return messages


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


def error_text(exc: BaseException) -> str:
    """A readable message for the page; never a traceback."""
    from assistant.failures import classify

    failure = classify(exc)
    msg = str(exc).strip() or exc.__class__.__name__
    if failure.code == "backend_busy":
        return "Het taalmodel is bezet met andere vragen. Probeer het over een paar seconden opnieuw."
    if failure.code == "invalid_question":
        return f"Deze vraag kan niet worden verwerkt: {msg}."
    if failure.code == "backend_unavailable":
        return (f"Het gekozen taalmodel is niet beschikbaar: {msg}. Kies ‘Extractief’ als "
                "antwoordmethode om zonder taalmodel te antwoorden.")
    if failure.expected:
        return msg
    return f"{L['error']} ({exc.__class__.__name__}). Probeer het opnieuw of kies een andere antwoordmethode."


def error_markdown(exc: BaseException) -> str:
    return f"**⚠️ {L['error']}:** {chat_markdown(error_text(exc))}"


def _citation_location(c: Citation) -> str:
    """'§6.1 Focus op impactportfolio's, p. 21' (escaped)."""
    return esc(c.location(section_sign=L["section"], page_word=L["page"]))


def citation_card(c: Citation, css_class: str = "ta-source") -> str:
    loc = _citation_location(c)
    return (
        f'<div class="{css_class}" data-citation="{int(c.id)}">'
        f'<div class="ta-source-head"><span class="ta-marker">[{int(c.id)}]</span> '
        f'<span class="ta-doc">{esc(c.document)}</span>'
        + (f'<div class="ta-loc">{loc}</div>' if loc else "")
        + f'</div><div class="ta-text">{esc(c.text)}</div></div>'
    )


def sources_html(citations: list[Citation] | None, status: str | None = "answered",
                 interpreted_as: str | None = None, meta: str | None = None) -> str:
    """The sources panel: each cited passage with document, section, page and its text."""
    parts: list[str] = []
    if status == "not_found":
        parts.append(
            f'<div class="ta-notfound" role="status"><strong>⚠️ {esc(L["not_found_badge"])}</strong>'
            f'<p>{esc(L["not_found_note"])}</p></div>'
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
    label = dict((v, k) for k, v in BACKEND_CHOICES).get(answer.backend, answer.backend)
    return f"{label}" + (f" · {total / 1000:.1f} s" if total is not None else "")


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
    return (f'<span class="ta-bar" title="{esc(L["score"])} {float(score):.2f}">'
            f'<span style="width:{pct:.0f}%"></span></span> <span class="ta-score">{float(score):.2f}</span>')


def _conditions(title: str, items) -> str:
    if not items:
        return ""
    lis = []
    for it in items:
        cite = ""
        if it.citation is not None:
            loc = _citation_location(it.citation)
            cite = (f' <span class="ta-loc">[{int(it.citation.id)}] '
                    f'({esc(it.citation.document)}{", " + loc if loc else ""})</span>')
        lis.append(f"<li>{esc(it.text)}{cite}</li>")
    return f'<h4>{esc(title)}</h4><ul class="ta-list">{"".join(lis)}</ul>'


def portfolio_html(fit: PortfolioFit) -> str:
    """The ranked portfolio check: verdict, explanation, the four portfolios (best first) with
    score, fit level and evidence, the action lines served, conditions and support actors."""
    verdict = L["verdict"].get(fit.verdict, fit.verdict)
    parts = [
        f'<div class="ta-portfolio"><div class="ta-verdict {_verdict_class(fit.verdict)}" '
        f'data-verdict="{esc(fit.verdict)}">{esc(verdict)}</div>',
        f'<p class="ta-explanation">{esc(fit.explanation)}</p>',
        f'<h4>{esc(L["portfolios"])}</h4><ol class="ta-ranking">',
    ]
    for p in sorted(fit.portfolios, key=lambda p: -p.score):
        level = L["fit"].get(p.fit, p.fit)
        matched = ""
        if p.matched:
            matched = (f'<div class="ta-matched">{esc(L["matched"])}: '
                       + "; ".join(esc(m) for m in p.matched) + "</div>")
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
        parts.append(f'<details class="ta-flagged"><summary>{esc(L["flagged"])}</summary><ul>'
                     + "".join(f"<li>{esc(s)}</li>" for s in fit.flagged_sentences) + "</ul></details>")
    parts.append("</div>")
    return "".join(parts)


def message_html(text: str, kind: str = "info") -> str:
    return f'<div class="ta-msg ta-msg-{esc(kind)}" role="status">{esc(text)}</div>'


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
            f'<td>{esc(source)}</td></tr>'
        )
    head = "".join(f"<th>{esc(L[k])}</th>" for k in ("docs_title", "docs_id", "docs_chunks", "docs_ingested", "docs_source"))
    return f'<table class="ta-docs"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def format_time(value: str | None) -> str:
    """'2026-11-28T14:34:24+0000' -> '28-11-2026 14:34' (unparseable values as they are)."""
    if not value:
        return ""
    from datetime import datetime

    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(value, fmt).strftime("%d-%m-%Y %H:%M")
        except ValueError:
            continue
    return str(value)


def document_choices(documents: list[dict] | None) -> list[tuple[str, str]]:
    return [(f"{d.get('title') or d.get('id')} ({d.get('id')})", str(d.get("id"))) for d in documents or []]


def key_matches(configured, given: str | None) -> bool:
    """Constant-time comparison of the entered key with the configured one (a SecretStr)."""
    if configured is None:
        return False
    secret = configured.get_secret_value() if hasattr(configured, "get_secret_value") else str(configured)
    if not secret:
        return False
    return hmac.compare_digest(secret.encode(), (given or "").encode())


class DocumentActions:
    """Every call the UI makes to list, add or remove documents, in one place
    (assistant.documents.DocumentService, the same one the API uses when the app has it)."""

    def __init__(self, services: "Services", service=None):
        self.services = services
        self._service = service

    @property
    def service(self):
        if self._service is None:
            from assistant.documents import DocumentService

            self._service = DocumentService(self.services)
        return self._service

    def list(self) -> list[dict]:
        return self.service.list()

    def upload(self, path: Path, filename: str) -> str:
        with open(path, "rb") as f:
            change = self.service.add(filename, f)
        return _describe(change.document, filename)

    def delete(self, doc_id: str) -> str:
        change = self.service.remove(doc_id)
        return _describe(change.document, doc_id)


def _describe(document: dict | None, fallback: str) -> str:
    document = document or {}
    title, doc_id = document.get("title"), document.get("id")
    if title and doc_id:
        return f"{title} ({doc_id})"
    return str(title or doc_id or fallback)


# ---- the page ---------------------------------------------------------------------------------

CSS = """
.ta-header h1 { margin-bottom: 0.2em; }
.ta-sources { display: flex; flex-direction: column; gap: 0.6em; }
.ta-sources-title { margin: 0.2em 0; font-size: 1.05em; }
.ta-source { border: 1px solid var(--border-color-primary); border-left: 4px solid var(--color-accent);
  border-radius: 6px; padding: 0.5em 0.7em; background: var(--background-fill-secondary); }
.ta-source.ta-nearest { border-left-color: #b0b0b0; opacity: 0.85; }
.ta-source-head { font-size: 0.92em; margin-bottom: 0.3em; }
.ta-marker { font-weight: 700; color: var(--color-accent); }
.ta-doc { font-weight: 600; }
.ta-loc { color: var(--body-text-color-subdued); font-weight: normal; }
.ta-source-head .ta-loc { font-size: 0.95em; }
.ta-text { white-space: pre-wrap; font-size: 0.9em; max-height: 14em; overflow-y: auto; }
.ta-notfound { border: 1px solid #e0a800; background: #fff7e0; color: #5c4300; border-radius: 6px; padding: 0.6em 0.8em; }
.ta-notfound p { margin: 0.3em 0 0 0; }
.ta-interpreted, .ta-meta, .ta-empty { color: var(--body-text-color-subdued); font-size: 0.88em; }
.ta-verdict { display: inline-block; font-weight: 700; font-size: 1.15em; padding: 0.3em 0.8em; border-radius: 6px; }
.ta-good { background: #dff3e4; color: #1e5b2e; }
.ta-mid { background: #fff3cd; color: #6b5000; }
.ta-bad { background: #f8dede; color: #7a1f1f; }
.ta-fit { font-size: 0.82em; padding: 0.1em 0.5em; border-radius: 4px; margin: 0 0.4em; }
.ta-ranking { padding-left: 1.4em; }
.ta-pf { margin-bottom: 0.7em; }
.ta-pf-name { font-weight: 650; }
.ta-bar { display: inline-block; width: 7em; height: 0.6em; background: var(--background-fill-secondary);
  border: 1px solid var(--border-color-primary); border-radius: 3px; vertical-align: middle; overflow: hidden; }
.ta-bar span { display: block; height: 100%; background: var(--color-accent); }
.ta-score { font-size: 0.85em; color: var(--body-text-color-subdued); }
.ta-matched, .ta-desc { font-size: 0.9em; }
.ta-evidence summary, .ta-flagged summary { cursor: pointer; font-size: 0.9em; color: var(--body-text-color-subdued); }
.ta-evidence ul { padding-left: 1.2em; }
.ta-list { padding-left: 1.2em; }
.ta-mark { display: inline-block; width: 1.2em; font-weight: 700; }
.ta-served .ta-mark { color: #1e7b3a; }
.ta-unserved { color: var(--body-text-color-subdued); }
.ta-docs { width: 100%; border-collapse: collapse; border: none !important; }
.ta-docs th, .ta-docs td { text-align: left; padding: 0.35em 0.6em; border: none !important;
  border-bottom: 1px solid var(--border-color-primary) !important; }
.ta-docs td:nth-child(4) { white-space: nowrap; }
.ta-actions { list-style: none; padding-left: 0.2em; }
.ta-num { text-align: right; }
.ta-msg { padding: 0.5em 0.8em; border-radius: 6px; }
.ta-msg-error { background: #f8dede; color: #7a1f1f; }
.ta-msg-ok { background: #dff3e4; color: #1e5b2e; }
.ta-msg-info { background: var(--background-fill-secondary); }
.ta-examples button { font-size: 0.9em; }
"""


def _chat_user(text: str) -> dict:
    return {"role": "user", "content": chat_markdown(text)}


def _chat_bot(markdown: str) -> dict:
    return {"role": "assistant", "content": markdown}


KEEP = object()  # "leave this output as it is" (gr.skip() in the page)


def chat_turn(services: "Services", question: str, backend: str | None, chat: list | None,
              convo: list | None) -> Iterator[tuple]:
    """One question in the chat, as a stream of (chat, sources_html, convo) states.

    `chat` is what the Chatbot shows (openai-style dicts with escaped Markdown); `convo` is the
    plain conversation (role/content dicts of the service's own texts) passed back as history.
    Tokens update the last message as they arrive; the final (checked) answer replaces them.
    Errors end the turn as a readable message in the chat and are not added to `convo`."""
    chat = list(chat or [])
    convo = list(convo or [])
    question = (question or "").strip()
    if not question:
        yield list(chat), KEEP, list(convo)
        return
    chat += [_chat_user(question), _chat_bot(L["searching"])]
    yield list(chat), sources_html([], "answered"), list(convo)
    tokens = ""
    citations: list[Citation] = []
    last_push = 0.0
    try:
        for event in services.answers.stream(question, history_to_messages(convo), backend or None):
            if event.type == "sources":
                citations = list(event.data or [])
                yield list(chat), sources_html(citations, "answered"), list(convo)
            elif event.type == "token":
                tokens += str(event.data)
                now = time.monotonic()
                if now - last_push > 0.05:
                    last_push = now
                    chat[-1] = _chat_bot(streaming_markdown(tokens))
                    yield list(chat), KEEP, list(convo)
            elif event.type == "final":
                answer: Answer = event.data
                chat[-1] = _chat_bot(answer_markdown(answer))
                interpreted = (answer.standalone_question
                               if answer.standalone_question and answer.standalone_question != question else None)
                convo += [{"role": "user", "content": question},
                          {"role": "assistant", "content": answer.answer}]
                yield list(chat), sources_html(answer.citations, answer.status, interpreted, answer_meta(answer)), list(convo)
                return
        raise RuntimeError("the answer stream ended without a final answer")
    except Exception as exc:  # shown as a message in the chat, never a traceback
        if not _is_expected(exc):
            log.exception("answering failed")
        chat[-1] = _chat_bot(error_markdown(exc))
        yield list(chat), sources_html(citations, "answered") if citations else KEEP, list(convo)


def portfolio_check(services: "Services", idea: str, backend: str | None) -> str:
    """The portfolio tab's result panel (HTML) for an idea, or a readable error."""
    idea = (idea or "").strip()
    if not idea:
        return message_html(f"Beschrijf eerst uw idee (1 tot {IDEA_MAX_CHARS} tekens).", "error")
    if len(idea) > IDEA_MAX_CHARS:
        return message_html(f"Het idee is {len(idea)} tekens; de grens is {IDEA_MAX_CHARS}.", "error")
    try:
        fit = services.portfolio.check(idea, backend=backend or None)
    except Exception as exc:
        if not _is_expected(exc):
            log.exception("portfolio check failed")
        return message_html(error_text(exc), "error")
    return portfolio_html(fit)


def upload_document(docs: DocumentActions, api_key, file, given_key: str | None) -> str:
    """Upload from the Documents tab (a Gradio file path); the key must match. -> message HTML."""
    if not key_matches(api_key, given_key):
        return message_html(L["bad_key"], "error")
    if not file:
        return message_html(L["no_file"], "error")
    path = Path(file if isinstance(file, (str, Path)) else getattr(file, "name", ""))
    name = Path(getattr(file, "orig_name", None) or path.name).name
    try:
        return message_html(f"{L['uploaded']}: {docs.upload(path, name)}", "ok")
    except Exception as exc:
        if not _is_expected(exc):
            log.exception("upload failed")
        return message_html(error_text(exc), "error")


def delete_document(docs: DocumentActions, api_key, doc_id: str | None, given_key: str | None) -> str:
    if not key_matches(api_key, given_key):
        return message_html(L["bad_key"], "error")
    if not doc_id:
        return message_html(L["no_doc"], "error")
    try:
        return message_html(f"{L['deleted']}: {docs.delete(doc_id)}", "ok")
    except Exception as exc:
        if not _is_expected(exc):
            log.exception("delete failed")
        return message_html(error_text(exc), "error")


def build_blocks(services: "Services", settings: "Settings", documents_service=None):
    import gradio as gr

    docs = DocumentActions(services, documents_service)
    key_configured = settings.api_key is not None and bool(settings.api_key.get_secret_value())
    default_backend = settings.backend

    def skip(values: tuple) -> tuple:
        return tuple(gr.skip() if v is KEEP else v for v in values)

    def respond(question: str, backend: str, chat: list, convo: list):
        cleared = KEEP if not (question or "").strip() else ""
        for chat_state, sources_state, convo_state in chat_turn(services, question, backend, chat, convo):
            yield skip((chat_state, sources_state, convo_state, cleared))
            cleared = KEEP  # empty the box once; keep what the user types while the answer streams

    def new_chat():
        return [], sources_html([], "answered"), [], ""

    def check_idea(idea: str, backend: str) -> str:
        return portfolio_check(services, idea, backend)

    def refresh_docs():
        try:
            documents = docs.list()
            table = documents_html(documents)
        except Exception as exc:
            log.exception("listing the documents failed")
            documents, table = [], message_html(error_text(exc), "error")
        if not key_configured:
            return (table,)
        return table, gr.update(choices=document_choices(documents), value=None)

    def upload(file, key: str):
        return (upload_document(docs, settings.api_key, file, key), *refresh_docs())

    def delete(doc_id: str, key: str):
        return (delete_document(docs, settings.api_key, doc_id, key), *refresh_docs())

    # ---- layout ------------------------------------------------------------------------------
    with gr.Blocks(title=L["title"], analytics_enabled=False) as blocks:
        gr.Markdown(f"# {L['title']}\n{L['subtitle']}", elem_classes=["ta-header"])
        with gr.Tabs():
            with gr.Tab(L["tab_chat"], id="chat", elem_id="tab-chat"):
                convo = gr.State([])
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=360):
                        chatbot = gr.Chatbot(
                            label=L["chat_label"], elem_id="chat", height=520,
                            placeholder=L["chat_placeholder"], sanitize_html=True, render_markdown=True,
                            latex_delimiters=[], allow_tags=False, feedback_options=None,
                            buttons=["copy"],
                        )
                        with gr.Row():
                            question = gr.Textbox(
                                label=L["question"], placeholder=L["question_ph"], elem_id="question",
                                lines=1, max_lines=4, max_length=settings.max_question_chars,
                                scale=5, autofocus=True, submit_btn=False,
                            )
                            ask = gr.Button(L["send"], variant="primary", elem_id="ask", scale=1, min_width=90)
                        gr.Markdown(f"**{L['examples']}**")
                        with gr.Row(elem_classes=["ta-examples"]):
                            example_buttons = [gr.Button(q, size="sm", elem_classes=["ta-example"]) for q in EXAMPLE_QUESTIONS]
                        with gr.Row():
                            backend = gr.Dropdown(
                                choices=list(BACKEND_CHOICES), value=default_backend, label=L["backend"],
                                elem_id="backend", scale=3,
                            )
                            clear = gr.Button(L["new_chat"], elem_id="new-chat", scale=1, min_width=120)
                    with gr.Column(scale=2, min_width=300):
                        sources = gr.HTML(sources_html([], "answered"), elem_id="sources", js_on_load=None)
            with gr.Tab(L["tab_portfolio"], id="portfolio", elem_id="tab-portfolio"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2, min_width=320):
                        idea = gr.Textbox(
                            label=L["idea"], placeholder=L["idea_ph"], lines=6, max_lines=20,
                            max_length=IDEA_MAX_CHARS, elem_id="idea",
                        )
                        pf_backend = gr.Dropdown(choices=list(BACKEND_CHOICES), value=default_backend,
                                                 label=L["backend"], elem_id="pf-backend")
                        check = gr.Button(L["check"], variant="primary", elem_id="check")
                    with gr.Column(scale=3, min_width=360):
                        pf_result = gr.HTML(message_html(L["portfolio_empty"]), elem_id="portfolio-result",
                                            js_on_load=None)
            with gr.Tab(L["tab_docs"], id="documents", elem_id="tab-docs"):
                gr.Markdown(L["docs_intro"])
                docs_table = gr.HTML(elem_id="documents", js_on_load=None)
                refresh = gr.Button(L["refresh"], size="sm", elem_id="docs-refresh")
                doc_msg = gr.HTML("", elem_id="docs-msg", js_on_load=None)
                if key_configured:
                    api_key = gr.Textbox(label=L["api_key"], type="password", elem_id="api-key")
                    with gr.Row(equal_height=False):
                        with gr.Column():
                            upload_file = gr.File(label=L["upload_file"], file_count="single", type="filepath",
                                                  file_types=[".md", ".markdown", ".txt", ".pdf", ".docx", ".html", ".htm"],
                                                  elem_id="upload-file")
                            upload_btn = gr.Button(L["upload"], variant="primary", elem_id="upload")
                        with gr.Column():
                            delete_id = gr.Dropdown(label=L["delete_id"], choices=[], elem_id="delete-id")
                            delete_btn = gr.Button(L["delete"], variant="stop", elem_id="delete")
                else:
                    gr.HTML(message_html(L["docs_disabled"]), elem_id="docs-disabled", js_on_load=None)

        # ---- events --------------------------------------------------------------------------
        chat_outputs = [chatbot, sources, convo, question]
        question.submit(respond, [question, backend, chatbot, convo], chat_outputs, api_visibility="private")
        ask.click(respond, [question, backend, chatbot, convo], chat_outputs, api_visibility="private")
        for button, text in zip(example_buttons, EXAMPLE_QUESTIONS):
            def ask_example(backend_value, chat, conversation, _text=text):
                yield from respond(_text, backend_value, chat, conversation)

            button.click(ask_example, [backend, chatbot, convo], chat_outputs, api_visibility="private")
        clear.click(new_chat, None, chat_outputs, api_visibility="private")
        chatbot.clear(new_chat, None, chat_outputs, api_visibility="private")  # its own bin icon
        check.click(check_idea, [idea, pf_backend], pf_result, api_visibility="private")
        docs_outputs = [docs_table, delete_id] if key_configured else [docs_table]
        refresh.click(refresh_docs, None, docs_outputs, api_visibility="private")
        blocks.load(refresh_docs, None, docs_outputs, api_visibility="private")
        if key_configured:
            upload_btn.click(upload, [upload_file, api_key], [doc_msg, *docs_outputs], api_visibility="private")
            delete_btn.click(delete, [delete_id, api_key], [doc_msg, *docs_outputs], api_visibility="private")
    return blocks


def _is_expected(exc: BaseException) -> bool:
    from assistant.failures import classify

    return classify(exc).expected


def mount_ui(app: "FastAPI", services: "Services", settings: "Settings") -> None:
    """Build the Gradio UI and mount it at /ui; '/' redirects there."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr
    from fastapi.responses import RedirectResponse

    blocks = build_blocks(services, settings, getattr(app.state, "documents", None))
    blocks.queue(default_concurrency_limit=max(2, settings.llm_queue_size), max_size=64)

    async def root_redirect():
        return RedirectResponse(UI_PATH, status_code=307)

    app.add_api_route("/", root_redirect, methods=["GET", "HEAD"], include_in_schema=False)
    gr.mount_gradio_app(
        app, blocks, path=UI_PATH,
        footer_links=["settings"], run_history=False, ssr_mode=False, mcp_server=False,
        enable_monitoring=False, pwa=False, show_error=False,
        max_file_size=settings.max_upload_bytes, css=CSS, theme=make_theme(),
    )


def make_theme():
    """Gradio's default look with fonts served by Gradio itself (never Google Fonts). Only the
    Regular and Bold files of the bundled fonts are complete, so bold text uses Bold (700)."""
    import gradio as gr

    LocalFont = gr.themes.LocalFont
    return gr.themes.Default(
        font=[LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"],
        font_mono=[LocalFont("IBM Plex Mono", weights=(400, 700)), "ui-monospace", "Consolas", "monospace"],
    )
