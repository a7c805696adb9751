"""In-process API clients (FastAPI's TestClient, no server) and the error-shape assertion."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant.api.app import create_app
from assistant.services import Services

KEY = "test-key-" + uuid.uuid4().hex


def keyed_client(svc: Services, key: str | None = KEY) -> TestClient:
    settings = svc.settings.model_copy(update={"api_key": SecretStr(key) if key is not None else None})
    return TestClient(create_app(settings, svc, ui=False), raise_server_exceptions=False)


def auth(key: str = KEY) -> dict:
    return {"Authorization": f"Bearer {key}"}


def assert_error(r, status: int, contains: str | None = None) -> dict:
    """The error JSON shape of /api: a readable message, a detail field, never a traceback."""
    assert r.status_code == status, r.text[:500]
    body = r.json()
    assert isinstance(body["error"], str) and body["error"], body
    assert "detail" in body
    assert "Traceback" not in r.text and 'File "' not in r.text
    if contains:
        assert contains.lower() in body["error"].lower(), body
    return body
