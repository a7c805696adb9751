"""Liveness (`/healthz`, always fast) and readiness (`/readyz`: index, Chroma, default backend)."""

from __future__ import annotations

import concurrent.futures
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from assistant.api.deps import ServicesDep, SettingsDep
from assistant.llm.base import GeneratorError
from assistant.services import Services
from assistant.settings import Settings
from ingest.store import StoreError

router = APIRouter(tags=["health"])

_OPENAI_CHECK_SECONDS = 3.0
_OPENAI_CACHE_SECONDS = 10.0


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: index loaded, Chroma reachable, default backend ready",
    responses={503: {"description": "something is not ready; the body says what"}},
)
def readyz(request: Request, services: ServicesDep, settings: SettingsDep) -> JSONResponse:
    checks: dict[str, dict] = {}
    try:
        store = services.retriever().store
        chunks = len(store.chunks)
        checks["index"] = {
            "ok": chunks > 0,
            "detail": f"generation {store.generation}, {len(store.manifest['documents'])} documents, {chunks} chunks",
        }
        if chunks == 0:
            checks["index"]["detail"] = "the index is empty; add documents and run `assistant ingest`"
        reachable = store.ping()
        checks["chroma"] = {
            "ok": reachable,
            "detail": f"{settings.chroma_mode} Chroma " + ("reachable" if reachable else "not reachable"),
        }
    except StoreError as exc:
        checks["index"] = {"ok": False, "detail": str(exc)}
        checks["chroma"] = {"ok": False, "detail": "not checked: no index loaded"}
    except Exception as exc:  # a probe answers 503 with the reason, never 500
        checks["index"] = {
            "ok": False,
            "detail": f"the index could not be opened ({exc.__class__.__name__}: {exc})"[:500],
        }
        checks["chroma"] = {"ok": False, "detail": "not checked: no index loaded"}
    checks["backend"] = backend_check(request, services, settings)
    ready = all(c["ok"] for c in checks.values())
    not_ready = [name for name, c in checks.items() if not c["ok"]]
    body: dict = {"status": "ready" if ready else "not ready", "not_ready": not_ready, "checks": checks}
    watcher = getattr(request.app.state, "watcher", None)
    if watcher is not None:  # information, not a condition of readiness
        body["watch"] = watcher.status()
    return JSONResponse(body, status_code=200 if ready else 503)


def backend_check(request: Request, services: Services, settings: Settings, name: str | None = None) -> dict:
    name = name or settings.backend
    if name == "auto":  # ready whatever the model's state: questions it cannot take are answered extractively
        model = backend_check(request, services, settings, settings.auto_model_backend)
        state = "ready" if model["ok"] else "not ready"
        return {"ok": True, "name": name, "detail": f"extractive ready; {model['name']} {state}: {model['detail']}"}
    if name == "extractive":
        return {"ok": True, "name": name, "detail": "extractive answers need no language model"}
    state = request.app.state
    try:
        generator = services.generator(name)
    except GeneratorError as exc:
        return {"ok": False, "name": name, "detail": str(exc)}
    if name == "llamacpp":
        if getattr(generator, "loaded", False):
            return {"ok": True, "name": name, "detail": f"{generator.name} loaded"}
        error = getattr(state, "backend_warmup_error", None)
        detail = error or "the model is not loaded yet (it loads at server start or on the first question)"
        return {"ok": False, "name": name, "detail": detail}
    return _openai_check(state, generator, name)


def _openai_check(state, generator, name: str) -> dict:
    """Ask the server for its models, at most every few seconds and within a short timeout."""
    cached = getattr(state, "openai_check", None)
    if cached and time.monotonic() - cached[0] < _OPENAI_CACHE_SECONDS:
        return cached[1]
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        models = pool.submit(generator.list_models).result(timeout=_OPENAI_CHECK_SECONDS)
        result = {"ok": True, "name": name, "detail": f"server answers; models: {', '.join(models[:5])}"}
    except concurrent.futures.TimeoutError:
        result = {
            "ok": False,
            "name": name,
            "detail": f"the OpenAI-compatible server did not answer within {_OPENAI_CHECK_SECONDS:g} s",
        }
    except GeneratorError as exc:
        result = {"ok": False, "name": name, "detail": str(exc)}
    finally:
        pool.shutdown(wait=False)
    state.openai_check = (time.monotonic(), result)
    return result
