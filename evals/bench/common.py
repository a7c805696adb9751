"""What the benchmarks share: a warmed embedder, the bare embedder's timing, a private index of the
shipped corpus, and one /api/ask over HTTP."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.settings import Settings
from ingest.embedding import Embedder


def warm(embedder: Embedder) -> Embedder:
    """The embedder after one small call: the first call pays one-off setup."""
    embedder.embed_passages(["opwarmen"] * 4)
    return embedder


def bare_embed(embedder: Embedder, texts: list[str], batch: int) -> tuple[float, float]:
    """Wall and CPU seconds of the bare embedder over `texts` in the ingest's batch size."""
    bs = max(1, batch)
    t, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), bs):
        embedder.embed_passages(texts[i : i + bs])
    return time.perf_counter() - t, time.process_time() - cpu


@contextmanager
def shipped_index(settings: Settings, embedder: Embedder) -> Iterator[Settings]:
    """A private index of the shipped corpus (settings.corpus_dir) in a temp dir, embedded Chroma."""
    from ingest.indexer import ingest

    tmp = Path(tempfile.mkdtemp(prefix="bench-index-"))
    try:
        run_settings = settings.model_copy(update={"data_dir": tmp / "data", "chroma_mode": "embedded"})
        report = ingest(run_settings, embedder, rebuild=True, progress=False)
        if report.failed or not report.chunks:
            raise RuntimeError(f"the shipped corpus did not index: {report.summary()}")
        yield run_settings
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def post_ask(client, base_url: str, question: str, backend: str = "extractive") -> tuple[float, dict]:
    """(seconds, answer body) of one /api/ask; a failed request's body holds _status and _error."""
    t = time.perf_counter()
    r = client.post(f"{base_url}/api/ask", json={"question": question, "backend": backend})
    elapsed = time.perf_counter() - t
    if r.status_code != 200:
        return elapsed, {"_status": r.status_code, "_error": r.text[:300]}
    return elapsed, r.json()
