"""`assistant serve`: bring the index up to date, warm up, then serve API + UI with uvicorn."""

from __future__ import annotations

import logging
import sys
import threading

from assistant.documents import recover_interrupted_uploads
from assistant.services import Services
from assistant.settings import Settings
from ingest.store import EmbedderMismatch, StoreError, read_manifest

log = logging.getLogger("assistant.api")


def prepare(services: Services) -> None:
    """Incremental ingest (only hashes files when nothing changed), then warm the sentence bank.

    A store that cannot be used is reported but does not stop the server: /readyz says what is
    wrong. An embedder mismatch is a configuration error and does."""
    settings = services.settings
    try:
        had_index = read_manifest(settings.data_dir) is not None
    except StoreError:
        had_index = False
    recovery = recover_interrupted_uploads(settings.data_dir)
    if recovery:
        print(
            f"removed {len(recovery.removed)} staging folder(s) of interrupted uploads"
            + (f"; put back as before: {', '.join(recovery.undone)}" if recovery.undone else ""),
            file=sys.stderr,
        )
    print(f"checking the index in {settings.data_dir} against {settings.corpus_dir} ...", file=sys.stderr)
    try:
        report = services.ingest(progress=True)
    except EmbedderMismatch:
        raise
    except StoreError as exc:
        print(f"warning: the index could not be updated: {exc}", file=sys.stderr)
        if not had_index:
            print("warning: serving without an index; /readyz reports not ready", file=sys.stderr)
        return
    state = "up to date" if not report.changed else "updated"
    print(f"index {state}:\n{report.summary()}", file=sys.stderr)
    try:
        services.warm()
    except StoreError as exc:
        print(f"warning: could not warm up: {exc}", file=sys.stderr)


def warm_backend(services: Services, app) -> None:
    """Load an in-process model in the background so /readyz turns ready without a first question."""
    settings = services.settings
    model = settings.auto_model_backend if settings.backend == "auto" else settings.backend
    if model != "llamacpp":
        return

    def load() -> None:
        try:
            generator = services.generator("llamacpp")
            load_model = getattr(generator, "load", None)
            if load_model is not None:
                load_model()
        except Exception as exc:  # reported by /readyz
            app.state.backend_warmup_error = f"the llama.cpp model could not be loaded: {exc}"
            log.warning("%s", app.state.backend_warmup_error)

    threading.Thread(target=load, name="load-llamacpp", daemon=True).start()


def run(settings: Settings) -> None:
    import uvicorn

    from assistant.api.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    services = Services(settings)
    try:
        try:
            prepare(services)
        except EmbedderMismatch as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        app = create_app(settings, services)
        warm_backend(services, app)
        print(f"serving on http://{settings.host}:{settings.port}  (API docs at /docs)", file=sys.stderr)
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", timeout_graceful_shutdown=5)
    finally:
        services.close()


def app_from_env():
    """uvicorn factory (`uvicorn --factory assistant.api.server:app_from_env`): settings from the
    environment, no ingest. Used to run the app in a separate process (tests/api_server.py).
    ASSISTANT_SERVE_UI=0 leaves the UI out."""
    import os

    from assistant.api.app import create_app

    return create_app(Settings(), ui=os.environ.get("ASSISTANT_SERVE_UI", "1") != "0")
