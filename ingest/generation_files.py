"""A generation's local files: its chunks, the vocabulary and the BM25 index built over them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import bm25s

from ingest.dutch import Analyzer
from ingest.model import Chunk


def embed_text(chunk: Chunk) -> str:
    """What gets embedded and keyword-indexed: the heading path gives a short chunk its topic."""
    return f"{chunk.heading_path}\n{chunk.text}" if chunk.heading_path else chunk.text


def write_generation_files(gen_dir: Path, chunks: list[Chunk]) -> None:
    """A generation's local files: its chunks (document order), the vocabulary and the BM25 index."""
    with open(gen_dir / "chunks.jsonl", "w", encoding="utf-8") as f:
        for c in chunks:
            f.write(json.dumps({"text": c.text, **c.metadata()}, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    texts = [embed_text(c) for c in chunks]
    vocabulary = Analyzer.build_vocabulary(texts)
    analyzer = Analyzer(vocabulary)
    (gen_dir / "vocabulary.json").write_text(json.dumps(sorted(vocabulary)), encoding="utf-8")
    if chunks:
        bm25 = bm25s.BM25()
        bm25.index([analyzer.tokens(t) or ["__empty__"] for t in texts], show_progress=False)
        bm25.save(str(gen_dir / "bm25"), show_progress=False)
