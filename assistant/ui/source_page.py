"""The source viewer: a page of its own (opened from a citation in the chat) that shows the cited
passage in its whole section, the quoted sentences highlighted, with a link to the original file
(a PDF at the passage's page).

The page is plain escaped HTML without scripts, served with a policy that allows none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from assistant.source_view import SectionView
from assistant.ui.labels import L
from assistant.ui.render import SOURCE_PATH, esc

if TYPE_CHECKING:
    from fastapi import FastAPI

    from assistant.documents import DocumentService

POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em; line-height: 1.5; }
header { border-bottom: 1px solid #ccc; margin-bottom: 1em; }
.where { color: #555; }
.cited { border-left: 4px solid #e8a317; padding-left: 0.8em; margin: 0.4em 0; }
.cited-label { font-size: 0.8em; color: #8a6100; }
mark { background: #fff3b0; }
p { margin: 0.3em 0; }
"""


def _where(view: SectionView) -> str:
    parts = []
    if view.section:
        parts.append(f"{L['section']}{view.section}")
    if view.section_title and view.section_title != view.document_title:
        parts.append(view.section_title)
    if view.page is not None:
        if view.page_end and view.page_end != view.page:
            parts.append(L["source_pages"].format(first=view.page, last=view.page_end))
        else:
            parts.append(f"{L['page']} {view.page}")
    return " · ".join(parts)


def _body(view: SectionView) -> str:
    """The section's lines; the cited chunk in a marked block, quoted sentences in <mark>, the
    first of them (else the cited block) carrying the id the chat's link jumps to (#cited)."""
    out: list[str] = []
    anchor_at = next((i for i, s in enumerate(view.segments) if s.quoted), None)
    if anchor_at is None:
        anchor_at = next((i for i, s in enumerate(view.segments) if s.cited), 0)
    in_cited, line_open = False, False
    for i, seg in enumerate(view.segments):
        if seg.cited != in_cited or seg.starts_line or not line_open:
            if line_open:
                out.append("</p>")
            if seg.cited != in_cited:
                out.append(
                    f'<div class="cited"><div class="cited-label">{esc(L["source_cited"])}</div>'
                    if seg.cited
                    else "</div>"
                )
                in_cited = seg.cited
            out.append("<p>")
            line_open = True
        text = esc(seg.text)
        ident = ' id="cited"' if i == anchor_at else ""
        if seg.quoted:
            text = f"<mark{ident}>{text}</mark>"
        elif ident:
            text = f"<span{ident}>{text}</span>"
        out.append(text + " ")
    if line_open:
        out.append("</p>")
    if in_cited:
        out.append("</div>")
    return "".join(out)


def source_page_html(view: SectionView, file_url: str, page_url: str | None) -> str:
    title = esc(view.document_title)
    links = [f'<a href="/">{esc(L["source_back"])}</a>']
    if page_url:
        links.insert(0, f'<a href="{esc(page_url)}">{esc(L["open_original"].format(page=view.page))}</a>')
    heading = esc(view.section_title or view.document_title)
    return (
        "<!doctype html><html lang='nl'><head><meta charset='utf-8'>"
        f"<title>{esc(L['source_page_title'])}: {title}</title><style>{_STYLE}</style></head><body>"
        f"<header><div class='doc'>{title}</div><h1>{heading}</h1>"
        f"<div class='where'>{esc(_where(view))}</div><nav>{' · '.join(links)}</nav></header>"
        f"<main>{_body(view)}</main></body></html>"
    )


def add_source_page(app: FastAPI, documents: DocumentService) -> None:
    """GET /source/{doc_id}/{chunk_id}?quote=...: the viewer page (404 page for an unknown passage)."""
    from fastapi import Query
    from fastapi.concurrency import run_in_threadpool
    from fastapi.responses import HTMLResponse

    from assistant.documents import DocumentNotFound
    from assistant.source_view import check_quotes

    async def source_page(doc_id: str, chunk_id: str, quote_: list[str] | None = Query(None, alias="quote")):  # noqa: B008
        headers = {"Content-Security-Policy": POLICY, "X-Content-Type-Options": "nosniff"}
        try:
            view = await run_in_threadpool(documents.section, doc_id, chunk_id, check_quotes(quote_))
            entry = documents.get(doc_id)
        except (DocumentNotFound, ValueError) as exc:
            page = f"<!doctype html><html><head><meta charset='utf-8'><title>404</title></head><body><p>{esc(exc)}</p></body></html>"
            return HTMLResponse(page, status_code=404 if isinstance(exc, DocumentNotFound) else 422, headers=headers)
        doc = quote(doc_id, safe="")
        file_url = f"/api/documents/{doc}/file"
        page_url = f"{file_url}#page={int(view.page)}" if entry.get("format") == "pdf" and view.page else None
        return HTMLResponse(source_page_html(view, file_url, page_url), headers=headers)

    app.add_api_route(SOURCE_PATH + "/{doc_id}/{chunk_id}", source_page, methods=["GET"], include_in_schema=False)
