"""Gradio's own upload route, which the API key cannot guard, is bounded: closed without a key,
a number of files per client, a total size of its folder, the size of one file."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from support.config import make_settings

from assistant.api.app import create_app

UPLOAD = "/ui/gradio_api/upload"


def upload(c: TestClient, size: int = 100, name: str = "notitie.md", fill: bytes = b"x"):
    return c.post(UPLOAD, files={"files": (name, fill * size, "text/markdown")})


@pytest.fixture
def make_client(services, tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    clients = []

    def make(**overrides):
        settings = make_settings(services.settings.data_dir, **overrides)
        c = TestClient(create_app(settings, services, ui=True), raise_server_exceptions=False)
        clients.append(c)
        return c.__enter__()

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def test_closed_without_an_api_key(make_client, tmp_path):
    c = make_client()
    r = upload(c)
    assert r.status_code == 403 and "no API key" in r.json()["error"]
    assert not (tmp_path / "gradio").exists() or not any((tmp_path / "gradio").rglob("notitie.md"))


def test_a_client_gets_a_number_of_uploads_per_window(make_client, tmp_path):
    c = make_client(api_key="k", ui_uploads_per_client=3)
    for fill in (b"a", b"b", b"c"):  # Gradio stores by content: three different files
        r = upload(c, fill=fill)
        assert r.status_code == 200, r.text
    stored = list((tmp_path / "gradio").rglob("notitie.md"))
    assert len(stored) == 3
    r = upload(c, fill=b"d")
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert len(list((tmp_path / "gradio").rglob("notitie.md"))) == 3  # nothing more was stored


def test_the_upload_folder_has_a_size_limit(make_client, tmp_path):
    c = make_client(api_key="k", ui_upload_space_bytes=5000)
    assert upload(c, size=6000).status_code == 200  # the folder was below the limit before it
    r = upload(c, size=10)
    assert r.status_code == 507 and "full" in r.json()["error"]


def test_one_file_larger_than_the_upload_limit_is_refused(make_client, tmp_path):
    c = make_client(api_key="k", max_upload_bytes=2000)
    r = upload(c, size=5000)
    assert r.status_code == 413
    assert not any((tmp_path / "gradio").rglob("notitie.md")) if (tmp_path / "gradio").exists() else True
