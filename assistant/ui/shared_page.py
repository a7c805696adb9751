"""The read-only page behind a share link, /shared/{token}: the conversation's questions and
answers with their numbered sources, as the Markdown export has them.

Plain escaped HTML without scripts, served with a policy that allows none (as the source viewer);
the owner is never shown, and a revoked or unknown token is a 404 page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.schema import Citation
from assistant.ui.labels import L
from assistant.ui.render import esc, local_time
from assistant.ui.source_page import POLICY

if TYPE_CHECKING:
    from fastapi import FastAPI

    from assistant.services import Services

SHARED_PATH = "/shared"
_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em; line-height: 1.5; }
header { border-bottom: 1px solid #ccc; margin-bottom: 1em; }
.note, .when, .where { color: #555; font-size: 0.9em; }
section { margin: 1.4em 0; }
h2 { font-size: 1.15em; margin-bottom: 0.3em; }
.not-found { border-left: 4px solid #e0a800; padding-left: 0.8em; }
.sources { font-size: 0.92em; border-left: 4px solid #ccc; padding-left: 0.8em; margin-top: 0.6em; }
.sources h3 { font-size: 1em; margin: 0.2em 0; }
.sources ol { margin: 0.2em 0; padding-left: 0; list-style: none; }
p { margin: 0.3em 0; }
"""


def _where(c: dict) -> str:
    try:
        return Citation(**c).location(section_sign=L["section"], page_word=L["page"])
    except Exception:  # a citation saved by an older schema: its document only
        return ""


def _answer(text: str) -> str:
    """The answer's lines as paragraphs, its '- ' lines as a list; everything escaped."""
    out: list[str] = []
    items: list[str] = []
    for line in str(text).splitlines():
        stripped = line.strip()
        if stripped.startswith(("- ", "• ", "* ")):
            items.append(f"<li>{esc(stripped[2:])}</li>")
            continue
        if items:
            out.append(f"<ul>{''.join(items)}</ul>")
            items = []
        if stripped:
            out.append(f"<p>{esc(stripped)}</p>")
    if items:
        out.append(f"<ul>{''.join(items)}</ul>")
    return "".join(out)


def _sources(citations: list[dict]) -> str:
    if not citations:
        return ""
    items = []
    for c in citations:
        where = _where(c)
        items.append(
            f"<li>[{esc(c.get('id', ''))}] {esc(c.get('document', ''))}"
            + (f" <span class='where'>({esc(where)})</span>" if where else "")
            + "</li>"
        )
    return f"<div class='sources'><h3>{esc(L['sources'])}</h3><ol>{''.join(items)}</ol></div>"


def shared_page_html(conversation: dict) -> str:
    title = esc(conversation.get("title", ""))
    sections = []
    for t in conversation.get("turns", []):
        css = " class='not-found'" if t.get("status") == "not_found" else ""
        sections.append(
            f"<section><h2>{esc(t.get('question', ''))}</h2><div{css}>{_answer(t.get('answer', ''))}</div>"
            f"{_sources(t.get('citations') or [])}</section>"
        )
    created = esc(local_time(conversation.get("created_at")))
    return (
        "<!doctype html><html lang='nl'><head><meta charset='utf-8'>"
        "<meta name='referrer' content='no-referrer'>"
        f"<title>{esc(L['shared_page_title'])}: {title}</title><style>{_STYLE}</style></head><body>"
        f"<header><div class='note'>{esc(L['shared_readonly'])}</div><h1>{title}</h1>"
        f"<div class='when'>{esc(L['shared_created'])} {created}</div></header>"
        f"<main>{''.join(sections)}</main></body></html>"
    )


def missing_page_html() -> str:
    return (
        "<!doctype html><html lang='nl'><head><meta charset='utf-8'><title>404</title></head>"
        f"<body><p>{esc(L['shared_missing'])}</p></body></html>"
    )


def add_shared_page(app: FastAPI, services: Services) -> None:
    """GET /shared/{token}: the shared conversation, read-only (a 404 page once revoked)."""
    from fastapi.concurrency import run_in_threadpool
    from fastapi.responses import HTMLResponse

    from assistant.conversations.store import ConversationNotFound

    async def shared_page(token: str):
        headers = {
            "Content-Security-Policy": POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",  # the token stays out of other sites' logs
            "Cache-Control": "no-store",  # a revoked link is gone, also from caches
        }
        try:
            conversation = await run_in_threadpool(services.conversations.shared, token)
        except ConversationNotFound:
            return HTMLResponse(missing_page_html(), status_code=404, headers=headers)
        return HTMLResponse(shared_page_html(conversation), headers=headers)

    app.add_api_route(SHARED_PATH + "/{token}", shared_page, methods=["GET"], include_in_schema=False)
