"""The store: Chroma (embedded or client/server) + a BM25 index + a manifest, in generations.

Layout of the data dir::

    current.json                  manifest of the live generation (replaced atomically)
    chroma/                       Chroma PersistentClient (embedded mode only)
    generations/<gen>/chunks.jsonl  the chunks of that generation (source for BM25 and context)
    generations/<gen>/bm25/       bm25s index over the same chunks
    ingest.lock                   one writer at a time

Every ingest that changes something builds a whole new generation aside (a new Chroma collection
and a new generations/<gen> folder) and only then swaps `current.json`. A reader therefore sees
the complete old or the complete new index; a killed ingest leaves an orphan that the next
ingest removes. The previous generation is kept until the next swap so a reader that opened it
just before the swap can finish.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import shutil
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import bm25s
import numpy as np
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores.types import (
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)
from llama_index.vector_stores.chroma import ChromaVectorStore

from ingest.config import IngestConfig
from ingest.dutch import Analyzer
from ingest.files import atomic_write_text
from ingest.generation_files import embed_text, write_generation_files
from ingest.model import Chunk
from ingest.nodes import nodes_from_chunks
from ingest.store_errors import EmbedderMismatch, StoreError, StoreUnavailable

if TYPE_CHECKING:
    from chromadb.api import ClientAPI

__all__ = ["EmbedderMismatch", "StoreError", "StoreUnavailable", "embed_text", "write_generation_files"]

MANIFEST = "current.json"
FORMAT_VERSION = 1


def chroma_client(settings: IngestConfig):
    import chromadb

    chroma_settings = chromadb.Settings(anonymized_telemetry=False)
    if settings.chroma_mode == "http":
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        except Exception as exc:  # chromadb raises plain ValueError/ConnectError here
            raise StoreUnavailable(
                f"Chroma server at {settings.chroma_host}:{settings.chroma_port} is not reachable "
                f"({exc.__class__.__name__}). Start it with `chroma run --path DIR --port "
                f"{settings.chroma_port}` or set ASSISTANT_CHROMA_MODE=embedded."
            ) from exc
    path = settings.data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def read_manifest(data_dir: Path) -> dict | None:
    path = data_dir / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path} is unreadable ({exc}); run `assistant ingest --rebuild`") from exc
    if manifest.get("format") != FORMAT_VERSION:
        raise StoreError(f"{path} has an unknown format; run `assistant ingest --rebuild`")
    return manifest


@contextlib.contextmanager
def writer_lock(data_dir: Path, wait: bool = True):
    """One writer at a time (CLI ingest, server upload); a crashed holder releases it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "ingest.lock", "a+") as f:
        flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(f, flags)
        except BlockingIOError:
            raise StoreError("another ingest is running on this data dir; try again shortly") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def instance_id(data_dir: Path) -> str:
    """A random id per data dir, in every collection name: data dirs sharing one Chroma server
    never see (or garbage-collect) each other's collections."""
    path = data_dir / "instance_id"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, uuid.uuid4().hex[:8])
    return path.read_text(encoding="utf-8").strip()


def collection_prefix(settings: IngestConfig) -> str:
    """Replicas of one cluster share their collections; other data dirs keep their own."""
    owner = settings.cluster or instance_id(settings.data_dir)
    return f"{settings.collection_prefix}-{owner}-"


