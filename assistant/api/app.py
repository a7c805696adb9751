"""`create_app(settings, services=None)`: the one FastAPI app (API, OpenAI-compatible API, UI).

Nothing is built at import. The services live in `app.state` (`services`, `settings`,
`documents`); routers get them through the dependencies in `deps.py`.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.api import errors
from assistant.api.owner import OwnerCookieMiddleware
from assistant.api.routers import ask, conversations, documents, health, openai_compat, portfolio
from assistant.documents import DocumentService
from assistant.services import Services
from assistant.settings import Settings
from assistant.watch import CorpusWatcher

log = logging.getLogger("assistant.api")

MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around an uploaded file

DESCRIPTION = """Questions and answers over the Twente Board strategy plan, with citations.

* `POST /api/ask`, `POST /api/chat/stream` (server-sent events), `POST /api/portfolio-fit`
* `GET/POST /api/documents`, `DELETE /api/documents/{id}` (changes need `Authorization: Bearer KEY`)
* `GET/POST /api/conversations`, `GET/PATCH/DELETE /api/conversations/{id}`, export, share, feedback
* OpenAI-compatible: `POST /v1/chat/completions`, `GET /v1/models`
* `/healthz` (alive), `/readyz` (ready to answer; with `--watch`, the corpus watcher's state)
"""


class BodyTooLarge(StarletteHTTPException):
    def __init__(self, limit: int):
        super().__init__(413, f"the request body is larger than the limit of {limit:,} bytes")


class BodyLimitMiddleware:
    """Caps request bodies: by Content-Length up front, and by counting the bytes that arrive
    (chunked bodies have no Content-Length). Multipart uploads get the upload limit, the rest
    (JSON) the request limit."""

    def __init__(self, app: ASGIApp, json_limit: int, upload_limit: int):
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        limit = self.upload_limit if content_type.startswith("multipart/form-data") else self.json_limit
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await self._reject(scope, receive, send, 400, "the Content-Length header is not a number")
                return
            if length > limit:
                await self._reject(scope, receive, send, 413, str(BodyTooLarge(limit).detail))
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await self._reject(scope, receive, send, 413, str(exc.detail))

    @staticmethod
    async def _reject(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
        response = errors.error_response(Request(scope, receive), status, message, headers={"Connection": "close"})
        await response(scope, receive, send)


def create_app(settings: Settings, services: Services | None = None, *, ui: bool = True) -> FastAPI:
    """Build the app. Services passed in are shared and not closed by the app; services it
    creates itself are closed at shutdown. `ui=False` leaves the Gradio UI out (API tests)."""
    owned = services is None
    services = services if services is not None else Services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # `serve` recovers before its start-up ingest; an app built otherwise does it here
        recovery = app.state.documents.sweep_staging()
        if recovery.undone:
            log.warning("undid interrupted upload(s): %s", ", ".join(recovery.undone))
            await run_in_threadpool(services.ingest, progress=False)
        elif recovery:
            log.info("removed %d staging folder(s) left by an interrupted upload", len(recovery.removed))
        if settings.watch:
            app.state.watcher = CorpusWatcher(services)
            app.state.watcher.start()
        try:
            yield
        finally:
            if app.state.watcher is not None:
                await run_in_threadpool(app.state.watcher.stop)
                app.state.watcher = None
            if owned:
                services.close()

    app = FastAPI(title="Twente strategy assistant", version="1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.services = services
    app.state.documents = DocumentService(services)
    app.state.watcher = None  # a CorpusWatcher while serving with settings.watch
    errors.install(app)
    app.add_middleware(
        BodyLimitMiddleware,
        json_limit=settings.max_request_bytes,
        upload_limit=settings.max_upload_bytes + MULTIPART_OVERHEAD,
    )
    app.add_middleware(OwnerCookieMiddleware)
    for module in (health, ask, conversations, portfolio, documents, openai_compat):
        app.include_router(module.router)
    if ui:
        from assistant.ui import mount_ui  # Gradio is heavy: only imported when the UI is served

        mount_ui(app, services, settings)  # it makes "/" redirect to /ui
    else:

        @app.get("/", include_in_schema=False)
        async def root() -> RedirectResponse:
            return RedirectResponse("/docs")

    return app
