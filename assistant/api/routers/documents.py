"""Documents: list (open), upload and delete (API key required; disabled when none is configured)."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote as url_quote

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from assistant.api.deps import ApiKeyDep, DocumentsDep, SettingsDep
from assistant.api.errors import ApiError, no_markup
from assistant.source_view import INLINE_FORMATS, MAX_QUOTE_CHARS, MAX_QUOTES, MEDIA_TYPES, check_quotes

router = APIRouter(prefix="/api/documents", tags=["documents"])


class Document(BaseModel):
    id: str
    title: str
    chunks: int
    sha256: str
    ingested_at: str | None = None
    path: str
    format: str | None = None
    pages: int | None = None
    source: str  # "upload" | "corpus"


class DocumentChange(BaseModel):
    document: Document
    replaced: bool = False
    ingest: dict


_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or wrong API key"},
    403: {"description": "document management disabled (no ASSISTANT_API_KEY configured)"},
}

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "one .md .markdown .txt .pdf .docx .html .htm .png .jpg or .jpeg file",
                        }
                    },
                    "required": ["file"],
                }
            }
        },
    }
}


_PARAM = re.compile(r'\s*;\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def sent_filename(upload: UploadFile) -> str | None:
    """The file name exactly as the client sent it in the part's Content-Disposition.

    The multipart parser cuts a Windows full path ('C:\\dir\\x.md') down to its last part (an
    old browser workaround) before ``upload.filename`` is set; the raw header keeps it, so such a
    name can be refused like any other path instead of being stored under its last part.
    Parameters are read in order, quoted strings whole (a ``filename=`` inside another quoted
    value is not one); the last ``filename`` wins and ``filename*`` is ignored, as in the parser;
    unquoting and decoding follow it too (backslash escapes; UTF-8, else Latin-1)."""
    header = (upload.headers.get("content-disposition") if upload.headers else None) or ""
    pos, value = header.find(";"), None
    while pos >= 0:
        match = _PARAM.match(header, pos)
        if match is None:
            break
        key, raw = match.group(1).lower(), match.group(2)
        if key == "filename":
            quoted = len(raw) >= 2 and raw[0] == raw[-1] == '"'
            value = raw[1:-1].replace("\\\\", "\\").replace('\\"', '"') if quoted else raw.strip()
        pos = match.end()
    if value is None:
        return upload.filename
    try:
        return value.encode("latin-1").decode("utf-8")  # Starlette decoded the header as Latin-1
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


@router.get("", response_model=list[Document], summary="The indexed documents")
def list_documents(documents: DocumentsDep) -> list[dict]:
    return no_markup(documents.list())


def file_url(doc_id: str, page: int | None = None) -> str:
    """Where the original file is served; a PDF opens at `page` (the #page=N fragment)."""
    return f"/api/documents/{url_quote(doc_id, safe='')}/file" + (f"#page={int(page)}" if page else "")


class Segment(BaseModel):
    text: str
    cited: bool
    quoted: bool
    starts_line: bool


class SectionView(BaseModel):
    document_id: str
    document_title: str
    chunk_id: str
    section: str | None = None
    section_title: str
    heading_path: str
    page: int | None = None
    page_end: int | None = None
    segments: list[Segment]
    file_url: str
    page_url: str | None = None


QuotesQuery = Annotated[
    list[str] | None,
    Query(
        alias="quote",
        description=f"sentences to highlight (a citation's quotes), at most {MAX_QUOTES} of {MAX_QUOTE_CHARS} chars",
    ),
]


@router.get(
    "/{doc_id}/passages/{chunk_id}",
    response_model=SectionView,
    summary="A cited passage in its section, the quoted sentences marked",
    responses={404: {"description": "no such document or passage"}, 422: {"description": "too many quotes"}},
)
def passage_in_section(doc_id: str, chunk_id: str, documents: DocumentsDep, quote: QuotesQuery = None) -> dict:
    try:
        quotes = check_quotes(quote)
    except ValueError as exc:
        raise ApiError(422, str(exc)) from None
    view = documents.section(doc_id, chunk_id, quotes)
    entry = documents.get(doc_id)
    body = view.as_dict()
    body["file_url"] = file_url(doc_id)
    body["page_url"] = file_url(doc_id, view.page) if entry.get("format") == "pdf" and view.page else None
    return no_markup(body)


@router.get(
    "/{doc_id}/file",
    response_class=FileResponse,
    summary="The original file of a document (PDF and images inline, other formats as a download)",
    responses={
        200: {"content": {t.split(";")[0]: {} for t in MEDIA_TYPES.values()}, "description": "the file"},
        404: {"description": "no such document, or its file is gone"},
    },
)
def document_file(doc_id: str, documents: DocumentsDep) -> FileResponse:
    path, entry = documents.file(doc_id)
    fmt = str(entry.get("format") or "")
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    if fmt != "pdf":  # a browser's PDF viewer does not run under a sandbox policy; nothing else needs more
        headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return FileResponse(
        path,
        media_type=MEDIA_TYPES.get(fmt, "application/octet-stream"),
        filename=path.name,
        content_disposition_type="inline" if fmt in INLINE_FORMATS else "attachment",
        headers=headers,
    )


@router.post(
    "",
    status_code=201,
    response_model=DocumentChange,
    openapi_extra=_UPLOAD_BODY,
    summary="Upload one document and ingest it (a same-name upload replaces it)",
    responses={
        **_AUTH,
        400: {"description": "bad file name or form, or an empty file"},
        413: {"description": "file too large"},
        415: {"description": "unsupported file type"},
        422: {"description": "the file does not load (corrupt, no text)"},
    },
)
async def upload_document(request: Request, _: ApiKeyDep, documents: DocumentsDep, settings: SettingsDep) -> dict:
    # The form is parsed here, after the key check, so an unauthorised client cannot make the
    # server spool a file. The body-size middleware bounds what multipart parsing can buffer.
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise ApiError(400, "send the file as multipart/form-data in the form field 'file'")
    async with request.form(max_files=1, max_fields=10) as form:
        uploads = [v for v in form.getlist("file") if isinstance(v, UploadFile)]
        if len(uploads) != 1 or any(isinstance(v, UploadFile) for k, v in form.multi_items() if k != "file"):
            raise ApiError(400, "send exactly one file, in the form field 'file'")
        upload = uploads[0]
        change = await run_in_threadpool(documents.add, sent_filename(upload), upload.file, settings.max_upload_bytes)
    return no_markup(change.as_dict())


@router.delete(
    "/{doc_id}",
    response_model=DocumentChange,
    summary="Remove a document: an upload is deleted, a corpus document excluded; then re-ingest",
    responses={**_AUTH, 404: {"description": "no such document"}},
)
def delete_document(doc_id: str, _: ApiKeyDep, documents: DocumentsDep) -> dict:
    return no_markup(documents.remove(doc_id).as_dict())