def new_generation_id() -> str:
    return time.strftime("g%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


@dataclass
class GenerationWriter:
    """Builds one generation aside; `commit` makes it live."""

    settings: IngestConfig
    client: ClientAPI
    embedder_name: str
    dim: int
    gen: str = field(default_factory=new_generation_id)

    def __post_init__(self):
        self.collection_name = collection_prefix(self.settings) + self.gen
        self.dir = self.settings.data_dir / "generations" / self.gen
        self.dir.mkdir(parents=True, exist_ok=True)
        self.collection = self.client.create_collection(
            self.collection_name,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedder": self.embedder_name, "dim": self.dim},
        )
        self.chunks: list[Chunk] = []
        self.published = False  # committed to a cluster: never aborted after that

    def add(self, chunks: list[Chunk], embeddings: np.ndarray) -> None:
        if not chunks:
            return
        batch = 1000
        for i in range(0, len(chunks), batch):
            part = chunks[i : i + batch]
            self.collection.add(
                ids=[c.chunk_id for c in part],
                embeddings=np.asarray(embeddings[i : i + batch], dtype=np.float32),
                documents=[c.text for c in part],
                metadatas=[c.metadata() for c in part],
            )
        self.chunks.extend(chunks)

    def commit(
        self, documents: dict, chunking: dict, extra: dict | None = None, publish: Callable[[dict], None] | None = None
    ) -> dict:
        """Write the generation's files and make it live. `publish`, when given, is called with
        the manifest before the local switch (a cluster commits it there; it raises to refuse)."""
        self.chunks.sort(key=lambda c: (c.doc_id, c.ordinal))
        write_generation_files(self.dir, self.chunks)
        n_chroma = self.collection.count()
        if n_chroma != len(self.chunks):
            raise StoreError(f"Chroma holds {n_chroma} chunks, expected {len(self.chunks)}")
        manifest = {
            "format": FORMAT_VERSION,
            "generation": self.gen,
            "collection": self.collection_name,
            "chroma_mode": self.settings.chroma_mode,
            "embedder": {"name": self.embedder_name, "dim": self.dim},
            "chunking": chunking,
            "documents": documents,
            "chunk_count": len(self.chunks),
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        manifest.update(extra or {})
        old = read_manifest(self.settings.data_dir)
        if old:
            manifest["previous"] = {"generation": old["generation"], "collection": old["collection"]}
        if publish is not None:
            publish(manifest)
            self.published = True
        atomic_write_text(self.settings.data_dir / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        return manifest

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.client.delete_collection(self.collection_name)
        shutil.rmtree(self.dir, ignore_errors=True)


def _age_seconds(generation: str) -> float:
    """Seconds since a generation id ("g20261201T181500-abc123") was made; 0 when unreadable."""
    try:
        return time.time() - time.mktime(time.strptime(generation[1:16], "%Y%m%dT%H%M%S"))
    except ValueError:
        return 0.0


def collect_garbage(settings: IngestConfig, client) -> list[str]:
    """Drop generations that are neither live nor the one before (orphans of killed ingests)."""
    manifest = read_manifest(settings.data_dir)
    keep_collections, keep_gens = set(), set()
    if manifest:
        keep_collections.add(manifest["collection"])
        keep_gens.add(manifest["generation"])
        if prev := manifest.get("previous"):
            keep_collections.add(prev["collection"])
            keep_gens.add(prev["generation"])
    removed = []
    prefix = collection_prefix(settings)
    for col in client.list_collections():
        name = getattr(col, "name", col)
        # generation collections only ("<prefix>g2026..."), never a cluster's state or files
        if name.startswith(prefix) and name[len(prefix) :].startswith("g") and name not in keep_collections:
            if settings.cluster and _age_seconds(name[len(prefix) :]) < settings.cluster_lease_seconds:
                continue  # a replica may still read it, or a writer whose lease ran out still builds it
            client.delete_collection(name)
            removed.append(name)
    gen_root = settings.data_dir / "generations"
    if gen_root.exists():
        for d in gen_root.iterdir():
            if d.name not in keep_gens and not d.name.startswith("."):  # ".<gen>-x": being built
                shutil.rmtree(d, ignore_errors=True)
    return removed


def check_compatible(manifest: dict, settings: IngestConfig, embedder_name: str, dim: int) -> None:
    """An index only opens with the embedder and the Chroma mode that built it."""
    built = manifest["embedder"]
    if built["name"] != embedder_name or int(built["dim"]) != dim:
        raise EmbedderMismatch(
            f"the index in {settings.data_dir} was built with {built['name']} (dim "
            f"{built['dim']}), but the configured embedder is {embedder_name} (dim {dim}). "
            "Re-embed with `assistant ingest --rebuild`, or set ASSISTANT_EMBEDDER back."
        )
    if manifest.get("chroma_mode", "embedded") != settings.chroma_mode:
        raise StoreError(
            f"the index in {settings.data_dir} lives in Chroma mode "
            f"{manifest.get('chroma_mode')!r}, but ASSISTANT_CHROMA_MODE is "
            f"{settings.chroma_mode!r}; run `assistant ingest --rebuild` for the new mode"
        )


def read_generation_chunks(settings: IngestConfig, manifest: dict) -> list[Chunk]:
    path = settings.data_dir / "generations" / manifest["generation"] / "chunks.jsonl"
    try:
        with open(path, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f]
    except (OSError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path} is unreadable ({exc}); run `assistant ingest --rebuild`") from exc
    return [Chunk.from_metadata(row.pop("text"), row) for row in rows]


class StoreReader:
    """The live generation, opened for queries. Cheap to check for staleness (`is_current`).

    `chunks` and `nodes` (the same chunks as llama-index TextNodes, ``ingest.nodes``) are in
    document order; the dense search goes through llama-index's ChromaVectorStore, which wraps the
    generation's collection as it is.
    """

    def __init__(self, settings: IngestConfig, embedder_name: str, dim: int, client=None):
        self.cluster = None
        head = None
        if settings.cluster:  # the data dir is a cache of the cluster's head
            from ingest.cluster import Cluster, sync_local

            client = client or chroma_client(settings)
            self.cluster = Cluster(settings, client)
            head = sync_local(settings, self.cluster, files=False, manifest=False)
        self._polled = time.monotonic()
        manifest = head if self.cluster is not None else read_manifest(settings.data_dir)
        if manifest is None:
            raise StoreError(f"no index in {settings.data_dir}; run `assistant ingest` first")
        check_compatible(manifest, settings, embedder_name, dim)
        self.settings = settings
        self.manifest = manifest
        self.generation = manifest["generation"]
        self._mtime = 0 if self.cluster is not None else (settings.data_dir / MANIFEST).stat().st_mtime_ns
        gen_dir = settings.data_dir / "generations" / self.generation
        self.chunks: list[Chunk] = read_generation_chunks(settings, manifest)
        self.nodes: list[TextNode] = nodes_from_chunks(self.chunks)
        self.index_of = {c.chunk_id: i for i, c in enumerate(self.chunks)}
        vocab_path = gen_dir / "vocabulary.json"
        vocabulary = set(json.loads(vocab_path.read_text(encoding="utf-8"))) if vocab_path.exists() else set()
        self.analyzer = Analyzer(vocabulary)
        self.bm25 = bm25s.BM25.load(str(gen_dir / "bm25")) if self.chunks else None
        self._bm25_vocab = set(self.bm25.vocab_dict) if self.bm25 is not None else set()
        self.client = client or chroma_client(settings)
        try:
            self.collection = self.client.get_collection(manifest["collection"], embedding_function=None)
        except Exception as exc:
            if settings.chroma_mode == "http":
                raise StoreUnavailable(f"Chroma server: {exc}") from exc
            raise StoreError(
                f"collection {manifest['collection']} is missing; run `assistant ingest --rebuild`"
            ) from exc
        self.vector_store = ChromaVectorStore(chroma_collection=self.collection)

    def is_current(self) -> bool:
        if self.cluster is not None:
            # another replica may have committed: ask Chroma, at most once per poll interval
            if time.monotonic() - self._polled < self.settings.cluster_poll_seconds:
                return True
            self._polled = time.monotonic()
            try:
                head = self.cluster.head()
            except Exception:
                return True  # the server is away: keep answering from what is open
            return head is None or head["generation"] == self.generation
        try:
            return (self.settings.data_dir / MANIFEST).stat().st_mtime_ns == self._mtime
        except FileNotFoundError:
            return False

    def dense(
        self, query_vector: np.ndarray | Sequence[float], k: int, documents: Collection[str] | None = None
    ) -> list[tuple[int, float]]:
        """(chunk index, cosine similarity), best first; only chunks of `documents` (doc ids) when given.

        ChromaVectorStore reports exp(-distance) as similarity; the cosine (1 - distance, what the
        thresholds are tuned on) is 1 + log of it. The scope is a Chroma `where` filter, so the k
        nearest are found inside it (not k overall, then cut)."""
        if not self.chunks or (documents is not None and not documents):
            return []
        filters = None
        if documents is not None:
            filters = MetadataFilters(
                filters=[MetadataFilter(key="doc_id", value=sorted(documents), operator=FilterOperator.IN)]
            )
        query = VectorStoreQuery(
            query_embedding=np.asarray(query_vector, dtype=np.float32).tolist(),
            similarity_top_k=min(k, len(self.chunks)),
            filters=filters,
        )
        try:
            result = self.vector_store.query(query)
        except Exception as exc:
            raise StoreUnavailable(f"dense search failed: {exc.__class__.__name__}: {exc}") from exc
        out = []
        for cid, similarity in zip(result.ids or [], result.similarities or [], strict=True):
            if cid in self.index_of:
                out.append((self.index_of[cid], 1.0 + math.log(similarity)))
        return out

    def keyword(self, query: str, k: int, documents: Collection[str] | None = None) -> list[tuple[int, float]]:
        """(chunk index, BM25 score) for chunks sharing at least one term, best first; only chunks
        of `documents` (doc ids) when given. Scores stay those of the whole index (the idf of a
        term does not change with the scope)."""
        if self.bm25 is None or (documents is not None and not documents):
            return []
        tokens = [t for t in self.analyzer.tokens(query, join_pairs=True) if t in self._bm25_vocab]
        if not tokens:
            return []
        scores = self.bm25.get_scores(tokens)
        if documents is not None:
            scores = np.where(self.in_documents(documents), scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def in_documents(self, documents: Collection[str]) -> np.ndarray:
        """A mask over `chunks`: True for the chunks of `documents`."""
        wanted = set(documents)
        return np.fromiter((c.doc_id in wanted for c in self.chunks), dtype=bool, count=len(self.chunks))

    def ping(self) -> bool:
        try:
            self.collection.count()
            return True
        except Exception:
            return False

    def chroma_ids(self) -> set[str]:
        got = self.collection.get(include=[])
        return set(got["ids"])
