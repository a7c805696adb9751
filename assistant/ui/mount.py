"""Serving the UI: the page mounted on the FastAPI app at /ui, '/' redirecting there, the
source viewer at /source and the read-only page of a shared conversation at /shared."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from assistant.services import Services
    from assistant.settings import Settings

UI_PATH = "/ui"


def mount_ui(app: FastAPI, services: Services, settings: Settings) -> None:
    """Build the Gradio UI and mount it at /ui; '/' redirects there."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # imported here, not above: importing gradio is slow, and importing the package does no work
    import gradio as gr
    from fastapi.responses import RedirectResponse

    from assistant.documents import DocumentService
    from assistant.ui.blocks import build_blocks
    from assistant.ui.shared_page import add_shared_page
    from assistant.ui.source_page import add_source_page
    from assistant.ui.theme import make_theme, stylesheet

    documents = getattr(app.state, "documents", None) or DocumentService(services)
    blocks = build_blocks(services, settings, documents)
    blocks.queue(default_concurrency_limit=max(2, settings.llm_queue_size), max_size=64)

    async def root_redirect():
        return RedirectResponse(UI_PATH, status_code=307)

    app.add_api_route("/", root_redirect, methods=["GET", "HEAD"], include_in_schema=False)
    add_source_page(app, documents)
    add_shared_page(app, services)
    from gradio.utils import get_upload_folder

    from assistant.ui.upload_guard import UploadBudget, UploadGuard

    key = settings.api_key.get_secret_value() if settings.api_key is not None else ""
    app.add_middleware(
        UploadGuard,
        ui_path=UI_PATH,
        enabled=bool(key),
        budget=UploadBudget(settings.ui_uploads_per_client, settings.ui_upload_window_seconds),
        folder=lambda: Path(get_upload_folder()),
        space_bytes=settings.ui_upload_space_bytes,
    )
    gr.mount_gradio_app(
        app,
        blocks,
        path=UI_PATH,
        footer_links=["settings"],
        run_history=False,
        ssr_mode=False,
        mcp_server=False,
        enable_monitoring=False,
        pwa=False,
        show_error=False,
        max_file_size=settings.max_upload_bytes,
        css=stylesheet(),
        theme=make_theme(),
    )
