"""Every error leaves the API as JSON that says what is wrong, never as a stack trace.

Under ``/api`` (and everywhere else) the body is ``{"error": message, "detail": ...}``; under
``/v1`` (the OpenAI-compatible endpoints) it is OpenAI's ``{"error": {"message", "type", "code"}}``
so that OpenAI clients raise their usual exceptions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.answering.errors import BackendBusy, QuestionError
from assistant.conversations.store import ConversationError
from assistant.documents import DocumentError
from assistant.failures import Failure, classify
from assistant.llm.base import GeneratorError
from assistant.portfolio import IdeaError
from ingest.store import StoreError

log = logging.getLogger("assistant.api")

_MAX_MESSAGE = 500
_MAX_ERRORS = 10


class ErrorBody(BaseModel):
    """The JSON body of every error under /api."""

    error: str
    detail: Any = None


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str
    code: str | None = None


class OpenAIErrorBody(BaseModel):
    """The JSON body of every error under /v1 (OpenAI's shape)."""

    error: OpenAIErrorDetail


def error_responses(
    descriptions: dict[int, str], model: type[BaseModel] = ErrorBody, inline_json: bool = False
) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: its own error statuses plus what every JSON POST can answer
    (400 unparseable body, 413 body over the limit), all with the error body schema.

    inline_json: for a streaming route, whose default media type is not JSON although its errors
    are (FastAPI would file the error schema under text/event-stream)."""
    common = {400: "the body is not valid JSON (or nested too deeply)", 413: "the body is larger than the limit"}
    out: dict[int | str, dict[str, Any]] = {}
    for status, text in sorted({**common, **descriptions}.items()):
        if inline_json:
            out[status] = {"description": text, "content": {"application/json": {"schema": model.model_json_schema()}}}
        else:
            out[status] = {"description": text, "model": model}
    return out


class ApiError(Exception):
    """Raised by routers for a specific status and message."""

    def __init__(
        self, status: int, message: str, detail: Any = None, headers: dict | None = None, code: str | None = None
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail
        self.headers = headers
        self.code = code


def no_markup(value: Any) -> Any:
    """Escape "<" in every string (recursively): no raw HTML tag leaves the API, whatever its
    source (echoed questions, titles, model output). Without "<" no tag can start."""
    if isinstance(value, str):
        return value.replace("<", "&lt;") if "<" in value else value
    if isinstance(value, dict):
        return {k: no_markup(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [no_markup(v) for v in value]
    return value


def _short(text: str, limit: int = _MAX_MESSAGE) -> str:
    text = no_markup(str(text))
    return text if len(text) <= limit else text[:limit] + "…"


_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


def is_openai_path(request: Request) -> bool:
    return request.url.path.startswith("/v1/") or request.url.path == "/v1"


def error_response(
    request: Request,
    status: int,
    message: str,
    detail: Any = None,
    headers: Mapping[str, str] | None = None,
    code: str | None = None,
) -> JSONResponse:
    message = _short(message)
    body: dict[str, Any]
    if is_openai_path(request):
        # OpenAI answers request errors with 400; keep 5xx/401/403/404/413 as they are
        if status == 422:
            status = 400
        body = {
            "error": {
                "message": message,
                "type": _OPENAI_TYPES.get(status, "server_error"),
                "param": None,
                "code": code,
            }
        }
    else:
        body = {"error": message, "detail": no_markup(detail)}
        if code:
            body["code"] = code
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_detail(exc: RequestValidationError) -> tuple[str, list[dict]]:
    """A short message and the errors without their (possibly huge) input values."""
    trimmed: list[dict[str, Any]] = []
    for err in exc.errors()[:_MAX_ERRORS]:
        loc = [str(x)[:50] for x in err.get("loc", ())]
        msg = str(err.get("msg", "invalid"))[:200]
        if err.get("type") == "json_invalid":
            ctx = err.get("ctx") or {}
            msg = f"malformed JSON: {str(ctx.get('error', 'decode error'))[:100]}"
        trimmed.append({"loc": loc, "msg": msg, "type": str(err.get("type", ""))[:50]})
    parts = []
    for t in trimmed[:3]:
        where = ".".join(x for x in t["loc"] if x != "body")
        parts.append(f"{where}: {t['msg']}" if where and t["type"] != "json_invalid" else t["msg"])
    message = "invalid request: " + "; ".join(parts) if parts else "invalid request"
    if len(exc.errors()) > _MAX_ERRORS:
        trimmed.append({"loc": [], "msg": f"... and {len(exc.errors()) - _MAX_ERRORS} more", "type": ""})
    return message, trimmed


def install(app: FastAPI) -> None:
    # the decorator, as add_exception_handler's signature only accepts handlers typed for any Exception
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError):
        return error_response(request, exc.status, exc.message, exc.detail, exc.headers, exc.code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = str(exc.detail)
        if exc.status_code == 400 and message == "There was an error parsing the body":
            message = "the request body could not be parsed (not UTF-8 JSON, or nested too deeply)"
        return error_response(request, exc.status_code, message, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        message, detail = _validation_detail(exc)
        return error_response(request, 422, message, detail)

    async def known_error(request: Request, exc: Exception):
        failure = classify(exc)
        if failure.status >= 500:
            log.warning("%s: %s", failure.code, exc)
        return error_response(request, failure.status, failure.message, headers=failure.headers, code=failure.code)

    async def unexpected(request: Request, exc: Exception):
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(request, 500, "internal error; the server log has the details", code="internal_error")

    for known in (QuestionError, IdeaError, BackendBusy, GeneratorError, StoreError, DocumentError, ConversationError):
        app.add_exception_handler(known, known_error)
    app.add_exception_handler(Exception, unexpected)


def describe(exc: BaseException) -> Failure:
    """The failure of an error met inside a stream, where no handler can run any more."""
    if isinstance(exc, ApiError):
        return Failure(exc.status, exc.code or "error", exc.message)
    failure = classify(exc)
    if not failure.expected:
        log.error("unhandled error in a stream", exc_info=exc)
    return failure
